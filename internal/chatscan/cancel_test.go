package chatscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/value"
)

// cancelAfter is an io.Writer for a progress.Reporter whose Every is 0, so
// that it is given a line after each batch a scan applies: at the after-th
// line it cancels the scan's context with cause. Tests outside this package
// make one the same way (a Reporter prints nothing else to a non-terminal).
type cancelAfter struct {
	after  int
	cancel context.CancelCauseFunc
	cause  error

	mu       sync.Mutex
	lines    int
	canceled time.Time
}

func (w *cancelAfter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for range bytes.Count(p, []byte("\n")) {
		w.lines++
		if w.lines == w.after {
			w.canceled = time.Now()
			w.cancel(w.cause)
		}
	}
	return len(p), nil
}

// writeManyRecords writes an export of n valid records, each with its own
// author, name and email.
func writeManyRecords(t *testing.T, n int) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(testHeader)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d,%d,%d,Person %d,p%d@x.test,message %d,true,2021-01-01T00:00:00Z,2021-01-01T00:00:00Z,%d\n",
			1+i/10, i, i, i, i, i, i)
	}
	path := filepath.Join(t.TempDir(), "chat_data.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestScanStopsWhenCanceled cancels a scan of many batches after its second
// batch, through the public Options.Progress: Scan returns promptly, with no
// result and an error that wraps the context's cause, having applied only a
// few more batches than it had (those the reading goroutine had ready);
// its goroutines end, and it leaves no file beside the export.
func TestScanStopsWhenCanceled(t *testing.T) {
	const records = 40 * batchRecords
	path := writeManyRecords(t, records)
	for _, messages := range []bool{false, true} {
		t.Run(fmt.Sprintf("messages=%v", messages), func(t *testing.T) {
			goroutines := runtime.NumGoroutine()
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			cause := errors.New("the test's cause")
			w := &cancelAfter{after: 2, cancel: cancel, cause: cause}
			p := progress.New(w, false)
			p.Every = 0
			res, err := Scan(ctx, Options{
				File: path, Messages: messages,
				Nulls:    value.NewNulls([]string{"NULL"}),
				Times:    &value.TimeParser{Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
				Progress: p,
			})
			returned := time.Now()
			w.mu.Lock()
			lines, canceled := w.lines, w.canceled
			w.mu.Unlock()
			if canceled.IsZero() {
				t.Fatalf("the scan applied %d batches and was never canceled: the progress line per batch is gone", lines)
			}
			if err == nil || res != nil {
				t.Fatalf("Scan after cancel = %v, %v; want no result and an error", res, err)
			}
			if !errors.Is(err, cause) {
				t.Errorf("Scan's error %v does not wrap the context's cause", err)
			}
			if d := returned.Sub(canceled); d > time.Second {
				t.Errorf("Scan returned %v after the cancel", d)
			}
			// The reading goroutine may have had a few batches ready (the
			// channel holds 4); a scan that ignored the cancel applies 40.
			if lines > w.after+6 {
				t.Errorf("Scan applied %d batches of 40, canceled after %d", lines, w.after)
			}
			deadline := time.Now().Add(2 * time.Second)
			for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > goroutines {
				t.Errorf("%d goroutines after the canceled scan, %d before", n, goroutines)
			}
			entries, err := os.ReadDir(filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("the export's folder holds %d files after the scan, want only the export", len(entries))
			}
		})
	}
}

// TestScanNotCanceledReadsAll is the control of TestScanStopsWhenCanceled:
// the same export and reporter, never canceled, are read to the end, one
// progress line per batch.
func TestScanNotCanceledReadsAll(t *testing.T) {
	const records = 40 * batchRecords
	path := writeManyRecords(t, records)
	w := &cancelAfter{after: -1, cancel: func(error) {}}
	p := progress.New(w, false)
	p.Every = 0
	res, err := Scan(context.Background(), Options{
		File: path, Messages: true,
		Nulls:    value.NewNulls([]string{"NULL"}),
		Times:    &value.TimeParser{Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		Progress: p,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != records || len(res.Users) != records || res.Comments.Len() != records {
		t.Errorf("read %d records, %d users, %d comments; want %d of each", res.Records, len(res.Users), res.Comments.Len(), records)
	}
	// 40 full batches, then the last, empty one.
	if w.lines < 40 {
		t.Errorf("%d progress lines for 40 batches", w.lines)
	}
	for i, u := range res.Users {
		if want := fmt.Sprintf("Person %d", i+1); u.Name != want || u.Email != fmt.Sprintf("p%d@x.test", i+1) {
			t.Fatalf("user %d is %q <%s>, want %q", i+1, u.Name, u.Email, want)
		}
	}
}
