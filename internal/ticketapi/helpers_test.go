package ticketapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
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
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeUsers) serve(w http.ResponseWriter, r *http.Request) {
	user, password, ok := r.BasicAuth()
	if !ok || user != testAPIUser || password != testAPIPassword {
		f.t.Errorf("request %s without the right Basic auth", r.URL)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.URL.Path != UsersPath {
		f.t.Errorf("request for %s, want %s", r.URL.Path, UsersPath)
	}
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil {
		f.t.Errorf("request %s without a page number", r.URL)
	}
	f.mu.Lock()
	f.hits[page]++
	hit := f.hits[page]
	f.mu.Unlock()
	f.answer(w, r, page, hit)
}

func (f *fakeUsers) pageURL(n int) string {
	return fmt.Sprintf("%s%s?page=%d", f.srv.URL, UsersPath, n)
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

// sampleCSV is what the users of sampleUser 1..total look like written as
// ticket_platform_users.csv (see usersCSV).
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

// usersCSV writes users as id,email lines, for comparing with sampleCSV.
func usersCSV(users []User) string {
	var b strings.Builder
	b.WriteString("id,email\n")
	for _, u := range users {
		fmt.Fprintf(&b, "%d,%s\n", u.ID, u.Email)
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
			out["next_page"] = fmt.Sprintf("%s%s?page=%d", base, UsersPath, page+1)
		}
	case "relative":
		out["next_page"] = nil
		if more {
			out["next_page"] = fmt.Sprintf("%s?page=%d", UsersPath, page+1)
		}
	case "absolute-no-null":
		out["next_page"] = fmt.Sprintf("%s%s?page=%d", base, UsersPath, page+1)
	}
	return out
}

func writePage(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// sleeps records the waits a fetch asked for instead of waiting.
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

// syncBuffer is a bytes.Buffer safe for the fetch's concurrent notes.
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

// fetchRun is one Fetch with the defaults of the step's flags; notes and
// warnings are what the step prints on stderr.
type fetchRun struct {
	cfg             Config
	notes, warnings *syncBuffer
	sleeps          *sleeps
	res             Result
}

func newFetchRun(t *testing.T, apiURL string) *fetchRun {
	t.Helper()
	r := &fetchRun{notes: &syncBuffer{}, warnings: &syncBuffer{}, sleeps: &sleeps{}}
	r.cfg = Config{
		BaseURL:      apiURL,
		User:         testAPIUser,
		Password:     testAPIPassword,
		Concurrency:  4,
		Retries:      5,
		Timeout:      30 * time.Second,
		MaxRetryWait: 5 * time.Minute,
		Dir:          filepath.Join(t.TempDir(), ".fetch-users"),
		Sleep:        r.sleeps.sleep,
		Notes:        r.notes,
		Warnings:     r.warnings,
	}
	return r
}

func (r *fetchRun) run(t *testing.T) (Result, error) {
	t.Helper()
	return r.runCtx(context.Background())
}

func (r *fetchRun) runCtx(ctx context.Context) (Result, error) {
	res, err := Fetch(ctx, r.cfg)
	r.res = res
	return res, err
}

// export is the users of the last run as ticket_platform_users.csv.
func (r *fetchRun) export(t *testing.T) string {
	t.Helper()
	return usersCSV(r.res.Users)
}

// noExport fails when a failed run returned users.
func (r *fetchRun) noExport(t *testing.T) {
	t.Helper()
	if len(r.res.Users) != 0 || r.res.Pages != 0 {
		t.Errorf("a failed fetch returned %d users from %d pages", len(r.res.Users), r.res.Pages)
	}
}

func wantCounts(t *testing.T, got Result, pages, users, retries int) {
	t.Helper()
	if got.Pages != pages || len(got.Users) != users || got.Retries != retries {
		t.Errorf("pages %d, users %d, retries %d; want %d, %d, %d", got.Pages, len(got.Users), got.Retries, pages, users, retries)
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

// wantIs fails unless err wraps target.
func wantIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("error %v does not wrap %v", err, target)
	}
}
