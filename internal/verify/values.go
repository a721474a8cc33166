package verify

import (
	"fmt"
	"math"
)

const idRange = "want an integer id from 1 to 9223372036854775807"

// id reads an integer id into s.rec.vals[ki].
func (s *Scanner) id(ki int) bool {
	start := s.i
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		return s.wrongType(start, idRange)
	}
	v, isID, ok := s.number()
	if !ok {
		return false
	}
	if !isID {
		// A number's bytes are digits, signs, dots and exponents only.
		s.report(start, func() string { return fmt.Sprintf("is %s; %s", preview(s.b[start:s.i]), idRange) })
		return true
	}
	s.rec.vals[ki] = v
	return true
}

// number reads a JSON number. isID says it is an integer in 1..MaxInt64,
// written without sign, fraction or exponent.
func (s *Scanner) number() (v int64, isID, ok bool) {
	b, i := s.b, s.i
	if i < len(b) && b[i]-'1' < 9 {
		// Up to 18 digits cannot overflow; most ids end here.
		j := i
		for j < len(b) && j-i < 18 && b[j]-'0' <= 9 {
			v = v*10 + int64(b[j]-'0')
			j++
		}
		if j == len(b) || b[j]-'0' > 9 && b[j] != '.' && b[j] != 'e' && b[j] != 'E' {
			s.i = j
			return v, true, true
		}
		v = 0
	}
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	if i >= len(b) || b[i] < '0' || b[i] > '9' {
		s.i = i
		return 0, false, s.syntax("want a digit in a number, found " + s.found())
	}
	over := false
	if b[i] == '0' {
		i++
		if i < len(b) && b[i] >= '0' && b[i] <= '9' {
			s.i = i
			return 0, false, s.syntax("a number starts with 0 and goes on with digits")
		}
	} else {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			d := int64(b[i] - '0')
			if v > (math.MaxInt64-d)/10 {
				over = true
			} else {
				v = v*10 + d
			}
			i++
		}
	}
	integer := true
	if i < len(b) && b[i] == '.' {
		integer = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return 0, false, s.syntax("want a digit after '.' in a number, found " + s.found())
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return 0, false, s.syntax("want a digit in the exponent of a number, found " + s.found())
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	return v, integer && !neg && !over && v > 0, true
}

// timestamp reads a created_at: a string 2006-01-02T15:04:05Z naming a
// moment from 1970-01-01T00:00:00Z to the start of the run.
func (s *Scanner) timestamp() bool {
	start := s.i
	if s.peek() != '"' {
		return s.wrongType(start, "want a string such as 2006-01-02T15:04:05Z")
	}
	ks, ke, esc, ok := s.str()
	if !ok {
		return false
	}
	raw := s.b[ks:ke]
	if esc {
		s.tmp = unquote(s.tmp[:0], raw)
		raw = s.tmp
	}
	unix, valid := s.days.parse(raw)
	if valid {
		s.newest = max(s.newest, unix)
	}
	var problem string
	switch {
	case !valid:
		problem = "is not a UTC time written 2006-01-02T15:04:05Z"
	case unix < 0:
		problem = "is before 1970-01-01T00:00:00Z"
	case unix > s.Now:
		problem = "is after the run started (" + formatTime(s.Now) + ")"
	default:
		return true
	}
	s.report(start, func() string { return preview(s.b[start:s.i]) + " " + problem })
	return true
}

// wrongType reports a value of the wrong type and skips it.
func (s *Scanner) wrongType(start int, want string) bool {
	if !s.skipValue(0) {
		return false
	}
	s.report(start, func() string { return fmt.Sprintf("is %s; %s", describe(s.b[start:s.i]), want) })
	return true
}

func (s *Scanner) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// skipValue reads any JSON value, reporting what is wrong inside it.
func (s *Scanner) skipValue(depth int) bool {
	if depth > maxDepth {
		return s.syntax(fmt.Sprintf("values nested more than %d deep", maxDepth))
	}
	switch c := s.peek(); {
	case c == '"':
		_, _, _, ok := s.str()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		_, _, ok := s.number()
		return ok
	case c == 't':
		if s.literal("true") {
			return true
		}
	case c == 'f':
		if s.literal("false") {
			return true
		}
	case c == 'n':
		if s.literal("null") {
			return true
		}
	case c == '{':
		return s.skipObject(depth)
	case c == '[':
		return s.skipArray(depth)
	}
	return s.syntax("want a value, found " + s.found())
}

func (s *Scanner) skipObject(depth int) bool {
	s.i++
	s.ws()
	if s.peek() == '}' {
		s.i++
		return true
	}
	for s.going() {
		s.ws()
		if s.peek() != '"' {
			return s.syntax("want a key string, found " + s.found())
		}
		if _, _, _, ok := s.str(); !ok {
			return false
		}
		s.ws()
		if s.peek() != ':' {
			return s.syntax("want ':' after a key, found " + s.found())
		}
		s.i++
		s.ws()
		if !s.skipValue(depth + 1) {
			return false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return s.syntax("want ',' or '}' after a value in an object, found " + s.found())
		}
	}
	return false
}

func (s *Scanner) skipArray(depth int) bool {
	s.i++
	s.ws()
	if s.peek() == ']' {
		s.i++
		return true
	}
	for s.going() {
		s.ws()
		if !s.skipValue(depth + 1) {
			return false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return s.syntax("want ',' or ']' after a value in an array, found " + s.found())
		}
	}
	return false
}
