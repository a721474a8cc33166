package ticketapi

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// countAnswer serves total users, per a page, with count on every page and
// no next_page, so that paging ends at the first empty page.
func countAnswer(f **fakeUsers, total, per int, count any) func(w http.ResponseWriter, r *http.Request, page, hit int) {
	p := paging{total: total, per: per, next: "absent"}
	return func(w http.ResponseWriter, r *http.Request, page, hit int) {
		body := p.body((*f).srv.URL, page)
		body["count"] = count
		writePage(w, body)
	}
}

// Issue 13, finding 2: the pages a count announces are fetched
// concurrently, but never past the first empty page by more than
// --concurrency - 1 requests, and a too small count loses no user.
func TestFetchCount(t *testing.T) {
	tests := []struct {
		name        string
		total, per  int
		count       any
		concurrency int
		maxHits     int
		warnings    Warnings
		warned      []string
	}{
		// Without next_page: null, the announced pages are followed by the
		// empty page that ends the paging.
		{"exact", 250, 100, 250, 4, 4, Warnings{}, nil},
		{"exact, full last page", 300, 100, 300, 4, 4, Warnings{}, nil},
		{"too small", 350, 100, 100, 4, 5, Warnings{CountMismatch: 1}, []string{"ticket_platform_count_mismatch", "count 100", "350 users"}},
		{"too small by one page", 350, 100, 300, 2, 5, Warnings{CountMismatch: 1}, []string{"count 300"}},
		{"too large", 250, 100, 1000, 4, 4 + 3, Warnings{CountMismatch: 1}, []string{"count 1000", "250 users"}},
		{"ten million", 25, 10, 10_000_000, 4, 4 + 3, Warnings{CountMismatch: 1}, []string{"count 10000000"}},
		{"ten million, one at a time", 25, 10, 10_000_000, 1, 4, Warnings{CountMismatch: 1}, nil},
		{"past int64 pages", 250, 100, int64(9223372036854775807), 4, 4, Warnings{CountIgnored: 1}, []string{"ticket_platform_count_ignored", "9223372036854775807"}},
		{"more than ten million pages", 250, 100, 1_000_000_001, 4, 4, Warnings{CountIgnored: 1}, []string{"10000001 pages"}},
		{"negative", 250, 100, -5, 4, 4, Warnings{CountIgnored: 1}, []string{"count -5 is negative"}},
		{"a string", 250, 100, "250", 4, 4, Warnings{CountIgnored: 1}, []string{"not an integer"}},
		{"zero", 250, 100, 0, 4, 4, Warnings{CountMismatch: 1}, []string{"count 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var api *fakeUsers
			api = newFakeUsers(t, countAnswer(&api, tt.total, tt.per, tt.count))
			r := newFetchRun(t, api.srv.URL)
			r.cfg.Concurrency = tt.concurrency
			res, err := r.run(t)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := r.export(t), sampleCSV(tt.total); got != want {
				t.Errorf("%d users, want %d", len(res.Users), tt.total)
			}
			if h := api.totalHits(); h > tt.maxHits {
				t.Errorf("%d requests, want at most %d", h, tt.maxHits)
			}
			if res.Warnings != tt.warnings {
				t.Errorf("warnings %+v, want %+v", res.Warnings, tt.warnings)
			}
			for _, w := range tt.warned {
				if !strings.Contains(r.warnings.String(), w) {
					t.Errorf("warnings %q do not mention %q", r.warnings.String(), w)
				}
			}
			if tt.warnings == (Warnings{}) && r.warnings.String() != "" {
				t.Errorf("warned %q", r.warnings.String())
			}
		})
	}
}

// The requests in flight stay within --concurrency pages of the first page
// not yet fetched: a slow page holds the window back.
func TestFetchAnnouncedWindow(t *testing.T) {
	const concurrency = 3
	var mu sync.Mutex
	inFlight, maxInFlight, maxWhileSlow := 0, 0, 0
	slow := false
	p := paging{total: 200, per: 10, count: true, next: "absent"}
	var api *fakeUsers
	api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		if slow {
			maxWhileSlow = max(maxWhileSlow, page)
		}
		if page == 2 {
			slow = true
		}
		mu.Unlock()
		if page == 2 {
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			slow = false
			mu.Unlock()
		}
		writePage(w, p.body(api.srv.URL, page))
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	r := newFetchRun(t, api.srv.URL)
	r.cfg.Concurrency = concurrency
	if _, err := r.run(t); err != nil {
		t.Fatal(err)
	}
	if got, want := r.export(t), sampleCSV(200); got != want {
		t.Errorf("users %q, want %q", got, want)
	}
	if maxInFlight > concurrency {
		t.Errorf("%d requests at once, want at most %d", maxInFlight, concurrency)
	}
	if maxWhileSlow > 2+concurrency-1 {
		t.Errorf("page %d was requested while page 2 was outstanding: the window is %d pages", maxWhileSlow, concurrency)
	}
}

// Issue 13, finding 3: a Retry-After longer than MaxRetryWait stops the
// fetch at once, with the wait asked for.
func TestFetchRetryAfterTooLong(t *testing.T) {
	tests := []struct {
		retryAfter string
		maxWait    time.Duration
		stops      bool
	}{
		{"999999", 5 * time.Minute, true},
		{"301", 5 * time.Minute, true},
		{"300", 5 * time.Minute, false},
		{"11", 10 * time.Second, true},
		{"10", 10 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.retryAfter+" over "+tt.maxWait.String(), func(t *testing.T) {
			api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				if hit == 1 {
					w.Header().Set("Retry-After", tt.retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": nil})
			})
			r := newFetchRun(t, api.srv.URL)
			r.cfg.MaxRetryWait = tt.maxWait
			_, err := r.run(t)
			if !tt.stops {
				if err != nil {
					t.Fatal(err)
				}
				secs, _ := strconv.Atoi(tt.retryAfter)
				if s := r.sleeps.all(); len(s) != 1 || s[0] != time.Duration(secs)*time.Second {
					t.Errorf("slept %v, want the %ss asked for", s, tt.retryAfter)
				}
				return
			}
			wantError(t, err, 1, "429 Too Many Requests", api.pageURL(1), "--max-retry-wait "+tt.maxWait.String())
			wantIs(t, err, ErrWaitTooLong)
			if s := r.sleeps.all(); len(s) != 0 {
				t.Errorf("slept %v", s)
			}
			if h := api.totalHits(); h != 1 {
				t.Errorf("%d requests, want 1", h)
			}
		})
	}
}

// A next_page that holds the credentials is neither followed nor kept.
func TestFetchNextPageHoldingTheCredentials(t *testing.T) {
	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": UsersPath + "?page=2&auth=" + r.Header.Get("Authorization")})
	})
	r := newFetchRun(t, api.srv.URL)
	_, err := r.run(t)
	wantError(t, err, 1, "next_page holds the credentials")
	wantIs(t, err, ErrHoldsCredentials)
	if h := api.totalHits(); h != 1 {
		t.Errorf("%d requests, want 1", h)
	}
	if p := (&cache{dir: r.cfg.Dir}).load(1, api.pageURL(1)); p != nil {
		t.Errorf("page 1 was kept: %+v", p)
	}
}

// Issue 13, finding 6, through Fetch: invalid emails count as warnings.
func TestFetchInvalidEmails(t *testing.T) {
	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		w.Write([]byte("{\"users\":[{\"id\":1,\"email\":\"a\\u0000@example.com\"},{\"id\":2,\"email\":\"b\xff@example.com\"},{\"id\":3,\"email\":\"c@example.com\"}],\"next_page\":null}"))
	})
	r := newFetchRun(t, api.srv.URL)
	res, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.export(t), "id,email\n1,\n2,\n3,c@example.com\n"; got != want {
		t.Errorf("users %q, want %q", got, want)
	}
	if res.Warnings != (Warnings{InvalidEmail: 2}) {
		t.Errorf("warnings %+v, want 2 invalid emails", res.Warnings)
	}
	if w := r.warnings.String(); !strings.Contains(w, "invalid_email: 2 emails") || !strings.Contains(w, "ids 1, 2") {
		t.Errorf("warnings %q", w)
	}
}
