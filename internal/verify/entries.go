package verify

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
)

// maxEntrySize bounds one archive file: a batch of 100 comments is far
// below it. A larger entry is reported and skipped, not read, so its
// declared size never decides what verify allocates.
const maxEntrySize = 64 << 20

// chunk is the unit of the entry budget.
const chunk = 1 << 20

// entryBudget bounds the bytes of the entries read but not yet scanned to
// maxEntrySize, in chunks: a token per started MiB. Small files pass many at
// a time; one file of the largest size waits for the others to be scanned.
type entryBudget chan struct{}

func newEntryBudget() entryBudget {
	b := make(entryBudget, maxEntrySize/chunk)
	for range cap(b) {
		b <- struct{}{}
	}
	return b
}

// input is the archive as the reader walks it: the gzip member, and the
// bytes under it, to see what follows the member.
type input struct {
	gz   *gzip.Reader
	rest *bufio.Reader
}

// contents holds buffers for files of up to pooledSize bytes, the usual
// size; larger ones are allocated for their file and dropped after it.
var contents = sync.Pool{New: func() any { b := make([]byte, 0, pooledSize); return &b }}

const pooledSize = 256 << 10

// stoppable is the decompressed stream under the tar reader: it fails once
// stop is set, so that no read, not even the one tar.Reader makes to skip
// an entry that a few KB of gzip may make terabytes long, outlasts a
// cancelled context by more than one call.
type stoppable struct {
	r    io.Reader
	stop *atomic.Bool
}

var errStopped = errors.New("stopped")

func (s stoppable) Read(b []byte) (int, error) {
	if s.stop.Load() {
		return 0, errStopped
	}
	return s.r.Read(b[:min(len(b), chunk)])
}

// entries reads the tar stream. Damage to the stream is a violation of the
// archive and ends the reading; only a cancelled context is an error.
func (c *checker) entries(ctx context.Context, in *input, jobs, order chan<- *entry, budget entryBudget) error {
	// Entries that are not checked are skipped by tar.Reader: it skips
	// only the bytes the entry takes in the stream, where reading a sparse
	// entry would make its holes up.
	tr := tar.NewReader(stoppable{in.gz, &c.stop})
	next := 1 // the number the next backup_tickets_N.json should carry
	last := "the start"
	for {
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
		if err != nil {
			c.streamBroken = true
			order <- c.archiveViolation(fmt.Sprintf("cannot read the tar entry after %s: %v; the archive is truncated or not a tar file, write it again (--steps build)", last, err))
			return nil
		}
		e := &entry{name: entryName(hdr.Name), objects: closedBatches, mtime: hdr.ModTime.Unix()}
		last = e.name
		number, named := fileNumber(hdr.Name)
		regular := hdr.Typeflag == tar.TypeReg
		if !regular {
			e.header = append(e.header, fmt.Sprintf("is %s; the archive holds only regular files backup_tickets_1.json .. backup_tickets_N.json", typeName(hdr.Typeflag)))
		} else {
			switch {
			case !named:
				e.header = append(e.header, fmt.Sprintf("unexpected entry: the archive holds only backup_tickets_1.json .. backup_tickets_N.json (want backup_tickets_%d.json here)", next))
			case number != next:
				e.header = append(e.header, fmt.Sprintf("out of sequence: want backup_tickets_%d.json here; files are numbered from 1, in order, without gaps", next))
				next = number + 1
			default:
				next++
			}
			e.header = append(e.header, headerViolations(hdr)...)
		}
		if named && regular && hdr.Size > maxEntrySize {
			c.streamBroken = true
			e.header = append(e.header, fmt.Sprintf("is %d bytes, over the %d MiB an archive file may hold (100 objects per array take far less); not checked", hdr.Size, maxEntrySize>>20))
		}
		if !named || !regular || hdr.Size > maxEntrySize {
			order <- e
			continue
		}
		if err := c.readContent(ctx, tr, e, hdr.Size, budget); err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx)
			}
			c.streamBroken = true
			e.header = append(e.header, fmt.Sprintf("cannot read its content: %v; the archive is truncated or damaged, write it again (--steps build)", err))
			order <- e
			return nil
		}
		e.number, e.scanned, e.objects = number, true, make(chan *batch, 4)
		order <- e
		jobs <- e
	}
	return c.trailer(ctx, in, order)
}

// readContent reads the size bytes of e's content into e.data, once the
// budget has room for them.
func (c *checker) readContent(ctx context.Context, tr io.Reader, e *entry, size int64, budget entryBudget) error {
	need := max(1, int((size+chunk-1)/chunk))
	for e.tokens < need {
		select {
		case <-budget:
			e.tokens++
		case <-ctx.Done():
			releaseContent(e, budget)
			return ctx.Err()
		}
	}
	if size <= pooledSize {
		e.data = (*contents.Get().(*[]byte))[:size]
	} else {
		e.data = make([]byte, size)
	}
	if _, err := io.ReadFull(tr, e.data); err != nil {
		releaseContent(e, budget)
		return err
	}
	return nil
}

// releaseContent gives e's content and its budget back.
func releaseContent(e *entry, budget entryBudget) {
	if e.data != nil && cap(e.data) == pooledSize {
		b := e.data[:0]
		contents.Put(&b)
	}
	e.data = nil
	for ; e.tokens > 0; e.tokens-- {
		budget <- struct{}{}
	}
}

// trailer checks what follows the tar end. Tar writers pad the archive
// with zeros to a whole record; anything else there, in the same gzip
// member or after it, is not part of the archive and is a violation: a
// reader that takes the archive whole might read it.
func (c *checker) trailer(ctx context.Context, in *input, order chan<- *entry) error {
	scratch := make([]byte, 64<<10)
	junk := false
	for {
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
		// Read to the member's end even past junk: its checksum covers the
		// files checked.
		n, err := in.gz.Read(scratch)
		if !junk && !allZero(scratch[:n]) {
			junk = true
			order <- c.archiveViolation("holds data after the tar end; an archive holds one tar and nothing after it, write it again (--steps build)")
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			c.streamBroken = true
			order <- c.archiveViolation(fmt.Sprintf("damaged after the tar end: %v; write it again (--steps build)", err))
			return nil
		}
	}
	// The gzip reader stopped at the end of its member (Multistream is off).
	head, err := in.rest.Peek(2)
	switch {
	case len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b:
		order <- c.archiveViolation("holds a second gzip member after the first one; an archive is one gzip member holding one tar, write it again (--steps build)")
	case len(head) > 0:
		order <- c.archiveViolation("holds data after the end of the gzip stream; write it again (--steps build)")
	case err != io.EOF:
		c.streamBroken = true
		order <- c.archiveViolation(fmt.Sprintf("cannot read after the gzip stream: %v", err))
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// archiveViolation is a violation of the archive as a whole, printed
// under its name.
func (c *checker) archiveViolation(text string) *entry {
	return &entry{name: c.cfg.Name, header: []string{text}, objects: closedBatches}
}

// headerViolations checks the mode, owner and format SPEC section 6 gives
// every entry.
func headerViolations(hdr *tar.Header) []string {
	var bad []string
	if hdr.Mode&0o7777 != 0o644 {
		bad = append(bad, fmt.Sprintf("mode %04o; want 0644", hdr.Mode&0o7777))
	}
	if hdr.Uid != 0 || hdr.Gid != 0 {
		bad = append(bad, fmt.Sprintf("owner %d:%d; want 0:0", hdr.Uid, hdr.Gid))
	}
	if hdr.Uname != "" || hdr.Gname != "" {
		bad = append(bad, fmt.Sprintf("owner names %s:%s; want both empty", quote(hdr.Uname), quote(hdr.Gname)))
	}
	if hdr.Format == tar.FormatGNU {
		bad = append(bad, "written in GNU tar format; want POSIX tar (ustar or pax)")
	}
	return bad
}

// fileNumber returns N for a name backup_tickets_N.json, N written without
// leading zeros.
func fileNumber(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "backup_tickets_")
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, ".json")
	if !ok || digits == "" || digits[0] == '0' || len(digits) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// typeName names a tar entry type for a message.
func typeName(t byte) string {
	switch t {
	case tar.TypeDir:
		return "a directory"
	case tar.TypeSymlink:
		return "a symbolic link"
	case tar.TypeLink:
		return "a hard link"
	case tar.TypeChar, tar.TypeBlock:
		return "a device"
	case tar.TypeFifo:
		return "a named pipe"
	case tar.TypeXGlobalHeader:
		return "a pax global header"
	}
	return fmt.Sprintf("an entry of type %q", t)
}
