package verify

import (
	"fmt"
	"strings"
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
	return scanResult{bad: s.bad.sorted(), count: s.bad.count, broken: s.failed, stopped: s.stopped, newest: s.newest}
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

// object reads an object of kind k (s.at already names it) and keeps what
// its elements hold in s.rec. It returns false after a syntax error.
func (s *Scanner) object(k *kind, idx int) bool {
	here := at{kind: k, idx: idx, key: noKey}
	start := s.i
	if s.peek() != '{' {
		return s.wrongType(start, "want "+k.name)
	}
	s.at = here
	s.i++
	var seen uint32
	var order [8]int8
	n := 0
	outOfOrder := false
	last := -1
	s.ws()
	if s.peek() == '}' {
		s.i++
	} else {
		for s.going() {
			s.ws()
			s.at.key = noKey
			if s.peek() != '"' {
				return s.syntax("want a key string, found " + s.found())
			}
			ks, ke, esc, ok := s.str()
			if !ok {
				return false
			}
			key := s.b[ks:ke]
			if esc {
				s.tmp = unquote(s.tmp[:0], key)
				key = s.tmp
			}
			ki := k.find(key, last+1)
			s.ws()
			if s.peek() != ':' {
				return s.syntax("want ':' after a key, found " + s.found())
			}
			s.i++
			s.ws()
			switch {
			case ki < 0:
				s.setOddKey(key)
				s.report(ks-1, func() string { return "unexpected key; " + k.exactly() })
				if !s.skipValue(0) {
					return false
				}
			case seen&(1<<ki) != 0:
				s.at.key = ki
				s.report(ks-1, func() string { return "repeated key; the first one is kept" })
				if !s.skipValue(0) {
					return false
				}
			default:
				seen |= 1 << ki
				if ki < last {
					outOfOrder = true
				}
				last = ki
				if n < len(order) {
					order[n] = int8(ki)
					n++
				}
				s.at.key = ki
				if !s.field(k, ki) {
					return false
				}
				if k.fields[ki] <= arrayField {
					s.at = here // a nested object or array moved it
				}
			}
			s.ws()
			c := s.peek()
			if c == ',' {
				s.i++
				continue
			}
			if c == '}' {
				s.i++
				break
			}
			s.at.key = noKey
			return s.syntax("want ',' or '}' after a value in an object, found " + s.found())
		}
		if s.stopped {
			return false
		}
	}
	s.at.key = noKey
	for ki, key := range k.keys {
		if seen&(1<<ki) == 0 {
			s.report(start, func() string { return "missing key " + key + "; " + k.exactly() })
		}
	}
	if outOfOrder {
		s.report(start, func() string {
			got := make([]string, n)
			for i := range got {
				got[i] = k.keys[order[i]]
			}
			return fmt.Sprintf("keys in the order %s; want %s", strings.Join(got, ", "), k.want)
		})
	}
	return true
}

// setOddKey makes s.at name key, which the kind does not have.
func (s *Scanner) setOddKey(key []byte) {
	s.oddLong = len(key) > maxShown
	if s.oddLong {
		key = key[:cutAt(key, maxShown)]
	}
	s.oddKey = append(s.oddKey[:0], key...)
	s.at.key = oddKey
}

// field reads the value of key ki of kind k; s.at names it.
func (s *Scanner) field(k *kind, ki int) bool {
	switch k.fields[ki] {
	case objectField:
		return s.object(k.subs[ki], 0)
	case arrayField:
		return s.array(k.subs[ki])
	case idField:
		return s.id(ki)
	case timeField:
		return s.timestamp()
	case boolField:
		c := s.peek()
		if c == 't' && s.literal("true") || c == 'f' && s.literal("false") {
			return true
		}
		return s.wrongType(s.i, "want true or false")
	case stringField:
		if s.peek() != '"' {
			return s.wrongType(s.i, "want a string")
		}
		_, _, _, ok := s.str()
		return ok
	case emailField:
		if s.peek() != '"' {
			return s.wrongType(s.i, "want a string (empty when the user has no email)")
		}
		ks, ke, esc, ok := s.str()
		if !ok {
			return false
		}
		if ke > ks {
			email := s.b[ks:ke]
			if esc {
				s.tmp = unquote(s.tmp[:0], email)
				email = s.tmp
			}
			s.lower = appendLower(s.lower[:0], email)
			s.rec.email = newEmailKey(s.lower)
			s.rec.cut = len(email) > maxShown
			if s.rec.cut {
				email = email[:cutAt(email, maxShown)]
			}
			s.rec.text = append(s.rec.text[:0], email...)
		}
		return true
	}
	return true
}

// array reads the array of element kind elem under the key s.at names.
func (s *Scanner) array(elem *kind) bool {
	here := s.at
	start := s.i
	switch s.peek() {
	case '[':
	case 'n':
		if s.literal("null") {
			s.report(start, func() string { return "is null; want an array ([] when empty)" })
			return true
		}
		return s.syntax("want a value, found " + s.found())
	default:
		return s.wrongType(start, "want an array")
	}
	s.i++
	n := 0
	s.ws()
	if s.peek() == ']' {
		s.i++
	} else {
		for s.going() {
			s.ws()
			if elem == nil {
				s.at = here
				if !s.skipValue(0) {
					return false
				}
			} else {
				s.at = at{kind: elem, idx: n, key: noKey}
				s.rec.vals, s.rec.email, s.rec.text, s.rec.cut = [6]int64{}, emailKey{}, s.rec.text[:0], false
				ok := s.object(elem, n)
				s.keep(elem, n)
				if !ok {
					return false
				}
			}
			n++
			s.ws()
			c := s.peek()
			if c == ',' {
				s.i++
				continue
			}
			if c == ']' {
				s.i++
				break
			}
			s.at = here
			return s.syntax("want ',' or ']' after a value in an array, found " + s.found())
		}
		if s.stopped {
			return false
		}
	}
	s.at = here
	if elem == nil && n > 0 {
		s.report(start, func() string { return fmt.Sprintf("holds %s; must be empty", plural(n, "value")) })
	}
	if elem != nil && n > maxObjects {
		s.report(start, func() string { return fmt.Sprintf("holds %d objects; at most %d per file", n, maxObjects) })
	}
	return true
}

// keep hands the object just read, element idx of its array, to the
// merger. An object with no id, reference or email is of no use there.
func (s *Scanner) keep(k *kind, idx int) {
	r := &s.rec
	o := object{idx: uint32(idx)}
	switch k {
	case ticketKind:
		o.array, o.id, o.ref[0] = inTickets, r.vals[ticketIDKey], r.vals[ticketRequesterKey]
	case commentKind:
		o.array, o.id, o.ref = inComments, r.vals[commentIDKey], [2]int64{r.vals[commentTicketKey], r.vals[commentAuthorKey]}
	case userKind:
		o.array, o.id, o.email = inUsers, r.vals[userIDKey], r.email
		if !r.email.empty() {
			o.textOff, o.textLen, o.textCut = uint32(len(s.out.text)), uint16(len(r.text)), r.cut
			s.out.text = append(s.out.text, r.text...)
		}
	}
	if o.id == 0 && o.ref == [2]int64{} && o.email.empty() {
		return
	}
	s.out.objs = append(s.out.objs, o)
	if len(s.out.objs) == batchSize {
		s.out = s.emit(s.out)
	}
}
