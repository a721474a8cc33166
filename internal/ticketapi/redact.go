package ticketapi

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/migrate-tool/migrate/internal/fail"
)

// sliceLen is the length of the pieces of a secret that Holds looks for: a
// message may not even carry part of the password. Shorter secrets are
// looked for whole.
const sliceLen = 12

// withheld replaces text that holds the credentials in a form Redact cannot
// cut out.
const withheld = "(withheld: it holds the credentials)"

// Redactor hides the credentials in text that may echo what a server sent:
// error messages, notes, kept pages. A server can echo the password in any
// encoding, so Redact replaces every encoding it knows, and Holds decodes
// text the ways a server or a URL encodes it (percent, JSON and HTML
// escapes, base64) before looking for any 12-byte piece of the password or
// of the Authorization header's value. A nil *Redactor hides nothing.
type Redactor struct {
	// forms are the encodings of the secrets, longest first.
	forms []string
	// secrets are the password and the Basic value, whose pieces Holds
	// looks for.
	secrets []string
	// password, userPassword ("user:password") and basic (its base64) are
	// what an email must not hold (Leaks).
	password, userPassword, basic string
}

// minUserLen is the shortest account name Redact hides: a shorter one
// would cut words out of every message (the credentials are the account
// and the password, SPEC section 8).
const minUserLen = 4

// NewRedactor hides password, the Basic auth value of user:password, and
// the account name user when it has minUserLen bytes or more.
func NewRedactor(user, password string) *Redactor {
	if password == "" {
		return nil
	}
	basic := user + ":" + password
	r := &Redactor{
		secrets:  []string{password, base64.StdEncoding.EncodeToString([]byte(basic))},
		password: password, userPassword: basic, basic: base64.StdEncoding.EncodeToString([]byte(basic)),
	}
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			r.forms = append(r.forms, s)
		}
	}
	hide := []string{password, basic}
	if len(user) >= minUserLen {
		hide = append(hide, user)
	}
	for _, s := range hide {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		add(percentAll(s, false))
		add(percentAll(s, true))
		add(html.EscapeString(s))
		add(jsonInner(s, true))
		add(jsonInner(s, false))
		add(unicodeEscapes(s, false))
		add(unicodeEscapes(s, true))
		if q := strconv.Quote(s); len(q) > 2 {
			add(q[1 : len(q)-1])
		}
		if q := strconv.QuoteToASCII(s); len(q) > 2 {
			add(q[1 : len(q)-1])
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			b := enc.EncodeToString([]byte(s))
			add(b)
			add(url.QueryEscape(b))
			add(percentAll(b, false))
		}
	}
	slices.SortFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
	return r
}

// Redact returns s with every known encoding of the credentials replaced by
// ***; when s still holds them in some other form, it returns a note that
// the text was withheld instead.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	for _, f := range r.forms {
		s = strings.ReplaceAll(s, f, "***")
	}
	if r.Holds(s) {
		return withheld
	}
	return s
}

// Holds tells whether s holds a piece of the password or of the Basic
// value, as it is or decoded.
func (r *Redactor) Holds(s string) bool {
	if r == nil || s == "" {
		return false
	}
	for _, view := range decodings(s) {
		for _, secret := range r.secrets {
			if holdsPiece(view, secret) {
				return true
			}
		}
	}
	return false
}

// Leaks tells whether an email a server sent gives the credentials away, as
// it is or decoded: it is the password, or holds "user:password", a piece
// of the Basic value, or a piece of a password of sliceLen bytes or more.
// A shorter password is not looked for inside an email: "example" or
// "test" stand in many a real address, which must not be lost for it.
func (r *Redactor) Leaks(email string) bool {
	if r == nil || email == "" {
		return false
	}
	for _, view := range decodings(email) {
		if strings.TrimSpace(view) == r.password || strings.Contains(view, r.userPassword) || holdsPiece(view, r.basic) ||
			len(r.password) >= sliceLen && holdsPiece(view, r.password) {
			return true
		}
	}
	return false
}

// Error returns err, or when its message holds the credentials, an error
// with the message redacted, the same exit status, and the same answers to
// errors.Is (but not to errors.As, which could reach the unredacted text).
func (r *Redactor) Error(err error) error {
	if err == nil || r == nil {
		return err
	}
	msg := err.Error()
	clean := r.Redact(msg)
	if clean == msg {
		return err
	}
	if clean == withheld {
		clean = "fetch-users failed, and the message is withheld: it holds the credentials in a form migrate cannot cut out"
	}
	return &fail.Error{Code: fail.Code(err), Err: &redactedError{msg: clean, cause: err}}
}

// redactedError is an error whose message was redacted.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }

// Is answers for the original error, so that callers still match the
// sentinels; there is no Unwrap, which would hand out the original text.
func (e *redactedError) Is(target error) bool { return errors.Is(e.cause, target) }

// holdsPiece tells whether s holds secret, or any sliceLen-byte piece of it.
func holdsPiece(s, secret string) bool {
	if len(secret) <= sliceLen {
		return strings.Contains(s, secret)
	}
	for i := 0; i+sliceLen <= len(secret); i++ {
		if strings.Contains(s, secret[i:i+sliceLen]) {
			return true
		}
	}
	return false
}

// decodings are s and what it reads as once decoded the ways a URL, JSON,
// HTML or a header encode text, alone and combined.
func decodings(s string) []string {
	views := []string{s}
	add := func(v string) {
		if !slices.Contains(views, v) {
			views = append(views, v)
		}
	}
	for range 2 { // twice, for an encoding inside another
		for _, v := range slices.Clone(views) {
			add(percentDecode(v, false))
			add(percentDecode(v, true))
			add(jsonUnescape(v))
			add(html.UnescapeString(v))
		}
	}
	for _, v := range slices.Clone(views) {
		for _, d := range base64Runs(v) {
			add(d)
		}
	}
	return views
}

// percentAll encodes every byte of s as %XX.
func percentAll(s string, lower bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		h := fmt.Sprintf("%%%02X", s[i])
		if lower {
			h = strings.ToLower(h)
		}
		b.WriteString(h)
	}
	return b.String()
}

// percentDecode decodes every valid %XX in s, and + as a space when plus
// is set; anything else is kept as it is.
func percentDecode(s string, plus bool) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			v, _ := hex.DecodeString(s[i+1 : i+3])
			b.Write(v)
			i += 2
		case s[i] == '+' && plus:
			b.WriteByte(' ')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// jsonInner is s as a JSON string without its quotes, with or without
// encoding/json's escaping of <, > and &.
func jsonInner(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	enc.Encode(s)
	out := strings.TrimSpace(b.String())
	return out[1 : len(out)-1]
}

// unicodeEscapes writes every rune of s as \uXXXX (surrogate pairs beyond
// the BMP), as some JSON encoders do.
func unicodeEscapes(s string, upper bool) string {
	var b strings.Builder
	format := "\\u%04x"
	if upper {
		format = "\\u%04X"
	}
	for _, r := range s {
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, format+format, r1, r2)
			continue
		}
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

// jsonUnescape decodes the JSON escapes in s (\" \\ \/ \b \f \n \r \t and
// \uXXXX, surrogate pairs included); anything else is kept as it is.
func jsonUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch c := s[i+1]; c {
		case '"', '\\', '/':
			b.WriteByte(c)
			i++
		case 'b', 'f', 'n', 'r', 't':
			b.WriteByte(map[byte]byte{'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}[c])
			i++
		case 'u':
			r, n := hex4(s[i+2:])
			if n == 0 {
				b.WriteByte('\\')
				continue
			}
			i += 1 + n
			if utf16.IsSurrogate(r) && strings.HasPrefix(s[i+1:], `\u`) {
				if r2, n2 := hex4(s[i+3:]); n2 > 0 {
					if dec := utf16.DecodeRune(r, r2); dec != 0xfffd {
						r = dec
						i += 2 + n2
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte('\\')
		}
	}
	return b.String()
}

// hex4 reads four hex digits at the start of s: the rune and 4, or 0, 0.
func hex4(s string) (rune, int) {
	if len(s) < 4 {
		return 0, 0
	}
	v, err := strconv.ParseUint(s[:4], 16, 32)
	if err != nil {
		return 0, 0
	}
	return rune(v), 4
}

// base64Runs decodes every run of base64 characters in s long enough to
// hide a piece of a secret, in both alphabets, padded or not.
func base64Runs(s string) []string {
	var out []string
	isB64 := func(c byte) bool {
		return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
	}
	for i := 0; i < len(s); {
		if !isB64(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isB64(s[j]) {
			j++
		}
		run := s[i:j]
		i = j
		if len(run) < sliceLen {
			continue
		}
		// A secret encoded inside a longer text starts at one of four
		// alignments of the run.
		for off := range 4 {
			if off >= len(run) {
				break
			}
			part := run[off:]
			part = part[:len(part)/4*4]
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				if d, err := enc.DecodeString(part); err == nil {
					out = append(out, string(d))
				}
			}
		}
	}
	return out
}
