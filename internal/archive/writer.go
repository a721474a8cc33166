// Package archive writes the bulk-import archive (SPEC section 6): the
// frames of tickets, comments and users sliced into runs of the batch size,
// each run one backup_tickets_{n}.json entry of a gzip-compressed tar,
// streamed without intermediate files.
package archive

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/bytedance/sonic"
	"github.com/klauspost/compress/gzip"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/value"
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

// The JSON objects, in the destination's key order (SPEC sections 4 to 6).
type ticketJSON struct {
	CreatedAt   string `json:"created_at"`
	RequesterID int64  `json:"requester_id"`
	ID          int64  `json:"id"`
}

type commentJSON struct {
	CreatedAt string `json:"created_at"`
	TicketID  int64  `json:"ticket_id"`
	ID        int64  `json:"id"`
	Public    bool   `json:"public"`
	HTMLBody  string `json:"html_body"`
	AuthorID  int64  `json:"author_id"`
}

type userJSON struct {
	Name  string `json:"name"`
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

type organizationJSON struct{}

type batchJSON struct {
	Data struct {
		Tickets struct {
			Data          []ticketJSON       `json:"data"`
			Comments      []commentJSON      `json:"comments"`
			Users         []userJSON         `json:"users"`
			Organizations []organizationJSON `json:"organizations"`
		} `json:"tickets"`
	} `json:"data"`
}

// jsonAPI writes <, >, & and non-ASCII as themselves.
var jsonAPI = sonic.Config{EscapeHTML: false, NoValidateJSONMarshaler: true}.Froze()

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
}

// writeArchive slices the columns into runs of batch (the seed layout) and
// streams backup_tickets_{n}.json entries into a gzip-compressed tar. JSON
// encoding and compression overlap: this goroutine encodes while another
// compresses, so both cores work.
func Write(path string, a *Data, o Options) (files int, size int64, err error) {
	f, err := workspace.CreateAtomic(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Abort()
	counter := &countingWriter{w: f}
	zw, err := gzip.NewWriterLevel(counter, o.Level)
	if err != nil {
		return 0, 0, fail.Failf("cannot write %s: %w", path, err)
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
		if task != nil && n%256 == 0 {
			task.Add(int64(min(256, files-n)))
		}
		var buf []byte
		select {
		case buf = <-free:
		default:
		}
		var data []byte
		data, err = enc.encode(a, n, buf)
		if err == nil {
			encoded <- entry{n + 1, data}
		}
	}
	close(encoded)
	if werr := <-compressed; err == nil && werr != nil {
		err = fail.Failf("cannot write %s: %v", path, werr)
	}
	if err != nil {
		return 0, 0, err
	}
	if err := tw.Close(); err != nil {
		return 0, 0, fail.Failf("cannot write %s: %v", path, err)
	}
	if err := zw.Close(); err != nil {
		return 0, 0, fail.Failf("cannot write %s: %v", path, err)
	}
	if err := f.Commit(); err != nil {
		return 0, 0, err
	}
	return files, counter.n, nil
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

// batchEncoder builds one archive file's JSON at a time, reusing its slices.
type batchEncoder struct {
	o      Options
	b      batchJSON
	strs   []byte // backing store of the batch's built strings
	indent string
}

func newBatchEncoder(o Options) *batchEncoder {
	e := &batchEncoder{o: o, indent: strings.Repeat(" ", o.Indent)}
	t := &e.b.Data.Tickets
	t.Data = make([]ticketJSON, 0, o.Batch)
	t.Comments = make([]commentJSON, 0, o.Batch)
	t.Users = make([]userJSON, 0, o.Batch)
	t.Organizations = []organizationJSON{}
	return e
}

// encode returns file n (from 0) of the seed layout, appended to buf: the
// n-th run of Batch rows of each frame.
func (e *batchEncoder) encode(a *Data, n int, buf []byte) ([]byte, error) {
	o := e.o
	lo := n * o.Batch
	strs := e.strs[:0]
	t := &e.b.Data.Tickets
	t.Data, t.Comments, t.Users = t.Data[:0], t.Comments[:0], t.Users[:0]
	ts := a.Tickets
	for i := lo; i < min(lo+o.Batch, ts.Len()); i++ {
		start := len(strs)
		strs = value.AppendTimestamp(strs, ts.Created[i])
		t.Data = append(t.Data, ticketJSON{RequesterID: ts.Requester[i], ID: ts.ID[i], CreatedAt: view(strs, start)})
	}
	c := a.Comments
	for i := lo; i < min(lo+o.Batch, c.Len()); i++ {
		start := len(strs)
		strs = value.AppendTimestamp(strs, c.Created[i])
		mid := len(strs)
		if o.HTML {
			strs = append(strs, c.Body[i]...)
		} else {
			strs = value.AppendHTMLBody(strs, c.Body[i])
		}
		t.Comments = append(t.Comments, commentJSON{
			CreatedAt: view(strs[:mid], start), TicketID: c.Ticket[i], ID: c.ID[i],
			Public: c.Public[i], HTMLBody: view(strs, mid), AuthorID: c.Author[i],
		})
	}
	u := &a.Users
	for i := lo; i < min(lo+o.Batch, len(u.ID)); i++ {
		t.Users = append(t.Users, userJSON{Name: u.Name[i], ID: u.ID[i], Email: u.Email[i]})
	}
	e.strs = strs
	data, err := jsonAPI.Marshal(&e.b)
	if err != nil {
		return nil, fail.Failf("cannot encode backup_tickets_%d.json: %w", n+1, err)
	}
	if o.Indent == 0 {
		return data, nil
	}
	pretty := bytes.NewBuffer(buf[:0])
	if err := json.Indent(pretty, data, "", e.indent); err != nil {
		return nil, fail.Failf("cannot indent backup_tickets_%d.json: %w", n+1, err)
	}
	return pretty.Bytes(), nil
}

// view is strs[start:] as a string without copying. It stays valid while
// the batch is encoded: appending to strs either writes past these bytes or
// moves on to a new array, leaving the old one as it was.
func view(strs []byte, start int) string {
	if start == len(strs) {
		return ""
	}
	return unsafe.String(&strs[start], len(strs)-start)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
