package steps

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/bytedance/sonic"
	"github.com/klauspost/compress/gzip"
	"github.com/migrate-tool/migrate/frame"
)

// archiveData is everything the archive holds, one column per key.
type archiveData struct {
	tickets struct {
		created, requester, id []int64
	}
	comments struct {
		created, ticket, id []int64
		public              []bool
		body                []string
		author              []int64
	}
	users struct {
		name  []string
		id    []int64
		email []string
	}
}

// newest is the latest created_at of the archive, its entries' mtime.
func (a *archiveData) newest() int64 {
	var t int64
	for _, v := range a.tickets.created {
		t = max(t, v)
	}
	for _, v := range a.comments.created {
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

type archiveOptions struct {
	batch  int
	html   bool // --body-format html
	indent int
	level  int
	mtime  int64
	// progress, when set, counts the files written.
	progress *Progress
}

// writeArchive slices the columns into runs of batch (the seed layout) and
// streams backup_tickets_{n}.json entries into a gzip-compressed tar. JSON
// encoding and compression overlap: this goroutine encodes while another
// compresses, so both cores work.
func writeArchive(path string, a *archiveData, o archiveOptions) (files int, size int64, err error) {
	if o.level < 1 || o.level > 9 {
		return 0, 0, Usagef("--compression-level must be 1 to 9, not %d", o.level)
	}
	f, err := CreateAtomic(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Abort()
	counter := &countingWriter{w: f}
	zw, err := gzip.NewWriterLevel(counter, o.level)
	if err != nil {
		return 0, 0, Usagef("--compression-level must be 1 to 9, not %d", o.level)
	}
	tw := tar.NewWriter(zw)
	mtime := time.Unix(o.mtime, 0).UTC()

	runs := func(n int) int { return (n + o.batch - 1) / o.batch }
	files = max(runs(len(a.tickets.id)), runs(len(a.comments.id)), runs(len(a.users.id)))

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

	var task *Task
	if o.progress != nil {
		task = o.progress.Start("writing "+path, "files", int64(files))
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
		err = Failf("cannot write %s: %v", path, werr)
	}
	if err != nil {
		return 0, 0, err
	}
	if err := tw.Close(); err != nil {
		return 0, 0, Failf("cannot write %s: %v", path, err)
	}
	if err := zw.Close(); err != nil {
		return 0, 0, Failf("cannot write %s: %v", path, err)
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
	o      archiveOptions
	b      batchJSON
	strs   []byte // backing store of the batch's built strings
	indent string
}

func newBatchEncoder(o archiveOptions) *batchEncoder {
	e := &batchEncoder{o: o, indent: strings.Repeat(" ", o.indent)}
	t := &e.b.Data.Tickets
	t.Data = make([]ticketJSON, 0, o.batch)
	t.Comments = make([]commentJSON, 0, o.batch)
	t.Users = make([]userJSON, 0, o.batch)
	t.Organizations = []organizationJSON{}
	return e
}

// encode returns file n (from 0) of the seed layout, appended to buf.
func (e *batchEncoder) encode(a *archiveData, n int, buf []byte) ([]byte, error) {
	o := e.o
	lo := n * o.batch
	strs := e.strs[:0]
	t := &e.b.Data.Tickets
	t.Data, t.Comments, t.Users = t.Data[:0], t.Comments[:0], t.Users[:0]
	for i := lo; i < min(lo+o.batch, len(a.tickets.id)); i++ {
		start := len(strs)
		strs = frame.AppendTimestamp(strs, a.tickets.created[i])
		t.Data = append(t.Data, ticketJSON{RequesterID: a.tickets.requester[i], ID: a.tickets.id[i], CreatedAt: view(strs, start)})
	}
	c := &a.comments
	for i := lo; i < min(lo+o.batch, len(c.id)); i++ {
		start := len(strs)
		strs = frame.AppendTimestamp(strs, c.created[i])
		mid := len(strs)
		if o.html {
			strs = append(strs, c.body[i]...)
		} else {
			strs = frame.AppendHTMLBody(strs, c.body[i])
		}
		t.Comments = append(t.Comments, commentJSON{
			CreatedAt: view(strs[:mid], start), TicketID: c.ticket[i], ID: c.id[i],
			Public: c.public[i], HTMLBody: view(strs, mid), AuthorID: c.author[i],
		})
	}
	for i := lo; i < min(lo+o.batch, len(a.users.id)); i++ {
		t.Users = append(t.Users, userJSON{Name: a.users.name[i], ID: a.users.id[i], Email: a.users.email[i]})
	}
	e.strs = strs
	data, err := jsonAPI.Marshal(&e.b)
	if err != nil {
		return nil, Failf("cannot encode backup_tickets_%d.json: %v", n+1, err)
	}
	if o.indent == 0 {
		return data, nil
	}
	pretty := bytes.NewBuffer(buf[:0])
	if err := json.Indent(pretty, data, "", e.indent); err != nil {
		return nil, Failf("cannot indent backup_tickets_%d.json: %v", n+1, err)
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
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
