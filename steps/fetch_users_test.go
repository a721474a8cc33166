package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/ticketapi"
	"github.com/migrate-tool/migrate/internal/workspace"
)

const (
	testAPIUser     = "agent@example.com"
	testAPIPassword = "s3cr3t-Pa55w0rd"
)

// fakeUsers is a ticket platform's users API for tests: it checks Basic
// auth, counts requests per page and lets each test answer them.
type fakeUsers struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	hits   map[int]int
	answer func(w http.ResponseWriter, r *http.Request, page, hit int)
}

func newFakeUsers(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, page, hit int)) *fakeUsers {
	t.Helper()
	f := &fakeUsers{t: t, hits: map[int]int{}, answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		if !ok || user != testAPIUser || password != testAPIPassword {
			t.Errorf("request %s without the right Basic auth", r.URL)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path != ticketapi.UsersPath {
			t.Errorf("request for %s, want %s", r.URL.Path, ticketapi.UsersPath)
		}
		page, err := strconv.Atoi(r.URL.Query().Get("page"))
		if err != nil {
			t.Errorf("request %s without a page number", r.URL)
		}
		f.mu.Lock()
		f.hits[page]++
		hit := f.hits[page]
		f.mu.Unlock()
		f.answer(w, r, page, hit)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeUsers) pageURL(n int) string {
	return fmt.Sprintf("%s%s?page=%d", f.srv.URL, ticketapi.UsersPath, n)
}

func (f *fakeUsers) hitsOf(page int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[page]
}

func (f *fakeUsers) totalHits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, h := range f.hits {
		n += h
	}
	return n
}

// sampleUser is user i of a test's API: every seventh has a null email,
// and emails keep their case, as the API gives them.
func sampleUser(i int) map[string]any {
	u := map[string]any{"id": 1000 + i, "email": fmt.Sprintf("User%d@Example.com", i), "name": "ignored"}
	if i%7 == 0 {
		u["email"] = nil
	}
	return u
}

func sampleCSV(total int) string {
	var b strings.Builder
	b.WriteString("id,email\n")
	for i := 1; i <= total; i++ {
		email := fmt.Sprintf("User%d@Example.com", i)
		if i%7 == 0 {
			email = ""
		}
		fmt.Fprintf(&b, "%d,%s\n", 1000+i, email)
	}
	return b.String()
}

// paging says how a paged answer links its pages.
type paging struct {
	total, per int
	count      bool
	// next is "absolute", "relative", "absent" (no next_page at all) or
	// "absolute-no-null" (the last page links to an empty one).
	next string
}

func (p paging) answer(f **fakeUsers) func(w http.ResponseWriter, r *http.Request, page, hit int) {
	return func(w http.ResponseWriter, r *http.Request, page, hit int) {
		writePage(w, p.body((*f).srv.URL, page))
	}
}

func (p paging) body(base string, page int) map[string]any {
	users := []map[string]any{}
	for i := (page-1)*p.per + 1; i <= min(page*p.per, p.total); i++ {
		users = append(users, sampleUser(i))
	}
	out := map[string]any{"users": users}
	if p.count {
		out["count"] = p.total
	}
	more := page*p.per < p.total
	switch p.next {
	case "absolute":
		out["next_page"] = nil
		if more {
			out["next_page"] = fmt.Sprintf("%s%s?page=%d", base, ticketapi.UsersPath, page+1)
		}
	case "relative":
		out["next_page"] = nil
		if more {
			out["next_page"] = fmt.Sprintf("%s?page=%d", ticketapi.UsersPath, page+1)
		}
	case "absolute-no-null":
		out["next_page"] = fmt.Sprintf("%s%s?page=%d", base, ticketapi.UsersPath, page+1)
	}
	return out
}

func writePage(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// sleeps records the waits a step asked for instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// syncBuffer is a bytes.Buffer safe for the step's concurrent notes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fetchRun struct {
	env            *Env
	stdout, stderr *syncBuffer
	sleeps         *sleeps
}

func newFetchRun(t *testing.T, apiURL string) *fetchRun {
	t.Helper()
	r := &fetchRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, sleeps: &sleeps{}}
	opt := DefaultOptions()
	opt.WorkDir = t.TempDir()
	opt.APIURL = apiURL
	r.env = &Env{
		Opt:    opt,
		Stdout: r.stdout,
		Stderr: r.stderr,
		Now:    time.Now(),
		Getenv: mapGetenv(map[string]string{EnvAPIUser: testAPIUser, EnvAPIPassword: testAPIPassword}),
		Sleep:  r.sleeps.sleep,
	}
	return r
}

func mapGetenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func (r *fetchRun) run(t *testing.T) (report.Counts, error) {
	t.Helper()
	return FetchUsers(context.Background(), r.env, &Memo{})
}

func (r *fetchRun) export(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.env.Opt.WorkDir, workspace.TicketUsersFile))
	if err != nil {
		t.Fatalf("reading the export: %v", err)
	}
	return string(data)
}

func (r *fetchRun) noExport(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(r.env.Opt.WorkDir, workspace.TicketUsersFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s exists after a failed fetch (stat: %v)", workspace.TicketUsersFile, err)
	}
}

// wantCounts checks the step's counts: pages, users and retries, then no
// warning.
func wantCounts(t *testing.T, got report.Counts, pages, users, retries int) {
	t.Helper()
	want := report.Counts{{"pages", pages}, {"users", users}, {"retries", retries}, {"warnings", report.Counts{
		{"invalid_email", 0}, {"ticket_platform_count_mismatch", 0}, {"ticket_platform_count_ignored", 0},
	}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
}

func wantError(t *testing.T, err error, code int, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want exit status %d mentioning %q", code, parts)
	}
	if got := fail.Code(err); got != code {
		t.Errorf("exit status %d, want %d (error: %v)", got, code, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestFetchUsersPaging(t *testing.T) {
	tests := []struct {
		name        string
		paging      paging
		concurrency int
		pages       int
		requested   []int
	}{
		{"count, fetched concurrently", paging{total: 250, per: 100, count: true, next: "absolute"}, 2, 3, []int{1, 2, 3}},
		{"count with relative next_page", paging{total: 300, per: 100, count: true, next: "relative"}, 4, 3, []int{1, 2, 3}},
		{"count, one page", paging{total: 40, per: 100, count: true, next: "absolute"}, 4, 1, []int{1}},
		{"no count, absolute next_page", paging{total: 250, per: 100, next: "absolute"}, 4, 3, []int{1, 2, 3}},
		{"no count, relative next_page", paging{total: 250, per: 100, next: "relative"}, 4, 3, []int{1, 2, 3}},
		{"no count, no next_page: ends at an empty page", paging{total: 250, per: 100, next: "absent"}, 4, 4, []int{1, 2, 3, 4}},
		{"no count, next_page never null: ends at an empty page", paging{total: 200, per: 100, next: "absolute-no-null"}, 4, 3, []int{1, 2, 3}},
		{"empty first page", paging{total: 0, per: 100, count: true, next: "absolute"}, 4, 1, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var api *fakeUsers
			api = newFakeUsers(t, tt.paging.answer(&api))
			r := newFetchRun(t, api.srv.URL)
			r.env.Opt.Concurrency = tt.concurrency
			counts, err := r.run(t)
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, counts, tt.pages, tt.paging.total, 0)
			if got, want := r.export(t), sampleCSV(tt.paging.total); got != want {
				t.Errorf("export:\n%s\nwant:\n%s", got, want)
			}
			for _, p := range tt.requested {
				if h := api.hitsOf(p); h != 1 {
					t.Errorf("page %d requested %d times, want once", p, h)
				}
			}
			if h := api.totalHits(); h != len(tt.requested) {
				t.Errorf("%d requests, want %d", h, len(tt.requested))
			}
			if _, err := os.Stat(filepath.Join(r.env.Opt.WorkDir, FetchDir)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s still there after a complete fetch", FetchDir)
			}
		})
	}
}

func TestFetchUsersMissingCredentials(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		missing string
	}{
		{"none", map[string]string{}, EnvAPIUser + " and " + EnvAPIPassword + " not set"},
		{"no password", map[string]string{EnvAPIUser: "me"}, EnvAPIPassword + " not set"},
		{"no user", map[string]string{EnvAPIPassword: "pw"}, EnvAPIUser + " not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newFetchRun(t, "https://support.example.com")
			r.env.Getenv = mapGetenv(tt.env)
			_, err := r.run(t)
			wantError(t, err, fail.Usage, tt.missing, "--ticket-users")
		})
	}
}

func TestFetchUsersRefusesPlainHTTPToAnotherMachine(t *testing.T) {
	r := newFetchRun(t, "http://support.example.com")
	_, err := r.run(t)
	wantError(t, err, fail.Usage, "plain http", "https")
}

func TestFetchUsersSkipsAnExistingExport(t *testing.T) {
	r := newFetchRun(t, "https://unreachable.invalid")
	existing := filepath.Join(t.TempDir(), "mine.csv")
	if err := os.WriteFile(existing, []byte("id,email\n1,a@b.c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.env.Opt.TicketUsers = existing
	counts, err := r.run(t)
	if err != nil || counts != nil {
		t.Fatalf("counts %v, err %v: want skipped", counts, err)
	}
	if data, _ := os.ReadFile(existing); string(data) != "id,email\n1,a@b.c\n" {
		t.Errorf("the existing export changed: %q", data)
	}
	if !strings.Contains(r.stderr.String(), "skipped") {
		t.Errorf("stderr %q does not say the step was skipped", r.stderr.String())
	}
}

func TestFetchUsersWritesTheNamedExport(t *testing.T) {
	p := paging{total: 3, per: 100, next: "absolute"}
	var api *fakeUsers
	api = newFakeUsers(t, p.answer(&api))
	r := newFetchRun(t, api.srv.URL)
	r.env.Opt.TicketUsers = filepath.Join(t.TempDir(), "fetched.csv")
	if _, err := r.run(t); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(r.env.Opt.TicketUsers)
	if err != nil || string(data) != sampleCSV(3) {
		t.Errorf("--ticket-users file: %q, %v; want %q", data, err, sampleCSV(3))
	}
}

func TestFetchUsersInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	r := newFetchRun(t, api.srv.URL)
	_, err := FetchUsers(ctx, r.env, &Memo{})
	// SPEC section 2: an interrupt exits 130 (a context cancelled without a
	// signal's cause counts as SIGINT); the step once exited 1 here.
	wantError(t, err, fail.Interrupted, "interrupted", "rerun")
	r.noExport(t)
}

func TestFetchUsersNoExportAfterAFailure(t *testing.T) {
	p := paging{total: 250, per: 100, next: "absolute"}
	var api *fakeUsers
	api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		if page == 3 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		writePage(w, p.body(api.srv.URL, page))
	})
	r := newFetchRun(t, api.srv.URL)
	counts, err := r.run(t)
	wantError(t, err, fail.Failure, "404 Not Found", api.pageURL(3))
	if counts != nil {
		t.Errorf("counts %v after a failure", counts)
	}
	r.noExport(t)
	if _, err := os.Stat(filepath.Join(r.env.Opt.WorkDir, FetchDir, "page-000002.json")); err != nil {
		t.Errorf("page 2 is not kept for the rerun: %v", err)
	}
}

func TestFetchUsersReportsWarnings(t *testing.T) {
	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		users := []any{sampleUser(1), map[string]any{"id": 2000, "email": "nul\x00@example.com"}}
		if page > 1 {
			users = []any{}
		}
		writePage(w, map[string]any{"users": users, "count": 5})
	})
	r := newFetchRun(t, api.srv.URL)
	r.env.Opt.Quiet = true
	counts, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	want := report.Counts{{"pages", 2}, {"users", 2}, {"retries", 0}, {"warnings", report.Counts{
		{"invalid_email", 1}, {"ticket_platform_count_mismatch", 1}, {"ticket_platform_count_ignored", 0},
	}}}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("counts = %v, want %v", counts, want)
	}
	if got, want := r.export(t), "id,email\n1001,User1@Example.com\n2000,\n"; got != want {
		t.Errorf("export %q, want %q", got, want)
	}
	// Warnings are no progress: --quiet keeps them.
	for _, w := range []string{"invalid_email", "ticket_platform_count_mismatch: page 1 gives count 5, but 2 users were received"} {
		if !strings.Contains(r.stderr.String(), w) {
			t.Errorf("stderr %q does not mention %q", r.stderr.String(), w)
		}
	}
}

func TestMaxRetryWaitOption(t *testing.T) {
	opt := DefaultOptions()
	if opt.MaxRetryWait != 5*time.Minute {
		t.Errorf("default --max-retry-wait %v, want 5m", opt.MaxRetryWait)
	}
	for _, bad := range []time.Duration{0, -time.Second} {
		opt.MaxRetryWait = bad
		err := opt.Validate()
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Flag != "max-retry-wait" || fail.Code(err) != fail.Usage {
			t.Errorf("--max-retry-wait %v: Validate = %v, want an *OptionError for max-retry-wait", bad, err)
		}
	}

	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		w.Header().Set("Retry-After", "11")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	r := newFetchRun(t, api.srv.URL)
	r.env.Opt.MaxRetryWait = 10 * time.Second
	_, err := r.run(t)
	wantError(t, err, fail.Failure, "11s", "--max-retry-wait 10s")
	if !errors.Is(err, ticketapi.ErrWaitTooLong) {
		t.Errorf("error %v does not wrap ticketapi.ErrWaitTooLong", err)
	}
}

func TestFetchUsersNeedsAnHTTPTransport(t *testing.T) {
	r := newFetchRun(t, "https://support.example.com")
	r.env.HTTPClient = &http.Client{Transport: http.NewFileTransport(http.Dir("."))}
	_, err := r.run(t)
	wantError(t, err, fail.Failure, "*http.Transport")
}
