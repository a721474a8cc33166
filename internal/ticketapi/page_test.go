package ticketapi

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func testParser(t *testing.T) *pageParser {
	t.Helper()
	base, err := url.Parse("https://support.example.com")
	if err != nil {
		t.Fatal(err)
	}
	return &pageParser{base: base, red: NewRedactor(testAPIUser, testAPIPassword)}
}

// Issue 13, finding 6: an email that is not valid UTF-8 or holds a control
// character is invalid: written empty, with a warning.
func TestParseEmails(t *testing.T) {
	tests := []struct {
		name    string
		raw     string // the JSON value of "email"
		email   string
		invalid bool
	}{
		{"as given", `"Ann@Example.com"`, "Ann@Example.com", false},
		{"null", `null`, "", false},
		{"absent", ``, "", false},
		{"not an email, left to merge-users", `"n/a"`, "n/a", false},
		{"spaces around, trimmed by the value rules", "\" ann@example.com\\n\"", " ann@example.com\n", false},
		{"non-ASCII", `"jürgen@example.com"`, "jürgen@example.com", false},
		{"invalid UTF-8", "\"bad\xffbyte@example.com\"", "", true},
		{"truncated rune", "\"bad\xc3@example.com\"", "", true},
		{"NUL", `"nul\u0000@example.com"`, "", true},
		{"BEL", `"a\u0007@example.com"`, "", true},
		{"newline inside", `"a\nb@example.com"`, "", true},
		{"DEL", `"a\u007f@example.com"`, "", true},
		{"C1", `"a\u0085@example.com"`, "", true},
		{"lone surrogate", `"a\ud800@example.com"`, "", true},
		{"lone low surrogate", `"a\udc00@example.com"`, "", true},
		{"high surrogate then a letter", `"a\ud800\u0041@example.com"`, "", true},
		{"surrogate pair", `"a\ud83d\ude00@example.com"`, "a\U0001F600@example.com", false},
		{"escaped backslash before u", `"a\\ud800@example.com"`, `a\ud800@example.com`, false},
		{"replacement character escaped", `"a\ufffd@example.com"`, "a\ufffd@example.com", false},
		{"replacement character as itself", "\"a\uFFFD@example.com\"", "a\ufffd@example.com", false},
		{"the password", `"` + testAPIPassword + `@example.com"`, "", true},
		{"the account, which is data here", `"` + testAPIUser + `"`, testAPIUser, false},
	}
	pp := testParser(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"users":[{"id":5,"email":` + tt.raw + `}]}`
			if tt.raw == "" {
				body = `{"users":[{"id":5}]}`
			}
			p, err := pp.parse(1, "https://support.example.com/api/v1/users.json?page=1", []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if u := p.Users[0]; u.Email != tt.email || u.Invalid != tt.invalid {
				t.Errorf("email %q invalid %v, want %q %v", u.Email, u.Invalid, tt.email, tt.invalid)
			}
		})
	}
}

func TestAnnounced(t *testing.T) {
	tests := []struct {
		raw     string
		per     int
		count   int64 // -1 when ignored or absent
		ignored string
	}{
		{``, 100, -1, ""},
		{`null`, 100, -1, ""},
		{`250`, 100, 250, ""},
		{`0`, 100, 0, ""},
		{`-5`, 100, -1, "count -5 is negative"},
		{`"250"`, 100, -1, "not an integer"},
		{`2.5`, 100, -1, "not an integer"},
		{`2e3`, 100, -1, "not an integer"},
		{`99999999999999999999`, 100, -1, "not an integer"},
		{`1000000000`, 100, 1000000000, ""},
		{`1000000001`, 100, -1, "10000001 pages, more than 10000000"},
		{`9223372036854775807`, 100, -1, "92233720368547759 pages"},
		{`9223372036854775807`, 1, -1, "9223372036854775807 pages"},
	}
	for _, tt := range tests {
		count, ignored := announced(json.RawMessage(tt.raw), tt.per)
		got := int64(-1)
		if count != nil {
			got = *count
		}
		if got != tt.count || (tt.ignored == "") != (ignored == "") || !strings.Contains(ignored, tt.ignored) {
			t.Errorf("announced(%s, %d) = %d, %q; want %d, %q", tt.raw, tt.per, got, ignored, tt.count, tt.ignored)
		}
	}
}

func TestPagesFor(t *testing.T) {
	tests := []struct {
		count int64
		per   int
		want  int64
	}{
		{0, 100, 0}, {1, 100, 1}, {100, 100, 1}, {101, 100, 2},
		{9223372036854775807, 100, 92233720368547759},
		{9223372036854775807, 1, 9223372036854775807},
	}
	for _, tt := range tests {
		if got := pagesFor(tt.count, tt.per); got != tt.want {
			t.Errorf("pagesFor(%d, %d) = %d, want %d", tt.count, tt.per, got, tt.want)
		}
	}
}

func TestParseNextPage(t *testing.T) {
	tests := []struct {
		raw  string
		next string
		last bool
		err  error
	}{
		{`null`, "", true, nil},
		{`""`, "", true, nil},
		{`"?page=2"`, "https://support.example.com/api/v1/users.json?page=2", false, nil},
		{`"https://me:pw@support.example.com/api/v1/users.json?page=2#x"`, "https://support.example.com/api/v1/users.json?page=2", false, nil},
		{`"https://support.example.com:8443/x"`, "", false, ErrOtherOrigin},
		{`"http://support.example.com/x"`, "", false, ErrOtherOrigin},
		{`"/api/v1/users.json?page=2&auth=` + testAPIPassword + `"`, "", false, ErrHoldsCredentials},
		{`"/api/v1/users.json?page=2&auth=QmFzaWMgYWdlbnRAZXhhbXBsZS5jb206czNjcjN0LVBhNTV3MHJk"`, "", false, ErrHoldsCredentials},
		{`2`, "", false, ErrBadPage},
	}
	pp := testParser(t)
	for _, tt := range tests {
		p, err := pp.parse(1, "https://support.example.com/api/v1/users.json?page=1", []byte(`{"users":[{"id":1}],"next_page":`+tt.raw+`}`))
		switch {
		case tt.err != nil:
			if !errors.Is(err, tt.err) {
				t.Errorf("next_page %s: err %v, want %v", tt.raw, err, tt.err)
			}
		case err != nil:
			t.Errorf("next_page %s: %v", tt.raw, err)
		case p.Next != tt.next || p.Last != tt.last:
			t.Errorf("next_page %s: next %q last %v, want %q %v", tt.raw, p.Next, p.Last, tt.next, tt.last)
		}
	}
}
