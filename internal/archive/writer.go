// Package archive writes the bulk-import archive (SPEC section 6): the
// frames of tickets, comments and users sliced into runs of the batch size,
// each run one backup_tickets_{n}.json entry of a gzip-compressed tar,
// streamed without intermediate files.
package archive

import (
	"archive/tar"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// Data is everything the archive holds: the frames of SPEC section 4 and 5,
// with ids already mapped to destination ids.
type Data struct {
	// Tickets are the tickets to write (every row), Requester mapped.
	Tickets *frame.Tickets
	// Comments are the comments to write, Author mapped.
	Comments *frame.Comments
	Users    Users
	// CommentHashes, when not nil, has one slot per comment, which Write
	// fills with the hash of the comment's JSON (see HashComments).
	CommentHashes []uint64
}

// Users is the frame of users written, one column per key.
type Users struct {
	Name, Email []string
	ID          []int64
}

// Newest is the latest created_at of the archive, its entries' mtime.
func (a *Data) Newest() int64 {
	var t int64
	for _, v := range a.Tickets.Created {
		t = max(t, v)
	}
	for _, v := range a.Comments.Created {
		t = max(t, v)
	}
	return t
}

// Options configure the archive.
type Options struct {
	// Batch is the number of objects per array in one file, 1 to 100.
	Batch int
	// HTML writes BODY as it is (--body-format html) instead of escaping it.
	HTML bool
	// Indent pretty-prints with that many spaces; 0 is compact.
	Indent int
	// Level is the gzip level, 1 to 9.
	Level int
	// MTime is the entries' modification time, in Unix seconds.
	MTime int64
	// Progress, when set, counts the files written.
	Progress *progress.Reporter
	// Encoded, when set, is called with n after the first n files are
	// encoded, so that their comments' hashes (Data.CommentHashes) can be
	// read while the rest is written. It must not block.
	Encoded func(n int)
}

// Write slices the frames into runs of Batch rows (the seed layout) and
// streams backup_tickets_{n}.json entries into a gzip-compressed tar on f,
// which the caller commits. JSON encoding and compression overlap: this
// goroutine encodes while another compresses, so both cores work. A
// cancelled ctx stops it between two files.
func Write(ctx context.Context, f *workspace.AtomicFile, a *Data, o Options) (files int, err error) {
	path := f.Name()
	zw, err := gzip.NewWriterLevel(f, o.Level)
	if err != nil {
		return 0, fail.Failf("cannot write %s: %w", path, err)
	}
	tw := tar.NewWriter(zw)
	mtime := time.Unix(o.MTime, 0).UTC()

	files = max(frame.NumChunks(a.Tickets.Len(), o.Batch), frame.NumChunks(a.Comments.Len(), o.Batch),
		frame.NumChunks(len(a.Users.ID), o.Batch))

	// Encoded files go to the compressor in order; their buffers come back
	// for reuse.
	type entry struct {
		n    int
		data []byte
	}
	encoded := make(chan entry, 8)
	free := make(chan []byte, 8)
	compressed := make(chan error, 1)
	go func() {
		var werr error
		for e := range encoded {
			if werr == nil {
				werr = writeEntry(tw, e.n, e.data, mtime)
			}
			select {
			case free <- e.data[:0]:
			default:
			}
		}
		compressed <- werr
	}()

	var task *progress.Task
	if o.Progress != nil {
		task = o.Progress.Start("writing "+path, "files", int64(files))
		defer task.Done()
	}
	enc := newBatchEncoder(o)
	for n := 0; n < files && err == nil; n++ {
		if n%64 == 0 {
			if err = ctx.Err(); err != nil {
				err = fmt.Errorf("interrupted while writing %s: %w", path, context.Cause(ctx))
				break
			}
			if task != nil && n > 0 {
				task.Add(64)
			}
		}
		var buf []byte
		select {
		case buf = <-free:
		default:
		}
		var data []byte
		var hashes []uint64
		if a.CommentHashes != nil {
			lo := n * o.Batch
			hashes = a.CommentHashes[min(lo, len(a.CommentHashes)):min(lo+o.Batch, len(a.CommentHashes))]
		}
		data, err = enc.encode(a, n, buf, hashes)
		if err == nil {
			encoded <- entry{n + 1, data}
			if o.Encoded != nil {
				o.Encoded(n + 1)
			}
		}
	}
	close(encoded)
	if task != nil && err == nil && files > 0 {
		task.Add(int64((files-1)%64 + 1))
	}
	if werr := <-compressed; err == nil && werr != nil {
		err = fail.Failf("cannot write %s: %w", path, werr)
	}
	if err != nil {
		return 0, err
	}
	if err := tw.Close(); err != nil {
		return 0, fail.Failf("cannot write %s: %w", path, err)
	}
	if err := zw.Close(); err != nil {
		return 0, fail.Failf("cannot write %s: %w", path, err)
	}
	return files, nil
}

func writeEntry(tw *tar.Writer, n int, data []byte, mtime time.Time) error {
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     "backup_tickets_" + strconv.Itoa(n) + ".json",
		Mode:     0o644,
		Size:     int64(len(data)),
		ModTime:  mtime,
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}
