// Package ticketapi reads the users of the ticket platform's REST API
// (SPEC section 8): GET {base}/api/v1/users.json?page=N with Basic auth,
// page after page, retrying what is worth retrying, keeping the pages
// fetched so far on disk so that a rerun fetches only the pages it lacks.
//
// Given a base URL https://support.example.com whose page 1 is
//
//	{"users":[{"id":900,"email":"Ann@Example.com"},{"id":901,"email":null}],
//	 "count":3,"next_page":"https://support.example.com/api/v1/users.json?page=2"}
//
// and page 2 {"users":[{"id":902,"email":"bob@example.com"}],"next_page":null},
// Fetch returns the users 900 "Ann@Example.com", 901 "", 902
// "bob@example.com", in that order, from 2 pages.
//
// The credentials go only to the base URL's scheme, host and port (next_page
// and redirects included); over plain http only to this machine and never
// through a proxy. No error, note or kept page holds them in any encoding
// (see Redactor).
package ticketapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/migrate-tool/migrate/internal/progress"
)

// Errors that Fetch's errors wrap, for errors.Is. Each comes inside an
// error carrying its exit status for fail.Code, given in parentheses.
var (
	// ErrBadURL means the base URL is not a usable http or https address (2).
	ErrBadURL = errors.New("bad API URL")
	// ErrPlainHTTP means the base URL is plain http to a host that is not a
	// literal loopback address (2).
	ErrPlainHTTP = errors.New("plain http to another machine")
	// ErrNotLoopback means a plain http connection would go to another
	// machine (2).
	ErrNotLoopback = errors.New("plain http connection not to a loopback address")
	// ErrOtherOrigin means next_page or a redirect leads to another scheme,
	// host or port (2).
	ErrOtherOrigin = errors.New("another scheme, host or port")
	// ErrCredentialsRefused means the API answered 401 or 403 (2).
	ErrCredentialsRefused = errors.New("credentials refused")
	// ErrRefused means the API answered another 4xx (1).
	ErrRefused = errors.New("request refused")
	// ErrBadPage means a response is not a page of users (2; 1 for one over
	// 64 MiB).
	ErrBadPage = errors.New("not a page of users")
	// ErrUnavailable means a request still failed after every retry (1).
	ErrUnavailable = errors.New("ticket platform unavailable")
	// ErrWaitTooLong means the API asked to wait longer than MaxRetryWait (1).
	ErrWaitTooLong = errors.New("asked to wait longer than the maximum")
	// ErrHoldsCredentials means a next_page holds the credentials (1).
	ErrHoldsCredentials = errors.New("next_page holds the credentials")
	// ErrPagingLoops means a next_page leads back to a page already read (1).
	ErrPagingLoops = errors.New("paging loops")
)

// Config is what Fetch needs. Zero values are usable except for BaseURL,
// User and Password.
type Config struct {
	// BaseURL is the address the API's /api/v1/ path starts below
	// (--api-url); see ParseBaseURL for what is accepted.
	BaseURL string
	// User and Password are the Basic auth credentials.
	User, Password string
	// Concurrency is how many pages are requested at once when page 1's
	// count announces them; below 1 means 1.
	Concurrency int
	// Retries is how often a request is retried after a network error, a
	// 5xx or a 429; 0 never.
	Retries int
	// Timeout bounds each request; 0 means no bound.
	Timeout time.Duration
	// MaxRetryWait bounds the wait a Retry-After may ask for: a longer one
	// stops the fetch (ErrWaitTooLong). 0 means no bound.
	MaxRetryWait time.Duration
	// Dir keeps the pages fetched until Result.Discard; empty keeps none.
	Dir string
	// Transport is the base of the HTTP transport (tests set TLS roots, a
	// proxy or a dialer here); nil means http.DefaultTransport, whose proxy
	// comes from HTTPS_PROXY and NO_PROXY. It is cloned and held to the
	// connection rules: its Proxy serves https only (through CONNECT), and
	// plain http dials loopback addresses only, with its DialContext.
	Transport *http.Transport
	// Sleep waits between retries; nil means pacer.Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// Progress, when set, reports the pages fetched.
	Progress *progress.Reporter
	// Notes, when set, gets a line for every retry.
	Notes io.Writer
	// Warnings, when set, gets a line for every warning.
	Warnings io.Writer
}

// Warnings counts what was wrong with the API's answers but did not stop
// the fetch.
type Warnings struct {
	// InvalidEmail counts emails written empty (see User.Invalid).
	InvalidEmail int
	// CountMismatch is 1 when the users received differ from page 1's count.
	CountMismatch int
	// CountIgnored is 1 when page 1's count was negative, not an integer,
	// or announced more than MaxAnnouncedPages pages.
	CountIgnored int
}

// Result is what Fetch read.
type Result struct {
	// Users are every user, in API order: page, then position.
	Users []User
	// Pages counts the pages read, the empty page that ends the paging
	// included.
	Pages int
	// Retries counts the requests retried.
	Retries int
	// Warnings counts what was wrong but did not stop the fetch.
	Warnings Warnings

	cache *cache
}

// Discard removes the kept pages: call it once the users are safely
// written, so that a failure before then still resumes.
func (r *Result) Discard() error {
	if r.cache == nil {
		return nil
	}
	return r.cache.discard()
}
