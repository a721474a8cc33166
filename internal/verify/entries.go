package verify

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxEntrySize bounds the size of one archive file read into memory. A
// batch of 100 comments is far below it; a larger entry is reported, not read.
const maxEntrySize = 1 << 30

// entries reads the tar stream. Damage to the stream is a violation of the
// archive and ends the reading; only a cancelled context is an error.
func (c *checker) entries(ctx context.Context, gz io.Reader, jobs, order chan<- *entry) error {
	tr := tar.NewReader(gz)
	next := 1 // the number the next backup_tickets_N.json should carry
	last := "the start"
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("verify interrupted: %w", err)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			c.streamBroken = true
			order <- &entry{name: c.cfg.Name, header: []string{fmt.Sprintf("cannot read the tar entry after %s: %v; the archive is truncated or not a tar file, write it again (--steps build)", last, err)}, done: closed}
			return nil
		}
		e := &entry{name: entryName(hdr.Name), done: closed, mtime: hdr.ModTime.Unix()}
		last = e.name
		number, named := fileNumber(hdr.Name)
		if hdr.Typeflag != tar.TypeReg {
			e.header = append(e.header, fmt.Sprintf("is %s; the archive holds only regular files backup_tickets_1.json .. backup_tickets_N.json", typeName(hdr.Typeflag)))
			order <- e
			continue
		}
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
		if !named {
			order <- e
			continue
		}
		if hdr.Size > maxEntrySize {
			c.streamBroken = true
			e.header = append(e.header, fmt.Sprintf("is %d bytes, too large for one batch of at most %d objects per array; not checked further", hdr.Size, maxObjects))
			order <- e
			continue
		}
		e.buf = buffers.Get().(*[]byte)
		data := slices.Grow((*e.buf)[:0], int(hdr.Size))[:hdr.Size]
		*e.buf = data
		if _, err := io.ReadFull(tr, data); err != nil {
			c.streamBroken = true
			buffers.Put(e.buf)
			e.buf = nil
			e.header = append(e.header, fmt.Sprintf("cannot read its content: %v; the archive is truncated or damaged, write it again (--steps build)", err))
			order <- e
			return nil
		}
		e.data = data
		e.scanned = true
		e.done = make(chan struct{})
		order <- e
		jobs <- e
	}
	// The tar end comes before the gzip trailer; reading on checks the
	// checksum and finds anything appended.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		c.streamBroken = true
		order <- &entry{name: c.cfg.Name, header: []string{fmt.Sprintf("damaged after the tar end: %v; write it again (--steps build)", err)}, done: closed}
	}
	return nil
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
		bad = append(bad, fmt.Sprintf("owner names %q:%q; want both empty", hdr.Uname, hdr.Gname))
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

// entryName returns an entry name fit for one line of output.
func entryName(name string) string {
	for _, r := range name {
		if r < 0x21 || r == 0x7f || r == utf8.RuneError || r == '"' {
			return strconv.Quote(name)
		}
	}
	if name == "" {
		return `""`
	}
	return name
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
