package workspace

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/migrate-tool/migrate/internal/fail"
)

// AtomicFile is a file written under a temporary name in the folder of its
// final name and renamed into place only by Commit, so that a failed or
// interrupted step never leaves a half-written file under the final name.
// It counts and hashes what is written, for report.json.
type AtomicFile struct {
	*bufio.Writer
	f        *os.File
	final    string
	sum      hash.Hash
	size     int64
	finished bool // complete and closed under the temporary name
	done     bool // renamed into place, or dropped
}

// CreateAtomic starts writing path. Call Commit when the content is complete,
// and defer Abort: it removes the temporary file unless Commit succeeded.
func CreateAtomic(path string) (*AtomicFile, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fail.Failf("cannot create folder %s: %w", dir, err)
	}
	RemoveStale(dir)
	f, err := os.CreateTemp(dir, tempName(path))
	if err != nil {
		return nil, fail.Failf("cannot write %s: %w", path, err)
	}
	a := &AtomicFile{f: f, final: path, sum: sha256.New()}
	a.Writer = bufio.NewWriterSize(hashingWriter{a}, 1<<20)
	return a, nil
}

// hashingWriter writes to the file and the hash.
type hashingWriter struct{ a *AtomicFile }

func (w hashingWriter) Write(p []byte) (int, error) {
	n, err := w.a.f.Write(p)
	w.a.sum.Write(p[:n])
	w.a.size += int64(n)
	return n, err
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

// Finish completes the file under its temporary name: flushed, closed and
// made readable by its owner only. Commit then only renames it.
func (a *AtomicFile) Finish() error {
	if a.finished || a.done {
		return nil
	}
	a.finished = true
	err := a.Writer.Flush()
	if err == nil {
		err = a.f.Chmod(FileMode)
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		a.done = true
		os.Remove(a.f.Name())
		return fail.Failf("cannot write %s: %w", a.final, err)
	}
	return nil
}

// Commit finishes the file and renames it into place.
func (a *AtomicFile) Commit() error {
	if a.done {
		return nil
	}
	if err := a.Finish(); err != nil {
		return err
	}
	a.done = true
	if err := os.Rename(a.f.Name(), a.final); err != nil {
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
	if !a.finished {
		a.f.Close()
	}
	os.Remove(a.f.Name())
}

// Name is the file's final path.
func (a *AtomicFile) Name() string { return a.final }

// Size is the number of bytes written so far (after Finish: all of them).
func (a *AtomicFile) Size() int64 { return a.size }

// SHA256 is the hex SHA-256 of the content; call it after Finish.
func (a *AtomicFile) SHA256() string { return hex.EncodeToString(a.sum.Sum(nil)) }

// HashFile returns the size and hex SHA-256 of the file at path, reading it
// in chunks so that a stop through cancel is seen within a chunk.
func HashFile(path string, cancelled func() error) (size int64, sum string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	// 4 MB reads for a large file; a small one gets a buffer its size, as
	// zeroing 4 MB took most of the time of a run on a small export.
	n := int64(4 << 20)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		n = min(n, max(st.Size()+1, 4096))
	}
	buf := make([]byte, n)
	for {
		if cancelled != nil {
			if err := cancelled(); err != nil {
				return 0, "", err
			}
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		size += int64(n)
		if err == io.EOF {
			return size, hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return 0, "", err
		}
	}
}

// File describes the file; call it after Finish.
func (a *AtomicFile) File(role string) File {
	return File{Role: role, Path: a.final, Size: a.size, SHA256: a.SHA256()}
}
