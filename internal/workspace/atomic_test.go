//go:build linux

package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/internal/fail"
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
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
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
			if fail.Code(err) != fail.Failure || !strings.Contains(err.Error(), "out.csv") {
				t.Errorf("Commit: exit status %d, %v; want 1 and the file named", fail.Code(err), err)
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
		if fail.Code(err) != fail.Failure || !strings.Contains(err.Error(), "a-file") {
			t.Errorf("CreateAtomic(%s): exit status %d, %v", path, fail.Code(err), err)
		}
	}
	wantOnly(t, dir, file, oldContent, "a-file")
}
