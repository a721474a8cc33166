package steps

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	vt "github.com/migrate-tool/migrate/internal/verify/verifytest"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// The rules themselves are tested in internal/verify; these tests cover
// what the step adds: the options, the ticket platform export, the
// environment, the counts and the exit status.

// writeVerifyArchive writes entries as a tar.gz in dir and returns its path.
func writeVerifyArchive(t testing.TB, dir string, entries []vt.Entry) string {
	t.Helper()
	path := filepath.Join(dir, workspace.ArchiveFile)
	if err := os.WriteFile(path, vt.Archive(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runVerify verifies the archive at path, with the ticket platform file
// holding tpCSV when it is not empty.
func runVerify(t testing.TB, dir, path, tpCSV string) (string, report.Counts, error) {
	t.Helper()
	return runVerifyEnv(t, context.Background(), dir, path, tpCSV, map[string]string{"SOURCE_DATE_EPOCH": strconv.Itoa(vt.Epoch)})
}

// runVerifyEnv is runVerify with a context and the environment vars.
func runVerifyEnv(t testing.TB, ctx context.Context, dir, path, tpCSV string, vars map[string]string) (string, report.Counts, error) {
	t.Helper()
	if tpCSV != "" {
		if err := os.WriteFile(filepath.Join(dir, workspace.TicketUsersFile), []byte(tpCSV), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	env := &Env{Opt: DefaultOptions(), Stdout: &out, Stderr: &bytes.Buffer{}, Now: vt.Now, Getenv: func(k string) string { return vars[k] }}
	env.Opt.WorkDir = dir
	env.Opt.Out = path
	rec := &report.Step{}
	err := Verify(ctx, env, &Memo{}, rec)
	counts := rec.Counts
	return out.String(), counts, err
}

func verifyViolationCount(t testing.TB, counts report.Counts) int {
	t.Helper()
	v, ok := counts.Get("violations")
	if !ok {
		t.Fatalf("counts %v hold no violations", counts)
	}
	return v.(int)
}

func TestVerifyExitStatus(t *testing.T) {
	tests := []struct {
		name    string
		entries []vt.Entry
		count   int
		err     string // the error's message, %s standing for the archive
	}{
		{"clean", []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch)}, 0, ""},
		{"one violation", []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch), vt.File("notes.txt", "")}, 1, "1 violation in %s"},
		{"two violations", []vt.Entry{vt.File("backup_tickets_2.json", vt.Batch(nil, nil, nil)), vt.File("backup_tickets_1.json", vt.CleanBatch)}, 2, "2 violations in %s"},
		{"part not read", []vt.Entry{
			vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(1, 6)}, nil, nil)),
			vt.File("backup_tickets_2.json", `{"data":{"tickets":{"data":[],"comments":[],"users":[{"name":"A","id":6,"email":""`),
		}, 1, "1 violation in %s (references not checked: part of the archive could not be read)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeVerifyArchive(t, dir, tt.entries)
			out, counts, err := runVerify(t, dir, path, "")
			if got := verifyViolationCount(t, counts); got != tt.count {
				t.Errorf("%d violations, want %d; output:\n%s", got, tt.count, out)
			}
			if got := strings.Count(out, "\n"); got != tt.count {
				t.Errorf("%d lines, want %d; output:\n%s", got, tt.count, out)
			}
			wantCode := fail.OK
			if tt.count > 0 {
				wantCode = fail.Violations
			}
			if code := fail.Code(err); code != wantCode {
				t.Errorf("exit status %d (%v), want %d", code, err, wantCode)
			}
			if tt.err != "" && (err == nil || err.Error() != fmt.Sprintf(tt.err, path)) {
				t.Errorf("error %v, want %s", err, fmt.Sprintf(tt.err, path))
			}
		})
	}
}

func TestVerifyUnreadableArchive(t *testing.T) {
	gzipOf := func(data []byte) []byte {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		gz.Write(data)
		gz.Close()
		return buf.Bytes()
	}
	good := vt.Archive(t, []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch), vt.File("backup_tickets_2.json", vt.Batch(nil, nil, nil))})
	tests := []struct {
		name  string
		data  []byte // nil: no file
		code  int
		want  string
		count int
	}{
		{"missing", nil, fail.Usage, "run the build step first", 0},
		{"not gzip", []byte("backup_tickets_1.json\n"), fail.Usage, "is not a gzip-compressed tar archive", 0},
		{"empty file", []byte{}, fail.Usage, "is not a gzip-compressed tar archive", 0},
		{"gzip of something else", gzipOf(bytes.Repeat([]byte("not a tar file\n"), 100)), fail.Violations,
			"cannot read the tar entry after the start", 1},
		{"truncated", good[:len(good)-30], fail.Violations, "the archive is truncated", 1},
		{"trailing garbage", append(append([]byte{}, good...), "junk"...), fail.Violations, "holds data after the end of the gzip stream", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, workspace.ArchiveFile)
			if tt.data != nil {
				if err := os.WriteFile(path, tt.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, counts, err := runVerify(t, dir, path, "")
			if code := fail.Code(err); code != tt.code {
				t.Fatalf("exit status %d (%v), want %d", code, err, tt.code)
			}
			text := out
			if tt.code == fail.Usage {
				text = err.Error()
				if !strings.Contains(text, path) {
					t.Errorf("error %q does not name %s", text, path)
				}
			} else if got := verifyViolationCount(t, counts); got != tt.count {
				t.Errorf("%d violations, want %d; output:\n%s", got, tt.count, out)
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("%q lacks %q", text, tt.want)
			}
		})
	}
}

func TestVerifyTicketPlatformUsers(t *testing.T) {
	// Author 900 and requester 901 exist only on the ticket platform.
	entries := []vt.Entry{vt.File("backup_tickets_1.json",
		vt.Batch([]string{vt.Ticket(1, 901)}, []string{vt.Comment(10, 1, 900), vt.Comment(11, 1, 5)}, []string{vt.User(5, "")}))}
	tests := []struct {
		name  string
		csv   string // "" : no file
		code  int
		want  string
		count int
	}{
		{"resolved", "id,email\n900,a@example.com\n901,\n", fail.OK, "", 0},
		{"header in any case, spaced, with BOM, ids as spreadsheets write them", "\ufeff Email , ID \nb@example.com,900.0\n,00901\n", fail.OK, "", 0},
		{"absent", "", fail.Violations, "data.tickets.comments[0].author_id: 900 names no user in the archive (", 2},
		{"lacking one", "id,email\n900,a@example.com\n", fail.Violations,
			"backup_tickets_1.json: data.tickets.data[0].requester_id: 901 names no user in the archive or in ", 1},
		{"bad id", "id,email\n900,a@example.com\nx1,b@example.com\n", fail.Usage, "ticket_platform_users.csv: line 3: id \"x1\" is not a valid id", 0},
		{"null id", "id,email\n900,a@example.com\nNULL,c@example.com\n", fail.Usage, "ticket_platform_users.csv: line 3: id \"NULL\" is not a valid id", 0},
		{"zero id", "id,email\n0,a@example.com\n", fail.Usage, "line 2: id \"0\" is not a valid id", 0},
		{"missing column", "user_id,email\n900,a@example.com\n", fail.Usage, "ticket_platform_users.csv: line 1: missing required column(s) id", 0},
		{"wrong field count", "id,email\n900\n", fail.Usage, "the record has 1 field(s) but the header has 2", 0},
		{"bare quote", "id,email\n9\"00,a\n", fail.Usage, "ticket_platform_users.csv: line 2", 0},
		{"header only", "id,email\n", fail.Violations, "900 names no user in the archive or in", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeVerifyArchive(t, dir, entries)
			out, counts, err := runVerify(t, dir, path, tt.csv)
			if code := fail.Code(err); code != tt.code {
				t.Fatalf("exit status %d (%v), want %d; output:\n%s", code, err, tt.code, out)
			}
			if tt.code == fail.Usage {
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %q lacks %q", err, tt.want)
				}
				return
			}
			if got := verifyViolationCount(t, counts); got != tt.count {
				t.Errorf("%d violations, want %d; output:\n%s", got, tt.count, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestVerifySourceDateEpoch(t *testing.T) {
	dir := t.TempDir()
	path := writeVerifyArchive(t, dir, []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch)})
	// The entries carry vt.Epoch: right with it, wrong without it.
	if out, _, err := runVerifyEnv(t, context.Background(), dir, path, "", map[string]string{"SOURCE_DATE_EPOCH": strconv.Itoa(vt.Epoch)}); err != nil || out != "" {
		t.Errorf("with SOURCE_DATE_EPOCH: %v\n%s", err, out)
	}
	if out, _, err := runVerifyEnv(t, context.Background(), dir, path, "", nil); fail.Code(err) != fail.Violations || !strings.Contains(out, "modification time") {
		t.Errorf("without SOURCE_DATE_EPOCH: %v\n%s", err, out)
	}
	_, _, err := runVerifyEnv(t, context.Background(), dir, path, "", map[string]string{"SOURCE_DATE_EPOCH": "yesterday"})
	if fail.Code(err) != fail.Usage || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("bad SOURCE_DATE_EPOCH: %v", err)
	}
}

// TestVerifyInterrupted checks that a signal's cancellation keeps its exit
// status through the step (SPEC section 2): the engine's own test checks
// that it stops within a second.
func TestVerifyInterrupted(t *testing.T) {
	dir := t.TempDir()
	path := writeVerifyArchive(t, dir, []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch)})
	for _, signal := range []string{"SIGINT", "SIGTERM"} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cause := fail.Signal(signal)
		cancel(cause)
		_, counts, err := runVerifyEnv(t, ctx, dir, path, "", nil)
		want := map[string]int{"SIGINT": fail.Interrupted, "SIGTERM": fail.Terminated}[signal]
		if !errors.Is(err, cause) || fail.Code(err) != want || counts != nil {
			t.Errorf("%s: error %v (exit status %d), counts %v; want one wrapping %v, exit status %d", signal, err, fail.Code(err), counts, cause, want)
		}
	}
}

// TestVerifyOutNotAFile checks that --out naming a folder, a named pipe or
// a device is bad usage, said at once: a named pipe would make verify wait
// for a writer.
func TestVerifyOutNotAFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ path, want string }{
		{dir, "is a directory, not a file: name the archive file with --out"},
	}
	if runtime.GOOS != "windows" {
		fifo := filepath.Join(dir, "pipe.tar.gz")
		if err := exec.Command("mkfifo", fifo).Run(); err != nil {
			t.Fatalf("mkfifo: %v", err)
		}
		tests = append(tests, struct{ path, want string }{fifo, "is a named pipe, not a file"}, struct{ path, want string }{os.DevNull, "is a device, not a file"})
	}
	for _, tt := range tests {
		done := make(chan error, 1)
		go func() {
			_, _, err := runVerify(t, dir, tt.path, "")
			done <- err
		}()
		select {
		case err := <-done:
			if fail.Code(err) != fail.Usage || !strings.Contains(err.Error(), tt.path+" "+tt.want) {
				t.Errorf("--out %s: error %v (exit status %d), want exit status 2 saying %q", tt.path, err, fail.Code(err), tt.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("--out %s: still running after 5 s", tt.path)
		}
	}
}
