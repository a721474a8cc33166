package verify

import (
	"context"
	"io"
	"runtime"
	"sync"
	"time"
)

// checker holds what Archive learns about one archive.
type checker struct {
	cfg Config
	// nowhere ends the message of a reference to no user: "in the archive
	// or in ticket_platform_users.csv".
	nowhere string
	printer

	// files are the files whose JSON was scanned, with their records, in
	// archive order; a loc counts files here.
	files []*entry
	// emails maps each lowercased non-empty email to where it is first.
	emails    map[string]loc
	emailDups []crossViolation

	// streamBroken (set by the reader) and fileBroken (set by the merger)
	// say some content could not be read: references into it would be
	// reported falsely, so they are not checked.
	streamBroken, fileBroken bool
}

func newChecker(cfg Config, out io.Writer) *checker {
	nowhere := "in the archive or in " + cfg.TicketUsers
	if cfg.TicketUsersMissing {
		nowhere = "in the archive (" + cfg.TicketUsers + " does not exist)"
	}
	if cfg.KnownUser != nil {
		nowhere += " or in " + cfg.KnownUsers
	}
	return &checker{
		cfg:     cfg,
		nowhere: nowhere,
		printer: newPrinter(out),
		emails:  map[string]loc{},
	}
}

// entry is one tar entry on its way through the workers.
type entry struct {
	name   string // as printed
	header []string
	data   []byte // nil when the content is not checked
	// scanned is set for the files whose JSON is checked; broken when a
	// syntax error stopped the check before the end.
	scanned, broken bool
	buf             *[]byte
	done            chan struct{}
	// mtime is the entry's modification time; newest its latest created_at
	// (-1: none).
	mtime, newest int64

	bad []violation
	*records
}

// violation is one violation inside a file; off orders a file's violations
// as they stand in the file (-1: the tar header).
type violation struct {
	off  int
	text string
}

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// closed is the done channel of an entry that needs no scan.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// read walks the tar entries, checks their headers, hands the JSON files to
// the workers and merges their results in archive order.
func (c *checker) read(ctx context.Context, gz io.Reader) error {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *entry, 2*workers)
	order := make(chan *entry, 8*workers)
	var wg sync.WaitGroup
	now := c.cfg.Now.Unix()
	for range workers {
		wg.Go(func() {
			s := Scanner{Now: now}
			for e := range jobs {
				s.scan(e)
				e.broken, e.newest = s.failed, s.newest
				e.data = nil
				buffers.Put(e.buf)
				e.buf = nil
				close(e.done)
			}
		})
	}
	merged := make(chan struct{})
	go func() {
		defer close(merged)
		for e := range order {
			<-e.done
			c.merge(e)
		}
	}()

	err := c.entries(ctx, gz, jobs, order)
	close(jobs)
	close(order)
	wg.Wait()
	<-merged
	return err
}

// formatTime writes Unix seconds as the archive writes times.
func formatTime(unix int64) string {
	return time.Unix(unix, 0).UTC().Format(timeLayout)
}
