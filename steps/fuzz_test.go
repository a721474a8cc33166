package steps

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/migrate-tool/migrate/fixtures/refcsv"
	"github.com/migrate-tool/migrate/internal/chatscan"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// fuzzHeader is the fixed header FuzzPipeline puts before its fuzzed body:
// the golden chat_data.csv's, so that its rows are seeds as they are.
const fuzzHeader = "CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,NAME,EMAIL,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT,TICKET_CREATED_AT,TICKET_REQUESTER_ID,NOTE\n"

// fuzzTicketUsers is the ticket platform export of every fuzz run: a chat
// id 9001 to 9003 collides with it unless the offset moves it.
const fuzzTicketUsers = "id,email\n9001,ann@example.com\n9002,Bob@Support.test\n9003,\n"

// fuzzNow is the start of every fuzz run.
var fuzzNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// fuzzMaxInput bounds an input: larger ones teach the fuzzer nothing new and
// slow every run down.
const fuzzMaxInput = 64 << 10

// Bits of FuzzPipeline's flags argument: the options a run changes from
// the defaults.
const (
	fuzzLazyQuotes = 1 << iota
	fuzzHTMLBody
	fuzzSkipExisting
	fuzzBatchOne
	fuzzNewYork
	fuzzOffset
	// fuzzStopUTF8 keeps the default --invalid-utf8 stop (else replace).
	fuzzStopUTF8
	// fuzzRejectRate keeps the default --max-reject-rate 0.05 (else 1).
	fuzzRejectRate
)

// FuzzPipeline runs chat-users, merge-users and build on a fuzzed chat
// export body under a fixed header, with options chosen by flags, and checks
// what holds for every input (see checkPipeline). Seeds, the golden rows
// among them, live in testdata/fuzz/FuzzPipeline.
func FuzzPipeline(f *testing.F) {
	f.Add([]byte("1,2,3,Ann,ann@x.org,hi,true,2021-01-01,2021-01-01,3,\n"), uint8(0))
	f.Add([]byte("1,2,9001,,,hi,,0,0,9002,\n1,2,9001,,,hi,,0,0,9002,\n"), uint8(fuzzOffset|fuzzBatchOne))
	f.Fuzz(func(t *testing.T, body []byte, flags uint8) {
		if len(body) > fuzzMaxInput {
			t.Skip("input too large")
		}
		checkPipeline(t, append([]byte(fuzzHeader), body...), flags)
	})
}

// FuzzPipelineHeader is FuzzPipeline with the header fuzzed too: a header row
// and a body, joined by a line end. Seeds, the hostile corpus among them,
// live in testdata/fuzz/FuzzPipelineHeader.
func FuzzPipelineHeader(f *testing.F) {
	f.Add([]byte("\ufeff conversation_id ,Comment_Part_Id,author_id,NAME,EMAIL,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT,TICKET_CREATED_AT,TICKET_REQUESTER_ID"),
		[]byte("1,2,3,Ann,ann@x.org,hi,true,2021-01-01,2021-01-01,3\r\n"), uint8(fuzzHTMLBody|fuzzStopUTF8))
	f.Add([]byte("BODY,AUTHOR_ID,X"), []byte("1,2\n"), uint8(fuzzRejectRate))
	f.Fuzz(func(t *testing.T, header, body []byte, flags uint8) {
		if len(header)+len(body) > fuzzMaxInput {
			t.Skip("input too large")
		}
		in := append(append(slices.Clip(header), '\n'), body...)
		checkPipeline(t, in, flags)
	})
}

// checkPipeline runs chat-users, merge-users and build on chat and asserts:
// no panic; each step either succeeds or fails with exit status 2 (bad
// input) or 3 (collision), leaving nothing under its final names; on success
// the reconciliation of SPEC section 7 holds, the archive passes Verify and
// the test's own reference checks, and a second build from the files gives
// a byte-identical archive and rejects.csv.
func checkPipeline(t *testing.T, chat []byte, flags uint8) {
	dir := t.TempDir()
	chatPath := filepath.Join(dir, "chat_data.csv")
	tpPath := filepath.Join(dir, "tp.csv")
	work := filepath.Join(dir, "work")
	if err := os.WriteFile(chatPath, chat, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tpPath, []byte(fuzzTicketUsers), 0o644); err != nil {
		t.Fatal(err)
	}
	newEnv := func(out string) (*Env, *bytes.Buffer) {
		o := DefaultOptions()
		o.ChatCSV, o.WorkDir, o.TicketUsers, o.Out, o.Quiet = chatPath, work, tpPath, out, true
		o.LazyQuotes = flags&fuzzLazyQuotes != 0
		if flags&fuzzHTMLBody != 0 {
			o.BodyFormat = "html"
		}
		if flags&fuzzSkipExisting != 0 {
			o.ExistingUsers = "skip"
		}
		if flags&fuzzBatchOne != 0 {
			o.BatchSize = 1
		}
		if flags&fuzzNewYork != 0 {
			o.Timezone = "America/New_York"
		}
		if flags&fuzzOffset != 0 {
			o.ChatIDOffset = 10000
		}
		if flags&fuzzStopUTF8 == 0 {
			o.InvalidUTF8 = "replace"
		}
		if flags&fuzzRejectRate == 0 {
			o.MaxRejectRate = 1
		}
		var stdout bytes.Buffer
		return &Env{Opt: o, Stdout: &stdout, Stderr: io.Discard, Now: fuzzNow, Getenv: func(string) string { return "" }}, &stdout
	}
	ctx := context.Background()
	out1 := filepath.Join(dir, "one.tar.gz")
	env, stdout := newEnv(out1)
	if err := env.Opt.Validate(); err != nil {
		t.Fatal(err)
	}
	memo := newMemo(Pipeline) // the in-memory path of --steps all

	step := func(name string, run func(context.Context, *Env, *Memo, *report.Step) error, outputs ...string) (report.Counts, bool) {
		rec := &report.Step{Name: name}
		err := run(ctx, env, memo, rec)
		if err == nil {
			return rec.Counts, true
		}
		code := fail.Code(err)
		if code == fail.TooManyRejects && name == "build" {
			// No archive, but rejects.csv and report.json say why.
			if !errors.Is(err, ErrTooManyRejects) || !rec.Written {
				t.Fatalf("build: exit status 5 without its report: %v", err)
			}
			if _, err := os.Stat(out1); err == nil {
				t.Fatalf("build wrote an archive although it had too many rejects")
			}
			checkRejectsFile(t, work, rec.Counts.Int("rejected_records"))
			checkNoTemporaries(t, work)
			return nil, false
		}
		if code != fail.Usage && code != fail.Conflict {
			t.Fatalf("%s: exit status %d, want 2 or 3 for bad input: %v", name, code, err)
		}
		var e *fail.Error
		if !errors.As(err, &e) || e.Error() == "" {
			t.Fatalf("%s: error without a message for the user: %#v", name, err)
		}
		for _, p := range outputs {
			if _, err := os.Stat(p); err == nil {
				t.Fatalf("%s failed but wrote %s", name, p)
			}
		}
		checkNoTemporaries(t, work)
		return nil, false
	}
	chatCounts, ok := step("chat-users", ChatUsers, filepath.Join(work, workspace.ChatUsersFile))
	if !ok {
		return
	}
	if _, ok := step("merge-users", MergeUsers, filepath.Join(work, workspace.MergedUsersFile)); !ok {
		return
	}
	counts, ok := step("build", Build, out1, filepath.Join(work, workspace.RejectsFile))
	if !ok {
		return
	}
	checkNoTemporaries(t, work)

	// Nothing is lost silently (SPEC section 7).
	n := func(c report.Counts, key string) int {
		v, ok := c.Get(key)
		if !ok {
			t.Fatalf("counts have no %s: %v", key, c)
		}
		i, ok := v.(int)
		if !ok {
			t.Fatalf("count %s is %T, not int", key, v)
		}
		return i
	}
	records := n(counts, "records")
	if records != n(chatCounts, "records") {
		t.Fatalf("build read %d records, chat-users %d", records, n(chatCounts, "records"))
	}
	// The records of the export, counted apart from the migration's reader.
	if want, why := refRecords(chat, flags&fuzzLazyQuotes != 0); why != "" {
		t.Logf("records not counted apart: %s", why)
	} else if records != want {
		t.Fatalf("build read %d records; the export holds %d (refcsv)", records, want)
	}
	// Counted apart from build's own guard: the rows of rejects.csv here,
	// the comments of the archive below.
	rejectRows := checkRejectsFile(t, work, int64(n(counts, "rejected_records")))
	if c, d := n(counts, "comments"), n(counts, "exact_duplicates"); records != c+d+rejectRows {
		t.Fatalf("records %d != comments %d + exact duplicates %d + %d rows of rejects.csv", records, c, d, rejectRows)
	}
	sum := 0
	inFile := rejectReasons(t, work)
	for _, r := range chatscan.Reasons {
		got := n(counts, "rejected."+r.String())
		sum += got
		if got != inFile[r.String()] {
			t.Fatalf("build counted %d %s, rejects.csv lists %d", got, r, inFile[r.String()])
		}
		delete(inFile, r.String())
	}
	if len(inFile) > 0 {
		t.Fatalf("rejects.csv lists reasons build does not count: %v", inFile)
	}
	if sum != n(counts, "rejected_records") {
		t.Fatalf("rejected by reason add up to %d, not %d", sum, n(counts, "rejected_records"))
	}

	// The archive, checked by verify and by the reference checks below.
	if err := verifyStep.Run(ctx, env, &Memo{}, &report.Step{}); err != nil {
		t.Fatalf("verify: %v\n%s", err, stdout)
	}
	archive1, err := os.ReadFile(out1)
	if err != nil {
		t.Fatal(err)
	}
	if got := checkArchive(t, archive1, env.Opt.BatchSize, n(counts, "archive_files"), []int64{9001, 9002, 9003}); got != n(counts, "comments") {
		t.Fatalf("the archive holds %d comments, build counted %d", got, n(counts, "comments"))
	}
	rejects1, err := os.ReadFile(filepath.Join(work, workspace.RejectsFile))
	if err != nil {
		t.Fatal(err)
	}

	// Deterministic: build again from the files alone.
	out2 := filepath.Join(dir, "two.tar.gz")
	env2, _ := newEnv(out2)
	if err := env2.Opt.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := Build(ctx, env2, &Memo{}, &report.Step{}); err != nil {
		t.Fatalf("second build: %v", err)
	}
	archive2, err := os.ReadFile(out2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(archive1, archive2) {
		t.Fatalf("two builds of the same input differ (%d and %d bytes)", len(archive1), len(archive2))
	}
	rejects2, err := os.ReadFile(filepath.Join(work, workspace.RejectsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rejects1, rejects2) {
		t.Fatalf("rejects.csv differs between two builds:\n%s\n---\n%s", rejects1, rejects2)
	}
}

func checkNoTemporaries(t *testing.T, dir string) {
	t.Helper()
	tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if len(tmp) > 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}

// The archive's objects as the reference checks read them.
type refTicket struct {
	CreatedAt   string `json:"created_at"`
	RequesterID int64  `json:"requester_id"`
	ID          int64  `json:"id"`
}

type refComment struct {
	CreatedAt string `json:"created_at"`
	TicketID  int64  `json:"ticket_id"`
	ID        int64  `json:"id"`
	Public    *bool  `json:"public"`
	HTMLBody  string `json:"html_body"`
	AuthorID  int64  `json:"author_id"`
}

type refUser struct {
	Name  string `json:"name"`
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

type refFile struct {
	Data struct {
		Tickets struct {
			Data          []refTicket       `json:"data"`
			Comments      []refComment      `json:"comments"`
			Users         []refUser         `json:"users"`
			Organizations []json.RawMessage `json:"organizations"`
		} `json:"tickets"`
	} `json:"data"`
}

// refKeys is the key order of each object of an archive file, by the path of
// its keys (array elements are "[]").
var refKeys = map[string][]string{
	"":                        {"data"},
	"data":                    {"tickets"},
	"data.tickets":            {"data", "comments", "users", "organizations"},
	"data.tickets.data[]":     {"created_at", "requester_id", "id"},
	"data.tickets.comments[]": {"created_at", "ticket_id", "id", "public", "html_body", "author_id"},
	"data.tickets.users[]":    {"name", "id", "email"},
}

// checkArchive is a small reference reading of SPEC sections 6 and 9,
// independent of Verify: entry names, modes and order; key order; batch
// size; ids unique per kind; every reference resolves; timestamps in range.
func checkArchive(t *testing.T, archive []byte, batch, files int, tpIDs []int64) (commentCount int) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("archive is not gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	tickets, comments, users := map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	emails := map[string]bool{}
	var refs []string // "requester_id 5" etc, resolved at the end
	var refIDs []int64
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("archive is not a tar: %v", err)
		}
		n++
		if want := fmt.Sprintf("backup_tickets_%d.json", n); h.Name != want || h.Typeflag != tar.TypeReg || h.Mode != 0o644 ||
			h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Fatalf("entry %d: %s type %c mode %o owner %d:%d %q:%q, want %s, a regular file 0644 owned by 0:0",
				n, h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, want)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := keyOrder(data); err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		var file refFile
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		ts := file.Data.Tickets
		if len(ts.Data) > batch || len(ts.Comments) > batch || len(ts.Users) > batch || len(ts.Organizations) != 0 {
			t.Fatalf("%s: %d tickets, %d comments, %d users, %d organizations; batch size %d",
				h.Name, len(ts.Data), len(ts.Comments), len(ts.Users), len(ts.Organizations), batch)
		}
		if len(ts.Data)+len(ts.Comments)+len(ts.Users) == 0 {
			t.Fatalf("%s holds nothing", h.Name)
		}
		unique := func(kind string, seen map[int64]bool, id int64) {
			if id <= 0 || seen[id] {
				t.Fatalf("%s: %s id %d is not positive or not unique", h.Name, kind, id)
			}
			seen[id] = true
		}
		for _, x := range ts.Data {
			unique("ticket", tickets, x.ID)
			checkTimestamp(t, h.Name, x.CreatedAt)
			refs, refIDs = append(refs, "requester_id"), append(refIDs, x.RequesterID)
		}
		for _, x := range ts.Comments {
			unique("comment", comments, x.ID)
			checkTimestamp(t, h.Name, x.CreatedAt)
			if x.Public == nil {
				t.Fatalf("%s: comment %d has no public", h.Name, x.ID)
			}
			refs, refIDs = append(refs, "ticket_id", "author_id"), append(refIDs, x.TicketID, x.AuthorID)
		}
		for _, x := range ts.Users {
			unique("user", users, x.ID)
			if x.Email != "" && emails[x.Email] {
				t.Fatalf("%s: email %q of user %d is not unique", h.Name, x.Email, x.ID)
			}
			emails[x.Email] = true
		}
	}
	if n != files {
		t.Fatalf("archive holds %d files, build reported %d", n, files)
	}
	for i, ref := range refs {
		id := refIDs[i]
		ok := tickets[id]
		if ref != "ticket_id" {
			ok = users[id] || slices.Contains(tpIDs, id)
		}
		if !ok {
			t.Fatalf("%s %d names nothing in the archive or the ticket platform", ref, id)
		}
	}
	return len(comments)
}

// keyOrder walks one file's JSON tokens and compares each object's keys with
// refKeys.
func keyOrder(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			var keys []string
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key := k.(string)
				keys = append(keys, key)
				sub := key
				if path != "" {
					sub = path + "." + key
				}
				if err := walk(sub); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			if want, ok := refKeys[path]; ok && !slices.Equal(keys, want) {
				return fmt.Errorf("%s: keys %q, want %q", path, keys, want)
			}
		case json.Delim('['):
			for dec.More() {
				if err := walk(path + "[]"); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			if _, ok := refKeys[path+"[]"]; !ok && path != "data.tickets.organizations" {
				return fmt.Errorf("%s: an array where none belongs", path)
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("more than one JSON value")
	}
	return nil
}

// checkTimestamp checks the output format and range of SPEC section 3.
func checkTimestamp(t *testing.T, file, s string) {
	t.Helper()
	ts, err := time.Parse("2006-01-02T15:04:05Z", s)
	if err != nil || ts.Format("2006-01-02T15:04:05Z") != s || ts.Before(time.Unix(0, 0)) || ts.After(fuzzNow) {
		t.Fatalf("%s: timestamp %q is not in the output format or range", file, s)
	}
}

// TestKeyOrder checks that the reference key order check rejects what it is
// meant to, so that a silent checker does not pass every input.
func TestKeyOrder(t *testing.T) {
	tests := []struct {
		data string
		ok   bool
	}{
		{`{"data":{"tickets":{"data":[],"comments":[],"users":[],"organizations":[]}}}`, true},
		{`{"data":{"tickets":{"data":[{"created_at":"2021-01-01T00:00:00Z","requester_id":2,"id":1}],"comments":[],"users":[{"name":"a","id":1,"email":""}],"organizations":[]}}}`, true},
		{`{"data":{"tickets":{"comments":[],"data":[],"users":[],"organizations":[]}}}`, false},
		{`{"data":{"tickets":{"data":[],"comments":[],"users":[],"organizations":[]}}}{}`, false},
		{`{"data":{"tickets":{"data":[{"id":1,"created_at":"2021-01-01T00:00:00Z","requester_id":2}],"comments":[],"users":[],"organizations":[]}}}`, false},
		{`{"data":{"tickets":{"data":[],"comments":[],"users":[{"name":"a","id":1,"email":"","x":1}],"organizations":[]}}}`, false},
		{`{"data":{"tickets":{"data":[],"comments":[],"users":[],"organizations":[],"extra":[]}}}`, false},
	}
	for _, tt := range tests {
		if err := keyOrder([]byte(tt.data)); (err == nil) != tt.ok {
			t.Errorf("keyOrder(%s) = %v, want ok %v", tt.data, err, tt.ok)
		}
	}
}

// refRecords counts the records of a chat export, the header aside, with
// refcsv, apart from the migration's reader; why says why it cannot:
// --lazy-quotes, or an input whose delimiter, compression or encoding
// refcsv does not read.
func refRecords(chat []byte, lazy bool) (n int, why string) {
	firstLine, _, _ := bytes.Cut(chat, []byte("\n"))
	switch {
	case lazy:
		return 0, "--lazy-quotes"
	case bytes.ContainsAny(firstLine, ";|\t"):
		return 0, "the first line may pick another delimiter"
	case bytes.HasPrefix(chat, []byte{0x1f, 0x8b}), bytes.HasPrefix(chat, []byte{0x28, 0xb5, 0x2f, 0xfd}),
		bytes.HasPrefix(chat, []byte{0xff, 0xfe}), bytes.HasPrefix(chat, []byte{0xfe, 0xff}):
		return 0, "compressed or UTF-16"
	}
	n, ok := refcsv.CountRecords(chat, ',')
	if !ok {
		return 0, "a quote open at the end"
	}
	return n - 1, ""
}

// rejectReasons counts the rows of rejects.csv by reason.
func rejectReasons(t *testing.T, work string) map[string]int {
	t.Helper()
	f, err := os.Open(filepath.Join(work, workspace.RejectsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("rejects.csv: %v", err)
	}
	out := map[string]int{}
	for _, r := range rows[1:] {
		out[r[2]]++
	}
	return out
}

// checkRejectsFile reads rejects.csv with a strict CSV reader (every row as
// wide as the header, SPEC section 7) and returns its rows, which must be
// want.
func checkRejectsFile(t *testing.T, work string, want int64) int {
	t.Helper()
	f, err := os.Open(filepath.Join(work, workspace.RejectsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("rejects.csv does not open with a strict CSV reader: %v", err)
	}
	for _, r := range rows {
		for _, v := range r {
			if !utf8.ValidString(v) {
				t.Fatalf("rejects.csv holds invalid UTF-8: %q", v)
			}
		}
	}
	if int64(len(rows)-1) != want {
		t.Fatalf("rejects.csv has %d rows, build counted %d rejected records", len(rows)-1, want)
	}
	return len(rows) - 1
}
