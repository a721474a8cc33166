package ticketapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/internal/fail"
)

const (
	oddUser     = "agent@example.com"
	oddPassword = `Tr0ub4dor&3 "horse"<battery>/staple%ü`
)

// encodings are the ways a server may echo s.
func encodings(s string) map[string]string {
	var pct, js strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&pct, "%%%02x", s[i])
	}
	for _, r := range s {
		fmt.Fprintf(&js, `\u%04X`, r)
	}
	q := strconv.Quote(s)
	return map[string]string{
		"as it is":          s,
		"query-escaped":     url.QueryEscape(s),
		"path-escaped":      url.PathEscape(s),
		"percent, all":      pct.String(),
		"JSON \\u, all":     js.String(),
		"JSON, as encoded":  jsonInner(s, true),
		"Go-quoted":         q[1 : len(q)-1],
		"HTML":              html.EscapeString(s),
		"base64":            base64.StdEncoding.EncodeToString([]byte(s)),
		"base64 URL":        base64.RawURLEncoding.EncodeToString([]byte(s)),
		"base64 in a query": url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(s))),
		"base64 after text": base64.StdEncoding.EncodeToString([]byte("xx" + s)),
		"percent of JSON":   url.QueryEscape(jsonInner(s, true)),
	}
}

// Issue 13, finding 4: every encoding of the password, and of the Basic
// value, is hidden, and so is any 12-byte piece of it.
func TestRedactorHidesEveryEncoding(t *testing.T) {
	r := NewRedactor(oddUser, oddPassword)
	basic := base64.StdEncoding.EncodeToString([]byte(oddUser + ":" + oddPassword))
	secrets := map[string]string{
		"password":         oddPassword,
		"user:password":    oddUser + ":" + oddPassword,
		"Basic value":      basic,
		"Authorization":    "Basic " + basic,
		"part of password": oddPassword[3:17],
	}
	for sname, secret := range secrets {
		for ename, enc := range encodings(secret) {
			msg := "page 2 (https://h.example/x?p=" + enc + "): 404 Not Found"
			if !r.Holds(msg) {
				t.Errorf("%s, %s: Holds(%q) = false", sname, ename, msg)
			}
			got := r.Redact(msg)
			if r.Holds(got) {
				t.Errorf("%s, %s: Redact(%q) = %q, still holding it", sname, ename, msg, got)
			}
			for _, piece := range pieces(oddPassword) {
				if strings.Contains(got, piece) {
					t.Errorf("%s, %s: Redact(%q) = %q", sname, ename, msg, got)
				}
			}
		}
	}
}

// pieces are the 12-byte slices of s (s itself when shorter).
func pieces(s string) []string {
	if len(s) <= 12 {
		return []string{s}
	}
	var out []string
	for i := 0; i+12 <= len(s); i++ {
		out = append(out, s[i:i+12])
	}
	return out
}

func TestRedactorKeepsOtherText(t *testing.T) {
	r := NewRedactor(oddUser, oddPassword)
	for _, s := range []string{
		"page 2 (https://support.example.com/api/v1/users.json?page=2): 404 Not Found",
		"User1@Example.com",
		"cannot reach the ticket platform: dial tcp 127.0.0.1:9: connect: connection refused",
		"QmFzaWMgZm9vOmJhcg==", // Basic foo:bar
	} {
		if r.Holds(s) || r.Redact(s) != s {
			t.Errorf("Redact(%q) = %q, Holds = %v: want it as it is", s, r.Redact(s), r.Holds(s))
		}
	}
	var none *Redactor
	if none.Redact(oddPassword) != oddPassword || none.Holds(oddPassword) {
		t.Error("a nil Redactor changed text")
	}
}

func TestRedactorErrorKeepsStatusAndSentinels(t *testing.T) {
	r := NewRedactor(oddUser, oddPassword)
	plain := fail.Because(fail.Usage, ErrOtherOrigin, "next_page points to https://elsewhere.example/")
	if got := r.Error(plain); got != plain {
		t.Errorf("an error without the credentials was replaced: %v", got)
	}
	leaky := fail.Because(fail.Usage, ErrOtherOrigin, "next_page points to https://elsewhere.example/?p=%s", url.QueryEscape(oddPassword))
	got := r.Error(leaky)
	if strings.Contains(got.Error(), "staple") || !strings.Contains(got.Error(), "***") {
		t.Errorf("Error = %q", got)
	}
	if fail.Code(got) != fail.Usage || !errors.Is(got, ErrOtherOrigin) {
		t.Errorf("Error lost the status or sentinel: %d, %v", fail.Code(got), got)
	}
	var inner *fail.Error
	if errors.As(got, &inner) && strings.Contains(inner.Error(), "staple") {
		t.Errorf("errors.As reaches the unredacted text: %q", inner)
	}
	sigterm := fail.Signal("SIGTERM")
	interrupted := fmt.Errorf("interrupted at %s: %w", oddPassword, sigterm)
	if got := r.Error(interrupted); fail.Code(got) != fail.Terminated || !errors.Is(got, sigterm) || strings.Contains(got.Error(), "staple") {
		t.Errorf("Error(%v) has status %d, want %d, wrapping the signal", got, fail.Code(got), fail.Terminated)
	}
	canceled := fmt.Errorf("interrupted at %s: %w", oddPassword, context.Canceled)
	if got := r.Error(canceled); fail.Code(got) != fail.Interrupted || !errors.Is(got, context.Canceled) {
		t.Errorf("Error(%v) has status %d, want %d, wrapping context.Canceled", got, fail.Code(got), fail.Interrupted)
	}
}

// An email a server sent is blanked when it gives the credentials away,
// and kept when a short password merely stands in it, as "example" stands
// in a real address.
func TestLeaks(t *testing.T) {
	const long = "s3cr3t-Pa55w0rd"
	basic := base64.StdEncoding.EncodeToString([]byte("agent:" + long))
	shortBasic := base64.StdEncoding.EncodeToString([]byte("agent:example"))
	tests := []struct {
		password, email string
		leaks           bool
	}{
		{"example", "ann@example.com", false},
		{"test", "bob@test.org", false},
		{"example", "example", true},
		{"example", " example ", true},
		{"example", "agent:example@x.org", true},
		{"example", shortBasic + "@x.org", true},
		{"example", "ex%61mple", true}, // the password, percent-encoded
		{long, "ann@example.com", false},
		{long, "x" + long[2:14] + "@x.org", true}, // a 12-byte piece
		{long, url.QueryEscape(long) + "@x.org", true},
		{long, basic[:12] + "@x.org", true},
		{long, "", false},
	}
	for _, tt := range tests {
		r := NewRedactor("agent", tt.password)
		if got := r.Leaks(tt.email); got != tt.leaks {
			t.Errorf("password %q: Leaks(%q) = %v, want %v", tt.password, tt.email, got, tt.leaks)
		}
	}
	if (*Redactor)(nil).Leaks("example") {
		t.Error("a nil Redactor leaks nothing")
	}
}

// The account name is hidden in messages too, when it is long enough not to
// cut words out of every message.
func TestRedactHidesTheAccount(t *testing.T) {
	r := NewRedactor("alice.admin", "pw")
	if got := r.Redact("hello alice.admin, you are not allowed"); strings.Contains(got, "alice.admin") {
		t.Errorf("Redact kept the account: %q", got)
	}
	if got := NewRedactor("api", "pw").Redact("GET /api/v1/users.json"); got != "GET /api/v1/users.json" {
		t.Errorf("Redact cut a 3-byte account out of a message: %q", got)
	}
}
