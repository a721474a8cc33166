package verify

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"time"

	vt "github.com/migrate-tool/migrate/internal/verify/verifytest"
)

// scanJSON runs a Scanner over one file's JSON and returns its violations
// in file order and the records it kept.
func scanJSON(t *testing.T, data string) ([]string, *records, bool) {
	t.Helper()
	s := Scanner{Now: vt.Now.Unix()}
	e := &entry{data: []byte(data)}
	s.scan(e)
	var bad []string
	for _, v := range e.bad {
		bad = append(bad, v.text)
	}
	return bad, e.records, s.failed
}

func TestScanner(t *testing.T) {
	tests := []struct {
		name   string
		json   string
		bad    []string // in report order
		recs   records
		broken bool
	}{
		{"clean", vt.CleanBatch, nil, records{
			tickets:  []ticketRecord{{id: 1, requester: 5}},
			comments: []commentRecord{{id: 10, ticket: 1, author: 5}},
			users:    []userRecord{{id: 5, email: "ann@example.com"}},
		}, false},
		{"escaped email and key", vt.Batch(nil, nil, []string{`{"name":"A","\u0069d":7,"email":"\u0041nn@example.com"}`}), nil, records{
			users: []userRecord{{id: 7, email: "Ann@example.com"}},
		}, false},
		{"invalid ids are kept as 0", vt.Batch([]string{`{"created_at":"2021-01-01T10:00:00Z","requester_id":"5","id":-1}`}, nil, nil), []string{
			`data.tickets.data[0].requester_id: is the string "5"; want an integer id from 1 to 9223372036854775807`,
			`data.tickets.data[0].id: is -1; want an integer id from 1 to 9223372036854775807`,
		}, records{tickets: []ticketRecord{{}}}, false},
		{"missing keys after the inner violations", `{"data":{"tickets":{"data":[{"id":1.5}]}}}`, []string{
			"data.tickets.data[0].id: is 1.5; want an integer id from 1 to 9223372036854775807",
			"data.tickets.data[0]: missing key created_at; a ticket has exactly the keys created_at, requester_id, id, in that order",
			"data.tickets.data[0]: missing key requester_id; a ticket has exactly the keys created_at, requester_id, id, in that order",
			"data.tickets: missing key comments; want exactly the keys data, comments, users, organizations, in that order",
			"data.tickets: missing key users; want exactly the keys data, comments, users, organizations, in that order",
			"data.tickets: missing key organizations; want exactly the keys data, comments, users, organizations, in that order",
		}, records{tickets: []ticketRecord{{}}}, false},
		{"syntax error ends the scan", `{"data":{"tickets":{"data":[{"id":1}` + "\n" + `,]`, []string{
			"data.tickets.data[0]: missing key created_at; a ticket has exactly the keys created_at, requester_id, id, in that order",
			"data.tickets.data[0]: missing key requester_id; a ticket has exactly the keys created_at, requester_id, id, in that order",
			"data.tickets.data[1]: invalid JSON at line 2, column 2 (byte 38): want a value, found ']'; the rest of the file is not checked",
		}, records{tickets: []ticketRecord{{id: 1}, {}}}, true},
		{"deep nesting", `{"x":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`, []string{
			"x: unexpected key; want exactly the keys data, in that order",
			"x: invalid JSON at line 1, column 519 (byte 518): values nested more than 512 deep; the rest of the file is not checked",
		}, records{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad, recs, broken := scanJSON(t, tt.json)
			if !reflect.DeepEqual(bad, tt.bad) {
				t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(bad, "\n"), strings.Join(tt.bad, "\n"))
			}
			if broken != tt.broken {
				t.Errorf("broken %v, want %v", broken, tt.broken)
			}
			if len(recs.tickets)+len(tt.recs.tickets) > 0 && !reflect.DeepEqual(recs.tickets, tt.recs.tickets) ||
				len(recs.comments)+len(tt.recs.comments) > 0 && !reflect.DeepEqual(recs.comments, tt.recs.comments) ||
				len(recs.users)+len(tt.recs.users) > 0 && !reflect.DeepEqual(recs.users, tt.recs.users) {
				t.Errorf("records %+v, want %+v", *recs, tt.recs)
			}
		})
	}
}

// TestScannerReuse checks that a Scanner keeps nothing of one file in the
// next: records, the newest created_at, a syntax error.
func TestScannerReuse(t *testing.T) {
	s := Scanner{Now: vt.Now.Unix()}
	first := &entry{data: []byte(`{"data":{"tickets":{"data":[` + vt.Ticket(1, 5) + `,{`)}
	s.scan(first)
	if !s.failed || len(first.tickets) != 2 {
		t.Fatalf("first file: failed %v, %d tickets", s.failed, len(first.tickets))
	}
	second := &entry{data: []byte(vt.Batch(nil, nil, []string{vt.User(9, "")}))}
	s.scan(second)
	if s.failed || s.newest != -1 || len(second.tickets) != 0 || len(second.bad) != 0 || !reflect.DeepEqual(second.users, []userRecord{{id: 9}}) {
		t.Errorf("second file: failed %v, newest %d, records %+v, violations %v", s.failed, s.newest, *second.records, second.bad)
	}
	if first.tickets[0] != (ticketRecord{id: 1, requester: 5}) {
		t.Errorf("the first file's records changed: %+v", first.tickets)
	}
}

func TestUnquote(t *testing.T) {
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
		if got := string(unquote(nil, []byte(tt.raw))); got != tt.want {
			t.Errorf("unquote(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	var c dayCache
	good := []string{"1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z", "2021-12-31T12:34:56Z", "2100-03-01T00:00:00Z", "0000-01-01T00:00:00Z"}
	// Twice: the second round reads the dates from the cache.
	for range 2 {
		for _, s := range good {
			tm, _ := time.Parse(time.RFC3339, s)
			got, ok := c.parse([]byte(s))
			if !ok || got != tm.Unix() {
				t.Errorf("parse(%q) = %d, %v; want %d", s, got, ok, tm.Unix())
			}
		}
	}
	if got, ok := c.parse([]byte("2021-12-31T00:00:01Z")); !ok || got != time.Date(2021, 12, 31, 0, 0, 1, 0, time.UTC).Unix() {
		t.Errorf("another time on a cached date: %d, %v", got, ok)
	}
	for _, s := range []string{"", "2021-01-01", "2021-13-01T00:00:00Z", "2021-00-01T00:00:00Z", "2021-01-00T00:00:00Z",
		"2100-02-29T00:00:00Z", "2021-01-01T24:00:00Z", "2021-01-01T00:60:00Z", "2021-01-01t00:00:00Z", "2021-01-01T00:00:00z",
		"+021-01-01T00:00:00Z", "2021-01-01T00:00:00ZZ", "2021-01-01T00:00:00.Z", "2021-01-01T00:00:0.0Z", "2021-1-011T00:00:00Z",
		"2021-12-31T23:59:60Z", "2021-12-31T00:00:1aZ", "2021-02-30T00:00:00Z"} {
		if _, ok := c.parse([]byte(s)); ok {
			t.Errorf("parse(%q) accepted", s)
		}
	}
}

func TestPlainWord(t *testing.T) {
	word := []byte("abcdefgh")
	for pos := range 8 {
		for c := range 256 {
			w := append([]byte(nil), word...)
			w[pos] = byte(c)
			want := plain[c]
			if got := plainWord(binary.LittleEndian.Uint64(w)); got && !want {
				t.Errorf("plainWord(%q) says plain", w)
			} else if !got && want {
				t.Errorf("plainWord(%q) says not plain", w)
			}
		}
	}
}

// BenchmarkScan checks the JSON of one generated file, without the tar,
// gzip and cross-file work around it.
func BenchmarkScan(b *testing.B) {
	data := []byte(vt.Generated(0, 1, 1))
	b.SetBytes(int64(len(data)))
	s := Scanner{Now: vt.Now.Unix()}
	for b.Loop() {
		e := &entry{data: data}
		s.scan(e)
		if len(e.bad) > 0 {
			b.Fatal(e.bad)
		}
	}
}
