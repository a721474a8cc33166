package verify

import (
	"bytes"
	"fmt"
	"strings"
)

// The scanner's walk through the objects and arrays of the schema: keys in
// order, values of the right type, and the objects handed to the merger.

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
			// Compared as section 3 normalizes: trimmed, then lowercased.
			if key := bytes.Trim(email, " \t\r\n\f\v"); len(key) > 0 {
				s.lower = appendLower(s.lower[:0], key)
				s.rec.email = newEmailKey(s.lower)
			}
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
	switch elem {
	case ticketKind:
		s.lengths[inTickets] = n
	case commentKind:
		s.lengths[inComments] = n
	case userKind:
		s.lengths[inUsers] = n
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
