package verify

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// checker holds what Archive learns about one archive. Its memory is
// bounded by the ids in the archive: the reader holds at most maxEntrySize
// bytes of entries not yet scanned, a file's objects travel in batches, a
// file keeps at most MaxPrinted violation texts, and the checks across
// files keep, per distinct id or email, where it was first seen, and per
// id named before it was seen, how often.
type checker struct {
	cfg Config
	*printer
	// stop is set when ctx is cancelled; the workers and the merger poll it.
	stop atomic.Bool

	cross  cross
	times  modTimes
	layout layout

	// streamBroken (set by the reader) and fileBroken (set by the merger)
	// say some content could not be read: references into it would be
	// reported falsely, so they are not checked.
	streamBroken, fileBroken bool
}

func newChecker(cfg Config, out io.Writer) *checker {
	return &checker{
		cfg:     cfg,
		printer: newPrinter(out),
		cross:   newCross(cfg),
		times:   modTimes{epoch: cfg.SourceDateEpoch},
	}
}

// nowhere ends the message of a reference to no user: "in the archive or
// in ticket_platform_users.csv".
func (c *checker) nowhere() string {
	s := "in the archive"
	switch {
	case c.cfg.TicketUsersMissing:
		s += " (" + c.cfg.TicketUsers + " does not exist)"
	case c.cfg.TicketUsers != "":
		s += " or in " + c.cfg.TicketUsers
	}
	if c.cfg.KnownUser != nil {
		s += " or in " + c.cfg.KnownUsers
	}
	return s
}

// entry is one tar entry on its way through the workers.
type entry struct {
	name   string   // as printed
	number int      // N of backup_tickets_N.json, when scanned
	header []string // the tar header's violations
	data   []byte   // the content, while it waits for a worker
	tokens int      // how much of the entry budget data holds
	mtime  int64
	// scanned is set for the files whose JSON is checked. objects carries
	// their objects to the merger and is closed when the scan is done,
	// after res is set.
	scanned bool
	objects chan *batch
	res     scanResult
}

// closedBatches is the objects channel of an entry that is not scanned.
var closedBatches = func() chan *batch { c := make(chan *batch); close(c); return c }()

var batches = sync.Pool{New: func() any { return &batch{objs: make([]object, 0, batchSize)} }}

// read walks the tar entries, checks their headers, hands the JSON files to
// the workers and merges their results in archive order: one goroutine
// reads, GOMAXPROCS scan, one merges.
func (c *checker) read(ctx context.Context, in *input) error {
	defer context.AfterFunc(ctx, func() { c.stop.Store(true) })()
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *entry, 2*workers)
	order := make(chan *entry, 8*workers)
	budget := newEntryBudget()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { c.work(jobs, budget) })
	}
	merged := make(chan struct{})
	go func() {
		defer close(merged)
		for e := range order {
			c.merge(e)
		}
	}()
	err := c.entries(ctx, in, jobs, order, budget)
	close(jobs)
	close(order)
	wg.Wait()
	<-merged
	if err == nil && ctx.Err() != nil {
		err = interrupted(ctx)
	}
	return err
}

// interrupted is the error of a cancelled run: it wraps the cause, so a
// signal keeps its exit status.
func interrupted(ctx context.Context) error {
	return fmt.Errorf("verify interrupted: %w", context.Cause(ctx))
}

// work scans the files of jobs, one at a time.
func (c *checker) work(jobs <-chan *entry, budget entryBudget) {
	s := Scanner{Now: c.cfg.Now.Unix(), Stop: &c.stop}
	var cur *entry
	emit := func(b *batch) *batch {
		if b != nil && len(b.objs) > 0 {
			cur.objects <- b
			b = nil
		}
		if b == nil {
			b = batches.Get().(*batch)
		}
		b.objs, b.text = b.objs[:0], b.text[:0]
		return b
	}
	for e := range jobs {
		cur = e
		if !c.stop.Load() {
			// No more texts than can still be printed: the count only
			// grows until this file's turn.
			e.res = s.scan(e.data, MaxPrinted-int(c.printed.Load()), emit)
		} else {
			e.res.stopped = true
		}
		releaseContent(e, budget)
		close(e.objects)
	}
}

// merge takes the objects of one file for the checks across files, then
// prints the file's own violations. It runs on one goroutine, in archive
// order.
func (c *checker) merge(e *entry) {
	for b := range e.objects {
		if !c.stop.Load() {
			c.cross.add(c.printer, e.number, b)
		}
		batches.Put(b)
	}
	for _, h := range e.header {
		c.print(e.name + ": " + h)
	}
	if !e.scanned || e.res.stopped {
		c.layout.off = true
		return
	}
	c.fileBroken = c.fileBroken || e.res.broken
	if e.res.broken || e.res.count > 0 || len(e.header) > 0 {
		// Lengths of arrays that may be missing or not arrays at all:
		// the layout is checked when every file is clean by itself.
		c.layout.off = true
	} else {
		c.layout.add(e.number, e.res.lengths)
	}
	c.times.add(e.number, e.mtime, e.res.newest)
	for _, v := range e.res.bad {
		c.print(e.name + ": " + v.text)
	}
	c.add(e.res.count - len(e.res.bad))
}

// formatTime writes Unix seconds as the archive writes times.
func formatTime(unix int64) string {
	return time.Unix(unix, 0).UTC().Format(timeLayout)
}
