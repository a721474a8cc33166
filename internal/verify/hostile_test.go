package verify

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/migrate-tool/migrate/internal/fail"
	vt "github.com/migrate-tool/migrate/internal/verify/verifytest"
)

// The tests of SPEC section 9: the archive is hostile. Each builds what an
// attacker would send with the small generator below, at a size that runs
// in a few seconds.

// specMaxEntry is the largest archive file SPEC section 9 lets verify read.
const specMaxEntry = 64 << 20

// hostileTar is a tar stream written by hand: headers may declare any size
// and content may be left out.
type hostileTar struct {
	buf bytes.Buffer
	tw  *tar.Writer
}

func newHostileTar() *hostileTar {
	h := &hostileTar{}
	h.tw = tar.NewWriter(&h.buf)
	return h
}

// file adds a regular entry holding content.
func (h *hostileTar) file(t testing.TB, name, content string) *hostileTar {
	t.Helper()
	h.header(t, name, int64(len(content)))
	if _, err := io.WriteString(h.tw, content); err != nil {
		t.Fatal(err)
	}
	return h
}

// header adds the header of a regular entry of size bytes, which the
// caller writes, or not.
func (h *hostileTar) header(t testing.TB, name string, size int64) *hostileTar {
	t.Helper()
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg, ModTime: time.Unix(vt.Epoch, 0), Format: tar.FormatPAX}
	if err := h.tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	return h
}

// end writes the tar end and returns the stream.
func (h *hostileTar) end(t testing.TB) []byte {
	t.Helper()
	if err := h.tw.Close(); err != nil {
		t.Fatal(err)
	}
	return h.buf.Bytes()
}

// cut returns the stream as written so far, without the tar end, however
// short of the sizes its headers declare.
func (h *hostileTar) cut() []byte { return h.buf.Bytes() }

// gzipped is data as one gzip member, compressed hard: the attacker's
// archive is small.
func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	return gzipLevel(t, data, gzip.BestCompression)
}

func gzipLevel(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, level)
	if _, err := gz.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// amplifier is a file whose comments array holds n empty objects: 3 bytes
// each, six violations each (every key missing).
func amplifier(n int) string {
	return `{"data":{"tickets":{"data":[],"comments":[` + strings.Repeat("{},", n-1) + `{}],"users":[],"organizations":[]}}}`
}

// amplifierArchive is a gzip member holding files files of n empty
// comments each, written as it is compressed: only the compressed bytes are
// ever held.
func amplifierArchive(t testing.TB, files, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	head, tail := `{"data":{"tickets":{"data":[],"comments":[{}`, `],"users":[],"organizations":[]}}}`
	run := []byte(strings.Repeat(",{}", 4096))
	for f := 1; f <= files; f++ {
		size := len(head) + 3*(n-1) + len(tail)
		hdr := &tar.Header{Name: fmt.Sprintf("backup_tickets_%d.json", f), Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg, ModTime: time.Unix(vt.Epoch, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, head)
		for left := n - 1; left > 0; left -= len(run) / 3 {
			tw.Write(run[:3*min(left, len(run)/3)])
		}
		io.WriteString(tw, tail)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return buf.Bytes()
}

// zerosMember is one gzip member holding a tar entry backup_tickets_1.json
// that declares and holds size zero bytes (size a multiple of 1 MiB), in
// about size/1000 bytes: the deflate of 1 MiB of zeros, flushed to a byte
// boundary, is repeated, each copy continuing the zeros of the one before.
func zerosMember(t testing.TB, size int64) []byte {
	t.Helper()
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	if err := tw.WriteHeader(&tar.Header{Name: "backup_tickets_1.json", Mode: 0o644, Size: size, Typeflag: tar.TypeReg, ModTime: time.Unix(vt.Epoch, 0), Format: tar.FormatPAX}); err != nil {
		t.Fatal(err)
	}
	tw.Flush()
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	fw.Write(hdr.Bytes())
	fw.Flush()
	var zeros bytes.Buffer
	zw, _ := flate.NewWriter(&zeros, flate.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Flush()
	// A zero byte first: the copies' back-references then reach zeros.
	var out bytes.Buffer
	out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	out.Write(deflated.Bytes())
	for range size >> 20 {
		out.Write(zeros.Bytes())
	}
	end, _ := flate.NewWriter(&out, flate.BestCompression)
	end.Write(make([]byte, 1024)) // the tar end
	end.Close()
	// The trailer is never reached: its checksum is left wrong.
	binary.Write(&out, binary.LittleEndian, [2]uint32{crc32.ChecksumIEEE(nil), 0})
	return out.Bytes()
}

func TestHostileDeclaredSize(t *testing.T) {
	// A 95-byte archive declaring 1 GiB; see TestHostileMemory for its
	// memory. Here: the violation, and that a large entry is skipped, not
	// read, while the next one is still checked.
	over := int64(specMaxEntry + 1<<20)
	tests := []struct {
		name  string
		data  []byte
		lines []string
	}{
		{"1 GiB declared, nothing written", gzipped(t, newHostileTar().header(t, "backup_tickets_1.json", 1<<30).cut()), []string{
			"backup_tickets_1.json: is 1073741824 bytes, over the 64 MiB an archive file may hold (100 objects per array take far less); not checked",
			"backup_tickets.tar.gz: cannot read the tar entry after backup_tickets_1.json: unexpected EOF; the archive is truncated or not a tar file, write it again (--steps build)",
		}},
		{"65 MiB written, then a file", gzipLevel(t, newHostileTar().file(t, "backup_tickets_1.json", strings.Repeat(" ", int(over))).file(t, "backup_tickets_2.json", `{"x":1}`).end(t), gzip.BestSpeed), []string{
			"backup_tickets_1.json: is 68157440 bytes, over the 64 MiB an archive file may hold (100 objects per array take far less); not checked",
			"backup_tickets_2.json: missing key data; want exactly the keys data, in that order",
			"backup_tickets_2.json: x: unexpected key; want exactly the keys data, in that order",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := check(t, tt.data, testConfig())
			if want := strings.Join(tt.lines, "\n") + "\n"; out != want || res.Violations != len(tt.lines) || !res.Partial {
				t.Errorf("%+v, output:\n%s\nwant:\n%s", res, out, want)
			}
		})
	}
}

func TestHostileAmplifierCounts(t *testing.T) {
	// 3M empty comments in a 9 KB archive: 18M violations, at most 1,000
	// texts kept; the count is exact. TestHostileMemory measures it.
	const n = 3_000_000
	data := gzipped(t, newHostileTar().file(t, "backup_tickets_1.json", amplifier(n)).end(t))
	if len(data) > 10<<10 {
		t.Fatalf("the amplifier takes %d bytes", len(data))
	}
	out, res := check(t, data, testConfig())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := 6*n + 1 // every key of every comment, and the array's length
	if res.Violations != want || len(lines) != MaxPrinted+1 {
		t.Fatalf("%d violations in %d lines, want %d in %d", res.Violations, len(lines), want, MaxPrinted+1)
	}
	for i, w := range map[int]string{
		0:          "backup_tickets_1.json: data.tickets.comments: holds 3000000 objects; at most 100 per file",
		1:          "backup_tickets_1.json: data.tickets.comments[0]: missing key created_at; a comment has exactly the keys created_at, ticket_id, id, public, html_body, author_id, in that order",
		999:        "backup_tickets_1.json: data.tickets.comments[166]: missing key id; a comment has exactly the keys created_at, ticket_id, id, public, html_body, author_id, in that order",
		MaxPrinted: fmt.Sprintf("... and %d more violations (%d in all)", want-MaxPrinted, want),
	} {
		if lines[i] != w {
			t.Errorf("line %d: %q, want %q", i+1, lines[i], w)
		}
	}
}

// TestHostileRepeats covers the violations found across files: repeated
// ids and references to nothing, more than can be printed. They are counted
// exactly, and those printed are the first in archive order.
func TestHostileRepeats(t *testing.T) {
	comment := func(id, ticket int64) string {
		return fmt.Sprintf(`{"created_at":"2021-01-01T10:05:00Z","ticket_id":%d,"id":%d,"public":true,"html_body":"","author_id":1}`, ticket, id)
	}
	h := newHostileTar()
	const files = 2000
	for n := 1; n <= files; n++ {
		comments := make([]string, 100)
		for i := range comments {
			// Comment id 1 again and again, naming ticket 2 or, in the
			// last file, ticket 1 (which the first file holds).
			comments[i] = comment(1, 2)
			if n == files {
				comments[i] = comment(int64(1000+i), 1)
			}
		}
		var tickets, users []string
		if n == 1 {
			tickets, users = []string{vt.Ticket(1, 1)}, []string{vt.User(1, "")}
		}
		h.file(t, fmt.Sprintf("backup_tickets_%d.json", n), vt.Batch(tickets, comments, users))
	}
	out, res := check(t, gzipped(t, h.end(t)), testConfig())
	repeats := (files-1)*100 - 1
	missing := (files - 1) * 100
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if res.Violations != repeats+missing || len(lines) != MaxPrinted+1 {
		t.Fatalf("%d violations in %d lines, want %d in %d", res.Violations, len(lines), repeats+missing, MaxPrinted+1)
	}
	if w := "backup_tickets_1.json: data.tickets.comments[1].id: comment id 1 is already used by backup_tickets_1.json data.tickets.comments[0].id"; lines[0] != w {
		t.Errorf("line 1: %q, want %q", lines[0], w)
	}
	if w := "backup_tickets_11.json: data.tickets.comments[0].id: comment id 1 is already used by backup_tickets_1.json data.tickets.comments[0].id"; lines[999] != w {
		t.Errorf("line 1000: %q, want %q", lines[999], w)
	}
}

// TestHostileMissingReferences prints the references to nothing when
// there is room: the first in archive order, though some of those before
// them waited for ids that came later.
func TestHostileMissingReferences(t *testing.T) {
	var comments []string
	for i := range 300 {
		// Ticket 7 comes in the second file; tickets 100.. never.
		ticket := int64(7)
		if i%3 == 2 {
			ticket = int64(100 + i)
		}
		comments = append(comments, fmt.Sprintf(`{"created_at":"2021-01-01T10:05:00Z","ticket_id":%d,"id":%d,"public":true,"html_body":"","author_id":5}`, ticket, i+1))
	}
	// 101 tickets in runs of 100 (the seed layout): ticket 7 is the
	// 101st.
	var tickets []string
	for i := range 100 {
		tickets = append(tickets, vt.Ticket(int64(1000+i), 5))
	}
	entries := []vt.Entry{
		vt.File("backup_tickets_1.json", vt.Batch(tickets, comments[:100], []string{vt.User(5, "")})),
		vt.File("backup_tickets_2.json", vt.Batch([]string{vt.Ticket(7, 5)}, comments[100:200], nil)),
		vt.File("backup_tickets_3.json", vt.Batch(nil, comments[200:], nil)),
	}
	out, res := check(t, vt.Archive(t, entries), testConfig())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if res.Violations != 100 || len(lines) != 100 {
		t.Fatalf("%d violations in %d lines, want 100", res.Violations, len(lines))
	}
	if w := "backup_tickets_1.json: data.tickets.comments[2].ticket_id: 102 names no ticket in the archive"; lines[0] != w {
		t.Errorf("line 1: %q, want %q", lines[0], w)
	}
	if w := "backup_tickets_3.json: data.tickets.comments[99].ticket_id: 399 names no ticket in the archive"; lines[99] != w {
		t.Errorf("line 100: %q, want %q", lines[99], w)
	}
}

func TestHostileQuoting(t *testing.T) {
	// Controls in entry names, in keys and in values, raw or escaped: ESC
	// sequences, BEL, a newline and a carriage return that would forge a
	// line, C1 codes (U+009B is CSI, U+0085 NEL) and a bidirectional
	// override.
	forged := "\nbackup_tickets_9.json: data.tickets.data[0].id: all good"
	created := func(v string) string {
		return vt.Batch([]string{`{"created_at":"` + v + `","requester_id":5,"id":1}`}, nil, []string{vt.User(5, "")})
	}
	entries := []vt.Entry{
		vt.File("backup_tickets_1.json", created("2021\x1b[2J\x07"+forged)),
		vt.File("backup_tickets_2.json", created("2021\u009b31m\u0085\r")),
		vt.File("backup_tickets_3.json", vt.Batch(nil, nil, []string{
			`{"name":"A","id":6,"email":"","a` + "\x1b]0;pwned\x07" + `":1,"\u001b[31m":2,"` + "\u009b1m\u202e" + `":3,"x` + forged + `":4}`,
			`{"name":"A","id":7,"email":"e\u001b[0m@x` + "\u0085\u009b" + `","public":` + `"\u0007"}`,
			`{"name":"A","id":8,"email":"E\u001b[0m@X` + "\u0085\u009b" + `"}`,
			`{"name":"A","id":` + "9\x1b" + `}`,
		})),
		vt.File("evil\x1b]0;title\x07.json", ""),
		vt.File("a\u009bb\u202e.json", ""),
		vt.File("x\r"+forged, ""),
		{Name: "backup_tickets_4.json", Mode: 0o644, Typeflag: tar.TypeReg, Uname: "root\x1b[2J", Content: vt.Batch(nil, nil, nil)},
	}
	out, res := check(t, vt.Archive(t, entries), testConfig())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != res.Violations {
		t.Errorf("%d lines for %d violations: a line was forged", len(lines), res.Violations)
	}
	for i, line := range lines {
		for _, r := range line {
			if !strconv.IsPrint(r) || r == utf8.RuneError {
				t.Errorf("line %d holds %U: %q", i+1, r, line)
				break
			}
		}
		if strings.Contains(line, "all good") && !strings.Contains(line, `\nbackup_tickets_9.json`) {
			t.Errorf("line %d forged: %q", i+1, line)
		}
	}
	for _, w := range []string{
		`backup_tickets_1.json: data.tickets.data[0].created_at: "2021\x1b[2J\a\nbackup_tickets_9.json: data.tickets.data[0].id: a... is not a UTC time`,
		`backup_tickets_1.json: data.tickets.data[0].created_at: raw control character U+001B at byte 47; JSON wants it escaped`,
		`backup_tickets_2.json: data.tickets.data[0].created_at: "2021\u009b31m\u0085\r" is not a UTC time`,
		`backup_tickets_3.json: data.tickets.users[0]["a\x1b]0;pwned\a"]: unexpected key`,
		`backup_tickets_3.json: data.tickets.users[0]["\x1b[31m"]: unexpected key`,
		`backup_tickets_3.json: data.tickets.users[0]["\u009b1m\u202e"]: unexpected key`,
		`backup_tickets_3.json: data.tickets.users[0]["x\nbackup_tickets_9.json: data.tickets.data[0].id: all good"]: unexpected key`,
		`backup_tickets_3.json: data.tickets.users[1].public: unexpected key`,
		`backup_tickets_3.json: data.tickets.users[2].email: "E\x1b[0m@X\u0085\u009b" is already the email of backup_tickets_3.json data.tickets.users[1].email`,
		`"evil\x1b]0;title\a.json": unexpected entry`,
		`"a\u009bb\u202e.json": unexpected entry`,
		`"x\r\nbackup_tickets_9.json: data.tickets.data[0].id: all good": unexpected entry`,
		`backup_tickets_4.json: owner names "root\x1b[2J":""; want both empty`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %s", w)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

func TestHostileTrailingData(t *testing.T) {
	tarStream := newHostileTar().file(t, "backup_tickets_1.json", vt.CleanBatch).end(t)
	member := gzipped(t, tarStream)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	padded := append(append([]byte{}, tarStream...), make([]byte, 10240-len(tarStream)%10240)...)
	tests := []struct {
		name string
		data []byte
		want string // the one violation; "" for none
	}{
		{"zero padding to a tar record", gzipped(t, padded), ""},
		{"data after the tar end, same member", gzipped(t, cat(tarStream, []byte("backup_tickets_2.json"))), "backup_tickets.tar.gz: holds data after the tar end; an archive holds one tar and nothing after it, write it again (--steps build)"},
		{"data after the padding, same member", gzipped(t, cat(padded, []byte{0, 0, 1})), "backup_tickets.tar.gz: holds data after the tar end"},
		{"a second member holding a tar", cat(member, gzipped(t, newHostileTar().file(t, "backup_tickets_2.json", vt.CleanBatch).end(t))), "backup_tickets.tar.gz: holds a second gzip member after the first one; an archive is one gzip member holding one tar, write it again (--steps build)"},
		{"a second member holding anything", cat(member, gzipped(t, []byte("#!/bin/sh\n"))), "backup_tickets.tar.gz: holds a second gzip member"},
		{"an empty second member", cat(member, gzipped(t, nil)), "backup_tickets.tar.gz: holds a second gzip member"},
		{"bytes after the member", cat(member, []byte("junk")), "backup_tickets.tar.gz: holds data after the end of the gzip stream; write it again (--steps build)"},
		{"one byte after the member", cat(member, []byte{0}), "backup_tickets.tar.gz: holds data after the end of the gzip stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := check(t, tt.data, testConfig())
			if tt.want == "" {
				if out != "" || res.Violations != 0 {
					t.Errorf("%+v, output:\n%s", res, out)
				}
				return
			}
			if res.Violations != 1 || !strings.HasPrefix(out, tt.want) || strings.Count(out, "\n") != 1 {
				t.Errorf("%+v, output:\n%s\nwant: %s", res, out, tt.want)
			}
		})
	}
}

func TestHostileSurrogates(t *testing.T) {
	body := func(s string) string {
		return vt.Batch([]string{vt.Ticket(1, 5)}, []string{
			`{"created_at":"2021-01-01T10:05:00Z","ticket_id":1,"id":10,"public":true,"html_body":"` + s + `","author_id":5}`,
		}, []string{vt.User(5, "")})
	}
	users := func(emails ...string) string {
		var us []string
		for i, e := range emails {
			us = append(us, fmt.Sprintf(`{"name":"A","id":%d,"email":"%s"}`, i+1, e))
		}
		return vt.Batch(nil, nil, us)
	}
	const want = "; want a high surrogate \\ud800-\\udbff followed by a low one \\udc00-\\udfff"
	tests := []struct {
		name  string
		json  string
		lines []string
	}{
		{"a pair", body(`\ud83d\ude00 \uD83D\uDE00`), []string{"html_body: escape \\ud83d\\ude00 at byte 189: <, >, & and non-ASCII"}},
		{"a high one alone", body(`\ud800`), []string{"data.tickets.comments[0].html_body: unpaired surrogate \\ud800 at byte 189" + want}},
		{"a low one alone", body(`\udc00x`), []string{"data.tickets.comments[0].html_body: unpaired surrogate \\udc00 at byte 189" + want}},
		{"a high one before a letter", body(`\ud83d\u0041`), []string{"html_body: unpaired surrogate \\ud83d at byte 189"}},
		{"two high ones", body(`\ud83d\ud83d\ude00`), []string{"html_body: unpaired surrogate \\ud83d at byte 189"}},
		{"a low one first", body(`\ude00\ud83d`), []string{"html_body: unpaired surrogate \\ude00 at byte 189"}},
		{"two different lone surrogates are two emails", users(`\ud800@example.com`, `\ud801@example.com`), []string{
			"data.tickets.users[0].email: unpaired surrogate \\ud800 at byte 81",
			"data.tickets.users[1].email: unpaired surrogate \\ud801 at byte 130",
		}},
		{"the same lone surrogate twice is one email", users(`\ud800@example.com`, `\uD800@Example.com`), []string{
			"data.tickets.users[0].email: unpaired surrogate \\ud800 at byte 81",
			"data.tickets.users[1].email: unpaired surrogate \\uD800 at byte 130",
			`backup_tickets_1.json: data.tickets.users[1].email: "\xed\xa0\x80@Example.com" is already the email of backup_tickets_1.json data.tickets.users[0].email`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := check(t, vt.Archive(t, []vt.Entry{vt.File("backup_tickets_1.json", tt.json)}), testConfig())
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if res.Violations != len(tt.lines) || len(tt.lines) > 0 && len(lines) != len(tt.lines) {
				t.Fatalf("%d violations, want %d; output:\n%s", res.Violations, len(tt.lines), out)
			}
			for i, w := range tt.lines {
				if !strings.Contains(lines[i], w) {
					t.Errorf("line %d: %q lacks %q", i+1, lines[i], w)
				}
			}
		})
	}
}

func TestHostileCancel(t *testing.T) {
	// SIGTERM while verify decompresses an entry of 32 GiB of zeros (32 MB
	// of gzip), and while it scans files of 20M empty comments each.
	tests := []struct {
		name string
		data []byte
	}{
		{"decompressing", zerosMember(t, 32<<30)},
		{"scanning", amplifierArchive(t, 8, 20_000_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := Archive(ctx, bytes.NewReader(tt.data), testConfig())
				done <- err
			}()
			time.Sleep(300 * time.Millisecond)
			cause := fail.Signal("SIGTERM")
			cancel(cause)
			start := time.Now()
			select {
			case err := <-done:
				if !errors.Is(err, cause) || fail.Code(err) != fail.Terminated {
					t.Errorf("error %v (exit status %d), want one wrapping %v", err, fail.Code(err), cause)
				}
				t.Logf("returned %v after the cancel", time.Since(start))
			case <-time.After(time.Second):
				t.Fatalf("still running 1 s after the cancel")
			}
		})
	}
}
