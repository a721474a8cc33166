// Package value holds the value rules of SPEC section 3: what a field of
// chat_data.csv (or of the ticket platform's file) means once read: null,
// id, email, boolean, timestamp and text; and how a timestamp and a body are
// written into the archive.
//
// Every function here runs several times per record on millions of records,
// so each one returns its input (or a substring of it) when nothing needs to
// change, and none of them uses regexp or time.Parse.
package value

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// asciiSpace marks the bytes TrimSpace removes: " \t\r\n\f\v".
var asciiSpace = [256]bool{' ': true, '\t': true, '\r': true, '\n': true, '\f': true, '\v': true}

// TrimSpace trims the ASCII whitespace " \t\r\n\f\v" from both ends.
// Unlike strings.TrimSpace it keeps Unicode spaces such as U+00A0 and U+0085,
// which SPEC section 3 treats as data.
func TrimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && asciiSpace[s[i]] {
		i++
	}
	for j > i && asciiSpace[s[j-1]] {
		j--
	}
	return s[i:j]
}

// Nulls is the set of tokens read as null after trimming. The empty string is
// always null; the zero Nulls knows no other token.
type Nulls struct {
	// tokens is searched linearly: the lists are a handful of short tokens,
	// where comparing strings beats hashing them.
	tokens []string
}

// NewNulls returns the set holding tokens. They are matched case-sensitively and
// exactly (a token is not trimmed, so one with outer spaces never matches).
func NewNulls(tokens []string) Nulls {
	var n Nulls
	for _, t := range tokens {
		if t == "" || n.IsNull(t) {
			continue
		}
		n.tokens = append(n.tokens, t)
	}
	return n
}

// IsNull reports whether the trimmed field is null.
func (n Nulls) IsNull(trimmed string) bool {
	if trimmed == "" {
		return true
	}
	for _, t := range n.tokens {
		if trimmed == t {
			return true
		}
	}
	return false
}

// ParseID reads an id: ASCII digits, optionally followed by "." and one or more
// zeros ("123.0", as spreadsheets and pandas write integers), leading zeros
// allowed ("00076" is 76). The value must fit int64 and be greater than 0.
// s is trimmed and not null.
func ParseID(s string) (int64, bool) {
	var v int64
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			break
		}
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if i == 0 {
		return 0, false
	}
	if i < len(s) {
		if s[i] != '.' || i+1 == len(s) {
			return 0, false
		}
		for _, c := range []byte(s[i+1:]) {
			if c != '0' {
				return 0, false
			}
		}
	}
	return v, v > 0
}

// emailForbidden marks the ASCII punctuation an email may not hold.
var emailForbidden = [utf8.RuneSelf]bool{',': true, ';': true, '<': true, '>': true, '(': true, ')': true, '[': true, ']': true, '"': true}

// NormalizeEmail lowercases s (Unicode simple lowercase, unicode.ToLower per
// rune) and validates it: valid UTF-8, exactly one '@' with a non-empty part on
// each side, no Unicode White_Space, no control character (Cc, so DEL and C1
// too), none of `,;<>()[]"`. s is trimmed and not null. It returns s itself
// when s is already lowercase.
func NormalizeEmail(s string) (string, bool) {
	at := -1
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			// Bytes of a multi-byte rune are all >= 0x80, so '@' and the
			// forbidden ASCII can only be what they look like.
			ascii = false
		case c == '@':
			if at >= 0 {
				return "", false
			}
			at = i
		case c <= ' ' || c == 0x7f || emailForbidden[c]:
			return "", false
		}
	}
	if at <= 0 || at == len(s)-1 {
		return "", false
	}
	if !ascii {
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			if r >= utf8.RuneSelf && (unicode.IsSpace(r) || unicode.IsControl(r)) {
				return "", false
			}
			i += size
		}
	}
	// strings.ToLower maps with unicode.ToLower and returns s unchanged, without
	// allocating, when no rune changes.
	return strings.ToLower(s), true
}

// CleanText applies the text rule to NAME and BODY: each byte that is not part
// of valid UTF-8 becomes U+FFFD (one per byte, where strings.ToValidUTF8 would
// write one per run), the ASCII whitespace at both ends goes, and "\r\n" and
// lone "\r" become "\n". invalid reports whether a byte was replaced. raw is the
// field as read; the caller checks null on TrimSpace(raw) first. When nothing
// but trimming is needed, clean is a substring of raw.
func CleanText(raw string) (clean string, invalid bool) {
	// Trimming first is the same as trimming after the replacement: the
	// trimmed bytes are ASCII, and an ASCII byte is never part of, nor breaks,
	// a multi-byte sequence.
	s := TrimSpace(raw)
	if strings.IndexByte(s, '\r') < 0 && utf8.ValidString(s) {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	start := 0 // s[start:i] is copied as is
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\r' {
			b.WriteString(s[start:i])
			b.WriteByte('\n')
			i++
			if i < len(s) && s[i] == '\n' {
				i++
			}
			start = i
			continue
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString("\uFFFD")
			invalid = true
			i++
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	return b.String(), invalid
}

// AppendHTMLBody appends the --body-format text html_body of body to dst: "<p>"
// + the lines of body (split on "\n"), each HTML-escaped (& < > " ' become
// &amp; &lt; &gt; &#34; &#39;, as html.EscapeString writes them), joined by
// "<br>", + "</p>".
func AppendHTMLBody(dst []byte, body string) []byte {
	dst = append(dst, "<p>"...)
	start := 0 // body[start:i] is copied as is
	for i := 0; i < len(body); i++ {
		var esc string
		switch body[i] {
		case '\n':
			esc = "<br>"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		default:
			continue
		}
		dst = append(dst, body[start:i]...)
		dst = append(dst, esc...)
		start = i + 1
	}
	dst = append(dst, body[start:]...)
	return append(dst, "</p>"...)
}

// ValidUTF8 returns s with each byte that is not part of valid UTF-8
// replaced by U+FFFD, so that what migrate writes is always readable.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// FirstInvalidUTF8 returns the index of the first byte of s that is not
// part of valid UTF-8, or -1.
func FirstInvalidUTF8(s string) int {
	if utf8.ValidString(s) {
		return -1
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
