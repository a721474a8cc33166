package main

// End-to-end tests of SPEC section 2's safety of a run, one per finding of
// the "fail loudly, never corrupt" issue: each failed on the code before it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/fixtures/gen/chatgen"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/workspace"
	"github.com/migrate-tool/migrate/steps"
)

// generated writes a chatgen data set of rows records into a folder and
// returns it: chat_data.csv and ticket_platform_users.csv.
func generated(t testing.TB, rows int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := chatgen.WriteFiles(chatgen.Config{Rows: rows, Seed: 7}, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// migrateBinary builds the program once per test run, for the tests that
// send it signals.
func migrateBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "migrate-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "migrate")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// snapshotDir reads every file of dir by name.
func snapshotDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// TestInterruptKeepsThePublishedSet sends SIGINT, then SIGTERM, to a build
// while it writes the archive (finding 4): the run stops with 130 or 143,
// the archive, rejects.csv and report.json of the earlier build stay
// byte-identical, and no temporary file is left.
func TestInterruptKeepsThePublishedSet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and a 150k-record export")
	}
	bin := migrateBinary(t)
	data := generated(t, 150_000)
	work := filepath.Join(t.TempDir(), "work")
	args := []string{"--chat-csv", filepath.Join(data, "chat_data.csv"), "--ticket-users", filepath.Join(data, "ticket_platform_users.csv"),
		"--work-dir", work, "--quiet", "--max-reject-rate", "1"}
	first := exec.Command(bin, append([]string{"-steps", "chat-users,merge-users,build"}, args...)...)
	if out, err := first.CombinedOutput(); err != nil {
		t.Fatalf("first build: %v\n%s", err, out)
	}
	before := snapshotDir(t, work)

	for _, sig := range []struct {
		signal syscall.Signal
		status int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(sig.signal.String(), func(t *testing.T) {
			// Another batch size gives another archive: publishing it would
			// change the files.
			cmd := exec.Command(bin, append([]string{"--steps", "build", "--batch-size", "7", "--compression-level", "9"}, args...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The archive's temporary file appears when its writing starts.
			deadline := time.Now().Add(30 * time.Second)
			for {
				tmp, _ := filepath.Glob(filepath.Join(work, "."+workspace.ArchiveFile+".tmp-*"))
				if len(tmp) > 0 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("the archive was never being written:\n%s", stderr.String())
				}
				time.Sleep(2 * time.Millisecond)
			}
			sent := time.Now()
			cmd.Process.Signal(sig.signal)
			err := cmd.Wait()
			if took := time.Since(sent); took > 2*time.Second {
				t.Errorf("stopped %v after the signal, want about a second at most", took)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != sig.status {
				t.Fatalf("exit %v, want status %d\n%s", err, sig.status, stderr.String())
			}
			after := snapshotDir(t, work)
			for name, b := range before {
				if !bytes.Equal(after[name], b) {
					t.Errorf("%s changed although the build was interrupted", name)
				}
			}
			for name := range after {
				if _, ok := before[name]; !ok {
					t.Errorf("%s was left by the interrupted build", name)
				}
			}
		})
	}
}

// TestOutputNamingAnInputIsRefused is finding 6: --out naming the chat export
// (or the ticket platform's file) exits 2 and leaves the input as it was.
func TestOutputNamingAnInputIsRefused(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.csv")
	orig, err := os.ReadFile("fixtures/golden/chat_data.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	tp := filepath.Join(dir, "tp.csv")
	if err := os.WriteFile(tp, []byte("id,email\n1,a@x.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{victim, dir + "/sub/../victim.csv", tp} {
		work := filepath.Join(t.TempDir(), "work")
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"-steps", "all", "--chat-csv", victim, "--ticket-users", tp,
			"--work-dir", work, "--out", out, "--invalid-utf8", "replace"}, &stdout, &stderr, noEnv)
		if fail.Code(err) != fail.Usage || !errors.Is(err, steps.ErrOutputIsInput) {
			t.Errorf("--out %s: %v (status %d), want exit 2 naming the input", out, err, fail.Code(err))
		}
		if b, _ := os.ReadFile(victim); !bytes.Equal(b, orig) {
			t.Fatalf("--out %s changed the chat export", out)
		}
		if entries, _ := os.ReadDir(work); len(entries) > 1 {
			t.Errorf("--out %s: the work dir holds %d files, want only the lock", out, len(entries))
		}
	}
}

// TestOutputNamingAWorkFileIsRefused: an output may not replace a file the
// run reads although the user did not name it (the work file of a step that
// is not selected), nor the mapping, nor another output of its own step.
func TestOutputNamingAWorkFileIsRefused(t *testing.T) {
	work := t.TempDir()
	if _, _, err := runArgs(t, work, "--steps", "chat-users,merge-users,build", "--quiet"); err != nil {
		t.Fatal(err)
	}
	mapping := filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("delimiter: \",\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := func(name string) string { return filepath.Join(work, name) }
	tp := filepath.Join(t.TempDir(), "tp.csv")
	if err := os.WriteFile(tp, []byte("id,email\n1,a@x.test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The work dir through a symbolic link: one file, two names.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(work, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		steps, out string
		extra      []string
	}{
		{"build", in(workspace.MergedUsersFile), nil},
		{"merge-users,build", in(workspace.ChatUsersFile), nil},
		{"build,verify", in(workspace.MergedUsersFile), nil},
		{"build", in(workspace.RejectsFile), nil},
		{"build", in(workspace.ReportFile), nil},
		{"chat-users,merge-users,build", mapping, []string{"--mapping", mapping}},
		// Named as an input although build does not read it.
		{"build", tp, []string{"--ticket-users", tp}},
		// Files of the work dir that this run does not read.
		{"build", in(workspace.ChatUsersFile), nil},
		{"build", in(workspace.LockFile), nil},
		{"build", in("runs/1/created.csv"), nil},
		{"build", in("migrate.db-journal"), nil},
		// The same file through a link to its folder, before it exists.
		{"chat-users,merge-users,build", filepath.Join(link, workspace.RejectsFile), nil},
	} {
		before := snapshotDir(t, work)
		undo, _ := os.ReadFile(in("runs/1/created.csv"))
		mapBefore, _ := os.ReadFile(mapping)
		tpBefore, _ := os.ReadFile(tp)
		args := append([]string{"--steps", tc.steps, "--out", tc.out, "--quiet"}, tc.extra...)
		_, _, err := runArgs(t, work, args...)
		if fail.Code(err) != fail.Usage || !errors.Is(err, steps.ErrOutputIsInput) {
			t.Errorf("%s: %v (status %d), want exit 2: an output names an input", strings.Join(args, " "), err, fail.Code(err))
		}
		after := snapshotDir(t, work)
		for name, b := range before {
			if !bytes.Equal(after[name], b) {
				t.Errorf("%s: %s changed", strings.Join(args, " "), name)
			}
		}
		if b, _ := os.ReadFile(mapping); !bytes.Equal(b, mapBefore) {
			t.Errorf("%s: the mapping changed", strings.Join(args, " "))
		}
		if b, _ := os.ReadFile(tp); !bytes.Equal(b, tpBefore) {
			t.Errorf("%s: the ticket platform's file changed", strings.Join(args, " "))
		}
		if b, _ := os.ReadFile(in("runs/1/created.csv")); !bytes.Equal(b, undo) {
			t.Errorf("%s: runs/1/created.csv changed", strings.Join(args, " "))
		}
	}
}

// TestMistakesStopBeforeTheExportIsRead is finding 8: a bad flag, a missing
// ticket platform file or an --out that cannot be written stops the run at
// once, before the chat export is even opened. The export is a named pipe
// that nobody writes: opening it would hang the run.
func TestMistakesStopBeforeTheExportIsRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "chat_data.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	blocker := filepath.Join(dir, "a-file")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tp := "fixtures/golden/ticket_platform_users.csv"
	tests := []struct {
		name string
		args []string
	}{
		{"batch size 0", []string{"--batch-size", "0"}},
		{"compression level 11", []string{"--compression-level", "11"}},
		{"missing ticket platform file", []string{"--ticket-users", filepath.Join(dir, "missing.csv")}},
		{"out cannot be written", []string{"--out", filepath.Join(blocker, "archive.tar.gz")}},
		{"out is a folder", []string{"--out", dir}},
		{"bad timezone", []string{"--timezone", "Mars/Olympus"}},
		{"bad invalid-utf8", []string{"--invalid-utf8", "ignore"}},
		{"reject rate above 1", []string{"--max-reject-rate", "1.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-steps", "all", "--chat-csv", fifo, "--ticket-users", tp,
				"--work-dir", filepath.Join(t.TempDir(), "work"), "--quiet"}, tt.args...)
			done := make(chan error, 1)
			go func() {
				var stdout, stderr bytes.Buffer
				done <- run(context.Background(), args, &stdout, &stderr, noEnv)
			}()
			select {
			case err := <-done:
				if fail.Code(err) != fail.Usage {
					t.Errorf("exit status %d (%v), want 2", fail.Code(err), err)
				}
				// The pipe itself is refused too, but only once every
				// other mistake is named.
				if errors.Is(err, steps.ErrNotARegularFile) {
					t.Errorf("%v: the mistake was not found before the export was looked at", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the run opened the chat export before finding the mistake")
			}
		})
	}
}

// TestPipedExportIsRefused: an export read through a pipe (a named pipe, or
// a shell's <(...)) would be read by whichever reader comes first; runs once
// read part of it, wrote the users of a few hundred records and exited 0,
// or waited for a writer past SIGTERM. It is refused before any step, and
// before it is opened.
func TestPipedExportIsRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "chat_data.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	for _, steps_ := range []string{"all", "chat-users", "inspect"} {
		work := filepath.Join(t.TempDir(), "work")
		done := make(chan error, 1)
		go func() {
			var stdout, stderr bytes.Buffer
			done <- run(context.Background(), []string{"--steps", steps_, "--chat-csv", fifo,
				"--ticket-users", "fixtures/golden/ticket_platform_users.csv", "--work-dir", work, "--quiet"}, &stdout, &stderr, noEnv)
		}()
		select {
		case err := <-done:
			if fail.Code(err) != fail.Usage || !errors.Is(err, steps.ErrNotARegularFile) || !strings.Contains(err.Error(), "named pipe") {
				t.Errorf("--steps %s: %v (status %d), want exit 2: a named pipe is not a regular file", steps_, err, fail.Code(err))
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("--steps %s opened the pipe", steps_)
		}
		if entries, _ := os.ReadDir(work); len(entries) > 1 {
			t.Errorf("--steps %s: the work dir holds %d files, want only the lock", steps_, len(entries))
		}
	}
}

// TestWorkDirLock: a second run on a work dir in use stops at once with
// exit status 1, naming the running one; a killed run's lock does not
// count, and its temporary files are removed.
func TestWorkDirLock(t *testing.T) {
	work := t.TempDir()
	unlock, err := workspace.Lock(work, []string{"--steps", "build"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = runArgs(t, work, "--steps", "chat-users", "--quiet")
	if fail.Code(err) != fail.Failure || !errors.Is(err, workspace.ErrLocked) || !strings.Contains(err.Error(), "--steps build") {
		t.Errorf("second run: %v (status %d), want exit 1 naming the running one", err, fail.Code(err))
	}
	unlock()

	// A temporary file of a process that is gone, and one of another tool.
	dead := filepath.Join(work, ".rejects.csv.tmp-999999999-123")
	other := filepath.Join(work, ".notes.tmp")
	for _, p := range []string{dead, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := runArgs(t, work, "--steps", "chat-users", "--quiet"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Error("the temporary file of a killed run was not removed")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("a file that is not migrate's was removed")
	}
}

// TestWorkFilesAreTheOwnersOnly: every file migrate writes holds names and
// emails, so only its owner may read it (SPEC section 8).
func TestWorkFilesAreTheOwnersOnly(t *testing.T) {
	work := t.TempDir()
	if _, _, err := runArgs(t, work, "--steps", "chat-users,merge-users,build,verify", "--quiet"); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(work)
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), perm)
		}
	}
}

// TestWarnsOfAnEmptyTicketPlatformFile: a ticket platform file with a header
// only gives a warning on stderr and in report.json (finding 8).
func TestWarnsOfAnEmptyTicketPlatformFile(t *testing.T) {
	dir := t.TempDir()
	tp := filepath.Join(dir, "tp.csv")
	if err := os.WriteFile(tp, []byte("id,email\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--steps", "chat-users,merge-users", "--chat-csv", "fixtures/golden/chat_data.csv",
		"--ticket-users", tp, "--work-dir", filepath.Join(dir, "work"), "--invalid-utf8", "replace", "--quiet"}, &stdout, &stderr, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "holds no user") {
		t.Errorf("stderr %q lacks the warning", stderr.String())
	}
	if !strings.Contains(stdout.String(), "the ticket platform's file holds no user") {
		t.Errorf("the summary lacks the warning:\n%s", stdout.String())
	}
}

// TestHalfPublishedSetIsFound is finding 5: a build killed between its
// renames leaves an archive that report.json does not describe. verify
// reports it (exit 4), and the next build replaces the whole set.
func TestHalfPublishedSetIsFound(t *testing.T) {
	work, other := t.TempDir(), t.TempDir()
	for _, dir := range []string{work, other} {
		batch := "100"
		if dir == other {
			batch = "7" // another archive from the same data
		}
		if _, _, err := runArgs(t, dir, "--steps", "chat-users,merge-users,build", "--batch-size", batch, "--quiet"); err != nil {
			t.Fatal(err)
		}
	}
	// The new archive reached its name, the report of its build did not.
	newer, err := os.ReadFile(filepath.Join(other, workspace.ArchiveFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, workspace.ArchiveFile), newer, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runArgs(t, work, "--steps", "verify", "--quiet")
	if fail.Code(err) != fail.Violations || !strings.Contains(out, "report.json recorded") || !strings.Contains(out, "run build again") {
		t.Fatalf("verify of a half-published set: %v (status %d)\n%s", err, fail.Code(err), out)
	}
	if out, _, err := runArgs(t, work, "--steps", "build,verify", "--quiet"); err != nil {
		t.Fatalf("the next build did not replace the set: %v\n%s", err, out)
	}
}

// TestVerifyNamedTicketUsersMustExist: verify reads the work dir's ticket
// platform file if present, but a file the user names must be there: it
// once went on and blamed every user reference on the missing file (exit 4).
func TestVerifyNamedTicketUsersMustExist(t *testing.T) {
	work := t.TempDir()
	if _, _, err := runArgs(t, work, "--steps", "chat-users,merge-users,build", "--quiet"); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(work, "gone.csv")
	_, _, err := runArgs(t, work, "--steps", "verify", "--ticket-users", gone, "--quiet")
	if fail.Code(err) != fail.Usage || !strings.Contains(err.Error(), gone) {
		t.Errorf("%v (status %d), want exit 2 naming %s", err, fail.Code(err), gone)
	}
}
