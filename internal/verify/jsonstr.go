package verify

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// plain marks the bytes a JSON string holds as themselves: printable ASCII
// but the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// The problems a string may have, each reported once per string.
const (
	noProblem = iota
	badUnicodeEscape
	badEscape
	rawControl
	invalidUTF8
	loneSurrogate
	needlessEscape
)

// str reads a string at s.i and returns the span of its content and whether
// it holds escapes. Raw control characters, bad escapes, unpaired
// surrogates and invalid UTF-8 break no structure: the first of them is
// reported at the current path and the scan goes on. An unterminated
// string is a syntax error.
func (s *Scanner) str() (start, end int, esc, ok bool) {
	b := s.b
	i := s.i + 1
	start = i
	problem, problemAt := noProblem, 0
	note := func(p, at int) {
		if problem == noProblem {
			problem, problemAt = p, at
		}
	}
	for {
		// Eight bytes at a time while none needs a look: long bodies are
		// most of an archive's bytes.
		for i+8 <= len(b) && plainWord(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			s.i = start - 1
			return 0, 0, false, s.syntax("a string that starts here never ends")
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			if problem != noProblem {
				s.strProblem(problem, problemAt)
			}
			return start, i, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				s.i = start - 1
				return 0, 0, false, s.syntax("a string that starts here never ends")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r := rune(-1)
				if i+6 <= len(b) {
					r = hex4(b[i+2 : i+6])
				}
				switch {
				case r < 0:
					note(badUnicodeEscape, i)
					i += 2
				case r < 0xD800 || r >= 0xE000:
					if mustBeItself(r) {
						note(needlessEscape, i)
					}
					i += 6
				case r < 0xDC00 && i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' && isLowSurrogate(hex4(b[i+8:i+12])):
					note(needlessEscape, i) // a character past U+FFFF
					i += 12
				default:
					// Text a destination cannot store; decoded, two
					// different ones would both be U+FFFD.
					note(loneSurrogate, i)
					i += 6
				}
			default:
				note(badEscape, i)
				i++
			}
		case c < 0x20:
			note(rawControl, i)
			i++
		default:
			j := i + 1
			for j < len(b) && b[j] >= 0x80 {
				j++
			}
			if !utf8.Valid(b[i:j]) {
				bad := i
				for bad < j {
					r, size := utf8.DecodeRune(b[bad:j])
					if r == utf8.RuneError && size <= 1 {
						break
					}
					bad += size
				}
				note(invalidUTF8, bad)
			}
			i = j
		}
	}
}

// strProblem reports the first problem str found in a string.
func (s *Scanner) strProblem(problem, at int) {
	s.report(at, func() string {
		b := s.b
		switch problem {
		case badUnicodeEscape:
			return fmt.Sprintf("bad escape \\u at byte %d: want four hex digits", at)
		case badEscape:
			return fmt.Sprintf("bad escape %q at byte %d", b[at:at+2], at)
		case rawControl:
			return fmt.Sprintf("raw control character U+%04X at byte %d; JSON wants it escaped", b[at], at)
		case loneSurrogate:
			return fmt.Sprintf("unpaired surrogate %s at byte %d; want a high surrogate \\ud800-\\udbff followed by a low one \\udc00-\\udfff", b[at:at+6], at)
		case needlessEscape:
			esc := b[at : at+6]
			if r := hex4(esc[2:]); 0xD800 <= r && r < 0xDC00 {
				esc = b[at : at+12]
			}
			return fmt.Sprintf("escape %s at byte %d: <, >, & and non-ASCII characters are written as themselves (SPEC section 6; only U+2028 and U+2029 may be escaped)", esc, at)
		}
		return fmt.Sprintf("invalid UTF-8 at byte %d", at)
	})
}

// mustBeItself tells whether the archive writes r as itself, never as a
// \u escape (SPEC section 6): <, > and &, which Go's encoding/json and
// others escape for HTML, and every non-ASCII character but U+2028 and
// U+2029.
func mustBeItself(r rune) bool {
	return r == '<' || r == '>' || r == '&' || r >= 0x80 && r != 0x2028 && r != 0x2029
}

func isLowSurrogate(r rune) bool { return 0xDC00 <= r && r < 0xE000 }

// plainWord reports whether eight bytes are all plain: none below
// 0x20, none a quote or a backslash, none past ASCII. It may say no to a
// plain word (a borrow across bytes), never yes to one that is not.
func plainWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, slash := x^(ones*'"'), x^(ones*'\\')
	t := (x - ones*0x20) | (quote - ones) | (slash - ones) | x
	return t&highs == 0
}

// hex4 reads four hex digits, or returns -1.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// unquote appends the text of a string's content raw to dst, escapes
// decoded. A lone surrogate, a violation of its own, is written as its
// three bytes in the generalized UTF-8 of WTF-8, not as U+FFFD as
// encoding/json has it: two emails that differ only in a lone surrogate
// must stay two emails.
func unquote(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			dst = append(dst, c)
			i++
			continue
		}
		switch e := raw[i+1]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if i+6 > len(raw) || hex4(raw[i+2:i+6]) < 0 {
				dst = append(dst, '\\', 'u')
				i += 2
				continue
			}
			r := hex4(raw[i+2 : i+6])
			i += 6
			if 0xD800 <= r && r < 0xDC00 && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if lo := hex4(raw[i+2 : i+6]); 0xDC00 <= lo && lo < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					i += 6
				}
			}
			if 0xD800 <= r && r < 0xE000 {
				dst = append(dst, byte(0xE0|r>>12), byte(0x80|r>>6&0x3F), byte(0x80|r&0x3F))
				continue
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/', and bad escapes kept as the character
			dst = append(dst, e)
		}
		i += 2
	}
	return dst
}
