package ticketapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/pacer"
	"github.com/migrate-tool/migrate/internal/progress"
)

// Fetch reads every user of the API at cfg.BaseURL. Its errors carry their
// exit status for fail.Code and wrap the Err sentinels of this package;
// interrupted (ctx done), it returns an error wrapping context.Cause(ctx),
// so that a signal's status (130, 143) comes through.
func Fetch(ctx context.Context, cfg Config) (Result, error) {
	red := NewRedactor(cfg.User, cfg.Password)
	f, err := newFetcher(cfg, red)
	if err != nil {
		return Result{}, red.Error(err)
	}
	defer f.c.http.CloseIdleConnections()
	res, err := f.run(ctx)
	return res, red.Error(err)
}

// fetcher holds one run of Fetch.
type fetcher struct {
	cfg         Config
	c           *client
	parser      *pageParser
	red         *Redactor
	pacer       *pacer.Pacer
	cache       *cache
	concurrency int
	task        *progress.Task

	retries atomic.Int64
	outMu   sync.Mutex
}

func newFetcher(cfg Config, red *Redactor) (*fetcher, error) {
	c, err := newClient(cfg, red)
	if err != nil {
		return nil, err
	}
	f := &fetcher{
		cfg:         cfg,
		c:           c,
		parser:      &pageParser{base: c.base, red: red},
		red:         red,
		cache:       &cache{dir: cfg.Dir},
		concurrency: max(cfg.Concurrency, 1),
	}
	retries := max(cfg.Retries, 0)
	f.pacer = &pacer.Pacer{
		Retries: retries,
		MaxWait: cfg.MaxRetryWait,
		Sleep:   cfg.Sleep,
		OnRetry: func(retry int, wait time.Duration, err error) {
			f.retries.Add(1)
			f.print(f.cfg.Notes, "%v, retrying in %s (retry %d of %d)", err, roundWait(wait), retry, retries)
		},
	}
	return f, nil
}

func (f *fetcher) run(ctx context.Context) (Result, error) {
	if err := f.cache.prepare(source{Format: keptFormat, APIURL: f.c.base.String(), User: fmt.Sprintf("%x", sha256.Sum256([]byte(f.cfg.User)))}); err != nil {
		return Result{}, err
	}
	if f.cfg.Progress != nil {
		f.task = f.cfg.Progress.Start("fetch-users", "pages", -1)
		defer f.task.Done()
	}
	pages, err := f.fetchAll(ctx)
	if err != nil {
		return Result{}, err
	}
	res := Result{Pages: len(pages), Retries: int(f.retries.Load()), cache: f.cache}
	var invalid []int64
	for _, p := range pages {
		for _, u := range p.Users {
			res.Users = append(res.Users, u)
			if u.Invalid {
				invalid = append(invalid, u.ID)
			}
		}
	}
	if len(invalid) > 0 {
		res.Warnings.InvalidEmail = len(invalid)
		f.warn("invalid_email", "%d emails are not valid UTF-8, hold a control character or hold the credentials (ids %s); they are left empty",
			len(invalid), listIDs(invalid))
	}
	first := pages[0]
	if first.CountIgnored != "" {
		res.Warnings.CountIgnored = 1
	}
	if first.Count != nil && int64(len(res.Users)) != *first.Count {
		res.Warnings.CountMismatch = 1
		f.warn("ticket_platform_count_mismatch", "page 1 gives count %d, but %d users were received", *first.Count, len(res.Users))
	}
	return res, nil
}

// fetchAll reads every page, in page order. When page 1 carries a usable
// count, the pages it announces are fetched concurrently (fetchAnnounced);
// unless the last of them ends the paging, the rest is read one page at a
// time (follow), so that a count too small loses no user.
func (f *fetcher) fetchAll(ctx context.Context) ([]*page, error) {
	first, err := f.getPage(ctx, 1, f.c.pageURL(1))
	if err != nil {
		return nil, err
	}
	if first.CountIgnored != "" {
		f.warn("ticket_platform_count_ignored", "page 1: %s; it is ignored, and the pages are read one at a time", first.CountIgnored)
	}
	pages := []*page{first}
	if first.ends() {
		return pages, nil
	}
	if first.Count != nil {
		total := pagesFor(*first.Count, len(first.Users))
		if f.task != nil {
			f.task.SetTotal(max(total, 1))
		}
		rest, err := f.fetchAnnounced(ctx, 2, int(total))
		if err != nil {
			return nil, err
		}
		pages = append(pages, rest...)
		if pages[len(pages)-1].ends() {
			return pages, nil
		}
	}
	return f.follow(ctx, pages)
}

// follow reads the pages after the last of pages one at a time: next_page
// when the API gives it, else the next page number, until a page ends the
// paging.
func (f *fetcher) follow(ctx context.Context, pages []*page) ([]*page, error) {
	seen := map[string]int{}
	for _, p := range pages {
		seen[p.URL] = p.Number
	}
	for prev := pages[len(pages)-1]; !prev.ends(); {
		n := prev.Number + 1
		next := prev.Next
		if next == "" {
			next = f.c.pageURL(n)
		}
		if k, ok := seen[next]; ok {
			return nil, fail.Because(fail.Failure, ErrPagingLoops, "page %d (%s) leads back to page %d (%s): the API's paging loops; check --api-url",
				prev.Number, f.red.Redact(prev.URL), k, f.red.Redact(next))
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

// fetchAnnounced fetches pages from..to, --concurrency at a time, and
// returns them in page order up to the first that ends the paging. The
// requests in flight never run more than Concurrency pages ahead of the
// first page not yet fetched, and no page is requested after one that ends
// the paging has come back: a count far too large costs about that page,
// not millions of requests. The first failure cancels the pages in flight;
// the pages fetched stay kept for the rerun.
func (f *fetcher) fetchAnnounced(ctx context.Context, from, to int) ([]*page, error) {
	type slot struct {
		page *page
		done chan struct{}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.concurrency)
	var slots []*slot
	var endsAt atomic.Int64 // the first page that ends the paging, 0 until one has
	ended := func(n int) bool { e := endsAt.Load(); return e != 0 && int64(n) > e }
launch:
	for n := from; n <= to && !ended(n); n++ {
		// Every page before n-concurrency is done once this wait is over,
		// since each launch waited the same way.
		if k := n - f.concurrency; k >= from {
			select {
			case <-slots[k-from].done:
			case <-gctx.Done():
				break launch
			}
			if ended(n) {
				break
			}
		}
		if gctx.Err() != nil {
			break
		}
		s := &slot{done: make(chan struct{})}
		slots = append(slots, s)
		g.Go(func() error {
			defer close(s.done)
			p, err := f.getPage(gctx, n, f.c.pageURL(n))
			if err != nil {
				return err
			}
			s.page = p
			if p.ends() {
				for e := endsAt.Load(); e == 0 || int64(n) < e; e = endsAt.Load() {
					if endsAt.CompareAndSwap(e, int64(n)) {
						break
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, f.interrupted(ctx, from+len(slots)-1)
	}
	var pages []*page
	for _, s := range slots {
		pages = append(pages, s.page)
		if s.page.ends() {
			break
		}
	}
	return pages, nil
}

// getPage returns page n, from the kept pages when an earlier run fetched
// it from the same address, else from the API (then keeping it).
func (f *fetcher) getPage(ctx context.Context, n int, pageURL string) (*page, error) {
	p := f.cache.load(n, pageURL)
	if p == nil {
		var err error
		if p, err = f.fetchPage(ctx, n, pageURL); err != nil {
			return nil, err
		}
		if err := f.cache.save(p); err != nil {
			return nil, err
		}
	}
	if f.task != nil {
		f.task.Add(1)
	}
	return p, nil
}

// fetchPage requests and reads one page, retrying what is worth retrying.
func (f *fetcher) fetchPage(ctx context.Context, n int, pageURL string) (*page, error) {
	var body []byte
	err := f.pacer.Call(ctx, func() (bool, error) {
		var retry bool
		var err error
		body, retry, err = f.c.get(ctx, n, pageURL)
		return retry, err
	})
	var gaveUp *pacer.ExhaustedError
	var tooLong *pacer.WaitTooLongError
	switch {
	case ctx.Err() != nil:
		return nil, f.interrupted(ctx, n)
	case errors.As(err, &gaveUp):
		return nil, fail.Because(fail.Failure, errors.Join(ErrUnavailable, err), "%v (%s), still failing after %d retries: the ticket platform is not answering; try again later (the pages fetched so far are kept), or raise --retries",
			gaveUp.Err, f.red.Redact(pageURL), gaveUp.Retries)
	case errors.As(err, &tooLong):
		return nil, fail.Because(fail.Failure, errors.Join(ErrWaitTooLong, err), "%v (%s): the ticket platform asks to wait %s (Retry-After), more than --max-retry-wait %s; try again later (the pages fetched so far are kept), or raise --max-retry-wait",
			tooLong.Err, f.red.Redact(pageURL), tooLong.Wait, tooLong.Max)
	case err != nil:
		return nil, err
	}
	return f.parser.parse(n, pageURL, body)
}

// interrupted is the error of a fetch stopped by ctx: it wraps
// context.Cause(ctx), so that a signal's exit status (130, 143) comes
// through fail.Code.
func (f *fetcher) interrupted(ctx context.Context, n int) error {
	cause := context.Cause(ctx)
	kept := ""
	if f.cache.dir != "" {
		kept = fmt.Sprintf("; the pages fetched so far are kept in %s: rerun to fetch the rest", f.cache.dir)
	}
	return fail.Because(fail.Code(cause), cause, "interrupted (%v) while fetching page %d%s", cause, n, kept)
}

// warn prints a warning line.
func (f *fetcher) warn(name, format string, args ...any) {
	f.print(f.cfg.Warnings, "fetch-users: warning %s: %s", name, fmt.Sprintf(format, args...))
}

// print writes one redacted line to w, when w is set.
func (f *fetcher) print(w io.Writer, format string, args ...any) {
	if w == nil {
		return
	}
	line := f.red.Redact(fmt.Sprintf(format, args...))
	f.outMu.Lock()
	defer f.outMu.Unlock()
	fmt.Fprintln(w, line)
}

// listIDs names the first few ids of a warning.
func listIDs(ids []int64) string {
	const shown = 5
	s := ""
	for i, id := range ids[:min(len(ids), shown)] {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(id)
	}
	if len(ids) > shown {
		s += fmt.Sprintf(" and %d more", len(ids)-shown)
	}
	return s
}

// roundWait shortens a jittered wait for printing.
func roundWait(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
