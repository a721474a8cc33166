package steps

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/report"
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
		if r.URL.Path != usersEndpoint {
			t.Errorf("request for %s, want %s", r.URL.Path, usersEndpoint)
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
	return fmt.Sprintf("%s%s?page=%d", f.srv.URL, usersEndpoint, n)
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
			out["next_page"] = fmt.Sprintf("%s%s?page=%d", base, usersEndpoint, page+1)
		}
	case "relative":
		out["next_page"] = nil
		if more {
			out["next_page"] = fmt.Sprintf("%s?page=%d", usersEndpoint, page+1)
		}
	case "absolute-no-null":
		out["next_page"] = fmt.Sprintf("%s%s?page=%d", base, usersEndpoint, page+1)
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

func wantCounts(t *testing.T, got report.Counts, pages, users, retries int) {
	t.Helper()
	want := report.Counts{{"pages", pages}, {"users", users}, {"retries", retries}}
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

func TestFetchUsersRetryAfter(t *testing.T) {
	serverNow := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header func(h http.Header)
		want   time.Duration
		note   string
	}{
		{"seconds", func(h http.Header) { h.Set("Retry-After", "7") }, 7 * time.Second, "retrying in 7s"},
		{"HTTP date, against the response's Date", func(h http.Header) {
			h.Set("Date", serverNow.Format(http.TimeFormat))
			h.Set("Retry-After", serverNow.Add(90*time.Second).Format(http.TimeFormat))
		}, 90 * time.Second, "retrying in 1m30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := paging{total: 150, per: 100, next: "absolute"}
			var api *fakeUsers
			api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				if page == 2 && hit == 1 {
					tt.header(w.Header())
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				writePage(w, p.body(api.srv.URL, page))
			})
			r := newFetchRun(t, api.srv.URL)
			counts, err := r.run(t)
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, counts, 2, 150, 1)
			if got := r.sleeps.all(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("slept %v, want [%v]", got, tt.want)
			}
			wantNote := "page 2: 429 Too Many Requests, " + tt.note + " (retry 1 of 5)\n"
			if got := r.stderr.String(); got != wantNote {
				t.Errorf("stderr %q, want %q", got, wantNote)
			}
		})
	}
}

func TestFetchUsersQuietRetryPrintsNothing(t *testing.T) {
	var api *fakeUsers
	p := paging{total: 5, per: 100, next: "absolute"}
	api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		if hit == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		writePage(w, p.body(api.srv.URL, page))
	})
	r := newFetchRun(t, api.srv.URL)
	r.env.Opt.Quiet = true
	counts, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, counts, 1, 5, 1)
	if s := r.stderr.String() + r.stdout.String(); s != "" {
		t.Errorf("quiet run printed %q", s)
	}
}

func TestFetchUsersServerErrorThenSuccess(t *testing.T) {
	p := paging{total: 150, per: 100, count: true, next: "absolute"}
	var api *fakeUsers
	api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		if page == 2 && hit <= 2 {
			http.Error(w, "database is sad", http.StatusInternalServerError)
			return
		}
		writePage(w, p.body(api.srv.URL, page))
	})
	r := newFetchRun(t, api.srv.URL)
	counts, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, counts, 2, 150, 2)
	got := r.sleeps.all()
	if len(got) != 2 {
		t.Fatalf("slept %v, want two backoffs", got)
	}
	// Exponential backoff with jitter in the upper half: 0.5-1s, then 1-2s.
	if got[0] < 500*time.Millisecond || got[0] > time.Second || got[1] < time.Second || got[1] > 2*time.Second {
		t.Errorf("backoffs %v, want one in [0.5s,1s] then one in [1s,2s]", got)
	}
	if h := api.hitsOf(2); h != 3 {
		t.Errorf("page 2 requested %d times, want 3", h)
	}
	if !strings.Contains(r.stderr.String(), "page 2: 500 Internal Server Error, retrying in ") {
		t.Errorf("stderr %q does not tell of the retry", r.stderr.String())
	}
}

func TestFetchUsersNetworkErrorRetried(t *testing.T) {
	p := paging{total: 3, per: 100, next: "absolute"}
	var api *fakeUsers
	api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		if hit == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
			return
		}
		writePage(w, p.body(api.srv.URL, page))
	})
	r := newFetchRun(t, api.srv.URL)
	counts, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, counts, 1, 3, 1)
}

func TestFetchUsersTimeoutRetried(t *testing.T) {
	p := paging{total: 3, per: 100, next: "absolute"}
	var api *fakeUsers
	api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		if hit == 1 {
			<-r.Context().Done() // answer only once the client gave up
			return
		}
		writePage(w, p.body(api.srv.URL, page))
	})
	r := newFetchRun(t, api.srv.URL)
	r.env.Opt.Timeout = 20 * time.Millisecond
	counts, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, counts, 1, 3, 1)
	if !strings.Contains(r.stderr.String(), "page 1: no answer within 20ms (--timeout), retrying") {
		t.Errorf("stderr %q does not tell of the timeout", r.stderr.String())
	}
}

func TestFetchUsersRetriesExhausted(t *testing.T) {
	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	r := newFetchRun(t, api.srv.URL)
	r.env.Opt.Retries = 2
	_, err := r.run(t)
	wantError(t, err, fail.Failure, "page 1: 503 Service Unavailable", api.pageURL(1), "after 2 retries", "--retries")
	if h := api.hitsOf(1); h != 3 {
		t.Errorf("page 1 requested %d times, want 3 (1 + 2 retries)", h)
	}
	if n := len(r.sleeps.all()); n != 2 {
		t.Errorf("slept %d times, want 2", n)
	}
	r.noExport(t)
}

func TestFetchUsersRefused(t *testing.T) {
	tests := []struct {
		status int
		code   int
		parts  []string
	}{
		{http.StatusUnauthorized, fail.Usage, []string{"401 Unauthorized", "refused the credentials", EnvAPIUser, EnvAPIPassword}},
		{http.StatusForbidden, fail.Usage, []string{"403 Forbidden", "refused the credentials", EnvAPIUser, EnvAPIPassword}},
		{http.StatusNotFound, fail.Failure, []string{"404 Not Found", "--api-url"}},
		{http.StatusBadRequest, fail.Failure, []string{"400 Bad Request"}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				w.WriteHeader(tt.status)
			})
			r := newFetchRun(t, api.srv.URL)
			_, err := r.run(t)
			wantError(t, err, tt.code, append(tt.parts, "page 1", api.pageURL(1))...)
			if h := api.totalHits(); h != 1 {
				t.Errorf("%d requests, want 1: %d is not retried", h, tt.status)
			}
			if s := r.sleeps.all(); len(s) != 0 {
				t.Errorf("slept %v", s)
			}
			r.noExport(t)
		})
	}
}

func TestFetchUsersCredentialsStayHome(t *testing.T) {
	var otherHits, otherAuth int
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		otherHits++
		if r.Header.Get("Authorization") != "" {
			otherAuth++
		}
		writePage(w, map[string]any{"users": []any{}})
	}))
	defer other.Close()

	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
	}{
		{"next_page to another port", func(w http.ResponseWriter, r *http.Request) {
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": other.URL + usersEndpoint + "?page=2"})
		}},
		{"next_page to another scheme", func(w http.ResponseWriter, r *http.Request) {
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": "https://" + r.Host + usersEndpoint + "?page=2"})
		}},
		{"redirect to another port", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+usersEndpoint+"?page=1", http.StatusFound)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) { tt.answer(w, r) })
			r := newFetchRun(t, api.srv.URL)
			_, err := r.run(t)
			wantError(t, err, fail.Usage, "another host, scheme or port", "--api-url")
			mu.Lock()
			defer mu.Unlock()
			if otherHits != 0 || otherAuth != 0 {
				t.Errorf("the other server got %d requests, %d with credentials", otherHits, otherAuth)
			}
			r.noExport(t)
		})
	}
}

func TestFetchUsersResume(t *testing.T) {
	tests := []struct {
		name        string
		paging      paging
		concurrency int
		failPage    int
	}{
		{"following next_page", paging{total: 450, per: 100, next: "absolute"}, 1, 4},
		{"known pages, concurrently", paging{total: 750, per: 100, count: true, next: "absolute"}, 3, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var broken atomic.Bool
			broken.Store(true)
			var api *fakeUsers
			api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				if broken.Load() && page == tt.failPage {
					w.WriteHeader(http.StatusNotFound)
					return
				}
				writePage(w, tt.paging.body(api.srv.URL, page))
			})
			r := newFetchRun(t, api.srv.URL)
			r.env.Opt.Concurrency = tt.concurrency
			if _, err := r.run(t); err == nil {
				t.Fatal("first run succeeded despite the broken page")
			}
			r.noExport(t)
			pages := (tt.paging.total + tt.paging.per - 1) / tt.paging.per
			kept := map[int]bool{}
			for p := 1; p <= pages; p++ {
				if _, err := os.Stat(filepath.Join(r.env.Opt.WorkDir, FetchDir, fmt.Sprintf("page-%06d.json", p))); err == nil {
					kept[p] = true
				}
			}
			if !kept[1] || kept[tt.failPage] {
				t.Fatalf("pages kept after the failure: %v", kept)
			}
			before := map[int]int{}
			for p := 1; p <= pages; p++ {
				before[p] = api.hitsOf(p)
			}

			broken.Store(false)
			counts, err := r.run(t)
			if err != nil {
				t.Fatal(err)
			}
			wantCounts(t, counts, pages, tt.paging.total, 0)
			if got, want := r.export(t), sampleCSV(tt.paging.total); got != want {
				t.Errorf("export after resuming:\n%s\nwant:\n%s", got, want)
			}
			// A request the first run cancelled may reach the server late,
			// so only the pages kept are checked exactly: not asked again.
			for p := 1; p <= pages; p++ {
				got := api.hitsOf(p)
				if kept[p] && got != before[p] {
					t.Errorf("page %d was kept after the failure, yet asked for again (%d requests, %d before)", p, got, before[p])
				}
				if !kept[p] && got == 0 {
					t.Errorf("page %d was never fetched", p)
				}
			}
			if _, err := os.Stat(filepath.Join(r.env.Opt.WorkDir, FetchDir)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s still there after a complete fetch", FetchDir)
			}
		})
	}
}

func TestFetchUsersPagesOfAnotherAddressAreNotReused(t *testing.T) {
	p := paging{total: 250, per: 100, next: "absolute"}
	var first *fakeUsers
	first = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		if page == 3 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		writePage(w, p.body(first.srv.URL, page))
	})
	r := newFetchRun(t, first.srv.URL)
	if _, err := r.run(t); err == nil {
		t.Fatal("first run succeeded despite the broken page")
	}
	var second *fakeUsers
	second = newFakeUsers(t, p.answer(&second))
	r.env.Opt.APIURL = second.srv.URL
	if _, err := r.run(t); err != nil {
		t.Fatal(err)
	}
	if h := second.totalHits(); h != 3 {
		t.Errorf("the second address got %d requests, want all 3 pages", h)
	}
}

func TestFetchUsersBadPages(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty body", "", "the response is empty, not JSON"},
		{"HTML", "<html><body>Maintenance</body></html>", `not a JSON object (it starts with "<html><body>Maintenance</body></html>")`},
		{"truncated JSON", `{"users":[{"id":1,"email":"a@b.c"},`, "malformed JSON"},
		{"trailing garbage", `{"users":[]} and more`, "malformed JSON"},
		{"id as a string", `{"users":[{"id":5,"email":null},{"id":"12","email":"a@b.c"}]}`, `user 2 of the page has id "\"12\"", not an integer`},
		{"fractional id", `{"users":[{"id":1.5}]}`, `user 1 of the page has id "1.5", not an integer`},
		{"id past int64", `{"users":[{"id":99999999999999999999}]}`, "not an integer"},
		{"missing id", `{"users":[{"email":"a@b.c"}]}`, "user 1 of the page has no valid id (got 0)"},
		{"negative id", `{"users":[{"id":3},{"id":-4}]}`, "user 2 of the page has no valid id (got -4)"},
		{"email as a number", `{"users":[{"id":3,"email":7}]}`, `user 1 of the page has email "7", neither a string nor null`},
		{"no users list", `{"count":3}`, `no "users" list`},
		{"users not a list", `{"users":{"id":1}}`, "users is"},
		{"count not a number", `{"users":[],"count":"many"}`, `count is "\"many\"", not an integer`},
		{"next_page a number", `{"users":[{"id":1}],"next_page":2}`, `next_page is "2", neither a URL nor null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				w.Write([]byte(tt.body))
			})
			r := newFetchRun(t, api.srv.URL)
			_, err := r.run(t)
			wantError(t, err, fail.Usage, "page 1 ("+api.pageURL(1)+")", tt.want)
			if h := api.totalHits(); h != 1 {
				t.Errorf("%d requests, want 1: a bad page is not retried", h)
			}
			r.noExport(t)
		})
	}
}

func TestFetchUsersConcurrencyKeepsPageOrder(t *testing.T) {
	// Pages 2..5 are answered last first: page k waits until page k+1 has
	// been answered, which only works when all four are asked at once.
	p := paging{total: 10, per: 2, count: true, next: "absolute"}
	answered := map[int]chan struct{}{}
	for k := 2; k <= 6; k++ {
		answered[k] = make(chan struct{})
	}
	close(answered[6])
	var api *fakeUsers
	api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		if page >= 2 {
			select {
			case <-answered[page+1]:
			case <-time.After(10 * time.Second):
				t.Errorf("page %d: page %d was never answered: the pages were not fetched at once", page, page+1)
			}
			defer close(answered[page])
		}
		writePage(w, p.body(api.srv.URL, page))
		w.(http.Flusher).Flush()
	})
	r := newFetchRun(t, api.srv.URL)
	r.env.Opt.Concurrency = 4
	r.env.Progress = progress.New(r.stderr, false)
	counts, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, counts, 5, 10, 0)
	if got, want := r.export(t), sampleCSV(10); got != want {
		t.Errorf("export:\n%s\nwant:\n%s", got, want)
	}
}

func TestFetchUsersPasswordNeverShown(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(testAPIUser + ":" + testAPIPassword))
	echo := testAPIPassword + " " + basic
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request, hit int)
	}{
		{"401 echoing the credentials", func(w http.ResponseWriter, r *http.Request, hit int) {
			http.Error(w, "bad password "+echo, http.StatusUnauthorized)
		}},
		{"non-JSON body starting with the password", func(w http.ResponseWriter, r *http.Request, hit int) {
			w.Write([]byte(testAPIPassword + " is wrong"))
		}},
		{"malformed JSON echoing it", func(w http.ResponseWriter, r *http.Request, hit int) {
			w.Write([]byte(`{"users":[{"id":1,"email":"` + echo + `"`))
		}},
		{"id echoing it", func(w http.ResponseWriter, r *http.Request, hit int) {
			w.Write([]byte(`{"users":[{"id":"` + testAPIPassword + `"}]}`))
		}},
		{"next_page carrying it to another host", func(w http.ResponseWriter, r *http.Request, hit int) {
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": "https://" + testAPIUser + ":" + testAPIPassword + "@elsewhere.example/" + testAPIPassword})
		}},
		{"next_page echoing it", func(w http.ResponseWriter, r *http.Request, hit int) {
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": 42.5, "echo": echo})
		}},
		{"503 echoing it, then success", func(w http.ResponseWriter, r *http.Request, hit int) {
			if hit == 1 {
				http.Error(w, echo, http.StatusServiceUnavailable)
				return
			}
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": nil, "echo": echo})
		}},
		{"retries exhausted", func(w http.ResponseWriter, r *http.Request, hit int) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, echo, http.StatusTooManyRequests)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) { tt.answer(w, r, hit) })
			r := newFetchRun(t, api.srv.URL)
			r.env.Opt.Retries = 1
			r.env.Progress = progress.New(r.stderr, false)
			_, err := r.run(t)
			shown := r.stdout.String() + r.stderr.String()
			if err != nil {
				shown += err.Error()
			}
			filepath.WalkDir(r.env.Opt.WorkDir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					data, _ := os.ReadFile(path)
					shown += path + string(data)
				}
				return nil
			})
			for _, secret := range []string{testAPIPassword, basic} {
				if strings.Contains(shown, secret) {
					t.Errorf("the credentials (%q) show in:\n%s", secret, shown)
				}
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
		{"none", map[string]string{}, EnvAPIUser + " and " + EnvAPIPassword + " is not set"},
		{"no password", map[string]string{EnvAPIUser: "me"}, EnvAPIPassword + " is not set"},
		{"no user", map[string]string{EnvAPIPassword: "pw"}, EnvAPIUser + " is not set"},
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

func TestParseAPIURL(t *testing.T) {
	tests := []struct {
		raw  string
		want string // the base URL, or "" when refused
	}{
		{"https://support.example.com", "https://support.example.com"},
		{"https://support.example.com/", "https://support.example.com"},
		{"https://support.example.com/tenant/", "https://support.example.com/tenant"},
		{"HTTPS://support.example.com", "https://support.example.com"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://localhost:8080/", "http://localhost:8080"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"http://127.1.2.3", "http://127.1.2.3"},
		{"http://support.example.com", ""},
		{"http://10.0.0.1:8080", ""},
		{"https://me:pw@support.example.com", ""},
		{"https://support.example.com?page=1", ""},
		{"ftp://support.example.com", ""},
		{"support.example.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := parseAPIURL(tt.raw)
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("accepted as %s, want refused", u)
			case tt.want == "" && fail.Code(err) != fail.Usage:
				t.Errorf("refused with exit status %d, want %d", fail.Code(err), fail.Usage)
			case tt.want != "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && u.String() != tt.want:
				t.Errorf("base %s, want %s", u, tt.want)
			}
		})
	}
}

func TestFetchUsersRefusesPlainHTTPToAnotherMachine(t *testing.T) {
	r := newFetchRun(t, "http://support.example.com")
	_, err := r.run(t)
	wantError(t, err, fail.Usage, "plain http", "https")
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://h.example", "https://h.example/api/v1/users.json?page=2", true},
		{"https://h.example", "https://H.EXAMPLE:443/x", true},
		{"http://127.0.0.1:80", "http://127.0.0.1/x", true},
		{"https://h.example", "http://h.example/x", false},
		{"https://h.example", "https://h.example:8443/x", false},
		{"https://h.example", "https://evil.example/x", false},
		{"https://h.example", "https://h.example.evil.example/x", false},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		if got := sameOrigin(a, b); got != tt.want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name       string
		retryAfter string
		dateHeader string
		want       time.Duration
	}{
		{"absent", "", "", 0},
		{"seconds", "3", "", 3 * time.Second},
		{"zero", "0", "", 0},
		{"negative", "-5", "", 0},
		{"garbage", "soon", "", 0},
		{"date against now", date(45 * time.Second), "", 45 * time.Second},
		{"date against the response's Date", date(time.Hour + 10*time.Second), date(time.Hour), 10 * time.Second},
		{"date in the past", date(-time.Minute), "", 0},
		{"huge", "99999999999999999999", "", 0},
		{"large", "86400", "", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			if tt.dateHeader != "" {
				h.Set("Date", tt.dateHeader)
			}
			if got := retryAfter(h, now); got != tt.want {
				t.Errorf("retryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestJitteredBackoff(t *testing.T) {
	for n := 1; n <= 12; n++ {
		full := min(firstBackoff<<(n-1), maxBackoff)
		for range 50 {
			if d := jitteredBackoff(n); d < full/2 || d > full {
				t.Fatalf("backoff %d = %v, want within [%v, %v]", n, d, full/2, full)
			}
		}
	}
}

func TestPacer(t *testing.T) {
	tests := []struct {
		name     string
		results  []bool // per attempt: true fails with retry, false succeeds
		retries  int
		wantErr  bool
		attempts int
	}{
		{"success at once", []bool{false}, 3, false, 1},
		{"success on the last retry", []bool{true, true, true, false}, 3, false, 4},
		{"retries exhausted", []bool{true, true, true, true, true}, 3, true, 4},
		{"no retries", []bool{true, false}, 0, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sleeps
			var retried []int
			p := pacer{
				retries: tt.retries,
				sleep:   s.sleep,
				backoff: func(n int) time.Duration { return time.Duration(n) * time.Second },
				onRetry: func(n int, wait time.Duration, err error) { retried = append(retried, n) },
			}
			attempts := 0
			err := p.do(context.Background(), func() (bool, time.Duration, error) {
				fail := tt.results[attempts]
				attempts++
				if fail {
					return true, 0, errors.New("busy")
				}
				return false, 0, nil
			})
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error: %v", err, tt.wantErr)
			}
			var gaveUp *retriesExhausted
			if tt.wantErr && !errors.As(err, &gaveUp) {
				t.Errorf("err = %v, want retriesExhausted", err)
			}
			if attempts != tt.attempts {
				t.Errorf("%d attempts, want %d", attempts, tt.attempts)
			}
			if len(retried) != tt.attempts-1 || len(s.all()) != tt.attempts-1 {
				t.Errorf("retries %v, sleeps %v, want %d of each", retried, s.all(), tt.attempts-1)
			}
			for i, d := range s.all() {
				if d != time.Duration(i+1)*time.Second {
					t.Errorf("wait %d = %v, want the backoff %v", i+1, d, time.Duration(i+1)*time.Second)
				}
			}
		})
	}
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
	wantError(t, err, fail.Failure, "interrupted", "rerun")
	r.noExport(t)
}
