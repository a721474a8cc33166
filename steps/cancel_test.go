package steps

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/fixtures/gen/chatgen"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// cancelOnLine cancels a context with cause at the after-th line written
// to it: given to a progress.Reporter whose Every is 0, that is after the
// after-th batch of records a scan applied.
type cancelOnLine struct {
	after  int
	cancel context.CancelCauseFunc
	cause  error

	mu    sync.Mutex
	lines int
}

func (w *cancelOnLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for range bytes.Count(p, []byte("\n")) {
		if w.lines++; w.lines == w.after {
			w.cancel(w.cause)
		}
	}
	return len(p), nil
}

// TestCanceledScanLeavesNoFiles cancels the read of a generated export of
// 60,000 records (15 batches) after its second batch, in a run of
// chat-users, merge-users and build, and in a run of build alone after the
// other two: each stops with an error that wraps the context's cause, and
// leaves the work dir as it was before the run (SPEC section 2,
// Interrupts: every final file stays as it was; migrate.lock aside).
func TestCanceledScanLeavesNoFiles(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if _, err := chatgen.WriteFiles(chatgen.Config{Rows: 60_000, Seed: 5, EdgeRate: 0.01}, data); err != nil {
		t.Fatal(err)
	}
	newEnv := func(work string, w io.Writer) *Env {
		o := DefaultOptions()
		o.ChatCSV = filepath.Join(data, "chat_data.csv")
		o.TicketUsers = filepath.Join(data, "ticket_platform_users.csv")
		o.WorkDir = work
		o.InvalidUTF8, o.MaxRejectRate = "replace", 1
		p := progress.New(w, false)
		p.Every = 0
		return &Env{Opt: o, Stdout: io.Discard, Stderr: io.Discard, Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Progress: p}
	}
	run := func(env *Env, list string, w *cancelOnLine) error {
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		if w != nil {
			w.cancel = cancel
		}
		selected, err := Select(strings.Split(list, ","), &env.Opt)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Run(ctx, env, selected)
		return err
	}
	files := func(m map[string][]byte) string {
		var names []string
		for name := range m {
			if name != workspace.LockFile {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		return strings.Join(names, " ")
	}

	for _, tt := range []struct {
		name  string
		steps string
		// before runs first, uncanceled, in the same work dir.
		before string
	}{
		{"one run", "chat-users,merge-users,build", ""},
		{"build alone", "build", "chat-users,merge-users"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			work := filepath.Join(t.TempDir(), "work")
			if tt.before != "" {
				if err := run(newEnv(work, io.Discard), tt.before, nil); err != nil {
					t.Fatal(err)
				}
			}
			var before map[string][]byte
			if tt.before != "" {
				before = snapshot(t, work)
			}
			cause := errors.New("the test's cause")
			w := &cancelOnLine{after: 2, cause: cause}
			start := time.Now()
			err := run(newEnv(work, w), tt.steps, w)
			if err == nil {
				t.Fatalf("the run completed although it was canceled after %d batches", w.after)
			}
			if !errors.Is(err, cause) {
				t.Errorf("error %v does not wrap the context's cause", err)
			}
			if w.lines > w.after+6 {
				t.Errorf("%d batches applied after the cancel at %d", w.lines, w.after)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("the canceled run took %v", d)
			}
			checkNoTemporaries(t, work)
			after := snapshot(t, work)
			if files(after) != files(before) {
				t.Errorf("the work dir holds %q after the canceled run, %q before", files(after), files(before))
			}
			for name, b := range before {
				if name != workspace.LockFile && !bytes.Equal(after[name], b) {
					t.Errorf("%s changed", name)
				}
			}
		})
	}
}
