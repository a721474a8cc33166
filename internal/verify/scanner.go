package verify

import (
	"fmt"
	"slices"
	"strings"
)

// maxDepth bounds the nesting of values the scanner skips, so that a hostile
// file cannot exhaust the stack.
const maxDepth = 512

// The records kept of each object for the checks across files; 0 stands for
// an id that is missing or invalid (and reported as such).
type (
	ticketRecord struct {
		id, requester int64
	}
	commentRecord struct {
		id, ticket, author int64
	}
	userRecord struct {
		id    int64
		email string
	}
)

// records are the records kept of one file's objects; element i of an
// array is entry i of its slice.
type records struct {
	tickets  []ticketRecord
	comments []commentRecord
	users    []userRecord
}

// record is what the scanner keeps of the object it is reading.
type record struct {
	vals  [6]int64
	email string
}

// Scanner checks one file's bytes against the schema. It reads the bytes
// once, without building values: problems that leave the structure readable
// (a wrong type, a bad key, invalid UTF-8) are reported and the scan goes
// on; a syntax error is reported and ends the scan of that file. A Scanner
// keeps its scratch space from file to file.
type Scanner struct {
	// Now is when the run started, in Unix seconds: a later created_at is a
	// violation.
	Now int64

	b      []byte
	i      int
	e      *entry
	at     at
	rec    record
	oddKey string
	recs   records
	failed bool
	newest int64 // the latest created_at read, -1 before any
	tmp    []byte
	days   dayCache
}

// scan checks e.data and fills e's violations and records.
func (s *Scanner) scan(e *entry) {
	s.b, s.i, s.e, s.failed, s.newest = e.data, 0, e, false, -1
	s.at = at{kind: rootKind, key: noKey}
	s.recs.tickets, s.recs.comments, s.recs.users = s.recs.tickets[:0], s.recs.comments[:0], s.recs.users[:0]
	defer func() {
		// The scratch records grow once per worker; each file keeps a copy
		// of its own size.
		e.records = &records{
			tickets:  slices.Clone(s.recs.tickets),
			comments: slices.Clone(s.recs.comments),
			users:    slices.Clone(s.recs.users),
		}
		clear(s.recs.users)
		s.b, s.e = nil, nil
	}()
	if len(s.b) >= 3 && string(s.b[:3]) == "\ufeff" {
		s.report(0, "starts with a byte order mark; want JSON without one")
		s.i = 3
	}
	s.ws()
	if s.i == len(s.b) {
		s.report(0, "is empty; want one JSON object")
		return
	}
	if !s.object(rootKind, 0) {
		return
	}
	s.ws()
	if s.i < len(s.b) {
		s.at = at{kind: rootKind, key: noKey}
		s.report(s.i, fmt.Sprintf("more data after the JSON object at %s; want one JSON object per file", s.position(s.i)))
	}
}

// report adds a violation at the current path.
func (s *Scanner) report(off int, msg string) {
	p := s.path()
	if p != "" {
		msg = p + ": " + msg
	}
	s.e.bad = append(s.e.bad, violation{off, msg})
}

// syntax reports a syntax error and stops the scan.
func (s *Scanner) syntax(msg string) bool {
	s.report(s.i, fmt.Sprintf("invalid JSON at %s: %s; the rest of the file is not checked", s.position(s.i), msg))
	s.failed = true
	return false
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
		for {
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
				s.oddKey = string(key)
				s.at.key = oddKey
				s.report(ks-1, "unexpected key; "+k.exactly())
				if !s.skipValue(0) {
					return false
				}
			case seen&(1<<ki) != 0:
				s.at.key = ki
				s.report(ks-1, "repeated key; the first one is kept")
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
	}
	s.at.key = noKey
	for ki, key := range k.keys {
		if seen&(1<<ki) == 0 {
			s.report(start, "missing key "+key+"; "+k.exactly())
		}
	}
	if outOfOrder {
		got := make([]string, n)
		for i := range got {
			got[i] = k.keys[order[i]]
		}
		s.report(start, fmt.Sprintf("keys in the order %s; want %s", strings.Join(got, ", "), k.want))
	}
	return true
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
			if esc {
				s.rec.email = string(unquote(s.tmp[:0], s.b[ks:ke]))
			} else {
				s.rec.email = string(s.b[ks:ke])
			}
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
			s.report(start, "is null; want an array ([] when empty)")
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
		for {
			s.ws()
			if elem == nil {
				s.at = here
				if !s.skipValue(0) {
					return false
				}
			} else {
				s.at = at{kind: elem, idx: n, key: noKey}
				s.rec = record{}
				ok := s.object(elem, n)
				s.keep(elem)
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
	}
	s.at = here
	if elem == nil && n > 0 {
		s.report(start, fmt.Sprintf("holds %s; must be empty", plural(n, "value")))
	}
	if elem != nil && n > maxObjects {
		s.report(start, fmt.Sprintf("holds %d objects; at most %d per file", n, maxObjects))
	}
	return true
}

// keep files the record just read under its kind, so that element i of an
// array is entry i of its slice.
func (s *Scanner) keep(k *kind) {
	r := &s.rec
	switch k {
	case ticketKind:
		s.recs.tickets = append(s.recs.tickets, ticketRecord{id: r.vals[ticketIDKey], requester: r.vals[ticketRequesterKey]})
	case commentKind:
		s.recs.comments = append(s.recs.comments, commentRecord{id: r.vals[commentIDKey], ticket: r.vals[commentTicketKey], author: r.vals[commentAuthorKey]})
	case userKind:
		s.recs.users = append(s.recs.users, userRecord{id: r.vals[userIDKey], email: r.email})
	}
}
