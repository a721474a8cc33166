package verify

import (
	"fmt"
	"sync/atomic"
)

// maxDepth bounds the nesting of values the scanner skips, so that a hostile
// file cannot exhaust the stack.
const maxDepth = 512

// object is what the checks across files need of one ticket, comment or
// user; an id is 0 when missing or invalid (and reported as such).
type object struct {
	id  int64
	ref [2]int64 // a ticket's requester_id; a comment's ticket_id and author_id
	// email is the key of a user's lowercased email, zero when empty; its
	// text, cut short, is batch.text[textOff:textOff+textLen].
	email   emailKey
	textOff uint32
	textLen uint16
	textCut bool // the email is longer than its text
	array   uint8
	idx     uint32
}

// batch is a run of one file's objects, in file order, on their way from
// a worker to the merger; text holds their emails.
type batch struct {
	objs []object
	text []byte
}

// batchSize is how many objects a batch holds: big enough that the
// channel costs little per object, small enough that a file of millions of
// objects never waits in memory whole.
const batchSize = 256

// record is what the scanner keeps of the object it is reading.
type record struct {
	vals  [6]int64
	email emailKey
	text  []byte // the email as written, cut short
	cut   bool   // text is shorter than the email
}

// scanResult is what the scan of one file found besides its objects.
type scanResult struct {
	bad   []violation // the texts kept, in file order
	count int         // every violation, kept or not
	// broken says a syntax error stopped the scan before the end; stopped
	// that the scan was asked to stop.
	broken, stopped bool
	newest          int64 // the latest created_at, -1 when none
	// lengths are the lengths of the tickets, comments and users arrays.
	lengths [3]int
}

// Scanner checks one file's bytes against the schema. It reads the bytes
// once, without building values: problems that leave the structure readable
// (a wrong type, a bad key, invalid UTF-8) are reported and the scan goes
// on; a syntax error is reported and ends the scan of that file. A Scanner
// keeps its scratch space from file to file, so a file costs no allocation
// but the texts of its violations.
type Scanner struct {
	// Now is when the run started, in Unix seconds: a later created_at is a
	// violation.
	Now int64
	// Stop, when not nil, is polled as the scan goes: once it is set, the
	// scan ends within a few thousand values.
	Stop *atomic.Bool

	b       []byte
	i       int
	at      at
	rec     record
	oddKey  []byte // the odd key s.at names, cut short
	oddLong bool   // oddKey was cut
	bad     keptViolations
	failed  bool
	stopped bool
	ticks   uint
	newest  int64
	lengths [3]int // of the tickets, comments and users arrays
	tmp     []byte
	lower   []byte
	days    dayCache
	out     *batch
	emit    func(*batch) *batch
}

// scan checks data, one archive file, and keeps the texts of at most
// limit of its violations. The objects read go to emit in batches, in file
// order: emit takes the batch and returns an empty one.
func (s *Scanner) scan(data []byte, limit int, emit func(*batch) *batch) scanResult {
	s.b, s.i, s.failed, s.stopped, s.newest = data, 0, false, false, -1
	s.lengths = [3]int{}
	s.at = at{kind: rootKind, key: noKey}
	s.bad.reset(limit)
	s.emit = emit
	if s.out == nil {
		s.out = emit(nil)
	}
	s.check()
	if len(s.out.objs) > 0 {
		s.out = emit(s.out)
	}
	s.b, s.emit = nil, nil
	return scanResult{bad: s.bad.sorted(), count: s.bad.count, broken: s.failed, stopped: s.stopped, newest: s.newest, lengths: s.lengths}
}

func (s *Scanner) check() {
	if len(s.b) >= 3 && string(s.b[:3]) == "\ufeff" {
		s.report(0, func() string { return "starts with a byte order mark; want JSON without one" })
		s.i = 3
	}
	s.ws()
	if s.i == len(s.b) {
		s.report(0, func() string { return "is empty; want one JSON object" })
		return
	}
	if !s.object(rootKind, 0) {
		return
	}
	s.ws()
	if s.i < len(s.b) {
		s.at = at{kind: rootKind, key: noKey}
		s.report(s.i, func() string {
			return fmt.Sprintf("more data after the JSON object at %s; want one JSON object per file", s.position(s.i))
		})
	}
}

// report counts a violation at off, at the current path, and keeps its
// text while it may be printed; msg builds the text, and is called only
// then: a hostile file may hold millions of violations.
func (s *Scanner) report(off int, msg func() string) {
	if !s.bad.want(off) {
		return
	}
	text := msg()
	if p := s.path(); p != "" {
		text = p + ": " + text
	}
	s.bad.add(off, text)
}

// syntax reports a syntax error and stops the scan.
func (s *Scanner) syntax(msg string) bool {
	s.report(s.i, func() string {
		return fmt.Sprintf("invalid JSON at %s: %s; the rest of the file is not checked", s.position(s.i), msg)
	})
	s.failed = true
	return false
}

// going counts a step through an object or an array and reports whether
// the scan goes on: false once Stop is set, checked every 1024 steps.
func (s *Scanner) going() bool {
	s.ticks++
	if s.ticks&1023 == 0 && s.Stop != nil && s.Stop.Load() {
		s.stopped = true
	}
	return !s.stopped
}

// position names a byte offset as line, column and byte, as a user counts
// them.
func (s *Scanner) position(off int) string {
	line, col := 1, 1
	for _, c := range s.b[:min(off, len(s.b))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d (byte %d)", line, col, off)
}

// found names the byte at s.i for a message.
func (s *Scanner) found() string {
	if s.i >= len(s.b) {
		return "the end of the file"
	}
	c := s.b[s.i]
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (s *Scanner) ws() {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return // compact JSON has none
	}
	s.wsSlow()
}

func (s *Scanner) wsSlow() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *Scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}
