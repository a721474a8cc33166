package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// exportTable is a chat export before it is written in some shape: a
// header and rows of fields (a malformed row may be shorter).
type exportTable struct {
	header []string
	rows   [][]string
}

// canonicalExport is one small set of conversations in the seed's shape,
// with a defect or two, multi-line bodies, quotes, and every delimiter
// inside a body. Its ticket fields are the ones SPEC section 3 derives when
// the columns are absent: created_at the earliest valid COMMENT_CREATED_AT
// of the conversation, requester the author of its first valid message
// (conversation 200 starts with an invalid record and has its earliest
// message last; conversation 400 has no valid message, so null ticket
// fields), so that an export without them gives the same archive.
func canonicalExport() exportTable {
	return exportTable{
		header: []string{"CONVERSATION_ID", "COMMENT_PART_ID", "AUTHOR_ID", "NAME", "EMAIL", "BODY", "COMMENT_PUBLIC", "COMMENT_CREATED_AT", "TICKET_CREATED_AT", "TICKET_REQUESTER_ID"},
		rows: [][]string{
			{"100", "1001", "5", "Ann Visitor", "ann@example.com", "Hello, I need help; my order | is late", "true", "2021-01-01T10:00:00Z", "2021-01-01T10:00:00Z", "5"},
			{"100", "1002", "7", "Agent Bob", "bob@support.test", "Hi \"Ann\" <welcome> & more\nline two\twith a tab", "true", "2021-01-01T10:01:30Z", "2021-01-01T10:00:00Z", "5"},
			{"100", "1003", "7", "Agent Bob", "bob@support.test", "Internal: refund approved, € 20", "false", "2021-01-01T10:02:00Z", "2021-01-01T10:00:00Z", "5"},
			{"100", "1001", "5", "Ann Visitor", "ann@example.com", "Hello, I need help; my order | is late", "true", "2021-01-01T10:00:00Z", "2021-01-01T10:00:00Z", "5"},
			{"200", "2001", "9", "Chloé Martin", "chloe@example.fr", "Bonjour, ça va ?", "true", "not a date", "2021-02-01T09:15:00Z", "9"},
			{"200", "2002", "9", "Chloé Martin", "chloe@example.fr", "Deuxième message\nsur deux lignes", "true", "2021-02-01T09:30:00Z", "2021-02-01T09:15:00Z", "9"},
			{"200", "2003", "7", "Agent Bob", "bob@support.test", "Earlier reply, exported late", "true", "2021-02-01T09:15:00Z", "2021-02-01T09:15:00Z", "9"},
			{"300", "3001", "11", "Dan", "NULL", "Message from Dan with <b>html</b> & stuff", "false", "2021-03-01T08:00:00Z", "2021-03-01T08:00:00Z", "11"},
			{"300", "3002", "11"},
			{"300", "3003", "13", "Ann Visitor", "ANN@example.com", "Second account of Ann", "true", "2021-03-01T08:05:00Z", "2021-03-01T08:00:00Z", "11"},
			{"300", "3001", "11", "Dan", "NULL", "A different body: conflicting duplicate", "false", "2021-03-01T08:00:00Z", "2021-03-01T08:00:00Z", "11"},
			{"300", "3004", "11", "Dan", "not an email", "Short", "true", "2021-03-01T08:06:00Z", "2021-03-01T08:00:00Z", "11"},
			{"400", "4001", "5", "Ann Visitor", "ann@example.com", "", "true", "2021-04-01T00:00:00Z", "NULL", "NULL"},
		},
	}
}

func (t exportTable) clone() exportTable {
	c := exportTable{header: slices.Clone(t.header)}
	for _, r := range t.rows {
		c.rows = append(c.rows, slices.Clone(r))
	}
	return c
}

func (t exportTable) col(name string) int { return slices.Index(t.header, name) }

// mapColumn changes the values of a column in the well-formed rows.
func (t exportTable) mapColumn(name string, f func(string) string) exportTable {
	c, j := t.clone(), t.col(name)
	for _, r := range c.rows {
		if len(r) == len(c.header) {
			r[j] = f(r[j])
		}
	}
	return c
}

// drop removes columns from the header and the well-formed rows.
func (t exportTable) drop(names ...string) exportTable {
	return t.reorder(slices.DeleteFunc(slices.Clone(t.header), func(h string) bool { return slices.Contains(names, h) }))
}

// reorder keeps the columns named, in that order.
func (t exportTable) reorder(order []string) exportTable {
	c := exportTable{header: slices.Clone(order)}
	for _, r := range t.rows {
		if len(r) != len(t.header) {
			c.rows = append(c.rows, slices.Clone(r))
			continue
		}
		row := make([]string, len(order))
		for i, name := range order {
			row[i] = r[t.col(name)]
		}
		c.rows = append(c.rows, row)
	}
	return c
}

// rename renames columns (old: new).
func (t exportTable) rename(names map[string]string) exportTable {
	c := t.clone()
	for i, h := range c.header {
		if n, ok := names[h]; ok {
			c.header[i] = n
		}
	}
	return c
}

// text writes the table as CSV with delim, quoting a field that holds the
// delimiter, a quote or a line break.
func (t exportTable) text(delim byte, crlf bool) string {
	var b strings.Builder
	eol := "\n"
	if crlf {
		eol = "\r\n"
	}
	write := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(delim)
			}
			if strings.ContainsAny(f, string(delim)+"\"\r\n") {
				f = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
			}
			b.WriteString(f)
		}
		b.WriteString(eol)
	}
	write(t.header)
	for _, r := range t.rows {
		write(r)
	}
	return b.String()
}

// timestamps rewrites the valid timestamps of both timestamp columns.
func (t exportTable) timestamps(f func(time.Time) string) exportTable {
	conv := func(v string) string {
		tm, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return v
		}
		return f(tm)
	}
	return t.mapColumn("COMMENT_CREATED_AT", conv).mapColumn("TICKET_CREATED_AT", conv)
}

// exportShape is one way of writing the canonical export.
type exportShape struct {
	name string
	// base changes the canonical export into the one this shape must give
	// the same archive as (nil: the canonical one itself).
	base func(exportTable) exportTable
	// shape writes the base otherwise.
	shape    func(exportTable) exportTable
	delim    byte   // 0: ','
	crlf     bool   // \r\n line ends
	encode   string // "", "bom", "utf-16le", "utf-16be", "windows-1252"
	compress string // "", "gzip", "zstd"
	mapping  string // a mapping file's content
	args     []string
}

func exportShapes() []exportShape {
	same := func(t exportTable) exportTable { return t }
	renamed := func(t exportTable) exportTable {
		return t.rename(map[string]string{
			"CONVERSATION_ID": "conversation_id", "COMMENT_PART_ID": "message_id", "AUTHOR_ID": "author_id",
			"NAME": "author_name", "EMAIL": "author_email", "BODY": "message_body", "COMMENT_PUBLIC": "is_public",
			"COMMENT_CREATED_AT": "sent_at", "TICKET_CREATED_AT": "conversation_created_at", "TICKET_REQUESTER_ID": "requester_id",
		}).reorder([]string{"message_body", "sent_at", "author_email", "author_name", "requester_id", "conversation_created_at", "is_public", "author_id", "message_id", "conversation_id"})
	}
	allPublic := func(t exportTable) exportTable {
		return t.mapColumn("COMMENT_PUBLIC", func(string) string { return "true" })
	}
	nulled := func(col string) func(exportTable) exportTable {
		return func(t exportTable) exportTable {
			return t.mapColumn(col, func(string) string { return "" })
		}
	}
	words := func(yes, no string) func(exportTable) exportTable {
		return func(t exportTable) exportTable {
			return t.mapColumn("COMMENT_PUBLIC", func(v string) string {
				if v == "true" {
					return yes
				}
				return no
			})
		}
	}
	return []exportShape{
		{name: "canonical", shape: same},
		{name: "crlf", shape: same, crlf: true},
		{name: "semicolon", shape: same, delim: ';'},
		{name: "semicolon given", shape: same, delim: ';', args: []string{"--delimiter", ";"}},
		{name: "pipe", shape: same, delim: '|'},
		{name: "tab", shape: same, delim: '\t'},
		{name: "tab given", shape: same, delim: '\t', args: []string{"--delimiter", `\t`}},
		{name: "utf-8 bom", shape: same, encode: "bom"},
		{name: "utf-16le", shape: same, encode: "utf-16le", crlf: true},
		{name: "utf-16be", shape: same, encode: "utf-16be"},
		{name: "windows-1252", shape: same, encode: "windows-1252", args: []string{"--encoding", "windows-1252"}},
		{name: "latin1 label, semicolons, crlf", shape: same, encode: "windows-1252", delim: ';', crlf: true, args: []string{"--encoding", "latin1"}},
		{name: "gzip", shape: same, compress: "gzip"},
		{name: "zstd", shape: same, compress: "zstd"},
		{name: "zstd utf-16le tab", shape: same, compress: "zstd", encode: "utf-16le", delim: '\t'},
		{name: "gzip windows-1252 pipe via mapping", shape: same, compress: "gzip", encode: "windows-1252", delim: '|',
			mapping: "encoding: windows-1252\ndelimiter: \"|\"\n"},
		{name: "renamed and reordered, mapping file", shape: renamed, mapping: `columns:
  CONVERSATION_ID: conversation_id
  COMMENT_PART_ID: message_id
  AUTHOR_ID: author_id
  NAME: author_name
  EMAIL: author_email
  BODY: message_body
  COMMENT_PUBLIC: is_public
  COMMENT_CREATED_AT: sent_at
  TICKET_CREATED_AT: conversation_created_at
  TICKET_REQUESTER_ID: requester_id
`},
		{name: "renamed and reordered, --columns", shape: renamed, args: []string{"--columns",
			"CONVERSATION_ID=conversation_id,COMMENT_PART_ID=message_id,AUTHOR_ID=author_id,NAME=author_name,EMAIL=author_email," +
				"BODY=message_body,COMMENT_PUBLIC=is_public,COMMENT_CREATED_AT=sent_at,TICKET_CREATED_AT=conversation_created_at,TICKET_REQUESTER_ID=requester_id"}},
		{name: "--columns wins over the file pair by pair", shape: renamed,
			mapping: "columns:\n  CONVERSATION_ID: conversation_id\n  BODY: nope\n  COMMENT_PART_ID: message_id\n",
			args:    []string{"--columns", "BODY=message_body,AUTHOR_ID=author_id,NAME=author_name,EMAIL=author_email,COMMENT_PUBLIC=is_public,COMMENT_CREATED_AT=sent_at,TICKET_CREATED_AT=conversation_created_at,TICKET_REQUESTER_ID=requester_id"}},
		{name: "a flag given wins over the file", shape: same, delim: ';',
			mapping: "delimiter: \"|\"\ntimezone: Mars/Olympus\nencoding: shift_jis\n",
			args:    []string{"--delimiter", ";", "--timezone", "UTC", "--encoding", "auto"}},
		{name: "header names in other case and spaced", shape: func(t exportTable) exportTable {
			return t.rename(map[string]string{"BODY": "  body ", "NAME": "Name"})
		}},
		{name: "ticket columns absent", shape: func(t exportTable) exportTable { return t.drop("TICKET_CREATED_AT", "TICKET_REQUESTER_ID") }},
		{name: "ticket created_at absent", shape: func(t exportTable) exportTable { return t.drop("TICKET_CREATED_AT") }},
		{name: "ticket requester absent", shape: func(t exportTable) exportTable { return t.drop("TICKET_REQUESTER_ID") }},
		{name: "public absent, --public-default", base: allPublic, shape: func(t exportTable) exportTable { return t.drop("COMMENT_PUBLIC") },
			args: []string{"--public-default", "true"}},
		{name: "public absent, public_default in the mapping", base: allPublic, shape: func(t exportTable) exportTable { return t.drop("COMMENT_PUBLIC") },
			mapping: "public_default: true\n"},
		{name: "name absent", base: nulled("NAME"), shape: func(t exportTable) exportTable { return t.drop("NAME") }},
		{name: "email absent", base: nulled("EMAIL"), shape: func(t exportTable) exportTable { return t.drop("EMAIL") }},
		{name: "yes and no", shape: words("yes", "no")},
		{name: "added words", shape: words("Visible", "NOTE"), args: []string{"--true-values", "visible", "--false-values", "note,whisper"}},
		{name: "added words in the mapping", shape: words("comment", "note"), mapping: "true_values: [comment]\nfalse_values: [note]\n"},
		{name: "+00 as PostgreSQL writes it", shape: func(t exportTable) exportTable {
			return t.timestamps(func(tm time.Time) string { return tm.Format("2006-01-02 15:04:05") + "+00" })
		}},
		{name: "+HH offsets", shape: func(t exportTable) exportTable {
			return t.timestamps(func(tm time.Time) string {
				return tm.In(time.FixedZone("", -5*3600)).Format("2006-01-02 15:04:05.000") + "-05"
			})
		}},
		{name: "zone after a space", shape: func(t exportTable) exportTable {
			return t.timestamps(func(tm time.Time) string { return tm.In(time.FixedZone("", 5400)).Format("2006-01-02T15:04:05 -07:00") })
		}},
		{name: " GMT", shape: func(t exportTable) exportTable {
			return t.timestamps(func(tm time.Time) string { return tm.Format("2006-01-02 15:04:05") + " GMT" })
		}},
		{name: " utc", shape: func(t exportTable) exportTable {
			return t.timestamps(func(tm time.Time) string { return tm.Format("2006-01-02T15:04:05") + " utc" })
		}},
		{name: "zone-less in --timezone", shape: func(t exportTable) exportTable {
			loc, _ := time.LoadLocation("Europe/Berlin")
			return t.timestamps(func(tm time.Time) string { return tm.In(loc).Format("2006-01-02 15:04:05") })
		}, args: []string{"--timezone", "Europe/Berlin"}},
		{name: "strftime, month first", shape: func(t exportTable) exportTable {
			return t.timestamps(func(tm time.Time) string { return tm.Format("1/2/2006 3:04:05 PM") })
		}, args: []string{"--timestamp-format", "%m/%d/%Y %I:%M:%S %p"}},
		{name: "strftime in the mapping, day first, zone-less in its timezone", shape: func(t exportTable) exportTable {
			loc, _ := time.LoadLocation("America/New_York")
			return t.timestamps(func(tm time.Time) string { return tm.In(loc).Format("02.01.2006 15:04:05") })
		}, mapping: "timezone: America/New_York\ntimestamp_formats: [\"%d.%m.%Y %H:%M:%S\"]\n"},
		{name: "everything at once", shape: func(t exportTable) exportTable {
			return words("comment", "note")(renamed(t).drop("conversation_created_at", "requester_id").rename(map[string]string{"sent_at": "Created"}).
				rename(map[string]string{"is_public": "COMMENT_PUBLIC"})).mapColumn("Created", func(v string) string {
				tm, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return v
				}
				return tm.Format("Jan 2, 2006 3:04:05 pm")
			})
		}, delim: ';', encode: "utf-16be", compress: "gzip", crlf: true,
			mapping: "columns:\n  CONVERSATION_ID: conversation_id\n  COMMENT_PART_ID: message_id\n  AUTHOR_ID: author_id\n  NAME: author_name\n" +
				"  EMAIL: author_email\n  BODY: message_body\n  COMMENT_CREATED_AT: created\n" +
				"timestamp_formats: [\"%b %d, %Y %I:%M:%S %p\"]\ntrue_values: [comment]\nfalse_values: [note]\n"},
	}
}

// writeShape writes t as the shape says and returns the file's bytes.
func writeShape(t *testing.T, s exportShape, table exportTable) []byte {
	t.Helper()
	delim := s.delim
	if delim == 0 {
		delim = ','
	}
	text := table.text(delim, s.crlf)
	var data []byte
	var err error
	switch s.encode {
	case "":
		data = []byte(text)
	case "bom":
		data = append([]byte{0xEF, 0xBB, 0xBF}, text...)
	case "utf-16le":
		data, err = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
	case "utf-16be":
		data, err = unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
	case "windows-1252":
		data, err = charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	default:
		t.Fatalf("unknown encoding %q", s.encode)
	}
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	switch s.compress {
	case "":
		return data
	case "gzip":
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
	case "zstd":
		zw, _ := zstd.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
	}
	return buf.Bytes()
}

// shapeTicketUsers is the ticket platform's file of the shape tests: Ann
// matches a ticket platform user, the others keep their chat ids.
const shapeTicketUsers = "id,email\n1000,ann@example.com\n1001,someone@else.test\n"

// shapeResult is what one run wrote.
type shapeResult struct {
	archive, merged []byte
	rejects         []string   // record and reason of each row of rejects.csv
	rejectsRows     [][]string // rejects.csv without raw, the text as read
	stderr          string
}

// runShape writes an export and, when given, a mapping file, and runs
// chat-users, merge-users and build on them with SOURCE_DATE_EPOCH fixed.
func runShape(t *testing.T, data []byte, mapping string, args ...string) (shapeResult, error) {
	t.Helper()
	dir := t.TempDir()
	chat := filepath.Join(dir, "export.dat") // the name says nothing: the bytes do
	tp := filepath.Join(dir, "tp.csv")
	if err := os.WriteFile(chat, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tp, []byte(shapeTicketUsers), 0o600); err != nil {
		t.Fatal(err)
	}
	if mapping != "" {
		path := filepath.Join(dir, "mapping.yaml")
		if err := os.WriteFile(path, []byte(mapping), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--mapping", path)
	}
	work := filepath.Join(dir, "work")
	full := append([]string{"--steps", "chat-users,merge-users,build,verify", "--chat-csv", chat, "--ticket-users", tp,
		"--work-dir", work, "--max-reject-rate", "1", "--quiet"}, args...)
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return ""
	}
	err := run(context.Background(), full, &stdout, &stderr, getenv)
	var res shapeResult
	res.stderr = stderr.String()
	res.archive, _ = os.ReadFile(filepath.Join(work, "backup_tickets.tar.gz"))
	res.merged, _ = os.ReadFile(filepath.Join(work, "merged_users.csv"))
	if raw, rerr := os.ReadFile(filepath.Join(work, "rejects.csv")); rerr == nil {
		rows, cerr := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if cerr != nil {
			t.Fatalf("rejects.csv: %v", cerr)
		}
		for _, r := range rows[1:] {
			res.rejects = append(res.rejects, r[0]+" "+r[2])
		}
		for _, r := range rows {
			res.rejectsRows = append(res.rejectsRows, r[:len(r)-1])
		}
	}
	return res, err
}

// TestExportShapes writes one set of conversations in many shapes and
// checks that each gives the archive its canonical shape gives, byte for
// byte (SPEC section 11: a mapping changes how values are read, never what
// is written), and the same users and rejected records.
func TestExportShapes(t *testing.T) {
	canonical := canonicalExport()
	want := map[string]shapeResult{}
	for _, s := range exportShapes() {
		t.Run(s.name, func(t *testing.T) {
			base := canonical
			key := "canonical"
			if s.base != nil {
				base, key = s.base(canonical), s.name
			}
			expected, ok := want[key]
			if !ok {
				var err error
				expected, err = runShape(t, writeShape(t, exportShape{}, base), "")
				if err != nil {
					t.Fatalf("the canonical shape: %v", err)
				}
				want[key] = expected
			}
			got, err := runShape(t, writeShape(t, s, s.shape(base.clone())), s.mapping, s.args...)
			if err != nil {
				t.Fatalf("%v\nstderr: %s", err, got.stderr)
			}
			if len(expected.archive) == 0 || !bytes.Equal(got.archive, expected.archive) {
				t.Errorf("the archive differs from the canonical shape's")
			}
			if !bytes.Equal(got.merged, expected.merged) {
				t.Errorf("merged_users.csv differs:\n%s\nwant:\n%s", got.merged, expected.merged)
			}
			if !slices.Equal(got.rejects, expected.rejects) {
				t.Errorf("rejected records %q, want %q", got.rejects, expected.rejects)
			}
			// The same table in another encoding, compression or delimiter:
			// rejects.csv, whose raw values of records rejected after parsing
			// are read again through the same chain, is the same too (but for
			// raw, a malformed record's text as read).
			if table := s.shape(base.clone()); slices.Equal(table.header, base.header) && reflect.DeepEqual(table.rows, base.rows) &&
				!reflect.DeepEqual(got.rejectsRows, expected.rejectsRows) {
				t.Errorf("rejects.csv differs:\n%q\nwant:\n%q", got.rejectsRows, expected.rejectsRows)
			}
		})
	}
}

// TestExportShapeNotes checks what a person is told about a shape: the
// delimiter auto chose when it is not ",", and an export without EMAIL.
func TestExportShapeNotes(t *testing.T) {
	table := canonicalExport()
	data := writeShape(t, exportShape{delim: ';'}, table)
	dir := t.TempDir()
	chat := filepath.Join(dir, "chat.csv")
	os.WriteFile(chat, data, 0o600)
	var stdout, stderr bytes.Buffer
	args := []string{"--steps", "chat-users", "--chat-csv", chat, "--work-dir", filepath.Join(dir, "w")}
	if err := run(context.Background(), args, &stdout, &stderr, noEnv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), `--delimiter auto chose ";"`) {
		t.Errorf("stderr does not say which delimiter auto chose:\n%s", stderr.String())
	}
	stderr.Reset()
	if err := run(context.Background(), append(args, "--quiet"), &stdout, &stderr, noEnv); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), "delimiter") {
		t.Errorf("--quiet printed the delimiter: %s", stderr.String())
	}

	res, err := runShape(t, writeShape(t, exportShape{}, table.drop("EMAIL")), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.stderr, "no EMAIL column") || !strings.Contains(res.stderr, "no chat user can match a ticket platform user") {
		t.Errorf("no warning about the missing EMAIL column:\n%s", res.stderr)
	}
}

func TestCanonicalShapeRejects(t *testing.T) {
	res, err := runShape(t, writeShape(t, exportShape{}, canonicalExport()), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"5 bad_created_at", "9 malformed_row", "11 conflicting_duplicate", "13 empty_body"}
	if !slices.Equal(res.rejects, want) {
		t.Errorf("rejects %q, want %q", res.rejects, want)
	}
}
