//go:build linux

package steps

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/workspace"
)

const oldContent = "the earlier, complete file\n"

const testHeader = "CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,NAME,EMAIL,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT,TICKET_CREATED_AT,TICKET_REQUESTER_ID\n"

// runSteps runs the named steps (a --steps value) as the runner does:
// options checked first, then each step.
func runSteps(env *Env, list string) error {
	selected, err := Select(strings.Split(list, ","), &env.Opt)
	if err != nil {
		return err
	}
	_, err = Run(context.Background(), env, selected)
	return err
}

// wantOnly asserts that dir holds exactly the files named, and path holds want.
func wantOnly(t *testing.T, dir, path, want string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("folder holds %q, want %q", got, names)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if string(b) != want {
		t.Errorf("%s holds %d bytes %.40q, want %.40q", path, len(b), b, want)
	}
}

// buildDir sets up a work dir where build can run: a chat export of n
// comments with incompressible bodies, and chat-users and merge-users done.
func buildDir(t *testing.T, n int, seed uint64) *Env {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(testHeader)
	rng := rand.New(rand.NewPCG(seed, seed))
	raw := make([]byte, 750)
	for i := 1; i <= n; i++ {
		for k := range raw {
			raw[k] = byte(rng.Uint32())
		}
		fmt.Fprintf(&b, "%d,%d,5,Ann,ann@example.com,%s,true,2021-01-01T10:00:00Z,2021-01-01T10:00:00Z,5\n",
			1+i/50, i, base64.StdEncoding.EncodeToString(raw))
	}
	b.WriteString("x,0,5,Ann,ann@example.com,rejected,true,2021-01-01T10:00:00Z,2021-01-01T10:00:00Z,5\n")
	o := DefaultOptions()
	o.ChatCSV = filepath.Join(dir, "chat_data.csv")
	o.TicketUsers = filepath.Join(dir, "tp.csv")
	o.WorkDir = filepath.Join(dir, "work")
	o.Quiet = true
	if err := os.WriteFile(o.ChatCSV, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(o.TicketUsers, []byte("id,email\n9001,bob@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := &Env{Opt: o, Stdout: io.Discard, Stderr: io.Discard, Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := runSteps(env, "chat-users,merge-users"); err != nil {
		t.Fatal(err)
	}
	return env
}

// snapshot reads every file of dir.
func snapshot(t *testing.T, dir string) map[string][]byte {
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

// TestBuildFailsMidwayKeepsEarlierArchive builds a good archive, then builds
// another under a file size limit that stops the archive's write after its
// first megabytes reached the disk: build fails (exit status 1), and the
// earlier archive is byte-identical, with no temporary file left.
func TestBuildFailsMidwayKeepsEarlierArchive(t *testing.T) {
	env := buildDir(t, 3000, 1)
	if err := runSteps(env, "build"); err != nil {
		t.Fatal(err)
	}
	archive := env.Opt.ArchivePath()
	good, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if len(good) < 2<<20 {
		t.Fatalf("archive of %d bytes: too small to fail midway", len(good))
	}

	// Other data, same archive path: this build must not replace the archive.
	env2 := buildDir(t, 3000, 2)
	env2.Opt.Out = archive
	before := snapshot(t, filepath.Dir(archive))

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skipf("no file size limit here: %v", err)
	}
	// Go ignores SIGXFSZ, so a write past the limit fails with EFBIG.
	limit := syscall.Rlimit{Cur: 3 << 19, Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Skipf("cannot set a file size limit: %v", err)
	}
	err = runSteps(env2, "build")
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatalf("cannot restore the file size limit: %v", rerr)
	}
	if err == nil {
		t.Fatal("build succeeded past the file size limit")
	}
	// The limit stops the first large file: the message bodies set aside
	// while the export is read, or the archive.
	if fail.Code(err) != fail.Failure || !strings.Contains(err.Error(), "file too large") ||
		!strings.Contains(err.Error(), archive) && !strings.Contains(err.Error(), "message bodies") {
		t.Errorf("build: exit status %d, %v; want 1 naming %s or the message bodies", fail.Code(err), err, archive)
	}
	after := snapshot(t, filepath.Dir(archive))
	if !bytes.Equal(after[workspace.ArchiveFile], good) {
		t.Errorf("the earlier archive changed: %d bytes, was %d", len(after[workspace.ArchiveFile]), len(good))
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s appeared after the failed build", name)
		}
	}
}

// TestBuildFailsBeforeWriting checks that build's bad options fail before
// anything in the work dir changes.
func TestBuildFailsBeforeWriting(t *testing.T) {
	tests := []struct {
		name   string
		change func(o *Options, work string)
		status int
		msg    string
	}{
		{"compression level", func(o *Options, _ string) { o.CompressionLevel = 42 }, fail.Usage, "--compression-level"},
		{"batch size", func(o *Options, _ string) { o.BatchSize = 101 }, fail.Usage, "--batch-size"},
		{"body format", func(o *Options, _ string) { o.BodyFormat = "markdown" }, fail.Usage, "--body-format"},
		{"existing users", func(o *Options, _ string) { o.ExistingUsers = "drop" }, fail.Usage, "--existing-users"},
		{"SOURCE_DATE_EPOCH", func(o *Options, _ string) {}, fail.Usage, "SOURCE_DATE_EPOCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := buildDir(t, 20, 3)
			if err := runSteps(env, "build"); err != nil {
				t.Fatal(err)
			}
			work := env.Opt.WorkDir
			before := snapshot(t, work)
			// Other data, so that a rewritten rejects.csv would differ.
			env2 := buildDir(t, 30, 4)
			env2.Opt.WorkDir = work
			tt.change(&env2.Opt, work)
			if tt.name == "SOURCE_DATE_EPOCH" {
				env2.Getenv = func(string) string { return "yesterday" }
			}
			err := runSteps(env2, "build")
			if fail.Code(err) != tt.status || err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("build: exit status %d, %v; want %d and %q", fail.Code(err), err, tt.status, tt.msg)
			}
			after := snapshot(t, work)
			for name, b := range before {
				if !bytes.Equal(after[name], b) {
					t.Errorf("%s changed although build failed: %v", name, err)
				}
			}
			if len(after) != len(before) {
				t.Errorf("work dir held %d files, now %d", len(before), len(after))
			}
		})
	}
}

// TestBuildOutIsUnusable points --out into a folder that is a file: the run
// stops before any step with exit status 2 naming the path, and leaves no
// archive and no temporary file.
func TestBuildOutIsUnusable(t *testing.T) {
	env := buildDir(t, 20, 5)
	blocker := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(blocker, []byte(oldContent), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Opt.Out = filepath.Join(blocker, workspace.ArchiveFile)
	err := runSteps(env, "build")
	if fail.Code(err) != fail.Usage || err == nil || !strings.Contains(err.Error(), blocker) {
		t.Fatalf("build: exit status %d, %v; want 2 naming %s", fail.Code(err), err, blocker)
	}
	wantOnly(t, filepath.Dir(blocker), blocker, oldContent, "not-a-folder")
	checkNoTemporaries(t, env.Opt.WorkDir)
	if _, err := os.Stat(filepath.Join(env.Opt.WorkDir, workspace.ArchiveFile)); err == nil {
		t.Errorf("an archive was written in the work dir instead")
	}
}
