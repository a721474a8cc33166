package workspace

import (
	"bufio"
	"os"
	"path/filepath"

	"github.com/migrate-tool/migrate/internal/fail"
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
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fail.Failf("cannot create folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fail.Failf("cannot write %s: %w", path, err)
	}
	return &AtomicFile{Writer: bufio.NewWriterSize(f, 1<<20), f: f, final: path}, nil
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fail.Failf("cannot write %s: %w", path, err)
	}
	return f.Commit()
}

// Commit flushes, closes and renames the file into place.
func (a *AtomicFile) Commit() error {
	if a.done {
		return nil
	}
	a.done = true
	err := a.Writer.Flush()
	if err == nil {
		err = a.f.Chmod(FileMode)
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.final)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return fail.Failf("cannot write %s: %w", a.final, err)
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

// Name is the file's final path.
func (a *AtomicFile) Name() string { return a.final }
