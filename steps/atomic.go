package steps

import (
	"bufio"
	"os"
	"path/filepath"
)

// AtomicFile is a file written under a temporary name in the folder of its
// final name and renamed into place only by Commit, so that a failed or
// interrupted step never leaves a half-written file under the final name.
type AtomicFile struct {
	*bufio.Writer
	f     *os.File
	final string
	done  bool
}

// CreateAtomic starts writing path. Call Commit when the content is complete,
// and defer Abort: it removes the temporary file unless Commit succeeded.
func CreateAtomic(path string) (*AtomicFile, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, Failf("cannot create folder %s: %v", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, Failf("cannot write %s: %v", path, err)
	}
	return &AtomicFile{Writer: bufio.NewWriterSize(f, 1<<20), f: f, final: path}, nil
}

// Commit flushes, closes and renames the file into place.
func (a *AtomicFile) Commit() error {
	if a.done {
		return nil
	}
	a.done = true
	err := a.Writer.Flush()
	if err == nil {
		err = a.f.Chmod(0o644)
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.final)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return Failf("cannot write %s: %v", a.final, err)
	}
	return nil
}

// Abort drops the temporary file. It does nothing after Commit.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}
