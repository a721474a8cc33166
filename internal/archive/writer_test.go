package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/bytedance/sonic/encoder"
	"github.com/cespare/xxhash/v2"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// smallData is a few tickets, comments and users whose bodies hold what
// JSON and HTML escaping must get right, and the text of a key.
func smallData(n int) *Data {
	c := frame.Comments{Bodies: frame.MemorySpill()}
	var t frame.Tickets
	bodies := []string{
		`plain`, `quote " and backslash \ and <b>&amp;</b>`, "two\nlines", `,"author_id":99}`,
		"é ñ 日本 \u2028", "",
	}
	for i := 0; i < n; i++ {
		if i%3 == 0 {
			row := t.Append(int64(100 + i/3))
			t.Created[row], t.Requester[row] = 1609459200+int64(i), 7
		}
		c.ID = append(c.ID, int64(1000+i))
		c.Ticket = append(c.Ticket, int64(100+i/3))
		c.Author = append(c.Author, int64(7+i%2))
		c.Created = append(c.Created, 1609459200+int64(i))
		c.Public = append(c.Public, i%2 == 0)
		c.Record = append(c.Record, int32(i+1))
		c.AddBody(bodies[i%len(bodies)], 0)
	}
	u := Users{Name: []string{"Ann", "Bob"}, Email: []string{"ann@x.test", ""}, ID: []int64{7, 8}}
	return &Data{Tickets: &t, Comments: &c, Users: u}
}

// TestCommentHashesAreTheCommentsJSON checks SPEC section 12's hash: the
// xxhash64 of each comment object exactly as the archive writes it, found
// in the batch by its last key, equals the hash of the comment encoded on
// its own.
func TestCommentHashesAreTheCommentsJSON(t *testing.T) {
	for _, html := range []bool{false, true} {
		a := smallData(12)
		o := Options{Batch: 5, HTML: html, Level: 1}
		rows := []int32{}
		for i := 0; i < a.Comments.Len(); i++ {
			rows = append(rows, int32(i))
		}
		got := make([]uint64, len(rows))
		err := HashComments(a.Comments, rows, o, got)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			bodies, _, err := a.Comments.Texts([]int32{int32(i)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var strs []byte
			if html {
				strs = append(strs, bodies[0]...)
			} else {
				strs = value.AppendHTMLBody(strs, bodies[0])
			}
			one := commentJSON{CreatedAt: "x", TicketID: a.Comments.Ticket[i], ID: a.Comments.ID[i],
				Public: a.Comments.Public[i], HTMLBody: string(strs), AuthorID: a.Comments.Author[i]}
			one.CreatedAt = value.FormatTimestamp(a.Comments.Created[i])
			var b []byte
			if err := encoder.EncodeInto(&b, &one, jsonOptions); err != nil {
				t.Fatal(err)
			}
			if want := xxhash.Sum64(b); got[i] != want {
				t.Errorf("html=%v comment %d: hash %x, want %x of %s", html, i, got[i], want, b)
			}
		}
	}
}

// TestWriteLayout checks the seed layout of SPEC section 6 on a written
// archive: files in order, 0644 regular files owned by 0:0, at most Batch
// objects per array, the n-th run of each frame in file n, and the hashes
// Write fills equal HashComments'.
func TestWriteLayout(t *testing.T) {
	a := smallData(12)
	a.CommentHashes = make([]uint64, a.Comments.Len())
	path := filepath.Join(t.TempDir(), "out.tar.gz")
	f, err := workspace.CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Batch: 5, Level: 2, MTime: 1700000000}
	files, err := Write(context.Background(), f, a, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if files != 3 {
		t.Fatalf("%d files, want 3 (12 comments in runs of 5)", files)
	}
	raw, _ := os.ReadFile(path)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for n := 1; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			if n != 4 {
				t.Errorf("%d entries, want 3", n-1)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != fmt.Sprintf("backup_tickets_%d.json", n) || h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 ||
			h.Uname != "" || h.Gname != "" || h.ModTime.Unix() != o.MTime || h.Typeflag != tar.TypeReg {
			t.Errorf("entry %d: %+v", n, h)
		}
		var file struct {
			Data struct {
				Tickets struct {
					Data, Comments, Users, Organizations []json.RawMessage
				} `json:"tickets"`
			} `json:"data"`
		}
		body, _ := io.ReadAll(tr)
		if err := json.Unmarshal(body, &file); err != nil {
			t.Fatalf("entry %d: %v", n, err)
		}
		ts := file.Data.Tickets
		wantComments := min(5, 12-(n-1)*5)
		wantTickets := max(0, min(5, 4-(n-1)*5))
		wantUsers := max(0, min(5, 2-(n-1)*5))
		if len(ts.Comments) != wantComments || len(ts.Data) != wantTickets || len(ts.Users) != wantUsers || len(ts.Organizations) != 0 {
			t.Errorf("entry %d: %d tickets, %d comments, %d users, %d organizations", n, len(ts.Data), len(ts.Comments), len(ts.Users), len(ts.Organizations))
		}
	}
	rows := make([]int32, a.Comments.Len())
	for i := range rows {
		rows[i] = int32(i)
	}
	want := make([]uint64, len(rows))
	if err := HashComments(a.Comments, rows, o, want); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if a.CommentHashes[i] != want[i] {
			t.Errorf("comment %d: Write hashed %x, HashComments %x", i, a.CommentHashes[i], want[i])
		}
	}
}
