package steps

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytedance/sonic"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// The ticket platform's users endpoint, below --api-url (SPEC section 8).
const usersEndpoint = "/api/v1/users.json"

// FetchDir is the folder under the work dir that keeps the pages fetched so
// far until fetch-users completes, so that a rerun after a failure fetches
// only the pages it lacks.
const FetchDir = ".fetch-users"

// Credentials come from these environment variables, never from a flag, so
// that the password is not in the process's arguments.
const (
	EnvAPIUser     = "MIGRATE_API_USER"
	EnvAPIPassword = "MIGRATE_API_PASSWORD"
)

const (
	// maxPageBytes bounds one response body: a page of users is a few
	// kilobytes, so anything near this is not the users API.
	maxPageBytes = 64 << 20
	// maxKnownPages bounds the pages announced by page 1's count, so that a
	// nonsense count stops with a message instead of exhausting memory.
	maxKnownPages = 10_000_000
	// firstBackoff and maxBackoff shape the exponential backoff between
	// retries that the server gave no Retry-After for.
	firstBackoff = time.Second
	maxBackoff   = time.Minute
)

// apiUser is one user as the ticket platform's API gives it; other keys of
// the API's user objects are ignored.
type apiUser struct {
	ID    int64   `json:"id"`
	Email *string `json:"email"`
}

// usersPage is one response of GET /api/v1/users.json?page=N. NextPage is
// kept raw to tell an absent next_page (ask for page N+1) from a null one
// (the last page).
type usersPage struct {
	Users    *[]apiUser      `json:"users"`
	Count    *int64          `json:"count"`
	NextPage json.RawMessage `json:"next_page"`
}

// savedPage is one fetched page as kept in FetchDir until the step completes.
type savedPage struct {
	Page int    `json:"page"`
	URL  string `json:"url"`
	// Count is page 1's count of all users, nil when the API gave none.
	Count *int64 `json:"count"`
	// Next is next_page resolved against URL; empty when the page had none.
	Next string `json:"next"`
	// Last is true when next_page was null.
	Last  bool      `json:"last"`
	Users []apiUser `json:"users"`
}

// ends tells whether paging stops after this page.
func (p *savedPage) ends() bool { return len(p.Users) == 0 || p.Last }

// fetchSource is what FetchDir's pages were fetched from: pages of another
// address or account are not reused.
type fetchSource struct {
	APIURL string `json:"api_url"`
	User   string `json:"user"`
}

// FetchUsers is the fetch-users step (SPEC section 8): it reads every user
// of the ticket platform's API, page by page, and writes their ids and emails
// to ticket_platform_users.csv (or to --ticket-users FILE when that names a
// file that does not exist yet).
//
// It is skipped, with a note, when --ticket-users names an existing export:
// fetching would overwrite the file the user asked to use. Credentials that
// the server refuses (401, 403) stop with exit status 2, like missing ones:
// the fix is the user's; other 4xx stop with exit status 1. The counts are
// pages (every page read, the empty page that ends the paging included),
// users and retries.
func FetchUsers(ctx context.Context, env *Env, _ *Memo) (report.Counts, error) {
	if t := env.Opt.TicketUsers; t != "" {
		if _, err := os.Stat(t); err == nil {
			if !env.Opt.Quiet && env.Stderr != nil {
				fmt.Fprintf(env.Stderr, "fetch-users: skipped, %s already holds the ticket platform users (remove it to fetch them again)\n", t)
			}
			return nil, nil
		}
	}
	f, err := newFetcher(env)
	if err != nil {
		return nil, f.scrub(err)
	}
	counts, err := f.run(ctx)
	return counts, f.scrub(err)
}

// fetcher holds one run of fetch-users.
type fetcher struct {
	env         *Env
	base        *url.URL
	user        string
	password    string
	secrets     []string
	client      *http.Client
	timeout     time.Duration
	concurrency int
	pacer       pacer
	dir         string
	task        *progress.Task

	retries atomic.Int64
	noteMu  sync.Mutex
}

func newFetcher(env *Env) (*fetcher, error) {
	opt := env.Opt
	getenv := env.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	f := &fetcher{
		env:         env,
		user:        getenv(EnvAPIUser),
		password:    getenv(EnvAPIPassword),
		timeout:     opt.Timeout,
		concurrency: max(opt.Concurrency, 1),
		dir:         filepath.Join(opt.WorkDir, FetchDir),
	}
	f.secrets = secretForms(f.user, f.password)
	if opt.APIURL == "" {
		return f, fail.Usagef("fetch-users needs the ticket platform's address: give --api-url URL, or an existing export with --ticket-users FILE")
	}
	var missing []string
	if f.user == "" {
		missing = append(missing, EnvAPIUser)
	}
	if f.password == "" {
		missing = append(missing, EnvAPIPassword)
	}
	if len(missing) > 0 {
		return f, fail.Usagef("fetch-users needs the ticket platform's credentials in the environment, and %s is not set: export %s and %s (never on the command line), or give an existing export with --ticket-users FILE",
			strings.Join(missing, " and "), EnvAPIUser, EnvAPIPassword)
	}
	base, err := parseAPIURL(opt.APIURL)
	if err != nil {
		return f, err
	}
	f.base = base

	// A copy, so that refusing redirects to other hosts does not change the
	// caller's client.
	client := &http.Client{}
	if env.HTTPClient != nil {
		c := *env.HTTPClient
		client = &c
	}
	client.CheckRedirect = f.checkRedirect
	f.client = client

	sleep := env.Sleep
	if sleep == nil {
		sleep = SleepContext
	}
	f.pacer = pacer{
		retries: max(opt.Retries, 0),
		sleep:   sleep,
		backoff: jitteredBackoff,
		onRetry: func(retry int, wait time.Duration, err error) {
			f.retries.Add(1)
			f.note("%v, retrying in %s (retry %d of %d)", err, roundWait(wait), retry, max(opt.Retries, 0))
		},
	}
	return f, nil
}

// parseAPIURL checks --api-url: http or https, no credentials in it, and
// plain http only to this machine, since Basic auth sends the password as
// it is.
func parseAPIURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fail.Usagef("--api-url %q is not an http or https address such as https://support.example.com", raw)
	}
	if u.User != nil {
		return nil, fail.Usagef("--api-url must not carry credentials (user:password@): remove them and set %s and %s in the environment instead", EnvAPIUser, EnvAPIPassword)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fail.Usagef("--api-url %s must not have a query or fragment: give the address the API's /api/v1/ path starts below", u.Redacted())
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fail.Usagef("--api-url %s is plain http to another machine: Basic auth would send the password unencrypted; use https (plain http is allowed only to localhost)", u.Redacted())
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// isLoopback tells whether host names this machine.
func isLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin tells whether b has a's scheme, host and port, the only place
// credentials may be sent to.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(strings.TrimSuffix(a.Hostname(), "."), strings.TrimSuffix(b.Hostname(), ".")) &&
		originPort(a) == originPort(b)
}

func originPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// checkRedirect refuses redirects that would take the credentials to
// another host, scheme or port.
func (f *fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if !sameOrigin(f.base, req.URL) {
		return fail.Usagef("the ticket platform redirected %s to %s, another host, scheme or port than --api-url: credentials never leave for another host; if the API really lives there, give that address with --api-url",
			via[len(via)-1].URL.Redacted(), req.URL.Redacted())
	}
	if len(via) >= 10 {
		return fail.Failf("the ticket platform redirected %s more than 10 times", via[0].URL.Redacted())
	}
	return nil
}

// pageURL is the address of page n below --api-url.
func (f *fetcher) pageURL(n int) string {
	u := *f.base
	u.Path = f.base.Path + usersEndpoint
	u.RawQuery = "page=" + strconv.Itoa(n)
	return u.String()
}

func (f *fetcher) run(ctx context.Context) (report.Counts, error) {
	if err := f.prepareDir(); err != nil {
		return nil, err
	}
	if f.env.Progress != nil {
		f.task = f.env.Progress.Start("fetch-users", "pages", -1)
		defer f.task.Done()
	}
	pages, err := f.fetchAll(ctx)
	if err != nil {
		return nil, err
	}
	users, err := f.writeExport(pages)
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(f.dir); err != nil {
		return nil, fail.Failf("fetched every page, but cannot remove %s: %v; remove it by hand", f.dir, err)
	}
	return report.Counts{
		{"pages", len(pages)},
		{"users", users},
		{"retries", int(f.retries.Load())},
	}, nil
}

// prepareDir makes FetchDir, keeping the pages in it only when they come
// from the same address and account as this run's.
func (f *fetcher) prepareDir() error {
	want := fetchSource{APIURL: f.base.String(), User: f.user}
	meta := filepath.Join(f.dir, "source.json")
	if data, err := os.ReadFile(meta); err == nil {
		var have fetchSource
		if sonic.Unmarshal(data, &have) == nil && have == want {
			return nil
		}
	}
	if err := os.RemoveAll(f.dir); err != nil {
		return fail.Failf("cannot clear %s, left by an earlier fetch from another address: %v", f.dir, err)
	}
	data, err := sonic.Marshal(want)
	if err != nil {
		return err
	}
	return writeAtomic(meta, data)
}

func writeAtomic(path string, data []byte) error {
	a, err := workspace.CreateAtomic(path)
	if err != nil {
		return err
	}
	defer a.Abort()
	if _, err := a.Write(data); err != nil {
		return fail.Failf("cannot write %s: %v", path, err)
	}
	return a.Commit()
}

// fetchAll reads every page, in page order. When page 1 carries count, the
// other pages are known and fetched concurrently; otherwise next_page is
// followed one page at a time.
func (f *fetcher) fetchAll(ctx context.Context) ([]*savedPage, error) {
	first, err := f.getPage(ctx, 1, f.pageURL(1))
	if err != nil {
		return nil, err
	}
	pages := []*savedPage{first}
	if first.ends() {
		return pages, nil
	}

	if first.Count != nil {
		per := int64(len(first.Users))
		total := (*first.Count + per - 1) / per
		if total > maxKnownPages {
			return nil, fail.Usagef("page 1 (%s) gives count %d with %d users a page, %d pages: more than the %d pages fetch-users reads; check --api-url",
				first.URL, *first.Count, per, total, maxKnownPages)
		}
		if f.task != nil {
			f.task.SetTotal(max(total, 1))
		}
		rest, err := f.fetchKnown(ctx, 2, int(total))
		if err != nil {
			return nil, err
		}
		for _, p := range rest {
			pages = append(pages, p)
			if p.ends() {
				break
			}
		}
		return pages, nil
	}

	seen := map[string]int{first.URL: 1}
	for prev := first; !prev.ends(); {
		n := prev.Page + 1
		next := prev.Next
		if next == "" {
			next = f.pageURL(n)
		}
		if k, ok := seen[next]; ok {
			return nil, fail.Failf("page %d (%s) leads back to page %d (%s): the API's paging loops; check --api-url", prev.Page, prev.URL, k, next)
		}
		seen[next] = n
		p, err := f.getPage(ctx, n, next)
		if err != nil {
			return nil, err
		}
		pages = append(pages, p)
		prev = p
	}
	return pages, nil
}

// fetchKnown fetches pages from..to, --concurrency at a time, and returns
// them in page order. The first failure cancels the pages still in flight;
// the pages already fetched stay in FetchDir for the rerun.
func (f *fetcher) fetchKnown(ctx context.Context, from, to int) ([]*savedPage, error) {
	if to < from {
		return nil, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]*savedPage, to-from+1)
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	for range min(f.concurrency, len(out)) {
		wg.Go(func() {
			for n := range jobs {
				p, err := f.getPage(ctx, n, f.pageURL(n))
				if err != nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
					cancel()
					continue
				}
				out[n-from] = p
			}
		})
	}
feed:
	for n := from; n <= to; n++ {
		select {
		case jobs <- n:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, f.interrupted(from)
	}
	return out, nil
}

func (f *fetcher) interrupted(page int) error {
	return fail.Failf("interrupted while fetching page %d; the pages fetched so far are kept in %s: rerun to fetch the rest", page, f.dir)
}

// getPage returns page n, from FetchDir when an earlier run fetched it from
// the same address, else from the API (then keeping it in FetchDir).
func (f *fetcher) getPage(ctx context.Context, n int, pageURL string) (*savedPage, error) {
	p := f.loadPage(n, pageURL)
	if p == nil {
		var err error
		if p, err = f.fetchPage(ctx, n, pageURL); err != nil {
			return nil, err
		}
		data, err := sonic.Marshal(p)
		if err != nil {
			return nil, err
		}
		if err := writeAtomic(f.pagePath(n), data); err != nil {
			return nil, err
		}
	}
	if f.task != nil {
		f.task.Add(1)
	}
	return p, nil
}

func (f *fetcher) pagePath(n int) string {
	return filepath.Join(f.dir, fmt.Sprintf("page-%06d.json", n))
}

// loadPage reads page n as an earlier run kept it. A page that cannot be
// read or was fetched from another address is fetched again.
func (f *fetcher) loadPage(n int, pageURL string) *savedPage {
	data, err := os.ReadFile(f.pagePath(n))
	if err != nil {
		return nil
	}
	var p savedPage
	if sonic.Unmarshal(data, &p) != nil || p.Page != n || p.URL != pageURL {
		return nil
	}
	return &p
}

// fetchPage requests one page, retrying what is worth retrying.
func (f *fetcher) fetchPage(ctx context.Context, n int, pageURL string) (*savedPage, error) {
	var page *savedPage
	err := f.pacer.do(ctx, func() (bool, time.Duration, error) {
		p, retry, wait, err := f.try(ctx, n, pageURL)
		page = p
		return retry, wait, err
	})
	var gaveUp *retriesExhausted
	switch {
	case err == nil:
		return page, nil
	case ctx.Err() != nil:
		return nil, f.interrupted(n)
	case errors.As(err, &gaveUp):
		return nil, fail.Failf("%v (%s), still failing after %d retries: the ticket platform is not answering; try again later (the pages fetched so far are kept), or raise --retries",
			gaveUp.err, pageURL, gaveUp.retries)
	}
	return nil, err
}

// try makes one request for page n. It returns the page, or whether the
// failure is worth retrying and how long the server asked to wait.
func (f *fetcher) try(ctx context.Context, n int, pageURL string) (page *savedPage, retry bool, wait time.Duration, err error) {
	rctx, cancel := ctx, context.CancelFunc(func() {})
	if f.timeout > 0 {
		rctx, cancel = context.WithTimeout(ctx, f.timeout)
	}
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, pageURL, nil)
	if err != nil {
		return nil, false, 0, fail.Failf("page %d: cannot request %s: %v", n, pageURL, err)
	}
	req.SetBasicAuth(f.user, f.password)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "migrate")
	resp, err := f.client.Do(req)
	if err != nil {
		var refused *fail.Error
		if errors.As(err, &refused) {
			return nil, false, 0, refused
		}
		if ctx.Err() != nil {
			return nil, false, 0, f.interrupted(n)
		}
		return nil, true, 0, fail.Failf("page %d: %s", n, f.netProblem(err))
	}
	defer resp.Body.Close()

	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return nil, false, 0, fail.Usagef("page %d (%s): %s: the ticket platform refused the credentials; check %s and %s, and that this account may list users",
			n, pageURL, resp.Status, EnvAPIUser, EnvAPIPassword)
	case code == http.StatusTooManyRequests || code >= 500:
		// Drain a little so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, true, retryAfter(resp.Header, time.Now()), fail.Failf("page %d: %s", n, resp.Status)
	case code < 200 || code > 299:
		return nil, false, 0, fail.Failf("page %d (%s): %s: the ticket platform refused the request; check --api-url", n, pageURL, resp.Status)
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, 0, f.interrupted(n)
		}
		return nil, true, 0, fail.Failf("page %d: %s", n, f.netProblem(err))
	}
	if len(body) > maxPageBytes {
		return nil, false, 0, fail.Failf("page %d (%s): the response is larger than %d MiB, not a page of users; check --api-url", n, pageURL, maxPageBytes>>20)
	}
	page, err = f.parsePage(n, pageURL, body)
	return page, false, 0, err
}

// netProblem says what went wrong with a request that got no answer.
func (f *fetcher) netProblem(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s (--timeout)", f.timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return "cannot reach the ticket platform: " + err.Error()
}

// parsePage reads one page's body.
func (f *fetcher) parsePage(n int, pageURL string, body []byte) (*savedPage, error) {
	where := fmt.Sprintf("page %d (%s)", n, pageURL)
	const advice = "check --api-url points at the ticket platform"
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, fail.Usagef("%s: the response is empty, not JSON; %s", where, advice)
	}
	if trimmed[0] != '{' {
		return nil, fail.Usagef("%s: the response is not a JSON object (it starts with %s); %s", where, f.snippet(trimmed), advice)
	}
	var pg usersPage
	if err := sonic.Unmarshal(trimmed, &pg); err != nil {
		// The decoder's own message quotes the body, which may echo the
		// credentials: say what is wrong in our words instead.
		return nil, fail.Usagef("%s: %s; %s", where, f.describeBadPage(trimmed), advice)
	}
	if pg.Users == nil {
		return nil, fail.Usagef("%s: the response has no \"users\" list; %s", where, advice)
	}
	p := &savedPage{Page: n, URL: pageURL, Users: *pg.Users}
	for i, u := range p.Users {
		if u.ID <= 0 {
			return nil, fail.Usagef("%s: user %d of the page has no valid id (got %d): ids must be positive integers", where, i+1, u.ID)
		}
	}
	if pg.Count != nil {
		if *pg.Count < 0 {
			return nil, fail.Usagef("%s: count is %d, negative; %s", where, *pg.Count, advice)
		}
		if n == 1 {
			p.Count = pg.Count
		}
	}
	switch next := bytes.TrimSpace(pg.NextPage); {
	case len(next) == 0:
	case string(next) == "null":
		p.Last = true
	default:
		var s string
		if sonic.Unmarshal(next, &s) != nil {
			return nil, fail.Usagef("%s: next_page is %s, neither a URL nor null; %s", where, f.snippet(next), advice)
		}
		if s = strings.TrimSpace(s); s == "" {
			p.Last = true
			break
		}
		u, err := url.Parse(s)
		if err != nil {
			return nil, fail.Usagef("%s: next_page %s is not a URL; %s", where, f.snippet([]byte(s)), advice)
		}
		cur, _ := url.Parse(pageURL)
		abs := cur.ResolveReference(u)
		abs.User = nil
		abs.Fragment = ""
		if !sameOrigin(f.base, abs) {
			return nil, fail.Usagef("%s: next_page points to %s, another host, scheme or port than --api-url: credentials never leave for another host; if the API really lives there, give that address with --api-url",
				where, abs.Redacted())
		}
		p.Next = abs.String()
	}
	return p, nil
}

// describeBadPage says in a few words why body is not a page of users. It
// runs only on the failure path, so a second, looser decoding is cheap.
func (f *fetcher) describeBadPage(body []byte) string {
	if !json.Valid(body) {
		return "the response is malformed JSON"
	}
	var loose struct {
		Users json.RawMessage `json:"users"`
		Count json.RawMessage `json:"count"`
	}
	if json.Unmarshal(body, &loose) != nil {
		return "the response is not a JSON object"
	}
	if len(loose.Count) > 0 && string(loose.Count) != "null" {
		if !isInteger(loose.Count) {
			return fmt.Sprintf("count is %s, not an integer", f.snippet(loose.Count))
		}
	}
	var users []json.RawMessage
	if json.Unmarshal(loose.Users, &users) != nil {
		return fmt.Sprintf("users is %s, not a list", f.snippet(loose.Users))
	}
	for i, raw := range users {
		var u map[string]json.RawMessage
		if json.Unmarshal(raw, &u) != nil {
			return fmt.Sprintf("user %d of the page is %s, not an object", i+1, f.snippet(raw))
		}
		if !isInteger(u["id"]) {
			return fmt.Sprintf("user %d of the page has id %s, not an integer", i+1, f.snippet(u["id"]))
		}
		var email *string
		if raw, ok := u["email"]; ok && json.Unmarshal(raw, &email) != nil {
			return fmt.Sprintf("user %d of the page has email %s, neither a string nor null", i+1, f.snippet(raw))
		}
	}
	return "the response is not a page of users (an object with a \"users\" list)"
}

// isInteger tells whether a JSON value is a number that fits int64 without
// a fraction or exponent.
func isInteger(raw json.RawMessage) bool {
	_, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	return err == nil
}

// snippet quotes the start of b, with the credentials hidden.
func (f *fetcher) snippet(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	s := f.redact(string(b))
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "..."
	}
	return strconv.Quote(s)
}

// writeExport writes the users of pages, in page order, to the export that
// merge-users reads. It appears under its name only once complete.
func (f *fetcher) writeExport(pages []*savedPage) (int, error) {
	path := f.env.Opt.TicketUsersPath()
	a, err := workspace.CreateAtomic(path)
	if err != nil {
		return 0, err
	}
	defer a.Abort()
	w := csv.NewWriter(a)
	w.Write([]string{"id", "email"})
	users := 0
	for _, p := range pages {
		for _, u := range p.Users {
			email := ""
			if u.Email != nil {
				email = *u.Email
			}
			w.Write([]string{strconv.FormatInt(u.ID, 10), email})
			users++
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return 0, fail.Failf("cannot write %s: %v", path, err)
	}
	return users, a.Commit()
}

// note prints one line about the fetch on stderr, unless quiet.
func (f *fetcher) note(format string, args ...any) {
	if f.env.Opt.Quiet || f.env.Stderr == nil {
		return
	}
	line := f.redact(fmt.Sprintf(format, args...))
	f.noteMu.Lock()
	defer f.noteMu.Unlock()
	fmt.Fprintln(f.env.Stderr, line)
}

// secretForms are the ways the credentials could show up in text a server
// sends back: the password as it is or URL-escaped, and the Authorization
// header's value.
func secretForms(user, password string) []string {
	if password == "" {
		return nil
	}
	forms := []string{
		password,
		base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
		url.QueryEscape(password),
		url.PathEscape(password),
	}
	if q := strconv.Quote(password); len(q) > 2 {
		forms = append(forms, q[1:len(q)-1])
	}
	return forms
}

// redact hides every form of the credentials in s.
func (f *fetcher) redact(s string) string {
	for _, secret := range f.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}

// scrub makes sure no error leaving the step carries the credentials, even
// when a server echoed them into something quoted.
func (f *fetcher) scrub(err error) error {
	if err == nil || f == nil || len(f.secrets) == 0 {
		return err
	}
	return &fail.Error{Code: fail.Code(err), Err: errors.New(f.redact(err.Error()))}
}

// pacer is the one retry mechanism of fetch-users: an operation reports
// whether its failure is worth retrying and how long the server asked to
// wait; the pacer decides whether to try again and how long to wait first.
type pacer struct {
	// retries is how often a failed operation is tried again; 0 never.
	retries int
	// sleep waits d or until ctx is done.
	sleep func(ctx context.Context, d time.Duration) error
	// backoff is the wait before retry number n (from 1) when the server
	// asked for none.
	backoff func(n int) time.Duration
	// onRetry is told of every retry before its wait.
	onRetry func(n int, wait time.Duration, err error)
}

// retriesExhausted is the error of an operation that failed after every
// retry.
type retriesExhausted struct {
	err     error
	retries int
}

func (e *retriesExhausted) Error() string {
	return fmt.Sprintf("%v, still failing after %d retries", e.err, e.retries)
}

func (e *retriesExhausted) Unwrap() error { return e.err }

// do runs op until it succeeds, fails for good, or has been retried
// p.retries times. A wait op asks for (Retry-After) is obeyed as it is;
// otherwise the wait grows exponentially, with jitter.
func (p *pacer) do(ctx context.Context, op func() (retry bool, wait time.Duration, err error)) error {
	for n := 1; ; n++ {
		retry, wait, err := op()
		if err == nil || !retry {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n > p.retries {
			return &retriesExhausted{err: err, retries: p.retries}
		}
		if wait <= 0 {
			wait = p.backoff(n)
		}
		if p.onRetry != nil {
			p.onRetry(n, wait, err)
		}
		if err := p.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// jitteredBackoff doubles the wait with each retry, from firstBackoff up to
// maxBackoff, and picks a random point in its upper half so that clients
// that failed together do not retry together.
func jitteredBackoff(n int) time.Duration {
	d := maxBackoff
	if n < 20 {
		d = min(firstBackoff<<(n-1), maxBackoff)
	}
	half := d / 2
	return half + rand.N(half+1)
}

// retryAfter is the wait a 429 or 5xx response asks for: Retry-After in
// seconds, or as an HTTP date measured against the response's own Date
// (so that a skewed local clock does not matter), else against now. Zero
// means no usable Retry-After.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		return time.Duration(min(secs, 1<<31)) * time.Second
	}
	when, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		now = date
	}
	return max(when.Sub(now), 0)
}

// roundWait shortens a jittered wait for printing.
func roundWait(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// SleepContext waits d, or less when ctx is done: the real Env.Sleep.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var fetchUsersStep = Step{
	Name: "fetch-users",
	Run: func(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error {
		counts, err := FetchUsers(ctx, env, memo)
		rec.Counts = counts
		return err
	},
	Writes: func(o *Options) []string { return []string{o.TicketUsersPath()} },
}
