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
)

// The promise of SPEC section 2: a failed or interrupted step never leaves a
// half-written file under the final name, and an earlier file of that name
// stays as it was until the new one is complete.

const oldContent = "the earlier, complete file\n"

// atomicDir returns a fresh folder holding name with oldContent.
func atomicDir(t *testing.T, name string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(oldContent), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path
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

// bigChunk is larger than AtomicFile's buffer, so that writing it puts data
// in the temporary file before Commit or Abort.
var bigChunk = strings.Repeat("half-written ", 200_000)

func TestAtomicCommitReplaces(t *testing.T) {
	dir, path := atomicDir(t, "out.csv")
	f, err := CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	f.WriteString(bigChunk)
	// Until Commit, the final name holds the earlier file.
	wantOnly(t, dir, path, oldContent, filepath.Base(f.f.Name()), "out.csv")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // after Commit: does nothing
	wantOnly(t, dir, path, bigChunk, "out.csv")
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	if err := f.Commit(); err != nil {
		t.Errorf("second Commit: %v", err)
	}
}

func TestAtomicAbortKeepsEarlierFile(t *testing.T) {
	dir, path := atomicDir(t, "out.csv")
	f, err := CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(bigChunk)
	f.Abort()
	wantOnly(t, dir, path, oldContent, "out.csv")
	if err := f.Commit(); err != nil {
		t.Errorf("Commit after Abort: %v", err)
	}
	wantOnly(t, dir, path, oldContent, "out.csv")
}

// TestAtomicWriteErrors makes the file underneath fail (as a full disk
// would) at each point of the write, and checks that nothing reaches the
// final name.
func TestAtomicWriteErrors(t *testing.T) {
	tests := []struct {
		name string
		// fail breaks f after some data was written; it returns the
		// error the writer saw, if any.
		fail func(f *AtomicFile) error
	}{
		{"error at the final flush", func(f *AtomicFile) error {
			f.WriteString("buffered only")
			f.f.Close()
			return nil
		}},
		{"error in the middle of the writes", func(f *AtomicFile) error {
			f.WriteString(bigChunk)
			f.f.Close()
			_, err := f.WriteString(bigChunk)
			return err
		}},
		{"rename fails", func(f *AtomicFile) error {
			f.WriteString(bigChunk)
			f.final = filepath.Join(filepath.Dir(f.final), "missing", "out.csv")
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, path := atomicDir(t, "out.csv")
			f, err := CreateAtomic(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Abort()
			if werr := tt.fail(f); tt.name == "error in the middle of the writes" && werr == nil {
				t.Errorf("write to a closed file succeeded")
			}
			err = f.Commit()
			if err == nil {
				t.Fatal("Commit succeeded on a broken file")
			}
			if ExitCode(err) != ExitFailure || !strings.Contains(err.Error(), "out.csv") {
				t.Errorf("Commit: exit status %d, %v; want 1 and the file named", ExitCode(err), err)
			}
			wantOnly(t, dir, path, oldContent, "out.csv")
		})
	}
}

func TestAtomicCreateFails(t *testing.T) {
	dir, file := atomicDir(t, "a-file")
	for _, path := range []string{
		filepath.Join(file, "out.csv"),        // its folder is a file
		filepath.Join(file, "sub", "out.csv"), // so is its folder's folder
	} {
		f, err := CreateAtomic(path)
		if err == nil {
			f.Abort()
			t.Fatalf("CreateAtomic(%s) succeeded", path)
		}
		if ExitCode(err) != ExitFailure || !strings.Contains(err.Error(), "a-file") {
			t.Errorf("CreateAtomic(%s): exit status %d, %v", path, ExitCode(err), err)
		}
	}
	wantOnly(t, dir, file, oldContent, "a-file")
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
	for _, step := range []func(context.Context, *Env) (Counts, error){ChatUsers, MergeUsers} {
		if _, err := step(context.Background(), env); err != nil {
			t.Fatal(err)
		}
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
	if _, err := Build(context.Background(), env); err != nil {
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
	_, err = Build(context.Background(), env2)
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatalf("cannot restore the file size limit: %v", rerr)
	}
	if err == nil {
		t.Fatal("build succeeded past the file size limit")
	}
	if ExitCode(err) != ExitFailure || !strings.Contains(err.Error(), archive) {
		t.Errorf("build: exit status %d, %v; want 1 naming %s", ExitCode(err), err, archive)
	}
	after := snapshot(t, filepath.Dir(archive))
	if !bytes.Equal(after[ArchiveFile], good) {
		t.Errorf("the earlier archive changed: %d bytes, was %d", len(after[ArchiveFile]), len(good))
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
		{"compression level", func(o *Options, _ string) { o.CompressionLevel = 42 }, ExitUsage, "--compression-level"},
		{"batch size", func(o *Options, _ string) { o.BatchSize = 101 }, ExitUsage, "--batch-size"},
		{"body format", func(o *Options, _ string) { o.BodyFormat = "markdown" }, ExitUsage, "--body-format"},
		{"existing users", func(o *Options, _ string) { o.ExistingUsers = "drop" }, ExitUsage, "--existing-users"},
		{"SOURCE_DATE_EPOCH", func(o *Options, _ string) {}, ExitUsage, "SOURCE_DATE_EPOCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := buildDir(t, 20, 3)
			if _, err := Build(context.Background(), env); err != nil {
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
			_, err := Build(context.Background(), env2)
			if ExitCode(err) != tt.status || err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("build: exit status %d, %v; want %d and %q", ExitCode(err), err, tt.status, tt.msg)
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

// TestBuildOutIsUnusable points --out into a folder that is a file: build
// fails with exit status 1 naming the path, and leaves no archive and no
// temporary file.
func TestBuildOutIsUnusable(t *testing.T) {
	env := buildDir(t, 20, 5)
	blocker := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(blocker, []byte(oldContent), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Opt.Out = filepath.Join(blocker, ArchiveFile)
	_, err := Build(context.Background(), env)
	if ExitCode(err) != ExitFailure || err == nil || !strings.Contains(err.Error(), blocker) {
		t.Fatalf("build: exit status %d, %v; want 1 naming %s", ExitCode(err), err, blocker)
	}
	wantOnly(t, filepath.Dir(blocker), blocker, oldContent, "not-a-folder")
	checkNoTemporaries(t, env.Opt.WorkDir)
	if _, err := os.Stat(filepath.Join(env.Opt.WorkDir, ArchiveFile)); err == nil {
		t.Errorf("an archive was written in the work dir instead")
	}
}
