package frame

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"unsafe"
)

// Spill keeps the text of a column outside memory: an append-only file,
// read back by offset. The millions of message bodies of an export would
// otherwise hold most of the program's memory (474 MB of the seed's 2.5M
// rows, 20 GB at 100M); spilled, they cost disk and page cache, which the
// kernel gives back as it needs, and the rows keep only an offset and a
// length.
//
// The file is unlinked as soon as it is created, so that no run, even one
// killed, leaves it behind. A Spill made by MemorySpill keeps the text in
// memory instead, for small frames and tests.
type Spill struct {
	f    *os.File
	w    *bufio.Writer
	mem  []byte
	size int64
}

// NewSpill creates a spill file in dir ("" is the system's temporary
// folder).
func NewSpill(dir string) (*Spill, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create a temporary file for the message bodies: %w", err)
	}
	f, err := os.CreateTemp(dir, ".spill-*")
	if err != nil {
		return nil, fmt.Errorf("cannot create a temporary file for the message bodies: %w", err)
	}
	// Unlinked at once: the open file lives on until Close or exit.
	os.Remove(f.Name())
	return &Spill{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// MemorySpill is a Spill that keeps its text in memory.
func MemorySpill() *Spill { return &Spill{} }

// Add appends text and returns where it starts.
func (s *Spill) Add(text string) (off int64, err error) {
	off = s.size
	s.size += int64(len(text))
	if s.f == nil {
		s.mem = append(s.mem, text...)
		return off, nil
	}
	_, err = s.w.WriteString(text)
	return off, err
}

// Size is the number of bytes added.
func (s *Spill) Size() int64 { return s.size }

// Flush makes what was added readable; call it before the first ReadAt.
func (s *Spill) Flush() error {
	if s.w == nil {
		return nil
	}
	return s.w.Flush()
}

// ReadAt reads len(p) bytes at off.
func (s *Spill) ReadAt(p []byte, off int64) error {
	if s.f == nil {
		if off < 0 || off+int64(len(p)) > int64(len(s.mem)) {
			return io.ErrUnexpectedEOF
		}
		copy(p, s.mem[off:])
		return nil
	}
	_, err := s.f.ReadAt(p, off)
	return err
}

// Close drops the text.
func (s *Spill) Close() error {
	s.mem = nil
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}

// TextRows reads the text of rows from a spill, where row i's text is
// length[i] bytes at offset[i], into buf, and returns each row's text as a
// view into it (valid until buf is reused). Rows come in increasing offset
// order: one read covers them when they lie close together, else each is
// read on its own.
func TextRows(s *Spill, offset []int64, length []uint32, rows []int32, buf []byte) ([]string, []byte, error) {
	out := make([]string, len(rows))
	if len(rows) == 0 {
		return out, buf, nil
	}
	total := 0
	for _, r := range rows {
		total += int(length[r])
	}
	first, last := rows[0], rows[len(rows)-1]
	span := int(offset[last] + int64(length[last]) - offset[first])
	if span >= 0 && span <= 2*total+4096 {
		buf = grow(buf[:0], span)[:span]
		if err := s.ReadAt(buf, offset[first]); err != nil {
			return nil, buf, err
		}
		for i, r := range rows {
			at := int(offset[r] - offset[first])
			out[i] = bytesView(buf[at : at+int(length[r])])
		}
		return out, buf, nil
	}
	buf = grow(buf[:0], total)[:total]
	at := 0
	for i, r := range rows {
		n := int(length[r])
		if err := s.ReadAt(buf[at:at+n], offset[r]); err != nil {
			return nil, buf, err
		}
		out[i] = bytesView(buf[at : at+n])
		at += n
	}
	return out, buf, nil
}

// bytesView is b as a string without copying; b must not change while the
// string is used.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
