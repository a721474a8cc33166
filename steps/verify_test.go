package steps

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// verifyNow is the fixed start of the run the tests verify against.
var verifyNow = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// verifyTarEntry is one entry of a hand-made archive.
type verifyTarEntry struct {
	name     string
	mode     int64
	uid      int
	typeflag byte
	content  string
	uname    string
	format   tar.Format
	mtime    int64 // 0: verifyEpoch
}

// verifyEpoch is the SOURCE_DATE_EPOCH the tests build and verify with.
const verifyEpoch = 1600000000

// verifyEntry is a well-formed regular entry.
func verifyEntry(name, content string) verifyTarEntry {
	return verifyTarEntry{name: name, mode: 0o644, typeflag: tar.TypeReg, content: content}
}

// writeVerifyArchive writes entries as a tar.gz in dir and returns its path.
func writeVerifyArchive(t testing.TB, dir string, entries []verifyTarEntry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:     e.name,
			Mode:     e.mode,
			Uid:      e.uid,
			Typeflag: e.typeflag,
			Uname:    e.uname,
			ModTime:  time.Unix(cmp.Or(e.mtime, verifyEpoch), 0),
			Format:   e.format,
		}
		if e.typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.content))
		}
		if e.typeflag == tar.TypeSymlink {
			hdr.Linkname = "backup_tickets_1.json"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if e.typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.content)); err != nil {
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
	path := filepath.Join(dir, "backup_tickets.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// verifyBatch is one archive file holding the given objects.
func verifyBatch(tickets, comments, users []string) string {
	return `{"data":{"tickets":{"data":[` + strings.Join(tickets, ",") +
		`],"comments":[` + strings.Join(comments, ",") +
		`],"users":[` + strings.Join(users, ",") + `],"organizations":[]}}}`
}

func verifyTicketJSON(id, requester int64) string {
	return fmt.Sprintf(`{"created_at":"2021-01-01T10:00:00Z","requester_id":%d,"id":%d}`, requester, id)
}

func verifyCommentJSON(id, ticketID, author int64) string {
	return fmt.Sprintf(`{"created_at":"2021-01-01T10:05:00Z","ticket_id":%d,"id":%d,"public":true,"html_body":"<p>Hi &amp; bye</p>","author_id":%d}`, ticketID, id, author)
}

func verifyUserJSON(id int64, email string) string {
	return fmt.Sprintf(`{"name":"User %d","id":%d,"email":%q}`, id, id, email)
}

// verifyCleanBatch is a file with one ticket, one comment and one user, all
// referring to each other.
var verifyCleanBatch = verifyBatch([]string{verifyTicketJSON(1, 5)}, []string{verifyCommentJSON(10, 1, 5)}, []string{verifyUserJSON(5, "ann@example.com")})

// runVerify verifies the archive at path, with the ticket platform file
// holding tpCSV when it is not empty.
func runVerify(t testing.TB, dir, path, tpCSV string) (string, report.Counts, error) {
	t.Helper()
	return runVerifyEnv(t, dir, path, tpCSV, map[string]string{"SOURCE_DATE_EPOCH": strconv.Itoa(verifyEpoch)})
}

// runVerifyEnv is runVerify with the environment vars.
func runVerifyEnv(t testing.TB, dir, path, tpCSV string, vars map[string]string) (string, report.Counts, error) {
	t.Helper()
	if tpCSV != "" {
		if err := os.WriteFile(filepath.Join(dir, workspace.TicketUsersFile), []byte(tpCSV), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	env := &Env{Opt: DefaultOptions(), Stdout: &out, Stderr: &bytes.Buffer{}, Now: verifyNow, Getenv: func(k string) string { return vars[k] }}
	env.Opt.WorkDir = dir
	env.Opt.Out = path
	counts, err := Verify(context.Background(), env, &Memo{})
	return out.String(), counts, err
}

func verifyViolationCount(t testing.TB, counts report.Counts) int {
	t.Helper()
	v, ok := counts.Get("violations")
	if !ok {
		t.Fatalf("counts %v hold no violations", counts)
	}
	return v.(int)
}

func TestVerifyRules(t *testing.T) {
	hundredAndOne := make([]string, 101)
	for i := range hundredAndOne {
		hundredAndOne[i] = verifyCommentJSON(int64(100+i), 1, 5)
	}
	withComment := func(c string) string {
		return verifyBatch([]string{verifyTicketJSON(1, 5)}, []string{c}, []string{verifyUserJSON(5, "")})
	}
	withTicket := func(tk string) string {
		return verifyBatch([]string{tk}, nil, []string{verifyUserJSON(5, "")})
	}
	withUser := func(u string) string {
		return verifyBatch(nil, nil, []string{u})
	}
	tests := []struct {
		name    string
		entries []verifyTarEntry
		want    string // a substring of the output; "" for a clean archive
		count   int
	}{
		{"clean", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch)}, "", 0},
		{"clean, indented", []verifyTarEntry{verifyEntry("backup_tickets_1.json",
			"{\n  \"data\": {\n    \"tickets\": {\n      \"data\": [\n        {\n          \"created_at\": \"2021-01-01T10:00:00Z\",\n          \"requester_id\": 5,\n          \"id\": 1\n        }\n      ],\n      \"comments\": [],\n      \"users\": [ {\"name\": \"A\", \"id\": 5, \"email\": \"\"} ],\n      \"organizations\": []\n    }\n  }\n}\n")}, "", 0},
		{"clean, escaped forms", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(
			`{"created_at":"2021-01-01T10:05:00Z","ticket_id":1,"\u0069d":10,"public":false,"html_body":"\u003cp\u003e\ud83d\ude00 \u00e9 \ud800 \"q\" \\ \/ \b\f\n\r\t\u2028\u003c/p\u003e","author_id":5}`))}, "", 0},
		{"clean, non-ASCII written as itself", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(
			`{"created_at":"2021-01-01T10:05:00Z","ticket_id":1,"id":10,"public":true,"html_body":"<p>Grüße, 日本 😀 & <b></p>","author_id":5}`))}, "", 0},
		{"created_at at both ends of the range", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(
			`{"created_at":"1970-01-01T00:00:00Z","requester_id":5,"id":1}`)), verifyEntry("backup_tickets_2.json", withTicket(
			`{"created_at":"2024-06-01T00:00:00Z","requester_id":5,"id":2}`)[:0]+verifyBatch([]string{`{"created_at":"2024-06-01T00:00:00Z","requester_id":5,"id":2}`}, nil, nil))}, "", 0},

		// Tar headers.
		{"wrong mode", []verifyTarEntry{{name: "backup_tickets_1.json", mode: 0o755, typeflag: tar.TypeReg, content: verifyCleanBatch}},
			"backup_tickets_1.json: mode 0755; want 0644", 1},
		{"wrong owner", []verifyTarEntry{{name: "backup_tickets_1.json", mode: 0o644, uid: 1000, typeflag: tar.TypeReg, content: verifyCleanBatch}},
			"backup_tickets_1.json: owner 1000:0; want 0:0", 1},
		{"owner name", []verifyTarEntry{{name: "backup_tickets_1.json", mode: 0o644, uname: "root", typeflag: tar.TypeReg, content: verifyCleanBatch}},
			`backup_tickets_1.json: owner names "root":""; want both empty`, 1},
		{"GNU format", []verifyTarEntry{{name: "backup_tickets_1.json", mode: 0o644, typeflag: tar.TypeReg, content: verifyCleanBatch, format: tar.FormatGNU}},
			"backup_tickets_1.json: written in GNU tar format", 1},
		{"directory entry", []verifyTarEntry{{name: "backup/", mode: 0o755, typeflag: tar.TypeDir}, verifyEntry("backup_tickets_1.json", verifyCleanBatch)},
			"backup/: is a directory; the archive holds only regular files", 1},
		{"symbolic link", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch), {name: "backup_tickets_2.json", mode: 0o644, typeflag: tar.TypeSymlink}},
			"backup_tickets_2.json: is a symbolic link", 1},
		{"gap in numbering", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch), verifyEntry("backup_tickets_3.json", verifyBatch(nil, nil, nil))},
			"backup_tickets_3.json: out of sequence: want backup_tickets_2.json here", 1},
		{"out of order", []verifyTarEntry{verifyEntry("backup_tickets_2.json", verifyBatch(nil, nil, nil)), verifyEntry("backup_tickets_1.json", verifyCleanBatch)},
			"backup_tickets_2.json: out of sequence: want backup_tickets_1.json here", 2},
		{"not starting at 1", []verifyTarEntry{verifyEntry("backup_tickets_0.json", verifyCleanBatch)},
			"backup_tickets_0.json: unexpected entry", 1},
		{"leading zero", []verifyTarEntry{verifyEntry("backup_tickets_01.json", verifyCleanBatch)},
			"backup_tickets_01.json: unexpected entry", 1},
		{"other name", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch), verifyEntry("notes.txt", "hello")},
			"notes.txt: unexpected entry: the archive holds only backup_tickets_1.json .. backup_tickets_N.json (want backup_tickets_2.json here)", 1},
		{"name with a newline", []verifyTarEntry{verifyEntry("a\nb", "x")}, `"a\nb": unexpected entry`, 1},

		// The file's shape.
		{"empty file", []verifyTarEntry{verifyEntry("backup_tickets_1.json", "")}, "backup_tickets_1.json: is empty; want one JSON object", 1},
		{"top-level array", []verifyTarEntry{verifyEntry("backup_tickets_1.json", "[]")}, "backup_tickets_1.json: is an array; want a JSON object", 1},
		{"data null", []verifyTarEntry{verifyEntry("backup_tickets_1.json", `{"data":null}`)}, "backup_tickets_1.json: data: is null; want an object", 1},
		{"more data after the object", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch+"\n{}")},
			"backup_tickets_1.json: more data after the JSON object at line 2, column 1", 1},
		{"truncated JSON", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch[:40])},
			"backup_tickets_1.json: data.tickets.data[0]: invalid JSON at line 1, column 30 (byte 29): a string that starts here never ends; the rest of the file is not checked", 1},
		{"missing comma", []verifyTarEntry{verifyEntry("backup_tickets_1.json", `{"data" {}}`)},
			`backup_tickets_1.json: invalid JSON at line 1, column 9 (byte 8): want ':' after a key, found '{'`, 1},
		{"bad literal", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), "true", "tru", 1)))},
			"data.tickets.comments[0].public: invalid JSON at line 1, column 172 (byte 171): want a value, found 't'", 1},
		{"leading zero number", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), `"id":10`, `"id":010`, 1)))},
			"data.tickets.comments[0].id: invalid JSON at line 1, column 161 (byte 160): a number starts with 0 and goes on with digits", 1},
		{"byte order mark", []verifyTarEntry{verifyEntry("backup_tickets_1.json", "\ufeff"+verifyCleanBatch)},
			"backup_tickets_1.json: starts with a byte order mark; want JSON without one", 1},
		{"wrong top-level key order", []verifyTarEntry{verifyEntry("backup_tickets_1.json",
			`{"data":{"tickets":{"comments":[],"data":[],"users":[],"organizations":[]}}}`)},
			"backup_tickets_1.json: data.tickets: keys in the order comments, data, users, organizations; want data, comments, users, organizations", 1},
		{"missing array", []verifyTarEntry{verifyEntry("backup_tickets_1.json", `{"data":{"tickets":{"data":[],"comments":[],"users":[]}}}`)},
			"backup_tickets_1.json: data.tickets: missing key organizations; want exactly the keys data, comments, users, organizations, in that order", 1},
		{"extra top-level key", []verifyTarEntry{verifyEntry("backup_tickets_1.json", `{"data":{"tickets":{"data":[],"comments":[],"users":[],"organizations":[]}},"meta":{"x":[1,2]}}`)},
			"backup_tickets_1.json: meta: unexpected key; want exactly the keys data, in that order", 1},
		{"null array", []verifyTarEntry{verifyEntry("backup_tickets_1.json", `{"data":{"tickets":{"data":[],"comments":null,"users":[],"organizations":[]}}}`)},
			"backup_tickets_1.json: data.tickets.comments: is null; want an array ([] when empty)", 1},
		{"array of the wrong type", []verifyTarEntry{verifyEntry("backup_tickets_1.json", `{"data":{"tickets":{"data":{},"comments":[],"users":[],"organizations":[]}}}`)},
			"backup_tickets_1.json: data.tickets.data: is an object; want an array", 1},
		{"101 comments", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyBatch([]string{verifyTicketJSON(1, 5)}, hundredAndOne, []string{verifyUserJSON(5, "")}))},
			"backup_tickets_1.json: data.tickets.comments: holds 101 objects; at most 100 per file", 1},
		{"organizations not empty", []verifyTarEntry{verifyEntry("backup_tickets_1.json", `{"data":{"tickets":{"data":[],"comments":[],"users":[],"organizations":[{"id":1}]}}}`)},
			"backup_tickets_1.json: data.tickets.organizations: holds 1 value; must be empty", 1},
		{"element not an object", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyBatch(nil, []string{`17`}, nil))},
			"backup_tickets_1.json: data.tickets.comments[0]: is the number 17; want a comment object", 1},

		// Objects' keys.
		{"comment keys out of order", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(
			`{"created_at":"2021-01-01T10:05:00Z","id":10,"ticket_id":1,"public":true,"html_body":"x","author_id":5}`))},
			"backup_tickets_1.json: data.tickets.comments[0]: keys in the order created_at, id, ticket_id, public, html_body, author_id; want created_at, ticket_id, id, public, html_body, author_id", 1},
		{"extra user key", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withUser(`{"name":"A","id":5,"email":"","phone":"555"}`))},
			"backup_tickets_1.json: data.tickets.users[0].phone: unexpected key; a user has exactly the keys name, id, email, in that order", 1},
		{"odd extra key", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withUser(`{"name":"A","id":5,"email":"","a b":1}`))},
			`backup_tickets_1.json: data.tickets.users[0]["a b"]: unexpected key`, 1},
		{"missing ticket key", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00Z","id":1}`))},
			"backup_tickets_1.json: data.tickets.data[0]: missing key requester_id; a ticket has exactly the keys created_at, requester_id, id, in that order", 1},
		{"repeated key", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00Z","requester_id":5,"id":1,"id":2}`))},
			"backup_tickets_1.json: data.tickets.data[0].id: repeated key", 1},

		// Values.
		{"id as a string", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00Z","requester_id":5,"id":"1"}`))},
			`backup_tickets_1.json: data.tickets.data[0].id: is the string "1"; want an integer id from 1 to 9223372036854775807`, 1},
		{"id zero", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), `"id":10`, `"id":0`, 1)))},
			"data.tickets.comments[0].id: is 0; want an integer id", 1},
		{"id negative", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), `"id":10`, `"id":-10`, 1)))},
			"data.tickets.comments[0].id: is -10; want an integer id", 1},
		{"id with a fraction", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), `"id":10`, `"id":10.0`, 1)))},
			"data.tickets.comments[0].id: is 10.0; want an integer id", 1},
		{"id with an exponent", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), `"id":10`, `"id":1e1`, 1)))},
			"data.tickets.comments[0].id: is 1e1; want an integer id", 1},
		{"id past int64", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), `"id":10`, `"id":9223372036854775808`, 1)))},
			"data.tickets.comments[0].id: is 9223372036854775808; want an integer id", 1},
		{"largest id", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), `"id":10`, `"id":9223372036854775807`, 1)))},
			"", 0},
		{"author_id null", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), `"author_id":5`, `"author_id":null`, 1)))},
			"data.tickets.comments[0].author_id: is null; want an integer id", 1},
		{"created_at in the future", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2024-06-01T00:00:01Z","requester_id":5,"id":1}`))},
			`backup_tickets_1.json: data.tickets.data[0].created_at: "2024-06-01T00:00:01Z" is after the run started (2024-06-01T00:00:00Z)`, 1},
		{"created_at before 1970", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"1969-12-31T23:59:59Z","requester_id":5,"id":1}`))},
			`data.tickets.data[0].created_at: "1969-12-31T23:59:59Z" is before 1970-01-01T00:00:00Z`, 1},
		{"created_at with a space", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01 10:00:00Z","requester_id":5,"id":1}`))},
			`data.tickets.data[0].created_at: "2021-01-01 10:00:00Z" is not a UTC time written 2006-01-02T15:04:05Z`, 1},
		{"created_at with an offset", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00+00:00","requester_id":5,"id":1}`))},
			`data.tickets.data[0].created_at: "2021-01-01T10:00:00+00:00" is not a UTC time`, 1},
		{"created_at with a fraction", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00.5Z","requester_id":5,"id":1}`))},
			`is not a UTC time`, 1},
		{"created_at February 30", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2021-02-30T10:00:00Z","requester_id":5,"id":1}`))},
			`"2021-02-30T10:00:00Z" is not a UTC time`, 1},
		{"created_at second 60", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2016-12-31T23:59:60Z","requester_id":5,"id":1}`))},
			`"2016-12-31T23:59:60Z" is not a UTC time`, 1},
		{"created_at February 29 of a leap year", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2020-02-29T10:00:00Z","requester_id":5,"id":1}`))},
			"", 0},
		{"created_at escaped", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00\u005a","requester_id":5,"id":1}`))},
			"", 0},
		{"created_at a number", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withTicket(`{"created_at":1609495200,"requester_id":5,"id":1}`))},
			"data.tickets.data[0].created_at: is the number 1609495200; want a string such as 2006-01-02T15:04:05Z", 1},
		{"public a string", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), `"public":true`, `"public":"true"`, 1)))},
			`data.tickets.comments[0].public: is the string "true"; want true or false`, 1},
		{"html_body a number", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), `"html_body":"<p>Hi &amp; bye</p>"`, `"html_body":12`, 1)))},
			"data.tickets.comments[0].html_body: is the number 12; want a string", 1},
		{"email null", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withUser(`{"name":"A","id":5,"email":null}`))},
			"data.tickets.users[0].email: is null; want a string (empty when the user has no email)", 1},
		{"name an array", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withUser(`{"name":["A"],"id":5,"email":""}`))},
			"data.tickets.users[0].name: is an array; want a string", 1},
		{"invalid UTF-8", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withComment(strings.Replace(verifyCommentJSON(10, 1, 5), "Hi", "H\xe9i", 1)))},
			"backup_tickets_1.json: data.tickets.comments[0].html_body: invalid UTF-8 at byte", 1},
		{"invalid UTF-8 in a key", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withUser(`{"name":"A","id":5,"email":"","x`+"\xff"+`":1}`))},
			"data.tickets.users[0]: invalid UTF-8 at byte", 2},
		{"raw control character", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withUser("{\"name\":\"A\tB\",\"id\":5,\"email\":\"\"}"))},
			"data.tickets.users[0].name: raw control character U+0009 at byte", 1},
		{"bad escape", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withUser(`{"name":"A\xB","id":5,"email":""}`))},
			`data.tickets.users[0].name: bad escape "\\x" at byte`, 1},
		{"bad unicode escape", []verifyTarEntry{verifyEntry("backup_tickets_1.json", withUser(`{"name":"A\u12G4","id":5,"email":""}`))},
			`data.tickets.users[0].name: bad escape \u at byte`, 1},

		// Across files.
		{"duplicate ticket id", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch), verifyEntry("backup_tickets_2.json", verifyBatch([]string{verifyTicketJSON(2, 5), verifyTicketJSON(1, 5)}, nil, nil))},
			"backup_tickets_2.json: data.tickets.data[1].id: ticket id 1 is already used by backup_tickets_1.json data.tickets.data[0].id", 1},
		{"duplicate comment id", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyBatch([]string{verifyTicketJSON(1, 5)}, []string{verifyCommentJSON(10, 1, 5), verifyCommentJSON(10, 1, 5)}, []string{verifyUserJSON(5, "")}))},
			"backup_tickets_1.json: data.tickets.comments[1].id: comment id 10 is already used by backup_tickets_1.json data.tickets.comments[0].id", 1},
		{"duplicate user id", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch), verifyEntry("backup_tickets_2.json", verifyBatch(nil, nil, []string{verifyUserJSON(5, "bob@example.com")}))},
			"backup_tickets_2.json: data.tickets.users[0].id: user id 5 is already used by backup_tickets_1.json data.tickets.users[0].id", 1},
		{"same id, different kinds", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyBatch([]string{verifyTicketJSON(5, 5)}, []string{verifyCommentJSON(5, 5, 5)}, []string{verifyUserJSON(5, "")}))},
			"", 0},
		{"duplicate email differing in case", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch), verifyEntry("backup_tickets_2.json", verifyBatch(nil, nil, []string{verifyUserJSON(6, "Ann@Example.COM")}))},
			`backup_tickets_2.json: data.tickets.users[0].email: "Ann@Example.COM" is already the email of backup_tickets_1.json data.tickets.users[0].email (emails are compared lowercased)`, 1},
		{"duplicate email, non-ASCII case", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyBatch(nil, nil, []string{verifyUserJSON(5, "ärger@example.com"), verifyUserJSON(6, "ÄRGER@example.com")}))},
			`data.tickets.users[1].email: "ÄRGER@example.com" is already the email of`, 1},
		{"duplicate email, escaped", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyBatch(nil, nil, []string{verifyUserJSON(5, "ann@example.com"), `{"name":"A","id":6,"email":"\u0041nn\u0040example.com"}`}))},
			`data.tickets.users[1].email: "Ann@example.com" is already the email of`, 1},
		{"empty emails repeat freely", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyBatch(nil, nil, []string{verifyUserJSON(5, ""), verifyUserJSON(6, ""), verifyUserJSON(7, "")}))},
			"", 0},
		{"unknown ticket", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyBatch([]string{verifyTicketJSON(1, 5)}, []string{verifyCommentJSON(10, 999, 5)}, []string{verifyUserJSON(5, "")}))},
			"backup_tickets_1.json: data.tickets.comments[0].ticket_id: 999 names no ticket in the archive", 1},
		{"unknown author", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyBatch([]string{verifyTicketJSON(1, 5)}, []string{verifyCommentJSON(10, 1, 999)}, []string{verifyUserJSON(5, "")}))},
			"backup_tickets_1.json: data.tickets.comments[0].author_id: 999 names no user in the archive (", 1},
		{"unknown requester", []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyBatch([]string{verifyTicketJSON(1, 998)}, []string{verifyCommentJSON(10, 1, 5)}, []string{verifyUserJSON(5, "")}))},
			"backup_tickets_1.json: data.tickets.data[0].requester_id: 998 names no user in the archive", 1},
		{"references to later files", []verifyTarEntry{
			verifyEntry("backup_tickets_1.json", verifyBatch(nil, []string{verifyCommentJSON(10, 2, 6)}, nil)),
			verifyEntry("backup_tickets_2.json", verifyBatch([]string{verifyTicketJSON(2, 6)}, nil, []string{verifyUserJSON(6, "")}))},
			"", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeVerifyArchive(t, dir, tt.entries)
			out, counts, err := runVerify(t, dir, path, "")
			if got := verifyViolationCount(t, counts); got != tt.count {
				t.Errorf("%d violations, want %d; output:\n%s", got, tt.count, out)
			}
			if got := strings.Count(out, "\n"); got != tt.count {
				t.Errorf("%d lines, want %d; output:\n%s", got, tt.count, out)
			}
			if tt.want != "" && !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q; output:\n%s", tt.want, out)
			}
			wantCode := fail.OK
			if tt.count > 0 {
				wantCode = fail.Violations
			}
			if code := fail.Code(err); code != wantCode {
				t.Errorf("exit status %d (%v), want %d", code, err, wantCode)
			}
			if tt.count > 0 && (err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d violation", tt.count)) || !strings.Contains(err.Error(), path)) {
				t.Errorf("error %v does not name %d violations in %s", err, tt.count, path)
			}
		})
	}
}

func TestVerifyEmptyArchive(t *testing.T) {
	for _, tt := range []struct {
		name  string
		bytes func(t *testing.T) []byte
	}{
		{"empty tar", func(t *testing.T) []byte {
			dir := t.TempDir()
			data, err := os.ReadFile(writeVerifyArchive(t, dir, nil))
			if err != nil {
				t.Fatal(err)
			}
			return data
		}},
		{"empty gzip stream", func(t *testing.T) []byte {
			var buf bytes.Buffer
			gz := gzip.NewWriter(&buf)
			gz.Close()
			return buf.Bytes()
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a.tar.gz")
			if err := os.WriteFile(path, tt.bytes(t), 0o644); err != nil {
				t.Fatal(err)
			}
			out, counts, err := runVerify(t, dir, path, "")
			if err != nil || out != "" || verifyViolationCount(t, counts) != 0 {
				t.Fatalf("got %q, %v, %v; want a clean archive", out, counts, err)
			}
		})
	}
}

func TestVerifyUnreadableArchive(t *testing.T) {
	gzipOf := func(data []byte) []byte {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		gz.Write(data)
		gz.Close()
		return buf.Bytes()
	}
	good, err := os.ReadFile(writeVerifyArchive(t, t.TempDir(), []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch), verifyEntry("backup_tickets_2.json", verifyBatch(nil, nil, nil))}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		data  []byte // nil: no file
		code  int
		want  string
		count int
	}{
		{"missing", nil, fail.Usage, "run the build step first", 0},
		{"not gzip", []byte("backup_tickets_1.json\n"), fail.Usage, "is not a gzip-compressed tar archive", 0},
		{"empty file", []byte{}, fail.Usage, "is not a gzip-compressed tar archive", 0},
		{"gzip of something else", gzipOf(bytes.Repeat([]byte("not a tar file\n"), 100)), fail.Violations,
			"cannot read the tar entry after the start", 1},
		{"truncated", good[:len(good)-30], fail.Violations, "the archive is truncated", 1},
		{"trailing garbage", append(append([]byte{}, good...), "junk"...), fail.Violations, "damaged after the tar end", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "backup_tickets.tar.gz")
			if tt.data != nil {
				if err := os.WriteFile(path, tt.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, counts, err := runVerify(t, dir, path, "")
			if code := fail.Code(err); code != tt.code {
				t.Fatalf("exit status %d (%v), want %d", code, err, tt.code)
			}
			text := out
			if tt.code == fail.Usage {
				text = err.Error()
				if !strings.Contains(text, path) {
					t.Errorf("error %q does not name %s", text, path)
				}
			} else if got := verifyViolationCount(t, counts); got != tt.count {
				t.Errorf("%d violations, want %d; output:\n%s", got, tt.count, out)
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("%q lacks %q", text, tt.want)
			}
		})
	}
}

func TestVerifyTicketPlatformUsers(t *testing.T) {
	// Author 900 and requester 901 exist only on the ticket platform.
	entries := []verifyTarEntry{verifyEntry("backup_tickets_1.json",
		verifyBatch([]string{verifyTicketJSON(1, 901)}, []string{verifyCommentJSON(10, 1, 900), verifyCommentJSON(11, 1, 5)}, []string{verifyUserJSON(5, "")}))}
	tests := []struct {
		name  string
		csv   string // "" : no file
		code  int
		want  string
		count int
	}{
		{"resolved", "id,email\n900,a@example.com\n901,\n", fail.OK, "", 0},
		{"header in any case, spaced, with BOM, ids as spreadsheets write them", "\ufeff Email , ID \nb@example.com,900.0\n,00901\n", fail.OK, "", 0},
		{"absent", "", fail.Violations, "data.tickets.comments[0].author_id: 900 names no user in the archive (", 2},
		{"lacking one", "id,email\n900,a@example.com\n", fail.Violations,
			"backup_tickets_1.json: data.tickets.data[0].requester_id: 901 names no user in the archive or in ", 1},
		{"bad id", "id,email\n900,a@example.com\nx1,b@example.com\n", fail.Usage, "ticket_platform_users.csv line 3: id \"x1\" is not a valid id", 0},
		{"null id", "id,email\n900,a@example.com\nNULL,c@example.com\n", fail.Usage, "ticket_platform_users.csv line 3: id \"NULL\" is not a valid id", 0},
		{"zero id", "id,email\n0,a@example.com\n", fail.Usage, "line 2: id \"0\" is not a valid id", 0},
		{"missing column", "user_id,email\n900,a@example.com\n", fail.Usage, "ticket_platform_users.csv line 1: missing column id (found user_id, email)", 0},
		{"wrong field count", "id,email\n900\n", fail.Usage, "wrong number of fields", 0},
		{"bare quote", "id,email\n9\"00,a\n", fail.Usage, "bare \" in non-quoted-field", 0},
		{"header only", "id,email\n", fail.Violations, "900 names no user in the archive or in", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeVerifyArchive(t, dir, entries)
			out, counts, err := runVerify(t, dir, path, tt.csv)
			if code := fail.Code(err); code != tt.code {
				t.Fatalf("exit status %d (%v), want %d; output:\n%s", code, err, tt.code, out)
			}
			if tt.code == fail.Usage {
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %q lacks %q", err, tt.want)
				}
				return
			}
			if got := verifyViolationCount(t, counts); got != tt.count {
				t.Errorf("%d violations, want %d; output:\n%s", got, tt.count, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestVerifyOrderAndLimit(t *testing.T) {
	// Each file: a wrong mode, a bad created_at, a duplicate comment id and
	// 100 comments naming a missing ticket. The files' own violations come
	// first, file by file, then the repeated ids, then the references.
	var entries []verifyTarEntry
	id := int64(1)
	for n := 1; n <= 11; n++ {
		comments := make([]string, 100)
		for i := range comments {
			comments[i] = verifyCommentJSON(id, 999, 5)
			id++
		}
		comments[1] = verifyCommentJSON(id-100, 999, 5)
		comments[2] = strings.Replace(comments[2], "2021-01-01T10:05:00Z", "2099-01-01T00:00:00Z", 1)
		entries = append(entries, verifyTarEntry{name: fmt.Sprintf("backup_tickets_%d.json", n), mode: 0o600, typeflag: tar.TypeReg,
			content: verifyBatch(nil, comments, []string{verifyUserJSON(int64(5+n*1000), "")})})
	}
	entries[0].content = strings.Replace(entries[0].content, `"users":[{"name":"User 1005","id":1005`, `"users":[{"name":"User 5","id":5`, 1)
	dir := t.TempDir()
	path := writeVerifyArchive(t, dir, entries)
	out, counts, err := runVerify(t, dir, path, "")
	want := 11*3 + 11*100
	if got := verifyViolationCount(t, counts); got != want {
		t.Fatalf("%d violations, want %d", got, want)
	}
	if fail.Code(err) != fail.Violations || err.Error() != fmt.Sprintf("%d violations in %s", want, path) {
		t.Errorf("error %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != verifyMaxPrinted+1 {
		t.Fatalf("%d lines, want %d", len(lines), verifyMaxPrinted+1)
	}
	wantLines := map[int]string{
		1:   "backup_tickets_1.json: mode 0600; want 0644",
		2:   `backup_tickets_1.json: data.tickets.comments[2].created_at: "2099-01-01T00:00:00Z" is after the run started (2024-06-01T00:00:00Z)`,
		3:   "backup_tickets_2.json: mode 0600; want 0644",
		23:  "backup_tickets_1.json: data.tickets.comments[1].id: comment id 1 is already used by backup_tickets_1.json data.tickets.comments[0].id",
		24:  "backup_tickets_2.json: data.tickets.comments[1].id: comment id 101 is already used by backup_tickets_2.json data.tickets.comments[0].id",
		34:  "backup_tickets_1.json: data.tickets.comments[0].ticket_id: 999 names no ticket in the archive",
		35:  "backup_tickets_1.json: data.tickets.comments[1].ticket_id: 999 names no ticket in the archive",
		134: "backup_tickets_2.json: data.tickets.comments[0].ticket_id: 999 names no ticket in the archive",
	}
	for n, w := range wantLines {
		if lines[n-1] != w {
			t.Errorf("line %d: %q, want %q", n, lines[n-1], w)
		}
	}
	if w := fmt.Sprintf("... and %d more violations (%d in all)", want-verifyMaxPrinted, want); lines[verifyMaxPrinted] != w {
		t.Errorf("last line %q, want %q", lines[verifyMaxPrinted], w)
	}
}

func TestVerifyCancelled(t *testing.T) {
	dir := t.TempDir()
	path := writeVerifyArchive(t, dir, []verifyTarEntry{verifyEntry("backup_tickets_1.json", verifyCleanBatch)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := &Env{Opt: DefaultOptions(), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Now: verifyNow}
	env.Opt.WorkDir = dir
	env.Opt.Out = path
	if _, err := Verify(ctx, env, &Memo{}); fail.Code(err) != fail.Failure {
		t.Fatalf("error %v, want a failure", err)
	}
}

func TestVerifyUnquote(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`plain`, "plain"},
		{`a\"b\\c\/d`, `a"b\c/d`},
		{`\b\f\n\r\t`, "\b\f\n\r\t"},
		{`\u0041\u00e9\u65e5`, "Aé日"},
		{`\ud83d\ude00`, "😀"},
		{`\ud83d`, "\ufffd"},
		{`\ude00x`, "\ufffdx"},
		{`\ud83dx`, "\ufffdx"},
	}
	for _, tt := range tests {
		if got := string(verifyUnquote(nil, []byte(tt.raw))); got != tt.want {
			t.Errorf("verifyUnquote(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestVerifyParseTimestamp(t *testing.T) {
	for _, s := range []string{"1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z", "2021-12-31T12:34:56Z", "2100-03-01T00:00:00Z"} {
		tm, _ := time.Parse(time.RFC3339, s)
		got, ok := verifyParseTimestamp([]byte(s))
		if !ok || got != tm.Unix() {
			t.Errorf("verifyParseTimestamp(%q) = %d, %v; want %d", s, got, ok, tm.Unix())
		}
	}
	for _, s := range []string{"", "2021-01-01", "2021-13-01T00:00:00Z", "2021-00-01T00:00:00Z", "2021-01-00T00:00:00Z",
		"2100-02-29T00:00:00Z", "2021-01-01T24:00:00Z", "2021-01-01T00:60:00Z", "2021-01-01t00:00:00Z", "2021-01-01T00:00:00z",
		"+021-01-01T00:00:00Z", "2021-01-01T00:00:00ZZ"} {
		if _, ok := verifyParseTimestamp([]byte(s)); ok {
			t.Errorf("verifyParseTimestamp(%q) accepted", s)
		}
	}
}

// verifyGeneratedArchive writes an archive of files batches, 100 comments each,
// with 100 tickets and, in the first tenth of the files, 100 users, all
// cross-referenced as build writes them.
func verifyGeneratedArchive(t testing.TB, dir string, files int) string {
	t.Helper()
	users := files / 10
	if users == 0 {
		users = 1
	}
	entries := make([]verifyTarEntry, files)
	for n := range files {
		entries[n] = verifyEntry(fmt.Sprintf("backup_tickets_%d.json", n+1), verifyGeneratedFile(n, files, users))
	}
	return writeVerifyArchive(t, dir, entries)
}

// verifyGeneratedFile is file n (from 0) of an archive of files files whose
// first users files hold 100 users each.
func verifyGeneratedFile(n, files, users int) string {
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

func TestVerifyGenerated(t *testing.T) {
	dir := t.TempDir()
	path := verifyGeneratedArchive(t, dir, 30)
	out, counts, err := runVerify(t, dir, path, "")
	if err != nil || out != "" || verifyViolationCount(t, counts) != 0 {
		t.Fatalf("got %q, %v, %v; want a clean archive", out, counts, err)
	}
}

// BenchmarkVerify verifies a generated archive of 20k comments.
func BenchmarkVerify(b *testing.B) {
	dir := b.TempDir()
	path := verifyGeneratedArchive(b, dir, 200)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		out, _, err := runVerify(b, dir, path, "")
		if err != nil || out != "" {
			b.Fatalf("%q, %v", out, err)
		}
	}
}

// TestVerifySeedScale times verify on an archive of the seed's size (21k
// files, 2.1 million comments). It takes a while to write the archive, so it
// runs only when MIGRATE_SEED_SCALE is set (to 1, or to a number of files);
// MIGRATE_SEED_SCALE_DIR keeps the archive between runs.
func TestVerifySeedScale(t *testing.T) {
	if os.Getenv("MIGRATE_SEED_SCALE") == "" {
		t.Skip("set MIGRATE_SEED_SCALE=1 to time verify at the seed's size")
	}
	files := 21000
	if n, err := strconv.Atoi(os.Getenv("MIGRATE_SEED_SCALE")); err == nil && n > 1 {
		files = n
	}
	dir := os.Getenv("MIGRATE_SEED_SCALE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "backup_tickets.tar.gz")
	if _, err := os.Stat(path); err != nil {
		path = verifyGeneratedArchive(t, dir, files)
	}
	start := time.Now()
	out, _, err := runVerify(t, dir, path, "")
	t.Logf("verify took %v", time.Since(start))
	if err != nil || out != "" {
		t.Fatalf("%q, %v", out, err)
	}
}

// BenchmarkVerifyScan checks the JSON of one generated file, without the
// tar, gzip and cross-file work around it.
func BenchmarkVerifyScan(b *testing.B) {
	data := []byte(verifyGeneratedFile(0, 1, 1))
	b.SetBytes(int64(len(data)))
	var s verifyScanner
	s.now = verifyNow.Unix()
	for b.Loop() {
		f := &verifyFile{data: data}
		s.scan(f)
		if len(f.bad) > 0 {
			b.Fatal(f.bad)
		}
	}
}

func TestVerifyPlainWord(t *testing.T) {
	plain := []byte("abcdefgh")
	for pos := range 8 {
		for c := range 256 {
			word := append([]byte(nil), plain...)
			word[pos] = byte(c)
			want := verifyPlain[c]
			if got := verifyPlainWord(binary.LittleEndian.Uint64(word)); got && !want {
				t.Errorf("verifyPlainWord(%q) says plain", word)
			} else if !got && want {
				t.Errorf("verifyPlainWord(%q) says not plain", word)
			}
		}
	}
}

// TestVerifySparseIDs covers ids too far apart for a bitmap, where the sets
// are sorted lists instead.
func TestVerifySparseIDs(t *testing.T) {
	const big = int64(1) << 60
	entries := []verifyTarEntry{
		verifyEntry("backup_tickets_1.json", verifyBatch(
			[]string{verifyTicketJSON(1, 5), verifyTicketJSON(big, big+5)},
			[]string{verifyCommentJSON(big+1, big, 5), verifyCommentJSON(7, 1, big+5), verifyCommentJSON(8, big+3, 5)},
			[]string{verifyUserJSON(5, ""), verifyUserJSON(big+5, "")})),
		verifyEntry("backup_tickets_2.json", verifyBatch(
			[]string{verifyTicketJSON(big, 5)},
			[]string{verifyCommentJSON(big+1, 1, 6)},
			[]string{verifyUserJSON(big+5, "")})),
	}
	dir := t.TempDir()
	out, counts, err := runVerify(t, dir, writeVerifyArchive(t, dir, entries), "id,email\n6,\n")
	want := fmt.Sprintf(`backup_tickets_2.json: data.tickets.data[0].id: ticket id %[1]d is already used by backup_tickets_1.json data.tickets.data[1].id
backup_tickets_2.json: data.tickets.comments[0].id: comment id %[2]d is already used by backup_tickets_1.json data.tickets.comments[0].id
backup_tickets_2.json: data.tickets.users[0].id: user id %[3]d is already used by backup_tickets_1.json data.tickets.users[1].id
backup_tickets_1.json: data.tickets.comments[2].ticket_id: %[4]d names no ticket in the archive
`, big, big+1, big+5, big+3)
	if out != want || verifyViolationCount(t, counts) != 4 || fail.Code(err) != fail.Violations {
		t.Errorf("got %v, output:\n%s\nwant:\n%s", err, out, want)
	}
}

func TestVerifySyntaxErrorSkipsReferences(t *testing.T) {
	// The second file breaks off before its users: requester 6 would be
	// reported falsely.
	entries := []verifyTarEntry{
		verifyEntry("backup_tickets_1.json", verifyBatch([]string{verifyTicketJSON(1, 6)}, nil, nil)),
		verifyEntry("backup_tickets_2.json", `{"data":{"tickets":{"data":[],"comments":[],"users":[{"name":"A","id":6,"email":""`),
	}
	dir := t.TempDir()
	path := writeVerifyArchive(t, dir, entries)
	out, counts, err := runVerify(t, dir, path, "")
	if verifyViolationCount(t, counts) != 1 || !strings.Contains(out, "backup_tickets_2.json: data.tickets.users[0]: invalid JSON") {
		t.Errorf("output:\n%s", out)
	}
	if want := fmt.Sprintf("1 violation in %s (references not checked: part of the archive could not be read)", path); err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestVerifyProgress(t *testing.T) {
	dir := t.TempDir()
	path := verifyGeneratedArchive(t, dir, 3)
	var out, progressOut bytes.Buffer
	env := &Env{Opt: DefaultOptions(), Stdout: &out, Stderr: &progressOut, Now: verifyNow, Progress: progress.New(&progressOut, false),
		Getenv: func(k string) string { return map[string]string{"SOURCE_DATE_EPOCH": strconv.Itoa(verifyEpoch)}[k] }}
	env.Opt.WorkDir = dir
	env.Opt.Out = path
	if _, err := Verify(context.Background(), env, &Memo{}); err != nil || out.Len() > 0 {
		t.Fatalf("%v, %q", err, out.String())
	}
}

func TestVerifyModTimes(t *testing.T) {
	newest := time.Date(2021, 1, 1, 10, 5, 0, 0, time.UTC).Unix() // the comment's created_at
	at := func(mtime int64) []verifyTarEntry {
		return []verifyTarEntry{
			{name: "backup_tickets_1.json", mode: 0o644, typeflag: tar.TypeReg, content: verifyCleanBatch, mtime: mtime},
			{name: "backup_tickets_2.json", mode: 0o644, typeflag: tar.TypeReg, content: verifyBatch(nil, nil, nil), mtime: mtime},
		}
	}
	mixed := at(newest)
	mixed[1].mtime = newest - 1
	tests := []struct {
		name    string
		entries []verifyTarEntry
		epoch   string
		want    string
	}{
		{"newest created_at", at(newest), "", ""},
		{"SOURCE_DATE_EPOCH", at(1234567890), "1234567890", ""},
		{"not the newest created_at", at(newest + 60), "",
			"backup_tickets_1.json: modification time 2021-01-01T10:06:00Z; want 2021-01-01T10:05:00Z, the newest created_at in the archive (SOURCE_DATE_EPOCH is not set) (and 1 more entries like it)\n"},
		{"not SOURCE_DATE_EPOCH", at(newest), "1234567890",
			"backup_tickets_1.json: modification time 2021-01-01T10:05:00Z; want 2009-02-13T23:31:30Z, SOURCE_DATE_EPOCH (and 1 more entries like it)\n"},
		{"one entry differs", mixed, "",
			"backup_tickets_2.json: modification time 2021-01-01T10:04:59Z; want 2021-01-01T10:05:00Z, the newest created_at in the archive (SOURCE_DATE_EPOCH is not set)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, _, err := runVerifyEnv(t, dir, writeVerifyArchive(t, dir, tt.entries), "", map[string]string{"SOURCE_DATE_EPOCH": tt.epoch})
			if out != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out, tt.want)
			}
			if want := map[bool]int{true: fail.OK, false: fail.Violations}[tt.want == ""]; fail.Code(err) != want {
				t.Errorf("exit status %d (%v), want %d", fail.Code(err), err, want)
			}
		})
	}
	dir := t.TempDir()
	_, _, err := runVerifyEnv(t, dir, writeVerifyArchive(t, dir, at(newest)), "", map[string]string{"SOURCE_DATE_EPOCH": "yesterday"})
	if fail.Code(err) != fail.Usage || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("bad SOURCE_DATE_EPOCH: %v", err)
	}
}
