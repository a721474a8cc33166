package value

import (
	"errors"
	"fmt"
)

// A Layout is a --timestamp-format pattern: strftime directives read with
// the meanings of Python's time.strptime, the reader most exports of this
// kind are checked against:
//
//	%Y  year, 4 digits            %y  year, 2 digits (69-99: 1900s, 00-68: 2000s)
//	%m  month, 1-12, 1 or 2 digits %d, %e  day, 1-31 (a space may precede one digit)
//	%H  hour, 0-23                %I  hour, 1-12, with %p AM or PM (any case)
//	%M  minute                    %S  second (60 is invalid, as in SPEC section 3)
//	%f  fraction, 1 to 6 digits   %j  day of the year, 1-366
//	%b, %B  month name (Jan, January; any case)
//	%a, %A  weekday name, read and ignored
//	%z  +HHMM, +HH:MM or Z        %Z  UTC or GMT (any case)
//	%%  a percent sign
//
// As in Python, the whole value must match, a run of spaces in the pattern
// matches one or more spaces, letters match in any case, and a field left
// out takes the default (year 1900, January, day 1, midnight). A time with
// %z or %Z is at that offset; one without is a wall time in the parser's Loc.
//
// itchyny/timefmt-go's Parse was the first choice, but it reads second 60
// and February 31 (time.Date moves them to the next minute and to March 3)
// and any upper-case word as a zone of offset 0 ("PST" becomes UTC); SPEC
// section 3 makes those invalid, and checking after the fact needs the
// parsed fields, which it does not give. This small matcher gives them.
type Layout struct {
	pattern string
	items   []layoutItem
}

type layoutItem struct {
	verb byte   // the directive's letter; 0 for literal text, ' ' for a run of spaces
	text string // the literal text, for verb 0
}

// ErrLayout is wrapped by the errors of CompileLayout.
var ErrLayout = errors.New("not a timestamp format")

// LayoutDirectives lists the directives a Layout reads.
const LayoutDirectives = "%Y %y %m %d %e %H %I %M %S %f %p %b %B %a %A %j %z %Z %%"

// CompileLayout reads a pattern. A directive outside LayoutDirectives, a
// lone "%" at the end, and a pattern without a year (every time would be in
// 1900, before 1970) are errors wrapping ErrLayout.
func CompileLayout(pattern string) (*Layout, error) {
	l := &Layout{pattern: pattern}
	year := false
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '%':
			if i+1 == len(pattern) {
				return nil, fmt.Errorf("%w: %q ends with a lone %%", ErrLayout, pattern)
			}
			v := pattern[i+1]
			switch v {
			case 'Y', 'y':
				year = true
			case 'm', 'd', 'e', 'H', 'I', 'M', 'S', 'f', 'p', 'b', 'B', 'a', 'A', 'j', 'z', 'Z':
			case '%':
				l.items = append(l.items, layoutItem{text: "%"})
				i += 2
				continue
			default:
				return nil, fmt.Errorf("%w: %q: %%%c is not one of %s", ErrLayout, pattern, v, LayoutDirectives)
			}
			l.items = append(l.items, layoutItem{verb: v})
			i += 2
		case asciiSpace[c]:
			for i < len(pattern) && asciiSpace[pattern[i]] {
				i++
			}
			l.items = append(l.items, layoutItem{verb: ' '})
		default:
			j := i
			for j < len(pattern) && pattern[j] != '%' && !asciiSpace[pattern[j]] {
				j++
			}
			l.items = append(l.items, layoutItem{text: lowerASCII(pattern[i:j])})
			i = j
		}
	}
	if !year {
		return nil, fmt.Errorf("%w: %q has no year (%%Y or %%y): every time would be in 1900", ErrLayout, pattern)
	}
	return l, nil
}

// String returns the pattern.
func (l *Layout) String() string { return l.pattern }

// layoutFields are what a match read.
type layoutFields struct {
	year, month, day, yday     int
	hour, minute, second, nsec int
	twelve, pm                 bool // %I was read; %p said PM
	offset                     int64
	zoned                      bool
}

// parseLayouts tries the layouts in order. read reports whether one of them
// read s as a calendar time; then v and ok are that time and the range rule.
func (p *TimeParser) parseLayouts(s string) (v int64, ok, read bool) {
	for _, l := range p.Layouts {
		f := layoutFields{year: 1900, month: 1, day: 1}
		if !l.match(l.items, s, &f) {
			continue
		}
		if f.second > 59 {
			continue
		}
		if f.twelve {
			f.hour %= 12
			if f.pm {
				f.hour += 12
			}
		}
		if f.yday > 0 {
			days := 365
			if isLeap(f.year) {
				days = 366
			}
			if f.yday > days {
				continue
			}
			f.year, f.month, f.day = civilFromDays(daysFromCivil(f.year, 1, 1) + int64(f.yday-1))
		} else if f.day > daysIn(f.year, f.month) {
			continue
		}
		if f.zoned {
			v, ok = p.check(civilSeconds(f.year, f.month, f.day, f.hour, f.minute, f.second)-f.offset, f.nsec, false)
		} else {
			v, ok = p.wall(f.year, f.month, f.day, f.hour, f.minute, f.second, f.nsec, false)
		}
		return v, ok, true
	}
	return 0, false, false
}

var (
	shortMonths = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	longMonths  = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
	shortDays   = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	longDays    = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)

// match reads s with items, backtracking over the widths of numbers as
// Python's regular expression does; it allocates nothing.
func (l *Layout) match(items []layoutItem, s string, f *layoutFields) bool {
	if len(items) == 0 {
		return s == ""
	}
	it, rest := items[0], items[1:]
	switch it.verb {
	case 0:
		if len(s) < len(it.text) || !equalFoldASCII(s[:len(it.text)], it.text) {
			return false
		}
		return l.match(rest, s[len(it.text):], f)
	case ' ':
		n := 0
		for n < len(s) && asciiSpace[s[n]] {
			n++
		}
		for ; n > 0; n-- {
			if l.match(rest, s[n:], f) {
				return true
			}
		}
		return false
	case 'Y':
		return l.number(rest, s, f, &f.year, 4, 4, 0, 9999)
	case 'y':
		if !l.number(rest, s, f, &f.year, 2, 2, 0, 99) {
			return false
		}
		// The century is added once the whole value matched: the rest
		// of the pattern never reads the year.
		if f.year < 69 {
			f.year += 2000
		} else {
			f.year += 1900
		}
		return true
	case 'm':
		return l.number(rest, s, f, &f.month, 1, 2, 1, 12)
	case 'd', 'e':
		if len(s) >= 2 && s[0] == ' ' && isDigit(s[1]) && s[1] != '0' {
			f.day = int(s[1] - '0')
			if l.match(rest, s[2:], f) {
				return true
			}
		}
		return l.number(rest, s, f, &f.day, 1, 2, 1, 31)
	case 'H':
		return l.number(rest, s, f, &f.hour, 1, 2, 0, 23)
	case 'I':
		f.twelve = true
		return l.number(rest, s, f, &f.hour, 1, 2, 1, 12)
	case 'M':
		return l.number(rest, s, f, &f.minute, 1, 2, 0, 59)
	case 'S':
		return l.number(rest, s, f, &f.second, 1, 2, 0, 61)
	case 'j':
		return l.number(rest, s, f, &f.yday, 1, 3, 1, 366)
	case 'f':
		for n := min(6, len(s)); n >= 1; n-- {
			v, ok := atoiDigits(s[:n])
			if !ok {
				continue
			}
			for k := n; k < 9; k++ {
				v *= 10
			}
			f.nsec = v
			if l.match(rest, s[n:], f) {
				return true
			}
		}
		return false
	case 'p':
		if len(s) >= 2 && (equalFoldASCII(s[:2], "am") || equalFoldASCII(s[:2], "pm")) {
			f.pm = s[0] == 'p' || s[0] == 'P'
			return l.match(rest, s[2:], f)
		}
		return false
	case 'b':
		return l.name(rest, s, f, shortMonths, &f.month)
	case 'B':
		return l.name(rest, s, f, longMonths, &f.month)
	case 'a':
		var ignored int
		return l.name(rest, s, f, shortDays, &ignored)
	case 'A':
		var ignored int
		return l.name(rest, s, f, longDays, &ignored)
	case 'Z':
		if len(s) >= 3 && (equalFoldASCII(s[:3], "utc") || equalFoldASCII(s[:3], "gmt")) {
			f.offset, f.zoned = 0, true
			return l.match(rest, s[3:], f)
		}
		return false
	case 'z':
		if len(s) >= 1 && s[0] == 'Z' {
			f.offset, f.zoned = 0, true
			return l.match(rest, s[1:], f)
		}
		for _, n := range [...]int{6, 5} {
			if len(s) < n {
				continue
			}
			z := s[:n]
			if n == 6 && z[3] != ':' || z[0] != '+' && z[0] != '-' {
				continue
			}
			if off, ok := parseZone(z); ok {
				f.offset, f.zoned = off, true
				if l.match(rest, s[n:], f) {
					return true
				}
			}
		}
		return false
	}
	return false
}

// number reads a number of minDigits to maxDigits digits in [lo, hi] into
// dst, the widest first, and the rest of s with rest.
func (l *Layout) number(rest []layoutItem, s string, f *layoutFields, dst *int, minDigits, maxDigits, lo, hi int) bool {
	for n := min(maxDigits, len(s)); n >= minDigits; n-- {
		v, ok := atoiDigits(s[:n])
		if !ok || v < lo || v > hi {
			continue
		}
		*dst = v
		if l.match(rest, s[n:], f) {
			return true
		}
	}
	return false
}

// name reads one of names (lower case), in any case, into dst as its index + 1.
func (l *Layout) name(rest []layoutItem, s string, f *layoutFields, names []string, dst *int) bool {
	for i, n := range names {
		if len(s) >= len(n) && equalFoldASCII(s[:len(n)], n) {
			*dst = i + 1
			if l.match(rest, s[len(n):], f) {
				return true
			}
		}
	}
	return false
}

// lowerASCII lowercases the ASCII letters of s, for equalFoldASCII.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// atoiDigits reads s, all ASCII digits and at most 9 of them.
func atoiDigits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, len(s) > 0
}
