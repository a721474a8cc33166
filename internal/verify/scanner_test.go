package verify

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	vt "github.com/migrate-tool/migrate/internal/verify/verifytest"
)

// scanned is an object as the tests compare it.
type scanned struct {
	array, idx int
	id         int64
	ref        [2]int64
	email      string // as written, cut short
}

// scanJSON runs a Scanner over one file's JSON and returns its violations
// in file order, the objects it passed on, and its result.
func scanJSON(t *testing.T, s *Scanner, data string) ([]string, []scanned, scanResult) {
	t.Helper()
	var objs []scanned
	emit := func(b *batch) *batch {
		if b == nil {
			return &batch{}
		}
		for _, o := range b.objs {
			email := ""
			if !o.email.empty() {
				email = string(b.text[o.textOff : o.textOff+uint32(o.textLen)])
			}
			objs = append(objs, scanned{int(o.array), int(o.idx), o.id, o.ref, email})
		}
		b.objs, b.text = b.objs[:0], b.text[:0]
		return b
	}
	res := s.scan([]byte(data), MaxPrinted, emit)
	var bad []string
	for _, v := range res.bad {
		bad = append(bad, v.text)
	}
	if res.count != len(bad) {
		t.Errorf("%d violations counted, %d kept", res.count, len(bad))
	}
	return bad, objs, res
}

func TestScanner(t *testing.T) {
	tests := []struct {
		name   string
		json   string
		bad    []string // in file order
		objs   []scanned
		broken bool
	}{
		{"clean", vt.CleanBatch, nil, []scanned{
			{array: inTickets, id: 1, ref: [2]int64{5}},
			{array: inComments, id: 10, ref: [2]int64{1, 5}},
			{array: inUsers, id: 5, email: "ann@example.com"},
		}, false},
		{"escaped email and key", vt.Batch(nil, nil, []string{vt.User(6, ""), `{"name":"A","\u0069d":7,"email":"\u0041nn@example.com"}`}), nil, []scanned{
			{array: inUsers, id: 6},
			{array: inUsers, idx: 1, id: 7, email: "Ann@example.com"},
		}, false},
		{"invalid ids are 0, objects without any are left out", vt.Batch([]string{`{"created_at":"2021-01-01T10:00:00Z","requester_id":"5","id":-1}`, vt.Ticket(2, 5)}, nil, nil), []string{
			`data.tickets.data[0].requester_id: is the string "5"; want an integer id from 1 to 9223372036854775807`,
			`data.tickets.data[0].id: is -1; want an integer id from 1 to 9223372036854775807`,
		}, []scanned{{array: inTickets, idx: 1, id: 2, ref: [2]int64{5}}}, false},
		{"missing keys after the inner violations", `{"data":{"tickets":{"data":[{"id":1.5}]}}}`, []string{
			"data.tickets: missing key comments; want exactly the keys data, comments, users, organizations, in that order",
			"data.tickets: missing key users; want exactly the keys data, comments, users, organizations, in that order",
			"data.tickets: missing key organizations; want exactly the keys data, comments, users, organizations, in that order",
			"data.tickets.data[0]: missing key created_at; a ticket has exactly the keys created_at, requester_id, id, in that order",
			"data.tickets.data[0]: missing key requester_id; a ticket has exactly the keys created_at, requester_id, id, in that order",
			"data.tickets.data[0].id: is 1.5; want an integer id from 1 to 9223372036854775807",
		}, nil, false},
		{"syntax error ends the scan", `{"data":{"tickets":{"data":[{"id":1}` + "\n" + `,]`, []string{
			"data.tickets.data[0]: missing key created_at; a ticket has exactly the keys created_at, requester_id, id, in that order",
			"data.tickets.data[0]: missing key requester_id; a ticket has exactly the keys created_at, requester_id, id, in that order",
			"data.tickets.data[1]: invalid JSON at line 2, column 2 (byte 38): want a value, found ']'; the rest of the file is not checked",
		}, []scanned{{array: inTickets, id: 1}}, true},
		{"deep nesting", `{"x":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`, []string{
			"x: unexpected key; want exactly the keys data, in that order",
			"x: invalid JSON at line 1, column 519 (byte 518): values nested more than 512 deep; the rest of the file is not checked",
		}, nil, true},
	}
	var s Scanner
	s.Now = vt.Now.Unix()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad, objs, res := scanJSON(t, &s, tt.json)
			if !reflect.DeepEqual(bad, tt.bad) {
				t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(bad, "\n"), strings.Join(tt.bad, "\n"))
			}
			if res.broken != tt.broken {
				t.Errorf("broken %v, want %v", res.broken, tt.broken)
			}
			if !reflect.DeepEqual(objs, tt.objs) {
				t.Errorf("objects %+v, want %+v", objs, tt.objs)
			}
		})
	}
}

// TestScannerReuse checks that a Scanner keeps nothing of one file in the
// next: objects, the newest created_at, a syntax error.
func TestScannerReuse(t *testing.T) {
	s := Scanner{Now: vt.Now.Unix()}
	_, objs, res := scanJSON(t, &s, `{"data":{"tickets":{"data":[`+vt.Ticket(1, 5)+`,{`)
	if !res.broken || len(objs) != 1 || res.newest == -1 {
		t.Fatalf("first file: %+v, %+v", res, objs)
	}
	bad, objs, res := scanJSON(t, &s, vt.Batch(nil, nil, []string{vt.User(9, "")}))
	if res.broken || res.newest != -1 || len(bad) != 0 || !reflect.DeepEqual(objs, []scanned{{array: inUsers, id: 9}}) {
		t.Errorf("second file: %+v, %+v, %v", res, objs, bad)
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`plain`, "plain"},
		{`a\"b\\c\/d`, `a"b\c/d`},
		{`\b\f\n\r\t`, "\b\f\n\r\t"},
		{`\u0041\u00e9\u65e5`, "Aé日"},
		{`\ud83d\ude00`, "😀"},
		// Lone surrogates are written as WTF-8, so that two different
		// ones stay different.
		{`\ud83d`, "\xed\xa0\xbd"},
		{`\ude00x`, "\xed\xb8\x80x"},
		{`\ud83dx`, "\xed\xa0\xbdx"},
		{`\ud83d\ud83d`, "\xed\xa0\xbd\xed\xa0\xbd"},
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
	b.ReportAllocs()
	s := Scanner{Now: vt.Now.Unix()}
	out := &batch{}
	emit := func(*batch) *batch { out.objs, out.text = out.objs[:0], out.text[:0]; return out }
	for b.Loop() {
		if res := s.scan(data, MaxPrinted, emit); res.count > 0 {
			b.Fatal(res.bad)
		}
	}
}

// FuzzScan feeds the scanner any bytes: it must not panic, must count at
// least the violations it keeps, keep them in file order, and pass on
// objects with ids in range.
func FuzzScan(f *testing.F) {
	for _, seed := range []string{
		vt.CleanBatch, vt.Generated(0, 1, 1), amplifier(10), `{"data":{"tickets":{"data":[{"id":1.5}]}}}`,
		vt.Batch(nil, nil, []string{`{"name":"A","id":7,"email":"\ud800@x\u0041","` + "\x1b\u009b" + `":1}`}),
		"\ufeff{}", `{"data":` + strings.Repeat("[", 600), `"\u12`, "{\"a\xff\":\"\x01\"}",
	} {
		f.Add([]byte(seed))
	}
	s := Scanner{Now: vt.Now.Unix()}
	emit := func(b *batch) *batch {
		if b == nil {
			return &batch{}
		}
		for _, o := range b.objs {
			if o.id < 0 || o.ref[0] < 0 || o.ref[1] < 0 || o.array > inUsers || int(o.textOff)+int(o.textLen) > len(b.text) {
				panic(fmt.Sprintf("bad object %+v", o))
			}
		}
		b.objs, b.text = b.objs[:0], b.text[:0]
		return b
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res := s.scan(data, 5, emit)
		if res.count < len(res.bad) || len(res.bad) > 5 {
			t.Fatalf("%d violations counted, %d kept", res.count, len(res.bad))
		}
		for i := 1; i < len(res.bad); i++ {
			if res.bad[i].less(res.bad[i-1]) {
				t.Fatalf("violations out of order: %+v", res.bad)
			}
		}
		for _, v := range res.bad {
			for _, r := range v.text {
				if !strconv.IsPrint(r) {
					t.Fatalf("violation %q holds %U", v.text, r)
				}
			}
		}
	})
}
