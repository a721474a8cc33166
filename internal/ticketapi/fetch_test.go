package ticketapi

import (
	"context"
	"encoding/base64"
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
	"sync/atomic"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
)

func TestFetchPaging(t *testing.T) {
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
			r.cfg.Concurrency = tt.concurrency
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
			if err := r.res.Discard(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(r.cfg.Dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s still there after a complete fetch", r.cfg.Dir)
			}
		})
	}
}

func TestFetchRetryAfter(t *testing.T) {
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
			if got := r.notes.String(); got != wantNote {
				t.Errorf("stderr %q, want %q", got, wantNote)
			}
		})
	}
}

func TestFetchQuietRetryPrintsNothing(t *testing.T) {
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
	r.cfg.Notes = nil
	counts, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, counts, 1, 5, 1)
	if s := r.notes.String() + r.warnings.String(); s != "" {
		t.Errorf("quiet run printed %q", s)
	}
}

func TestFetchServerErrorThenSuccess(t *testing.T) {
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
	if !strings.Contains(r.notes.String(), "page 2: 500 Internal Server Error, retrying in ") {
		t.Errorf("stderr %q does not tell of the retry", r.notes.String())
	}
}

func TestFetchNetworkErrorRetried(t *testing.T) {
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

func TestFetchTimeoutRetried(t *testing.T) {
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
	r.cfg.Timeout = 20 * time.Millisecond
	counts, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, counts, 1, 3, 1)
	if !strings.Contains(r.notes.String(), "page 1: no answer within 20ms (--timeout), retrying") {
		t.Errorf("stderr %q does not tell of the timeout", r.notes.String())
	}
}

func TestFetchRetriesExhausted(t *testing.T) {
	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	r := newFetchRun(t, api.srv.URL)
	r.cfg.Retries = 2
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

func TestFetchRefused(t *testing.T) {
	tests := []struct {
		status int
		code   int
		parts  []string
	}{
		{http.StatusUnauthorized, fail.Usage, []string{"401 Unauthorized", "refused the credentials", "MIGRATE_API_USER", "MIGRATE_API_PASSWORD"}},
		{http.StatusForbidden, fail.Usage, []string{"403 Forbidden", "refused the credentials", "MIGRATE_API_USER", "MIGRATE_API_PASSWORD"}},
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

func TestFetchCredentialsStayHome(t *testing.T) {
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
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": other.URL + UsersPath + "?page=2"})
		}},
		{"next_page to another scheme", func(w http.ResponseWriter, r *http.Request) {
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": "https://" + r.Host + UsersPath + "?page=2"})
		}},
		{"redirect to another port", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+UsersPath+"?page=1", http.StatusFound)
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

func TestFetchResume(t *testing.T) {
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
			r.cfg.Concurrency = tt.concurrency
			if _, err := r.run(t); err == nil {
				t.Fatal("first run succeeded despite the broken page")
			}
			r.noExport(t)
			pages := (tt.paging.total + tt.paging.per - 1) / tt.paging.per
			kept := map[int]bool{}
			for p := 1; p <= pages; p++ {
				if _, err := os.Stat(filepath.Join(r.cfg.Dir, fmt.Sprintf("page-%06d.json", p))); err == nil {
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
			if err := r.res.Discard(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(r.cfg.Dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s still there after a complete fetch", r.cfg.Dir)
			}
		})
	}
}

func TestFetchPagesOfAnotherAddressAreNotReused(t *testing.T) {
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
	r.cfg.BaseURL = second.srv.URL
	if _, err := r.run(t); err != nil {
		t.Fatal(err)
	}
	if h := second.totalHits(); h != 3 {
		t.Errorf("the second address got %d requests, want all 3 pages", h)
	}
}

func TestFetchBadPages(t *testing.T) {
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

func TestFetchConcurrencyKeepsPageOrder(t *testing.T) {
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
	r.cfg.Concurrency = 4
	r.cfg.Progress = progress.New(r.notes, false)
	counts, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, counts, 5, 10, 0)
	if got, want := r.export(t), sampleCSV(10); got != want {
		t.Errorf("export:\n%s\nwant:\n%s", got, want)
	}
}

func TestFetchPasswordNeverShown(t *testing.T) {
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
			r.cfg.Retries = 1
			r.cfg.Progress = progress.New(r.notes, false)
			_, err := r.run(t)
			shown := r.notes.String() + r.warnings.String()
			if err != nil {
				shown += err.Error()
			}
			filepath.WalkDir(filepath.Dir(r.cfg.Dir), func(path string, d fs.DirEntry, err error) error {
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

func TestFetchRefusesPlainHTTPToAnotherMachine(t *testing.T) {
	r := newFetchRun(t, "http://support.example.com")
	_, err := r.run(t)
	wantError(t, err, fail.Usage, "plain http", "https")
}

func TestFetchInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	r := newFetchRun(t, api.srv.URL)
	_, err := r.runCtx(ctx)
	// SPEC section 2: an interrupt exits 130 (a context cancelled without a
	// signal's cause counts as SIGINT); the step once exited 1 here.
	wantError(t, err, fail.Interrupted, "interrupted", "rerun")
	wantIs(t, err, context.Canceled)
	r.noExport(t)
}

// Issue 13, finding 8: an interrupt by a signal wraps its cause, so that
// fail.Code gives 130 or 143, whether it comes during a request, during
// concurrent pages or during a wait.
func TestFetchInterruptedBySignal(t *testing.T) {
	for _, during := range []string{"request", "announced pages", "wait"} {
		t.Run(during, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			sigterm := fail.Signal("SIGTERM")
			api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				switch {
				case during == "announced pages" && page == 1:
					writePage(w, map[string]any{"users": []any{sampleUser(1)}, "count": 50})
				case during == "wait":
					w.Header().Set("Retry-After", "30")
					w.WriteHeader(http.StatusTooManyRequests)
					go func() { time.Sleep(20 * time.Millisecond); cancel(sigterm) }()
				default:
					cancel(sigterm)
					<-r.Context().Done()
				}
			})
			r := newFetchRun(t, api.srv.URL)
			r.cfg.Sleep = nil
			_, err := r.runCtx(ctx)
			wantError(t, err, fail.Terminated, "interrupted", "rerun")
			wantIs(t, err, sigterm)
		})
	}
}
