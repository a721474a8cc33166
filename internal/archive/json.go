package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/bytedance/sonic/encoder"
	"github.com/cespare/xxhash/v2"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/value"
)

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

// jsonOptions write <, >, & and non-ASCII as themselves (no EscapeHTML).
const jsonOptions = encoder.NoValidateJSONMarshaler

// batchEncoder builds one archive file's JSON at a time, reusing its slices.
type batchEncoder struct {
	o      Options
	b      batchJSON
	strs   []byte // backing store of the batch's built strings
	bodies []byte // the batch's bodies, read from the spill
	// compact is the compact JSON of a file that --indent pretty-prints.
	compact []byte
	rows    []int32
	indent  string
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
// n-th run of Batch rows of each frame. hashes, when not nil, receives the
// hash of each comment's JSON.
func (e *batchEncoder) encode(a *Data, n int, buf []byte, hashes []uint64) ([]byte, error) {
	o := e.o
	lo := n * o.Batch
	e.rows = e.rows[:0]
	for i := lo; i < min(lo+o.Batch, a.Comments.Len()); i++ {
		e.rows = append(e.rows, int32(i))
	}
	return e.encodeRows(a, n, lo, e.rows, buf, hashes)
}

// encodeRows encodes file n: tickets and users from row lo, and the
// comments at rows.
func (e *batchEncoder) encodeRows(a *Data, n, lo int, rows []int32, buf []byte, hashes []uint64) ([]byte, error) {
	o := e.o
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
	bodies, read, err := c.Texts(rows, e.bodies)
	e.bodies = read
	if err != nil {
		return nil, fail.Failf("cannot read the message bodies back: %w", err)
	}
	for k, i := range rows {
		start := len(strs)
		strs = value.AppendTimestamp(strs, c.Created[i])
		mid := len(strs)
		if o.HTML {
			strs = append(strs, bodies[k]...)
		} else {
			strs = value.AppendHTMLBody(strs, bodies[k])
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
	// Compact JSON goes straight into buf, which the compressor hands back
	// for the next file: no buffer per file (474 MB at the seed's scale).
	data := buf[:0]
	if o.Indent > 0 {
		data = e.compact[:0]
	}
	if err := encoder.EncodeInto(&data, &e.b, jsonOptions); err != nil {
		return nil, fail.Failf("cannot encode backup_tickets_%d.json: %w", n+1, err)
	}
	if hashes != nil && len(t.Comments) > 0 {
		if err := hashComments(data, hashes); err != nil {
			return nil, fail.Failf("cannot encode backup_tickets_%d.json: %w", n+1, err)
		}
	}
	if o.Indent == 0 {
		return data, nil
	}
	e.compact = data
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

// commentsKey opens the comments array of an archive file, and authorKey
// is the last key of a comment: an unescaped quote cannot stand inside a
// JSON string, so these bytes only ever occur as the keys themselves.
var (
	commentsKey = []byte(`"comments":[`)
	authorKey   = []byte(`,"author_id":`)
)

// hashComments fills hashes with the hash of each comment object of the
// compact archive file data, in order: xxhash64 of the object's bytes
// exactly as written (SPEC section 12: a hash of each comment's JSON).
func hashComments(data []byte, hashes []uint64) error {
	at := bytes.Index(data, commentsKey)
	if at < 0 {
		return errors.New("no comments array in the encoded file")
	}
	pos := at + len(commentsKey)
	for i := range hashes {
		if i > 0 {
			pos++ // the comma between two objects
		}
		k := bytes.Index(data[pos:], authorKey)
		if k < 0 || data[pos] != '{' {
			return fmt.Errorf("comment %d of the encoded file is not where it should be", i+1)
		}
		end := pos + k + len(authorKey)
		for end < len(data) && data[end] != '}' {
			end++
		}
		if end == len(data) {
			return fmt.Errorf("comment %d of the encoded file does not end", i+1)
		}
		hashes[i] = xxhash.Sum64(data[pos : end+1])
		pos = end + 1
	}
	return nil
}

// HashComments fills hashes (one per row) with the hash of the comments of
// c at rows (in increasing order) as the archive would write them with o
// (see hashComments), without writing anything: what a delta run compares
// with the hashes its lineage recorded.
func HashComments(c *frame.Comments, rows []int32, o Options, hashes []uint64) error {
	a := &Data{Tickets: &frame.Tickets{}, Comments: c}
	o.Indent = 0
	e := newBatchEncoder(o)
	var buf []byte // one buffer for every file: 1.9 GB of garbage otherwise at the seed's scale
	for n, run := range frame.Chunks(len(rows), o.Batch) {
		var err error
		if buf, err = e.encodeRows(a, n, 0, rows[run[0]:run[1]], buf, hashes[run[0]:run[1]]); err != nil {
			return err
		}
	}
	return nil
}
