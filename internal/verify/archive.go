// Package verify checks a bulk-import archive against the contract of SPEC
// sections 6 and 9 and lists every violation, one line each, naming the tar
// entry and the JSON path of the offending value. An archive whose second
// file holds
//
//	{"data":{"tickets":{"data":[],"comments":[{"created_at":"2021-01-01T10:05:00Z",
//	 "ticket_id":1,"id":10,"public":true,"html_body":"<p>Hi</p>","author_id":999}],
//	 "users":[],"organizations":[]}}}
//
// where no user 999 exists gives
//
//	backup_tickets_2.json: data.tickets.comments[0].author_id: 999 names no user in the archive or in ticket_platform_users.csv
//
// The output lists each file's own violations (tar header, then JSON, in
// file order), file by file; then the checks across files: the entries'
// time, repeated ids and emails, and references to no ticket or user, each
// in archive order.
//
// The archive may come from anyone, so it is read as hostile (SPEC section
// 9): memory grows with the distinct ids and emails in it, never with its
// bytes, its entries' declared sizes or its violations; whatever is printed
// from it is quoted; anything after the tar end is a violation; and a
// cancelled context stops the check within a fraction of a second.
//
// An archive of the seed's size holds 21k files and 500 MB of JSON, so the
// work is split three ways. One goroutine decompresses and reads the tar
// entries (the serial part); GOMAXPROCS workers check each file's JSON with a
// scanner written for this one schema (a generic decoder would build values
// only to throw them away) and pass on the ids, references and emails of
// its objects in batches; one goroutine takes the files back in archive
// order, checks the ids and emails against those before them, and prints
// the files' violations. A reference to an id not seen yet waits for the
// end, when every ticket and user is known.
package verify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"
)

// MaxPrinted is how many violations are printed; the rest are counted.
const MaxPrinted = 1000

// ErrNotGzip is wrapped by Archive's error when the input does not start as
// a gzip stream: the wrong file, not a damaged archive.
var ErrNotGzip = errors.New("is not a gzip-compressed tar archive")

// Config is what Archive needs besides the archive. The zero Config checks
// the archive alone, against the clock, with the entries' time taken from
// the newest created_at, printing nothing.
type Config struct {
	// Name names the archive in messages, usually its path.
	Name string
	// Out receives the violations, one per line; nil discards them.
	Out io.Writer
	// Now is when the run started: a created_at after it is a violation.
	// The zero Now means time.Now().
	Now time.Time
	// SourceDateEpoch, when not zero, is the modification time every entry
	// must carry (SOURCE_DATE_EPOCH). When zero they must carry the newest
	// created_at in the archive.
	SourceDateEpoch time.Time
	// TicketUserIDs are the ids of the ticket platform's users, in any
	// order: an author_id or requester_id naming one is no violation.
	TicketUserIDs []int64
	// TicketUsers names where TicketUserIDs came from, in messages.
	TicketUsers string
	// TicketUsersMissing says that TicketUsers does not exist, so only the
	// archive's users count; messages say so.
	TicketUsersMissing bool
	// KnownUser, when not nil, reports whether id names a user outside the
	// archive and TicketUserIDs, such as one written by an earlier run of
	// the same lineage (SPEC section 12). It is called from one goroutine.
	KnownUser func(id int64) bool
	// KnownUsers names where KnownUser looks, in messages.
	KnownUsers string
	// Progress, when not nil, is called with the number of compressed bytes
	// read, as they are read.
	Progress func(n int64)
}

// Result is what Archive found.
type Result struct {
	// Violations counts every violation, printed or not.
	Violations int
	// Partial says that part of the archive could not be read, so the
	// references and the entries' time were not checked: they would be
	// reported falsely.
	Partial bool
}

// Archive reads the gzip-compressed tar r and prints every violation of
// SPEC sections 6 and 9 to cfg.Out, at most MaxPrinted of them, then a line
// counting the rest. Damage to the archive is a violation, not an error; the
// error is an input that is not gzip at all (wrapping ErrNotGzip), a failure
// to print, or a cancelled ctx (wrapping context.Cause(ctx)).
func Archive(ctx context.Context, r io.Reader, cfg Config) (Result, error) {
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	if cfg.Progress != nil {
		r = &progressReader{r: r, add: cfg.Progress}
	}
	// The gzip reader reads this bufio.Reader byte by byte, so it stops
	// exactly at the end of the member and br shows what follows.
	br := bufio.NewReaderSize(r, 1<<20)
	gz, err := gzip.NewReader(br)
	if err != nil {
		if errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Result{}, fmt.Errorf("%s %w (%w)", cfg.Name, ErrNotGzip, err)
		}
		return Result{}, fmt.Errorf("cannot read %s: %w", cfg.Name, err)
	}
	defer gz.Close()
	// One member: a second one, which a multistream reader would read on
	// as if it continued the first, is a violation (see trailer).
	gz.Multistream(false)
	c := newChecker(cfg, out)
	if err := c.read(ctx, &input{gz: gz, rest: br}); err != nil {
		c.out.Flush() // what was found before the interruption
		return Result{}, err
	}
	partial := c.streamBroken || c.fileBroken
	if !partial {
		if line, bad := c.times.check(); bad {
			c.print(line)
		}
		for _, line := range c.layout.check() {
			c.print(line)
		}
	}
	c.cross.printDuplicates(c.printer)
	if !partial {
		c.cross.printMissing(c.printer, c.nowhere())
	}
	if err := c.finish(); err != nil {
		return Result{}, fmt.Errorf("cannot print the violations: %w", err)
	}
	return Result{Violations: c.count, Partial: partial}, nil
}

// progressReader reports the compressed bytes read.
type progressReader struct {
	r   io.Reader
	add func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.add(int64(n))
	return n, err
}
