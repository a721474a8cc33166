package verify

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	vt "github.com/migrate-tool/migrate/internal/verify/verifytest"
)

// testConfig is the Config the tests verify with: no ticket platform
// export, the entries' time fixed at vt.Epoch.
func testConfig() Config {
	return Config{
		Name:               "backup_tickets.tar.gz",
		Now:                vt.Now,
		SourceDateEpoch:    time.Unix(vt.Epoch, 0),
		TicketUsers:        "ticket_platform_users.csv",
		TicketUsersMissing: true,
	}
}

// check verifies data with cfg and returns what Archive printed.
func check(t testing.TB, data []byte, cfg Config) (string, Result) {
	t.Helper()
	var out bytes.Buffer
	cfg.Out = &out
	res, err := Archive(context.Background(), bytes.NewReader(data), cfg)
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}
	return out.String(), res
}

func TestRules(t *testing.T) {
	hundredAndOne := make([]string, 101)
	for i := range hundredAndOne {
		hundredAndOne[i] = vt.Comment(int64(100+i), 1, 5)
	}
	withComment := func(c string) string {
		return vt.Batch([]string{vt.Ticket(1, 5)}, []string{c}, []string{vt.User(5, "")})
	}
	withTicket := func(tk string) string {
		return vt.Batch([]string{tk}, nil, []string{vt.User(5, "")})
	}
	withUser := func(u string) string {
		return vt.Batch(nil, nil, []string{u})
	}
	tests := []struct {
		name    string
		entries []vt.Entry
		want    string // a substring of the output; "" for a clean archive
		count   int
	}{
		{"clean", []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch)}, "", 0},
		{"clean, indented", []vt.Entry{vt.File("backup_tickets_1.json",
			"{\n  \"data\": {\n    \"tickets\": {\n      \"data\": [\n        {\n          \"created_at\": \"2021-01-01T10:00:00Z\",\n          \"requester_id\": 5,\n          \"id\": 1\n        }\n      ],\n      \"comments\": [],\n      \"users\": [ {\"name\": \"A\", \"id\": 5, \"email\": \"\"} ],\n      \"organizations\": []\n    }\n  }\n}\n")}, "", 0},
		{"clean, escaped forms", []vt.Entry{vt.File("backup_tickets_1.json", withComment(
			`{"created_at":"2021-01-01T10:05:00Z","ticket_id":1,"\u0069d":10,"public":false,"html_body":"<p>\u0041 \"q\" \\ \/ \b\f\n\r\t\u001b\u2028\u2029</p>","author_id":5}`))}, "", 0},
		// Section 6: <, >, & and non-ASCII are written as themselves, as
		// Go's encoding/json does not by default.
		{"<, >, & escaped for HTML", []vt.Entry{vt.File("backup_tickets_1.json", withComment(
			`{"created_at":"2021-01-01T10:05:00Z","ticket_id":1,"id":10,"public":false,"html_body":"\u003cp\u003ea \u0026 b\u003c/p\u003e","author_id":5}`))},
			"backup_tickets_1.json: data.tickets.comments[0].html_body: escape \\u003c at byte 190: <, >, & and non-ASCII characters are written as themselves", 1},
		{"non-ASCII escaped", []vt.Entry{vt.File("backup_tickets_1.json", withComment(
			`{"created_at":"2021-01-01T10:05:00Z","ticket_id":1,"id":10,"public":false,"html_body":"<p>Ren\u00e9</p>","author_id":5}`))},
			"backup_tickets_1.json: data.tickets.comments[0].html_body: escape \\u00e9 at byte 196", 1},
		{"a character past U+FFFF escaped", []vt.Entry{vt.File("backup_tickets_1.json", withComment(
			`{"created_at":"2021-01-01T10:05:00Z","ticket_id":1,"id":10,"public":false,"html_body":"<p>\ud83d\ude00</p>","author_id":5}`))},
			"backup_tickets_1.json: data.tickets.comments[0].html_body: escape \\ud83d\\ude00 at byte 193", 1},
		{"clean, non-ASCII written as itself", []vt.Entry{vt.File("backup_tickets_1.json", withComment(
			`{"created_at":"2021-01-01T10:05:00Z","ticket_id":1,"id":10,"public":true,"html_body":"<p>Grüße, 日本 😀 & <b></p>","author_id":5}`))}, "", 0},
		{"created_at at both ends of the range", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(
			`{"created_at":"1970-01-01T00:00:00Z","requester_id":5,"id":1}`)), vt.File("backup_tickets_2.json", withTicket(
			`{"created_at":"2024-06-01T00:00:00Z","requester_id":5,"id":2}`)[:0]+vt.Batch([]string{`{"created_at":"2024-06-01T00:00:00Z","requester_id":5,"id":2}`}, nil, nil))}, "", 0},

		// Tar headers.
		{"wrong mode", []vt.Entry{{Name: "backup_tickets_1.json", Mode: 0o755, Typeflag: tar.TypeReg, Content: vt.CleanBatch}},
			"backup_tickets_1.json: mode 0755; want 0644", 1},
		{"wrong owner", []vt.Entry{{Name: "backup_tickets_1.json", Mode: 0o644, UID: 1000, Typeflag: tar.TypeReg, Content: vt.CleanBatch}},
			"backup_tickets_1.json: owner 1000:0; want 0:0", 1},
		{"owner name", []vt.Entry{{Name: "backup_tickets_1.json", Mode: 0o644, Uname: "root", Typeflag: tar.TypeReg, Content: vt.CleanBatch}},
			`backup_tickets_1.json: owner names "root":""; want both empty`, 1},
		{"GNU format", []vt.Entry{{Name: "backup_tickets_1.json", Mode: 0o644, Typeflag: tar.TypeReg, Content: vt.CleanBatch, Format: tar.FormatGNU}},
			"backup_tickets_1.json: written in GNU tar format", 1},
		{"directory entry", []vt.Entry{{Name: "backup/", Mode: 0o755, Typeflag: tar.TypeDir}, vt.File("backup_tickets_1.json", vt.CleanBatch)},
			"backup/: is a directory; the archive holds only regular files", 1},
		{"symbolic link", []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch), {Name: "backup_tickets_2.json", Mode: 0o644, Typeflag: tar.TypeSymlink}},
			"backup_tickets_2.json: is a symbolic link", 1},
		{"gap in numbering", []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch), vt.File("backup_tickets_3.json", vt.Batch(nil, nil, nil))},
			"backup_tickets_3.json: out of sequence: want backup_tickets_2.json here", 1},
		{"out of order", []vt.Entry{vt.File("backup_tickets_2.json", vt.Batch(nil, nil, nil)), vt.File("backup_tickets_1.json", vt.CleanBatch)},
			"backup_tickets_2.json: out of sequence: want backup_tickets_1.json here", 2},
		{"not starting at 1", []vt.Entry{vt.File("backup_tickets_0.json", vt.CleanBatch)},
			"backup_tickets_0.json: unexpected entry", 1},
		{"leading zero", []vt.Entry{vt.File("backup_tickets_01.json", vt.CleanBatch)},
			"backup_tickets_01.json: unexpected entry", 1},
		{"other name", []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch), vt.File("notes.txt", "hello")},
			"notes.txt: unexpected entry: the archive holds only backup_tickets_1.json .. backup_tickets_N.json (want backup_tickets_2.json here)", 1},
		{"name with a newline", []vt.Entry{vt.File("a\nb", "x")}, `"a\nb": unexpected entry`, 1},

		// The file's shape.
		{"empty file", []vt.Entry{vt.File("backup_tickets_1.json", "")}, "backup_tickets_1.json: is empty; want one JSON object", 1},
		{"top-level array", []vt.Entry{vt.File("backup_tickets_1.json", "[]")}, "backup_tickets_1.json: is an array; want a JSON object", 1},
		{"data null", []vt.Entry{vt.File("backup_tickets_1.json", `{"data":null}`)}, "backup_tickets_1.json: data: is null; want an object", 1},
		{"more data after the object", []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch+"\n{}")},
			"backup_tickets_1.json: more data after the JSON object at line 2, column 1", 1},
		{"truncated JSON", []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch[:40])},
			"backup_tickets_1.json: data.tickets.data[0]: invalid JSON at line 1, column 30 (byte 29): a string that starts here never ends; the rest of the file is not checked", 1},
		{"missing comma", []vt.Entry{vt.File("backup_tickets_1.json", `{"data" {}}`)},
			`backup_tickets_1.json: invalid JSON at line 1, column 9 (byte 8): want ':' after a key, found '{'`, 1},
		{"bad literal", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), "true", "tru", 1)))},
			"data.tickets.comments[0].public: invalid JSON at line 1, column 172 (byte 171): want a value, found 't'", 1},
		{"leading zero number", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), `"id":10`, `"id":010`, 1)))},
			"data.tickets.comments[0].id: invalid JSON at line 1, column 161 (byte 160): a number starts with 0 and goes on with digits", 1},
		{"byte order mark", []vt.Entry{vt.File("backup_tickets_1.json", "\ufeff"+vt.CleanBatch)},
			"backup_tickets_1.json: starts with a byte order mark; want JSON without one", 1},
		{"wrong top-level key order", []vt.Entry{vt.File("backup_tickets_1.json",
			`{"data":{"tickets":{"comments":[],"data":[],"users":[],"organizations":[]}}}`)},
			"backup_tickets_1.json: data.tickets: keys in the order comments, data, users, organizations; want data, comments, users, organizations", 1},
		{"missing array", []vt.Entry{vt.File("backup_tickets_1.json", `{"data":{"tickets":{"data":[],"comments":[],"users":[]}}}`)},
			"backup_tickets_1.json: data.tickets: missing key organizations; want exactly the keys data, comments, users, organizations, in that order", 1},
		{"extra top-level key", []vt.Entry{vt.File("backup_tickets_1.json", `{"data":{"tickets":{"data":[],"comments":[],"users":[],"organizations":[]}},"meta":{"x":[1,2]}}`)},
			"backup_tickets_1.json: meta: unexpected key; want exactly the keys data, in that order", 1},
		{"null array", []vt.Entry{vt.File("backup_tickets_1.json", `{"data":{"tickets":{"data":[],"comments":null,"users":[],"organizations":[]}}}`)},
			"backup_tickets_1.json: data.tickets.comments: is null; want an array ([] when empty)", 1},
		{"array of the wrong type", []vt.Entry{vt.File("backup_tickets_1.json", `{"data":{"tickets":{"data":{},"comments":[],"users":[],"organizations":[]}}}`)},
			"backup_tickets_1.json: data.tickets.data: is an object; want an array", 1},
		{"101 comments", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(1, 5)}, hundredAndOne, []string{vt.User(5, "")}))},
			"backup_tickets_1.json: data.tickets.comments: holds 101 objects; at most 100 per file", 1},
		{"organizations not empty", []vt.Entry{vt.File("backup_tickets_1.json", `{"data":{"tickets":{"data":[],"comments":[],"users":[],"organizations":[{"id":1}]}}}`)},
			"backup_tickets_1.json: data.tickets.organizations: holds 1 value; must be empty", 1},
		{"element not an object", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch(nil, []string{`17`}, nil))},
			"backup_tickets_1.json: data.tickets.comments[0]: is the number 17; want a comment object", 1},

		// Objects' keys.
		{"comment keys out of order", []vt.Entry{vt.File("backup_tickets_1.json", withComment(
			`{"created_at":"2021-01-01T10:05:00Z","id":10,"ticket_id":1,"public":true,"html_body":"x","author_id":5}`))},
			"backup_tickets_1.json: data.tickets.comments[0]: keys in the order created_at, id, ticket_id, public, html_body, author_id; want created_at, ticket_id, id, public, html_body, author_id", 1},
		{"extra user key", []vt.Entry{vt.File("backup_tickets_1.json", withUser(`{"name":"A","id":5,"email":"","phone":"555"}`))},
			"backup_tickets_1.json: data.tickets.users[0].phone: unexpected key; a user has exactly the keys name, id, email, in that order", 1},
		{"odd extra key", []vt.Entry{vt.File("backup_tickets_1.json", withUser(`{"name":"A","id":5,"email":"","a b":1}`))},
			`backup_tickets_1.json: data.tickets.users[0]["a b"]: unexpected key`, 1},
		{"missing ticket key", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00Z","id":1}`))},
			"backup_tickets_1.json: data.tickets.data[0]: missing key requester_id; a ticket has exactly the keys created_at, requester_id, id, in that order", 1},
		{"repeated key", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00Z","requester_id":5,"id":1,"id":2}`))},
			"backup_tickets_1.json: data.tickets.data[0].id: repeated key", 1},

		// Values.
		{"id as a string", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00Z","requester_id":5,"id":"1"}`))},
			`backup_tickets_1.json: data.tickets.data[0].id: is the string "1"; want an integer id from 1 to 9223372036854775807`, 1},
		{"id zero", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), `"id":10`, `"id":0`, 1)))},
			"data.tickets.comments[0].id: is 0; want an integer id", 1},
		{"id negative", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), `"id":10`, `"id":-10`, 1)))},
			"data.tickets.comments[0].id: is -10; want an integer id", 1},
		{"id with a fraction", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), `"id":10`, `"id":10.0`, 1)))},
			"data.tickets.comments[0].id: is 10.0; want an integer id", 1},
		{"id with an exponent", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), `"id":10`, `"id":1e1`, 1)))},
			"data.tickets.comments[0].id: is 1e1; want an integer id", 1},
		{"id past int64", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), `"id":10`, `"id":9223372036854775808`, 1)))},
			"data.tickets.comments[0].id: is 9223372036854775808; want an integer id", 1},
		{"largest id", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), `"id":10`, `"id":9223372036854775807`, 1)))},
			"", 0},
		{"author_id null", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), `"author_id":5`, `"author_id":null`, 1)))},
			"data.tickets.comments[0].author_id: is null; want an integer id", 1},
		{"created_at in the future", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2024-06-01T00:00:01Z","requester_id":5,"id":1}`))},
			`backup_tickets_1.json: data.tickets.data[0].created_at: "2024-06-01T00:00:01Z" is after the run started (2024-06-01T00:00:00Z)`, 1},
		{"created_at before 1970", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"1969-12-31T23:59:59Z","requester_id":5,"id":1}`))},
			`data.tickets.data[0].created_at: "1969-12-31T23:59:59Z" is before 1970-01-01T00:00:00Z`, 1},
		{"created_at with a space", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01 10:00:00Z","requester_id":5,"id":1}`))},
			`data.tickets.data[0].created_at: "2021-01-01 10:00:00Z" is not a UTC time written 2006-01-02T15:04:05Z`, 1},
		{"created_at with an offset", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00+00:00","requester_id":5,"id":1}`))},
			`data.tickets.data[0].created_at: "2021-01-01T10:00:00+00:00" is not a UTC time`, 1},
		{"created_at with a fraction", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00.5Z","requester_id":5,"id":1}`))},
			`is not a UTC time`, 1},
		{"created_at February 30", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2021-02-30T10:00:00Z","requester_id":5,"id":1}`))},
			`"2021-02-30T10:00:00Z" is not a UTC time`, 1},
		{"created_at second 60", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2016-12-31T23:59:60Z","requester_id":5,"id":1}`))},
			`"2016-12-31T23:59:60Z" is not a UTC time`, 1},
		{"created_at February 29 of a leap year", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2020-02-29T10:00:00Z","requester_id":5,"id":1}`))},
			"", 0},
		{"created_at escaped", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":"2021-01-01T10:00:00\u005a","requester_id":5,"id":1}`))},
			"", 0},
		{"created_at a number", []vt.Entry{vt.File("backup_tickets_1.json", withTicket(`{"created_at":1609495200,"requester_id":5,"id":1}`))},
			"data.tickets.data[0].created_at: is the number 1609495200; want a string such as 2006-01-02T15:04:05Z", 1},
		{"public a string", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), `"public":true`, `"public":"true"`, 1)))},
			`data.tickets.comments[0].public: is the string "true"; want true or false`, 1},
		{"html_body a number", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), `"html_body":"<p>Hi &amp; bye</p>"`, `"html_body":12`, 1)))},
			"data.tickets.comments[0].html_body: is the number 12; want a string", 1},
		{"email null", []vt.Entry{vt.File("backup_tickets_1.json", withUser(`{"name":"A","id":5,"email":null}`))},
			"data.tickets.users[0].email: is null; want a string (empty when the user has no email)", 1},
		{"name an array", []vt.Entry{vt.File("backup_tickets_1.json", withUser(`{"name":["A"],"id":5,"email":""}`))},
			"data.tickets.users[0].name: is an array; want a string", 1},
		{"invalid UTF-8", []vt.Entry{vt.File("backup_tickets_1.json", withComment(strings.Replace(vt.Comment(10, 1, 5), "Hi", "H\xe9i", 1)))},
			"backup_tickets_1.json: data.tickets.comments[0].html_body: invalid UTF-8 at byte", 1},
		{"invalid UTF-8 in a key", []vt.Entry{vt.File("backup_tickets_1.json", withUser(`{"name":"A","id":5,"email":"","x`+"\xff"+`":1}`))},
			"data.tickets.users[0]: invalid UTF-8 at byte", 2},
		{"raw control character", []vt.Entry{vt.File("backup_tickets_1.json", withUser("{\"name\":\"A\tB\",\"id\":5,\"email\":\"\"}"))},
			"data.tickets.users[0].name: raw control character U+0009 at byte", 1},
		{"bad escape", []vt.Entry{vt.File("backup_tickets_1.json", withUser(`{"name":"A\xB","id":5,"email":""}`))},
			`data.tickets.users[0].name: bad escape "\\x" at byte`, 1},
		{"bad unicode escape", []vt.Entry{vt.File("backup_tickets_1.json", withUser(`{"name":"A\u12G4","id":5,"email":""}`))},
			`data.tickets.users[0].name: bad escape \u at byte`, 1},

		// Across files.
		{"duplicate ticket id", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(1, 5), vt.Ticket(3, 5)}, []string{vt.Comment(10, 1, 5)}, []string{vt.User(5, "")})),
			vt.File("backup_tickets_2.json", vt.Batch([]string{vt.Ticket(2, 5), vt.Ticket(1, 5)}, nil, nil))},
			"backup_tickets_2.json: data.tickets.data[1].id: ticket id 1 is already used by backup_tickets_1.json data.tickets.data[0].id", 1},
		{"duplicate comment id", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(1, 5)}, []string{vt.Comment(10, 1, 5), vt.Comment(10, 1, 5)}, []string{vt.User(5, "")}))},
			"backup_tickets_1.json: data.tickets.comments[1].id: comment id 10 is already used by backup_tickets_1.json data.tickets.comments[0].id", 1},
		{"duplicate user id", []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch), vt.File("backup_tickets_2.json", vt.Batch(nil, nil, []string{vt.User(5, "bob@example.com")}))},
			"backup_tickets_2.json: data.tickets.users[0].id: user id 5 is already used by backup_tickets_1.json data.tickets.users[0].id", 1},
		{"same id, different kinds", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(5, 5)}, []string{vt.Comment(5, 5, 5)}, []string{vt.User(5, "")}))},
			"", 0},
		{"duplicate email differing in case", []vt.Entry{vt.File("backup_tickets_1.json", vt.CleanBatch), vt.File("backup_tickets_2.json", vt.Batch(nil, nil, []string{vt.User(6, "Ann@Example.COM")}))},
			`backup_tickets_2.json: data.tickets.users[0].email: "Ann@Example.COM" is already the email of backup_tickets_1.json data.tickets.users[0].email (emails are compared trimmed and lowercased)`, 1},
		{"duplicate email, non-ASCII case", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch(nil, nil, []string{vt.User(5, "ärger@example.com"), vt.User(6, "ÄRGER@example.com")}))},
			`data.tickets.users[1].email: "ÄRGER@example.com" is already the email of`, 1},
		{"duplicate email, escaped", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch(nil, nil, []string{vt.User(5, "ann@example.com"), `{"name":"A","id":6,"email":"\u0041nn\u0040example.com"}`}))},
			`data.tickets.users[1].email: "Ann@example.com" is already the email of`, 1},
		{"duplicate email differing in spaces", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch(nil, nil, []string{vt.User(5, "ann@example.com"), vt.User(6, " Ann@example.com\t")}))},
			`data.tickets.users[1].email: " Ann@example.com\t" is already the email of`, 1},
		{"blank emails repeat freely", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch(nil, nil, []string{vt.User(5, " "), vt.User(6, " ")}))},
			"", 0},
		{"empty emails repeat freely", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch(nil, nil, []string{vt.User(5, ""), vt.User(6, ""), vt.User(7, "")}))},
			"", 0},
		{"unknown ticket", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(1, 5)}, []string{vt.Comment(10, 999, 5)}, []string{vt.User(5, "")}))},
			"backup_tickets_1.json: data.tickets.comments[0].ticket_id: 999 names no ticket in the archive", 1},
		{"unknown author", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(1, 5)}, []string{vt.Comment(10, 1, 999)}, []string{vt.User(5, "")}))},
			"backup_tickets_1.json: data.tickets.comments[0].author_id: 999 names no user in the archive (", 1},
		{"unknown requester", []vt.Entry{vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(1, 998)}, []string{vt.Comment(10, 1, 5)}, []string{vt.User(5, "")}))},
			"backup_tickets_1.json: data.tickets.data[0].requester_id: 998 names no user in the archive", 1},
		{"references to later files", []vt.Entry{
			vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(1, 6)}, []string{vt.Comment(10, 2, 6)}, []string{vt.User(7, "")})),
			vt.File("backup_tickets_2.json", vt.Batch([]string{vt.Ticket(2, 6)}, nil, []string{vt.User(6, "")}))},
			"", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := check(t, vt.Archive(t, tt.entries), testConfig())
			if res.Violations != tt.count {
				t.Errorf("%d violations, want %d; output:\n%s", res.Violations, tt.count, out)
			}
			if got := strings.Count(out, "\n"); got != tt.count {
				t.Errorf("%d lines, want %d; output:\n%s", got, tt.count, out)
			}
			if tt.want != "" && !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q; output:\n%s", tt.want, out)
			}
		})
	}
}

func TestEmptyArchive(t *testing.T) {
	for _, tt := range []struct {
		name string
		data func(t *testing.T) []byte
	}{
		{"empty tar", func(t *testing.T) []byte { return vt.Archive(t, nil) }},
		{"empty gzip stream", func(t *testing.T) []byte {
			var buf bytes.Buffer
			gz := gzip.NewWriter(&buf)
			gz.Close()
			return buf.Bytes()
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, res := check(t, tt.data(t), testConfig())
			if out != "" || res.Violations != 0 || res.Partial {
				t.Fatalf("got %q, %+v; want a clean archive", out, res)
			}
		})
	}
}

func TestOrderAndLimit(t *testing.T) {
	// Each file: a wrong mode, a bad created_at, a duplicate comment id and
	// 100 comments naming a missing ticket. The files' own violations come
	// first, file by file, then the repeated ids, then the references.
	var entries []vt.Entry
	id := int64(1)
	for n := 1; n <= 11; n++ {
		comments := make([]string, 100)
		for i := range comments {
			comments[i] = vt.Comment(id, 999, 5)
			id++
		}
		comments[1] = vt.Comment(id-100, 999, 5)
		comments[2] = strings.Replace(comments[2], "2021-01-01T10:05:00Z", "2099-01-01T00:00:00Z", 1)
		entries = append(entries, vt.Entry{Name: fmt.Sprintf("backup_tickets_%d.json", n), Mode: 0o600, Typeflag: tar.TypeReg,
			Content: vt.Batch(nil, comments, []string{vt.User(int64(5+n*1000), "")})})
	}
	entries[0].Content = strings.Replace(entries[0].Content, `"users":[{"name":"User 1005","id":1005`, `"users":[{"name":"User 5","id":5`, 1)
	out, res := check(t, vt.Archive(t, entries), testConfig())
	want := 11*3 + 11*100
	if res.Violations != want {
		t.Fatalf("%d violations, want %d", res.Violations, want)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != MaxPrinted+1 {
		t.Fatalf("%d lines, want %d", len(lines), MaxPrinted+1)
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
	if w := fmt.Sprintf("... and %d more violations (%d in all)", want-MaxPrinted, want); lines[MaxPrinted] != w {
		t.Errorf("last line %q, want %q", lines[MaxPrinted], w)
	}
}

func TestGenerated(t *testing.T) {
	out, res := check(t, vt.GeneratedArchive(t, 30), testConfig())
	if out != "" || res.Violations != 0 || res.Partial {
		t.Fatalf("got %q, %+v; want a clean archive", out, res)
	}
}

// TestSparseIDs covers ids too far apart for a bitmap, where the sets are
// sorted lists instead.
func TestSparseIDs(t *testing.T) {
	const big = int64(1) << 60
	entries := []vt.Entry{
		vt.File("backup_tickets_1.json", vt.Batch(
			[]string{vt.Ticket(1, 5), vt.Ticket(big, big+5), vt.Ticket(9, 5)},
			[]string{vt.Comment(big+1, big, 5), vt.Comment(7, 1, big+5), vt.Comment(8, big+3, 5)},
			[]string{vt.User(5, ""), vt.User(big+5, ""), vt.User(9, "")})),
		vt.File("backup_tickets_2.json", vt.Batch(
			[]string{vt.Ticket(big, 5)},
			[]string{vt.Comment(big+1, 1, 6)},
			[]string{vt.User(big+5, "")})),
	}
	cfg := testConfig()
	cfg.TicketUserIDs, cfg.TicketUsersMissing = []int64{6}, false
	out, res := check(t, vt.Archive(t, entries), cfg)
	want := fmt.Sprintf(`backup_tickets_2.json: data.tickets.data[0].id: ticket id %[1]d is already used by backup_tickets_1.json data.tickets.data[1].id
backup_tickets_2.json: data.tickets.comments[0].id: comment id %[2]d is already used by backup_tickets_1.json data.tickets.comments[0].id
backup_tickets_2.json: data.tickets.users[0].id: user id %[3]d is already used by backup_tickets_1.json data.tickets.users[1].id
backup_tickets_1.json: data.tickets.comments[2].ticket_id: %[4]d names no ticket in the archive
`, big, big+1, big+5, big+3)
	if out != want || res.Violations != 4 {
		t.Errorf("got %+v, output:\n%s\nwant:\n%s", res, out, want)
	}
}

func TestSyntaxErrorSkipsReferences(t *testing.T) {
	// The second file breaks off before its users: requester 6 would be
	// reported falsely.
	entries := []vt.Entry{
		vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(1, 6)}, nil, nil)),
		vt.File("backup_tickets_2.json", `{"data":{"tickets":{"data":[],"comments":[],"users":[{"name":"A","id":6,"email":""`),
	}
	out, res := check(t, vt.Archive(t, entries), testConfig())
	if res.Violations != 1 || !res.Partial || !strings.Contains(out, "backup_tickets_2.json: data.tickets.users[0]: invalid JSON") {
		t.Errorf("%+v, output:\n%s", res, out)
	}
}

func TestModTimes(t *testing.T) {
	newest := time.Date(2021, 1, 1, 10, 5, 0, 0, time.UTC).Unix() // the comment's created_at
	at := func(mtime int64) []vt.Entry {
		return []vt.Entry{
			{Name: "backup_tickets_1.json", Mode: 0o644, Typeflag: tar.TypeReg, Content: vt.CleanBatch, MTime: mtime},
			{Name: "backup_tickets_2.json", Mode: 0o644, Typeflag: tar.TypeReg, Content: vt.Batch([]string{vt.Ticket(2, 5)}, nil, nil), MTime: mtime},
		}
	}
	mixed := at(newest)
	mixed[1].MTime = newest - 1
	tests := []struct {
		name    string
		entries []vt.Entry
		epoch   time.Time
		want    string
	}{
		{"newest created_at", at(newest), time.Time{}, ""},
		{"SOURCE_DATE_EPOCH", at(1234567890), time.Unix(1234567890, 0), ""},
		{"not the newest created_at", at(newest + 60), time.Time{},
			"backup_tickets_1.json: modification time 2021-01-01T10:06:00Z; want 2021-01-01T10:05:00Z, the newest created_at in the archive (SOURCE_DATE_EPOCH is not set) (and 1 more entries like it)\n"},
		{"not SOURCE_DATE_EPOCH", at(newest), time.Unix(1234567890, 0),
			"backup_tickets_1.json: modification time 2021-01-01T10:05:00Z; want 2009-02-13T23:31:30Z, SOURCE_DATE_EPOCH (and 1 more entries like it)\n"},
		{"one entry differs", mixed, time.Time{},
			"backup_tickets_2.json: modification time 2021-01-01T10:04:59Z; want 2021-01-01T10:05:00Z, the newest created_at in the archive (SOURCE_DATE_EPOCH is not set)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.SourceDateEpoch = tt.epoch
			out, res := check(t, vt.Archive(t, tt.entries), cfg)
			if out != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out, tt.want)
			}
			if want := strings.Count(tt.want, "\n"); res.Violations != want {
				t.Errorf("%d violations, want %d", res.Violations, want)
			}
		})
	}
}

// TestProgress checks that every compressed byte read reaches
// Config.Progress, which the step feeds to its progress bar.
func TestProgress(t *testing.T) {
	data := vt.GeneratedArchive(t, 3)
	cfg := testConfig()
	var calls, total int64
	cfg.Progress = func(n int64) {
		if n < 0 {
			t.Errorf("progress %d", n)
		}
		calls++
		total += n
	}
	if out, res := check(t, data, cfg); out != "" || res.Violations != 0 {
		t.Fatalf("%+v, %q", res, out)
	}
	if calls == 0 || total != int64(len(data)) {
		t.Errorf("progress got %d bytes in %d calls, want the archive's %d", total, calls, len(data))
	}
}

func TestKnownUser(t *testing.T) {
	// Author 900 was written by an earlier run; requester 901 by none.
	entries := []vt.Entry{vt.File("backup_tickets_1.json",
		vt.Batch([]string{vt.Ticket(1, 901)}, []string{vt.Comment(10, 1, 900)}, nil))}
	cfg := testConfig()
	cfg.TicketUserIDs, cfg.TicketUsersMissing = []int64{5}, false
	cfg.KnownUser = func(id int64) bool { return id == 900 }
	cfg.KnownUsers = "migrate.db"
	out, res := check(t, vt.Archive(t, entries), cfg)
	want := "backup_tickets.tar.gz: data.tickets.data[0].requester_id: 901 names no user in the archive or in ticket_platform_users.csv or in migrate.db\n"
	want = strings.Replace(want, "backup_tickets.tar.gz", "backup_tickets_1.json", 1)
	if out != want || res.Violations != 1 {
		t.Errorf("%+v, output:\n%s\nwant:\n%s", res, out, want)
	}
}

func TestNotGzip(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("backup_tickets_1.json\n")} {
		_, err := Archive(context.Background(), bytes.NewReader(data), testConfig())
		if !errors.Is(err, ErrNotGzip) || !strings.Contains(err.Error(), "backup_tickets.tar.gz is not a gzip-compressed tar archive") {
			t.Errorf("%q: error %v, want ErrNotGzip naming the archive", data, err)
		}
	}
}
