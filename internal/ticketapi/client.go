package ticketapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/pacer"
)

// UsersPath is the ticket platform's users endpoint, below the base URL.
const UsersPath = "/api/v1/users.json"

// maxPageBytes bounds one response body: a page of users is a few
// kilobytes, so anything near this is not the users API.
const maxPageBytes = 64 << 20

// client talks to one ticket platform, under the connection rules of SPEC
// section 8: the credentials go only to the base URL's scheme, host and
// port; over plain http only to this machine, never through a proxy.
type client struct {
	base     *url.URL
	user     string
	password string
	timeout  time.Duration
	http     *http.Client
	red      *Redactor
}

func newClient(cfg Config, red *Redactor) (*client, error) {
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &client{base: base, user: cfg.User, password: cfg.Password, timeout: cfg.Timeout, red: red}
	c.http = &http.Client{Transport: newTransport(base, cfg.Transport), CheckRedirect: c.checkRedirect}
	return c, nil
}

// ParseBaseURL checks a base URL (--api-url): http or https, no credentials,
// query or fragment in it, and plain http only to a literal loopback IP
// (127.0.0.0/8, ::1) or exactly localhost, since Basic auth sends the
// password as it is. A refused URL is bad usage (exit status 2) wrapping
// ErrBadURL or ErrPlainHTTP. It returns the URL with a lowercase scheme and
// no trailing slash.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) {
		return nil, fail.Because(fail.Usage, ErrBadURL, "--api-url %q is not an http or https address such as https://support.example.com", raw)
	}
	if u.User != nil {
		return nil, fail.Because(fail.Usage, ErrBadURL, "--api-url must not carry credentials (user:password@): remove them and set the credentials in the environment instead")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, fail.Because(fail.Usage, ErrBadURL, "--api-url %s must not have a query or fragment: give the address the API's /api/v1/ path starts below", u.Redacted())
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme == "http" && !isLoopbackName(u.Hostname()) {
		return nil, fail.Because(fail.Usage, ErrPlainHTTP, "--api-url %s is plain http to a host that is not a literal loopback address: Basic auth would send the password unencrypted; use https (plain http is allowed only to 127.0.0.0/8, [::1] or localhost)", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// isLoopbackName tells whether host names this machine without asking a
// resolver: a literal loopback IP, or exactly localhost. Names such as
// api.localhost or localhost. are refused, since a resolver or a proxy
// decides where they go.
func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin tells whether b has a's scheme, host and port, the only place
// the credentials may be sent to.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(strings.TrimSuffix(a.Hostname(), "."), strings.TrimSuffix(b.Hostname(), ".")) &&
		originPort(a) == originPort(b)
}

func originPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// newTransport is hook (or http.DefaultTransport) with the connection rules
// of the base URL's scheme. Plain http: no proxy ever, since a proxy would
// read the Authorization header, and a dialer that connects only to
// loopback addresses. https: the hook's proxy (http.DefaultTransport's is
// HTTPS_PROXY and NO_PROXY from the environment) is kept, since https
// reaches a proxy through a CONNECT tunnel: TLS runs end to end and the
// proxy never sees the header.
func newTransport(base *url.URL, hook *http.Transport) *http.Transport {
	var t *http.Transport
	if hook != nil {
		t = hook.Clone()
	} else {
		t = http.DefaultTransport.(*http.Transport).Clone()
	}
	dial := dialFunc(t.DialContext)
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	if base.Scheme == "http" {
		t.Proxy = nil
		t.DialContext = loopbackOnly(dial)
		return t
	}
	if proxy := t.Proxy; proxy != nil {
		t.Proxy = func(req *http.Request) (*url.URL, error) {
			if req.URL.Scheme != "https" {
				return nil, nil // never: redirects keep the scheme
			}
			return proxy(req)
		}
	}
	t.DialContext = dial
	return t
}

// loopbackOnly dials only loopback addresses: a name (localhost) is
// resolved first and only its loopback addresses are dialed, and the
// connection's remote address is checked once made, before a byte is sent.
func loopbackOnly(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var ips []net.IP
		if ip := net.ParseIP(host); ip != nil {
			ips = []net.IP{ip}
		} else {
			addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
			if err != nil {
				return nil, err
			}
			for _, a := range addrs {
				ips = append(ips, a.IP)
			}
		}
		var loop []net.IP
		for _, ip := range ips {
			if ip.IsLoopback() {
				loop = append(loop, ip)
			}
		}
		if len(loop) == 0 {
			return nil, fail.Because(fail.Usage, ErrNotLoopback, "%s resolves to %v, not to this machine: plain http sends the password unencrypted, so it goes only to a loopback address; use https, or 127.0.0.1", host, ips)
		}
		var lastErr error
		for _, ip := range loop {
			conn, err := dial(ctx, network, net.JoinHostPort(ip.String(), port))
			if err != nil {
				lastErr = err
				continue
			}
			if remote := remoteIP(conn); remote == nil || !remote.IsLoopback() {
				conn.Close()
				return nil, fail.Because(fail.Usage, ErrNotLoopback, "the connection to %s went to %v, not to this machine: plain http sends the password unencrypted, so it goes only to a loopback address", addr, conn.RemoteAddr())
			}
			return conn, nil
		}
		return nil, lastErr
	}
}

func remoteIP(conn net.Conn) net.IP {
	switch a := conn.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP
	case nil:
		return nil
	default:
		host, _, err := net.SplitHostPort(a.String())
		if err != nil {
			return nil
		}
		return net.ParseIP(host)
	}
}

// checkRedirect refuses redirects that would take the credentials to
// another scheme, host or port.
func (c *client) checkRedirect(req *http.Request, via []*http.Request) error {
	if !sameOrigin(c.base, req.URL) {
		return fail.Because(fail.Usage, ErrOtherOrigin, "the ticket platform redirected %s to %s, another host, scheme or port than --api-url: credentials never leave for another host; if the API really lives there, give that address with --api-url",
			c.red.Redact(via[len(via)-1].URL.Redacted()), c.red.Redact(req.URL.Redacted()))
	}
	if len(via) >= 10 {
		return fail.Failf("the ticket platform redirected %s more than 10 times", c.red.Redact(via[0].URL.Redacted()))
	}
	return nil
}

// pageURL is the address of page n below the base URL.
func (c *client) pageURL(n int) string {
	u := *c.base
	u.Path = c.base.Path + UsersPath
	u.RawQuery = "page=" + strconv.Itoa(n)
	return u.String()
}

// get makes one request for page n. It returns the body, or whether the
// failure is worth retrying; a 429 or 5xx error carries the server's
// Retry-After (pacer.RetryAfterError). When ctx is done it returns ctx's
// error for the caller to report.
func (c *client) get(ctx context.Context, n int, pageURL string) (body []byte, retry bool, err error) {
	rctx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		rctx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, pageURL, nil)
	if err != nil {
		return nil, false, fail.Failf("page %d: cannot request %s: %v", n, c.red.Redact(pageURL), c.red.Redact(err.Error()))
	}
	req.SetBasicAuth(c.user, c.password)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "migrate")
	resp, err := c.http.Do(req)
	if err != nil {
		var refused *fail.Error
		switch {
		case errors.As(err, &refused):
			return nil, false, refused
		case ctx.Err() != nil:
			return nil, false, ctx.Err()
		}
		return nil, true, fail.Failf("page %d: %s", n, c.netProblem(err))
	}
	defer resp.Body.Close()

	// The status in our words: the server's reason phrase is its own text.
	status := strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return nil, false, fail.Because(fail.Usage, ErrCredentialsRefused, "page %d (%s): %s: the ticket platform refused the credentials; check MIGRATE_API_USER and MIGRATE_API_PASSWORD, and that this account may list users",
			n, c.red.Redact(pageURL), status)
	case code == http.StatusTooManyRequests || code >= 500:
		// Drain a little so that the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		err := fail.Failf("page %d: %s", n, status)
		if wait := retryAfter(resp.Header, time.Now()); wait > 0 {
			err = pacer.RetryAfterError(err, wait)
		}
		return nil, true, err
	case code < 200 || code > 299:
		return nil, false, fail.Because(fail.Failure, ErrRefused, "page %d (%s): %s: the ticket platform refused the request; check --api-url", n, c.red.Redact(pageURL), status)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, true, fail.Failf("page %d: %s", n, c.netProblem(err))
	}
	if len(body) > maxPageBytes {
		return nil, false, fail.Because(fail.Failure, ErrBadPage, "page %d (%s): the response is larger than %d MiB, not a page of users; check --api-url", n, c.red.Redact(pageURL), maxPageBytes>>20)
	}
	return body, false, nil
}

// netProblem says what went wrong with a request that got no answer.
func (c *client) netProblem(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s (--timeout)", c.timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return "cannot reach the ticket platform: " + c.red.Redact(err.Error())
}

// maxWait stands for a Retry-After too large for a time.Duration.
const maxWait = time.Duration(math.MaxInt64)

// retryAfter is the wait a 429 or 5xx response asks for: Retry-After in
// seconds, or as an HTTP date measured against the response's own Date
// (so that a skewed local clock does not matter), else against now. Zero
// means no usable Retry-After; seconds beyond what a time.Duration holds
// are maxWait, a wait longer than any --max-retry-wait.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil || secs > uint64(maxWait/time.Second) {
			return maxWait
		}
		return time.Duration(secs) * time.Second
	}
	when, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		now = date
	}
	return max(when.Sub(now), 0)
}
