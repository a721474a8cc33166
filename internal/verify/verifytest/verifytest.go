// Package verifytest writes small archives by hand for the tests of verify
// and of the verify step: well-formed batches, and entries with any header.
package verifytest

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Epoch is the SOURCE_DATE_EPOCH the tests build and verify with: the
// modification time of an Entry whose MTime is 0.
const Epoch = 1600000000

// Now is the fixed start of the run the tests verify against.
var Now = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// Entry is one entry of a hand-made archive.
type Entry struct {
	Name     string
	Mode     int64
	UID      int
	Typeflag byte
	Content  string
	Uname    string
	Format   tar.Format
	MTime    int64 // 0: Epoch
}

// File is a well-formed regular entry.
func File(name, content string) Entry {
	return Entry{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, Content: content}
}

// Archive returns entries as a tar.gz.
func Archive(t testing.TB, entries []Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:     e.Name,
			Mode:     e.Mode,
			Uid:      e.UID,
			Typeflag: e.Typeflag,
			Uname:    e.Uname,
			ModTime:  time.Unix(cmp.Or(e.MTime, Epoch), 0),
			Format:   e.Format,
		}
		if e.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.Content))
		}
		if e.Typeflag == tar.TypeSymlink {
			hdr.Linkname = "backup_tickets_1.json"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if e.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.Content)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Batch is one archive file holding the given objects.
func Batch(tickets, comments, users []string) string {
	return `{"data":{"tickets":{"data":[` + strings.Join(tickets, ",") +
		`],"comments":[` + strings.Join(comments, ",") +
		`],"users":[` + strings.Join(users, ",") + `],"organizations":[]}}}`
}

// Ticket is a ticket object.
func Ticket(id, requester int64) string {
	return fmt.Sprintf(`{"created_at":"2021-01-01T10:00:00Z","requester_id":%d,"id":%d}`, requester, id)
}

// Comment is a comment object.
func Comment(id, ticketID, author int64) string {
	return fmt.Sprintf(`{"created_at":"2021-01-01T10:05:00Z","ticket_id":%d,"id":%d,"public":true,"html_body":"<p>Hi &amp; bye</p>","author_id":%d}`, ticketID, id, author)
}

// User is a user object.
func User(id int64, email string) string {
	return fmt.Sprintf(`{"name":"User %d","id":%d,"email":%q}`, id, id, email)
}

// CleanBatch is a file with one ticket, one comment and one user, all
// referring to each other.
var CleanBatch = Batch([]string{Ticket(1, 5)}, []string{Comment(10, 1, 5)}, []string{User(5, "ann@example.com")})

// Generated is file n (from 0) of an archive of files files whose first
// users files hold 100 users each: 100 tickets and 100 comments, all
// cross-referenced as build writes them.
func Generated(n, files, users int) string {
	var b strings.Builder
	b.WriteString(`{"data":{"tickets":{"data":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		id := n*100 + i + 1
		fmt.Fprintf(&b, `{"created_at":"2021-%02d-%02dT%02d:%02d:%02dZ","requester_id":%d,"id":%d}`, 1+id%12, 1+id%28, id%24, id%60, id%59, 1000+id%(users*100), id)
	}
	b.WriteString(`],"comments":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		id := n*100 + i + 1
		fmt.Fprintf(&b, `{"created_at":"2022-%02d-%02dT%02d:%02d:%02dZ","ticket_id":%d,"id":%d,"public":%t,"html_body":"<p>Hello, order #%d is on its way.<br>Grüße &amp; thanks — team %d</p>","author_id":%d}`,
			1+id%12, 1+id%28, id%24, id%60, id%59, 1+(id*7)%(files*100), 5000000+id, id%3 != 0, id*31, id%97, 1000+(id*13)%(users*100))
	}
	b.WriteString(`],"users":[`)
	if n < users {
		for i := range 100 {
			if i > 0 {
				b.WriteByte(',')
			}
			id := 1000 + n*100 + i
			fmt.Fprintf(&b, `{"name":"User %d","id":%d,"email":"user%d@example.com"}`, id, id, id)
		}
	}
	b.WriteString(`],"organizations":[]}}}`)
	return b.String()
}

// GeneratedArchive is an archive of files Generated files, the first tenth
// of them holding users.
func GeneratedArchive(t testing.TB, files int) []byte {
	t.Helper()
	users := max(files/10, 1)
	entries := make([]Entry, files)
	for n := range files {
		entries[n] = File(fmt.Sprintf("backup_tickets_%d.json", n+1), Generated(n, files, users))
	}
	return Archive(t, entries)
}
