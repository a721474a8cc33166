package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/migrate-tool/migrate/fixtures/refcsv"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/state"
	"github.com/migrate-tool/migrate/internal/workspace"
	"github.com/migrate-tool/migrate/steps"
)

// hostileCase is what a folder under fixtures/hostile expects, read from its
// expect file: one directive per line, # starts a comment.
//
//	args --lazy-quotes          extra flags for run, split at spaces
//	generate big-body           the test writes chat_data.csv (big-body), or none (no file)
//	exit 2                      the exit status
//	msg chat_data.csv: line 3   a substring of the error message (one per line)
//	count build.comments 2      a number of report.json, by dotted path
//	reject 2 3 malformed_row    a row of rejects.csv (record, line, reason); when
//	                            any is given, they are the whole list
//	kept 1,13,5,Ann             text that rejects.csv must hold somewhere (one per line)
//	env SOURCE_DATE_EPOCH=-1    a variable run's getenv gives (one per line; none otherwise)
//	work merged_users.csv       a file of the case folder put in the work dir before the
//	                            run, as an earlier run left it; it must stay as it was
//	left report.json            the files the work dir holds after the run, all of them
//	                            (migrate.lock aside); "left" alone: none
//
// The case folder may hold its own chat_data.csv and ticket_platform_users.csv;
// otherwise the ones in fixtures/hostile are used.
type hostileCase struct {
	args     []string
	generate string
	exit     int
	msgs     []string
	counts   []hostileCount
	rejects  []string // "record line reason"
	kept     []string
	env      map[string]string
	work     []string
	left     []string // nil: not checked
}

type hostileCount struct {
	path string
	want float64
}

func readHostileCase(t *testing.T, path string) hostileCase {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c hostileCase
	for n, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, rest, _ := strings.Cut(line, " ")
		bad := func() { t.Fatalf("%s:%d: cannot read %q", path, n+1, line) }
		switch key {
		case "args":
			c.args = append(c.args, strings.Fields(rest)...)
		case "generate":
			c.generate = rest
		case "exit":
			if c.exit, err = strconv.Atoi(rest); err != nil {
				bad()
			}
		case "msg":
			c.msgs = append(c.msgs, rest)
		case "count":
			p, v, _ := strings.Cut(rest, " ")
			want, err := strconv.ParseFloat(v, 64)
			if err != nil {
				bad()
			}
			c.counts = append(c.counts, hostileCount{p, want})
		case "reject":
			c.rejects = append(c.rejects, strings.Join(strings.Fields(rest), " "))
		case "kept":
			c.kept = append(c.kept, rest)
		case "env":
			k, v, ok := strings.Cut(rest, "=")
			if !ok {
				bad()
			}
			if c.env == nil {
				c.env = map[string]string{}
			}
			c.env[k] = v
		case "work":
			c.work = append(c.work, strings.Fields(rest)...)
		case "left":
			c.left = append([]string{}, strings.Fields(rest)...)
		default:
			bad()
		}
	}
	return c
}

// stepOutputs are the files each step writes in the work dir, in pipeline order.
var stepOutputs = []struct {
	step  string
	files []string
}{
	{"chat-users", []string{workspace.ChatUsersFile}},
	{"merge-users", []string{workspace.MergedUsersFile}},
	// A build that fails records no run (SPEC section 12): no migrate.db
	// either, in a work dir that had none.
	{"build", []string{workspace.RejectsFile, workspace.ArchiveFile, state.File}},
	{"verify", nil},
}

// TestHostileInput runs every case of fixtures/hostile through run, with all
// steps but fetch-users, and checks its outcome and the promises that hold
// for any input: no panic, no temporary or half-written file left, nothing
// under the final name of a step that failed, and when build completes,
// records = comments + exact duplicates + rejected records.
func TestHostileInput(t *testing.T) {
	expects, err := filepath.Glob("fixtures/hostile/*/expect")
	if err != nil || len(expects) == 0 {
		t.Fatalf("no hostile cases found: %v", err)
	}
	for _, expect := range expects {
		dir := filepath.Dir(expect)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c := readHostileCase(t, expect)
			work := t.TempDir()
			chat := hostileInput(dir, "chat_data.csv")
			switch c.generate {
			case "":
			case "none":
				chat = filepath.Join(t.TempDir(), "chat_data.csv")
			case "big-body":
				chat = writeBigBody(t)
			default:
				t.Fatalf("%s: unknown generator %q", expect, c.generate)
			}
			args := append([]string{
				"--steps", "chat-users,merge-users,build,verify",
				"--chat-csv", chat,
				"--ticket-users", hostileInput(dir, "ticket_platform_users.csv"),
				"--work-dir", work,
				"--quiet",
			}, c.args...)
			given := map[string][]byte{}
			for _, name := range c.work {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(work, name), b, 0o600); err != nil {
					t.Fatal(err)
				}
				given[name] = b
			}
			getenv := noEnv
			if c.env != nil {
				getenv = func(k string) string { return c.env[k] }
			}

			err := runNoPanicEnv(t, args, getenv)
			status := fail.Code(err)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			t.Logf("exit status %d: %s", status, msg)
			if status != c.exit {
				t.Fatalf("exit status %d, want %d; error: %v", status, c.exit, err)
			}
			for _, m := range c.msgs {
				if !strings.Contains(msg, m) {
					t.Errorf("error message lacks %q:\n%s", m, msg)
				}
			}
			checkNoHalfWritten(t, work, err)
			for name, b := range given {
				if now, err := os.ReadFile(filepath.Join(work, name)); err != nil || !bytes.Equal(now, b) {
					t.Errorf("%s, put in the work dir before the run, changed: %v", name, err)
				}
			}
			if c.left != nil {
				entries, err := os.ReadDir(work)
				if err != nil {
					t.Fatal(err)
				}
				var left []string
				for _, e := range entries {
					if e.Name() != workspace.LockFile {
						left = append(left, e.Name())
					}
				}
				if slices.Sort(c.left); !slices.Equal(left, c.left) {
					t.Errorf("the work dir holds %q, want %q", left, c.left)
				}
			}
			report := readReport(t, work)
			for _, want := range c.counts {
				got, ok := reportValue(report, want.path)
				if !ok {
					t.Errorf("report.json has no %s", want.path)
				} else if got != want.want {
					t.Errorf("report.json %s = %v, want %v", want.path, got, want.want)
				}
			}
			if _, ok := report["build"]; ok {
				checkReconciliation(t, work, chat, slices.Contains(c.args, "--lazy-quotes"), report, c.rejects)
				rejects, _ := os.ReadFile(filepath.Join(work, workspace.RejectsFile))
				for _, text := range c.kept {
					if !strings.Contains(string(rejects), text) {
						t.Errorf("rejects.csv lost %q:\n%s", text, rejects)
					}
				}
			} else if c.rejects != nil || c.kept != nil {
				t.Errorf("rejects expected but build did not complete")
			}
		})
	}
}

func hostileInput(dir, name string) string {
	if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
		return filepath.Join(dir, name)
	}
	return filepath.Join(filepath.Dir(dir), name)
}

// runNoPanic calls run and turns a panic into a test failure with its stack.
func runNoPanic(t *testing.T, args []string) (err error) {
	t.Helper()
	return runNoPanicEnv(t, args, noEnv)
}

// runNoPanicEnv is runNoPanic with an environment.
func runNoPanicEnv(t *testing.T, args []string, getenv func(string) string) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("run panicked: %v\n%s", p, debug.Stack())
		}
	}()
	var stdout, stderr bytes.Buffer
	return run(context.Background(), args, &stdout, &stderr, getenv)
}

// writeBigBody writes a chat export whose second record has a 10 MB BODY:
// quoted, with commas, doubled quotes, CRLF and LF line breaks and
// characters that HTML-escaping grows. It is generated, not committed.
func writeBigBody(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chat_data.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,NAME,EMAIL,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT,TICKET_CREATED_AT,TICKET_REQUESTER_ID\n")
	w.WriteString("1,11,5,Ann,ann@example.com,Hello,true,2021-01-01T10:00:00Z,2021-01-01T10:00:00Z,5\n")
	w.WriteString(`1,12,5,Ann,ann@example.com,"`)
	chunk := "a, \"quoted\" <b>&amp; é\r\nsecond line\n"
	for n := 0; n < 10<<20; n += len(chunk) {
		w.WriteString(strings.ReplaceAll(chunk, `"`, `""`))
	}
	w.WriteString("\",true,2021-01-01T10:01:00Z,2021-01-01T10:00:00Z,5\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkNoHalfWritten asserts that no temporary file is left in the work dir
// and that the step that failed, and every later one, left nothing under a
// final name (the work dir starts empty).
func checkNoHalfWritten(t *testing.T, work string, runErr error) {
	t.Helper()
	entries, err := os.ReadDir(work)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left in the work dir", e.Name())
		}
	}
	if runErr == nil {
		return
	}
	failed, _, ok := strings.Cut(runErr.Error(), ":")
	at := slices.IndexFunc(stepOutputs, func(s struct {
		step  string
		files []string
	}) bool {
		return s.step == failed
	})
	if !ok || at < 0 {
		// An error before any step ran (bad flags): nothing at all may exist.
		at = 0
	}
	for _, s := range stepOutputs[at:] {
		for _, name := range s.files {
			if name == workspace.RejectsFile && errors.Is(runErr, steps.ErrTooManyRejects) {
				// Too many rejects: rejects.csv and report.json say why,
				// and no archive is written.
				continue
			}
			if _, err := os.Stat(filepath.Join(work, name)); err == nil {
				t.Errorf("%s exists after %s failed: %v", name, failed, runErr)
			}
		}
	}
	if failed != "verify" && !errors.Is(runErr, steps.ErrTooManyRejects) {
		if _, ok := readReport(t, work)[failed]; ok {
			t.Errorf("report.json has an object for %s, which failed", failed)
		}
	}
}

func readReport(t *testing.T, work string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(work, workspace.ReportFile))
	if os.IsNotExist(err) {
		return map[string]any{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var report map[string]any
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatalf("report.json is not JSON: %v\n%s", err, raw)
	}
	return report
}

// reportValue finds a number in report.json by a dotted path such as
// "build.rejected.malformed_row".
func reportValue(report map[string]any, path string) (float64, bool) {
	var v any = report
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return 0, false
		}
		if v, ok = m[key]; !ok {
			return 0, false
		}
	}
	f, ok := v.(float64)
	return f, ok
}

// checkReconciliation checks SPEC section 7 on a completed build against
// what it wrote, counted here independently of build's own guard: the
// comments in the archive, the rows of rejects.csv (read by a strict CSV
// reader: every row as wide as the header) and the records of the export:
// records = comments + exact duplicates + rejected records. When want is
// not nil, rejects.csv holds exactly those rows (record line reason).
func checkReconciliation(t *testing.T, work, chat string, lazy bool, report map[string]any, want []string) {
	t.Helper()
	get := func(p string) float64 {
		v, ok := reportValue(report, "build."+p)
		if !ok {
			t.Fatalf("report.json has no build.%s", p)
		}
		return v
	}
	records, comments, dups, rejected := get("records"), get("comments"), get("exact_duplicates"), get("rejected_records")
	byReason := report["build"].(map[string]any)["rejected"].(map[string]any)
	sum := 0.0
	for _, v := range byReason {
		sum += v.(float64)
	}
	if sum != rejected {
		t.Errorf("rejected by reason add up to %v, rejected_records is %v", sum, rejected)
	}

	// The records of the export, read again here.
	if n := countRecords(t, chat, lazy); float64(n) != records {
		t.Errorf("the export holds %d records, report.json says %v", n, records)
	}
	// The comments in the archive, when one was written.
	if written, _ := report["build"].(map[string]any)["archive_written"].(bool); written {
		if n := countArchiveComments(t, filepath.Join(work, workspace.ArchiveFile)); float64(n) != comments {
			t.Errorf("the archive holds %d comments, report.json says %v", n, comments)
		}
	}

	f, err := os.Open(filepath.Join(work, workspace.RejectsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = 0 // every row as wide as the header
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("rejects.csv does not open with a strict CSV reader: %v", err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0][:5], []string{"record", "line", "reason", "column", "detail"}) || rows[0][len(rows[0])-1] != "raw" {
		t.Fatalf("rejects.csv header: %q", rows[0])
	}
	var got []string
	last := 0
	reasons := map[string]float64{}
	for _, r := range rows[1:] {
		reasons[r[2]]++
		rec, _ := strconv.Atoi(r[0])
		if rec <= last {
			t.Errorf("rejects.csv: record %s after record %d", r[0], last)
		}
		last = rec
		if !utf8.ValidString(strings.Join(r, "")) {
			t.Errorf("rejects.csv: record %s holds invalid UTF-8", r[0])
		}
		if r[4] == "" {
			t.Errorf("rejects.csv: record %s (%s) says nothing in detail", r[0], r[2])
		}
		got = append(got, strings.Join(r[:3], " "))
	}
	if float64(len(got)) != rejected {
		t.Errorf("rejects.csv has %d rows, report.json says %v rejected", len(got), rejected)
	}
	for reason, v := range byReason {
		if reasons[reason] != v.(float64) {
			t.Errorf("rejects.csv lists %v %s, report.json says %v", reasons[reason], reason, v)
		}
		delete(reasons, reason)
	}
	if len(reasons) > 0 {
		t.Errorf("rejects.csv lists reasons report.json does not count: %v", reasons)
	}
	if records != comments+dups+float64(len(got)) {
		t.Errorf("records %v != comments %v + exact duplicates %v + %d rows of rejects.csv", records, comments, dups, len(got))
	}
	if want != nil && !slices.Equal(got, want) {
		t.Errorf("rejects.csv rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// countRecords counts the records of a chat export, the header aside, with
// refcsv, a reading of SPEC section 3 that shares no code with the
// migration's reader. --lazy-quotes is not modelled there: with it, the
// records are counted with the migration's reader, which then checks only
// that build counted every record the reader gave.
func countRecords(t *testing.T, path string, lazy bool) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !lazy {
		n, ok := refcsv.CountRecords(data, ',')
		if !ok {
			t.Errorf("%s ends inside a quoted field, yet build completed", path)
		}
		return n - 1
	}
	r := frame.NewReader(bytes.NewReader(data))
	r.LazyQuotes = true
	n := -1 // the header
	for {
		_, _, err := r.Read()
		if err == io.EOF {
			return n
		}
		var pe *frame.ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Fatal(err)
		}
		n++
	}
}

// countArchiveComments counts the comment objects of an archive.
func countArchiveComments(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	expandArchive(t, f, out)
	n := 0
	for name, b := range out {
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		var batch struct {
			Data struct {
				Tickets struct {
					Comments []json.RawMessage `json:"comments"`
				} `json:"tickets"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &batch); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n += len(batch.Data.Tickets.Comments)
	}
	return n
}
