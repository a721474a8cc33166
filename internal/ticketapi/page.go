package ticketapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/value"
)

// MaxAnnouncedPages bounds the pages page 1's count may announce: a count
// announcing more is ignored with a warning, and the pages are read one at
// a time (SPEC section 8).
const MaxAnnouncedPages = 10_000_000

// User is one ticket platform user as the step uses it, and as a kept page
// holds it.
type User struct {
	ID int64 `json:"id"`
	// Email is the email as the API gave it; empty when it was null or
	// invalid.
	Email string `json:"email"`
	// Invalid is set when the API's email was dropped as invalid: not valid
	// UTF-8, holding a control character, or holding the credentials.
	Invalid bool `json:"invalid,omitempty"`
}

// page is one page of users: what paging needs and the users, nothing else
// the server sent. It is also the format of a kept page.
type page struct {
	Number int    `json:"page"`
	URL    string `json:"url"`
	// Count is page 1's count of all users, when it gave a usable one.
	Count *int64 `json:"count,omitempty"`
	// CountIgnored says, in our words, why page 1's count was not used.
	CountIgnored string `json:"count_ignored,omitempty"`
	// Next is next_page resolved against URL; empty when the page had none.
	Next string `json:"next,omitempty"`
	// Last is set when next_page was null.
	Last  bool   `json:"last,omitempty"`
	Users []User `json:"users"`
}

// ends tells whether paging stops after this page.
func (p *page) ends() bool { return len(p.Users) == 0 || p.Last }

// wirePage is a response as the API sends it; values stay raw until
// checked, so that a bad one is described in our words.
type wirePage struct {
	Users    json.RawMessage `json:"users"`
	Count    json.RawMessage `json:"count"`
	NextPage json.RawMessage `json:"next_page"`
}

type wireUser struct {
	ID    json.RawMessage `json:"id"`
	Email json.RawMessage `json:"email"`
}

// pageParser reads the pages of one fetch.
type pageParser struct {
	base *url.URL
	red  *Redactor
}

// parse reads page n's body, fetched from pageURL. A body that is not a
// page of users is bad input (exit status 2, ErrBadPage): the address is
// most likely not the users API. Messages quote the body only redacted:
// the decoder's own messages would quote it as it is.
func (pp *pageParser) parse(n int, pageURL string, body []byte) (*page, error) {
	where := fmt.Sprintf("page %d (%s)", n, pp.red.Redact(pageURL))
	bad := func(format string, args ...any) error {
		return fail.Because(fail.Usage, ErrBadPage, "%s: %s; check --api-url points at the ticket platform", where, fmt.Sprintf(format, args...))
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return nil, bad("the response is empty, not JSON")
	case trimmed[0] != '{':
		return nil, bad("the response is not a JSON object (it starts with %s)", pp.snippet(trimmed))
	case !json.Valid(trimmed):
		return nil, bad("the response is malformed JSON")
	}
	var wp wirePage
	if err := json.Unmarshal(trimmed, &wp); err != nil {
		return nil, bad("the response is not a JSON object")
	}
	if isNull(wp.Users) {
		return nil, bad("the response has no \"users\" list")
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(wp.Users, &raws); err != nil {
		return nil, bad("users is %s, not a list", pp.snippet(wp.Users))
	}
	p := &page{Number: n, URL: pageURL, Users: make([]User, 0, len(raws))}
	for i, raw := range raws {
		u, problem := pp.user(raw)
		if problem != "" {
			return nil, bad("user %d of the page %s", i+1, problem)
		}
		p.Users = append(p.Users, u)
	}
	if n == 1 {
		p.Count, p.CountIgnored = announced(wp.Count, len(p.Users))
	}
	if err := pp.next(p, wp.NextPage, bad); err != nil {
		return nil, err
	}
	return p, nil
}

// user reads one user object, or says what is wrong with it.
func (pp *pageParser) user(raw json.RawMessage) (User, string) {
	var w wireUser
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &w) != nil {
		return User{}, fmt.Sprintf("is %s, not an object", pp.snippet(raw))
	}
	var u User
	if !isNull(w.ID) {
		id, err := strconv.ParseInt(string(bytes.TrimSpace(w.ID)), 10, 64)
		if err != nil {
			return User{}, fmt.Sprintf("has id %s, not an integer", pp.snippet(w.ID))
		}
		u.ID = id
	}
	if u.ID <= 0 {
		return User{}, fmt.Sprintf("has no valid id (got %d): ids must be positive integers", u.ID)
	}
	if isNull(w.Email) {
		return u, ""
	}
	var email string
	if bytes.TrimSpace(w.Email)[0] != '"' || json.Unmarshal(w.Email, &email) != nil {
		return User{}, fmt.Sprintf("has email %s, neither a string nor null", pp.snippet(w.Email))
	}
	if !utf8.Valid(w.Email) || loneSurrogate(w.Email) || !cleanEmail(email) || pp.red.Leaks(email) {
		u.Invalid = true
		return u, ""
	}
	u.Email = email
	return u, ""
}

// cleanEmail tells whether an email, trimmed as SPEC section 3 trims
// values, is free of control characters (Unicode Cc). Whether it is a
// valid email otherwise is merge-users' call (value rules).
func cleanEmail(s string) bool {
	for _, r := range value.TrimSpace(s) {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// loneSurrogate tells whether a JSON string holds a \u escape of a
// surrogate that is not one half of a pair: text that is not Unicode, which
// encoding/json would turn into U+FFFD, a character an email may well hold.
func loneSurrogate(raw []byte) bool {
	for i := 0; i+6 <= len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // an escape of one character: \\ is not the start of \u
			continue
		}
		r := hexRune(raw[i+2 : i+6])
		switch {
		case r < 0xD800 || r >= 0xE000:
		case r < 0xDC00 && i+12 <= len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' && isLow(hexRune(raw[i+8:i+12])):
			i += 6
		default:
			return true
		}
		i += 5
	}
	return false
}

func isLow(r rune) bool { return 0xDC00 <= r && r < 0xE000 }

// hexRune reads four hex digits, or returns -1.
func hexRune(h []byte) rune {
	v, err := strconv.ParseUint(string(h), 16, 32)
	if err != nil || len(h) != 4 {
		return -1
	}
	return rune(v)
}

// announced reads page 1's count, given per users on page 1: the count, or
// why it is ignored (then paging goes one page at a time).
func announced(raw json.RawMessage, per int) (*int64, string) {
	if isNull(raw) {
		return nil, ""
	}
	count, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	switch {
	case err != nil:
		return nil, "count is not an integer"
	case count < 0:
		return nil, fmt.Sprintf("count %d is negative", count)
	case per > 0 && pagesFor(count, per) > MaxAnnouncedPages:
		return nil, fmt.Sprintf("count %d with %d users a page announces %d pages, more than %d", count, per, pagesFor(count, per), MaxAnnouncedPages)
	}
	return &count, ""
}

// pagesFor is the number of pages count users take, per a page, without
// the overflow of (count+per-1)/per.
func pagesFor(count int64, per int) int64 {
	pages := count / int64(per)
	if count%int64(per) != 0 {
		pages++
	}
	return pages
}

// next reads next_page into p: null ends the paging; a URL must lead to the
// base URL's scheme, host and port and must not carry the credentials.
func (pp *pageParser) next(p *page, raw json.RawMessage, bad func(string, ...any) error) error {
	switch {
	case len(raw) == 0:
		return nil
	case isNull(raw):
		p.Last = true
		return nil
	}
	var s string
	if bytes.TrimSpace(raw)[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return bad("next_page is %s, neither a URL nor null", pp.snippet(raw))
	}
	if s = strings.TrimSpace(s); s == "" {
		p.Last = true
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad("next_page %s is not a URL", pp.snippet([]byte(s)))
	}
	cur, err := url.Parse(p.URL)
	if err != nil {
		return bad("page URL %s is not a URL", pp.red.Redact(p.URL))
	}
	abs := cur.ResolveReference(u)
	abs.User = nil
	abs.Fragment = ""
	if !sameOrigin(pp.base, abs) {
		return fail.Because(fail.Usage, ErrOtherOrigin, "page %d (%s): next_page points to %s, another host, scheme or port than --api-url: credentials never leave for another host; if the API really lives there, give that address with --api-url",
			p.Number, pp.red.Redact(p.URL), pp.red.Redact(abs.Redacted()))
	}
	if pp.red.Holds(abs.String()) {
		return fail.Because(fail.Failure, ErrHoldsCredentials, "page %d (%s): next_page holds the credentials: migrate neither follows nor keeps such an address; ask the ticket platform's administrators why",
			p.Number, pp.red.Redact(p.URL))
	}
	p.Next = abs.String()
	return nil
}

// snippet quotes the start of b, with the credentials hidden.
func (pp *pageParser) snippet(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	s := pp.red.Redact(string(b))
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "..."
	}
	return strconv.Quote(s)
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}
