package ticketapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
)

func TestParseBaseURL(t *testing.T) {
	tests := []struct {
		raw  string
		want string // the base URL, or "" when refused
	}{
		{"https://support.example.com", "https://support.example.com"},
		{"https://support.example.com/", "https://support.example.com"},
		{"https://support.example.com/tenant/", "https://support.example.com/tenant"},
		{"HTTPS://support.example.com", "https://support.example.com"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://localhost:8080/", "http://localhost:8080"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"http://127.1.2.3", "http://127.1.2.3"},
		{"http://support.example.com", ""},
		{"http://10.0.0.1:8080", ""},
		{"https://me:pw@support.example.com", ""},
		{"https://support.example.com?page=1", ""},
		{"ftp://support.example.com", ""},
		{"support.example.com", ""},
		{"", ""},
		// Only a literal loopback IP or exactly localhost: a name that a
		// resolver or a proxy would decide on is refused (issue 13).
		{"http://LOCALHOST:8080", "http://LOCALHOST:8080"},
		{"http://[::ffff:127.0.0.1]:8080", "http://[::ffff:127.0.0.1]:8080"},
		{"http://api.localhost:8080", ""},
		{"http://localhost.:8080", ""},
		{"http://localhost.example.com", ""},
		{"http://127.0.0.1.nip.io", ""},
		{"http://2130706433", ""},
		{"http://0.0.0.0:8080", ""},
		{"http://[::1%25lo]:8080", ""},
		{"https://api.localhost:8080", "https://api.localhost:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := ParseBaseURL(tt.raw)
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("accepted as %s, want refused", u)
			case tt.want == "" && fail.Code(err) != fail.Usage:
				t.Errorf("refused with exit status %d, want %d", fail.Code(err), fail.Usage)
			case tt.want == "" && !errors.Is(err, ErrBadURL) && !errors.Is(err, ErrPlainHTTP):
				t.Errorf("refused with %v, want ErrBadURL or ErrPlainHTTP", err)
			case tt.want != "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && u.String() != tt.want:
				t.Errorf("base %s, want %s", u, tt.want)
			}
		})
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://h.example", "https://h.example/api/v1/users.json?page=2", true},
		{"https://h.example", "https://H.EXAMPLE:443/x", true},
		{"http://127.0.0.1:80", "http://127.0.0.1/x", true},
		{"https://h.example", "http://h.example/x", false},
		{"https://h.example", "https://h.example:8443/x", false},
		{"https://h.example", "https://evil.example/x", false},
		{"https://h.example", "https://h.example.evil.example/x", false},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		if got := sameOrigin(a, b); got != tt.want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name       string
		retryAfter string
		dateHeader string
		want       time.Duration
	}{
		{"absent", "", "", 0},
		{"seconds", "3", "", 3 * time.Second},
		{"zero", "0", "", 0},
		{"negative", "-5", "", 0},
		{"garbage", "soon", "", 0},
		{"date against now", date(45 * time.Second), "", 45 * time.Second},
		{"date against the response's Date", date(time.Hour + 10*time.Second), date(time.Hour), 10 * time.Second},
		{"date in the past", date(-time.Minute), "", 0},
		// SPEC section 8: a wait longer than --max-retry-wait stops the
		// step, so seconds past what a time.Duration holds are the longest
		// wait, not garbage to ignore (it was 0 before issue 13).
		{"huge", "99999999999999999999", "", maxWait},
		{"beyond a duration", "9223372037", "", maxWait},
		{"longest duration", "9223372036", "", 9223372036 * time.Second},
		{"large", "86400", "", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retryAfter != "" {
				h.Set("Retry-After", tt.retryAfter)
			}
			if tt.dateHeader != "" {
				h.Set("Date", tt.dateHeader)
			}
			if got := retryAfter(h, now); got != tt.want {
				t.Errorf("retryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

// proxyRecorder is a forward proxy on 127.0.0.1 that records what reaches
// it: it forwards plain requests and tunnels CONNECT, so that a client that
// wrongly uses it still works and the test sees what it was sent.
type proxyRecorder struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests []string // method and target of every request
	auth     []string // Authorization headers seen, on any request
}

func newProxyRecorder(t *testing.T) *proxyRecorder {
	t.Helper()
	p := &proxyRecorder{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests = append(p.requests, r.Method+" "+r.RequestURI)
		if a := r.Header.Get("Authorization"); a != "" {
			p.auth = append(p.auth, a)
		}
		p.mu.Unlock()
		if r.Method == http.MethodConnect {
			tunnel(w, r)
			return
		}
		resp, err := http.DefaultTransport.RoundTrip(r.Clone(context.Background()))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// tunnel answers a CONNECT by joining the client to the target.
func tunnel(w http.ResponseWriter, r *http.Request) {
	target, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		target.Close()
		return
	}
	conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	go func() { io.Copy(target, buf); target.Close() }()
	io.Copy(conn, target)
	conn.Close()
}

func (p *proxyRecorder) seen() (requests, auth []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...), append([]string(nil), p.auth...)
}

func (p *proxyRecorder) url(t *testing.T) *url.URL {
	u, err := url.Parse(p.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Issue 13, finding 1: plain http goes to this machine directly, never
// through a proxy, whether the proxy comes from the environment or from the
// transport.
func TestPlainHTTPNeverThroughAProxy(t *testing.T) {
	p := paging{total: 3, per: 100, next: "absolute"}
	var api *fakeUsers
	api = newFakeUsers(t, p.answer(&api))
	proxy := newProxyRecorder(t)
	t.Setenv("HTTP_PROXY", proxy.srv.URL)
	t.Setenv("http_proxy", proxy.srv.URL)
	_, port, _ := net.SplitHostPort(api.srv.Listener.Addr().String())
	for _, base := range []string{"http://127.0.0.1:" + port, "http://localhost:" + port} {
		for _, transport := range []*http.Transport{nil, {Proxy: http.ProxyFromEnvironment}, {Proxy: http.ProxyURL(proxy.url(t))}} {
			r := newFetchRun(t, base)
			r.cfg.Transport = transport
			if _, err := r.run(t); err != nil {
				t.Fatalf("%s: %v", base, err)
			}
			if got, want := r.export(t), sampleCSV(3); got != want {
				t.Errorf("%s: users %q, want %q", base, got, want)
			}
		}
	}
	if requests, auth := proxy.seen(); len(requests) != 0 || len(auth) != 0 {
		t.Errorf("the proxy got %q, with Authorization %q", requests, auth)
	}
}

// https may go through a proxy: the CONNECT tunnel keeps TLS end to end, so
// the proxy sees the host and port, never the Authorization header.
func TestHTTPSThroughAProxyKeepsTheCredentialsInTheTunnel(t *testing.T) {
	p := paging{total: 3, per: 100, next: "absolute"}
	var api *fakeUsers
	api = &fakeUsers{t: t, hits: map[int]int{}}
	api.answer = p.answer(&api)
	api.srv = httptest.NewTLSServer(http.HandlerFunc(api.serve))
	t.Cleanup(api.srv.Close)
	proxy := newProxyRecorder(t)

	r := newFetchRun(t, api.srv.URL)
	transport := api.srv.Client().Transport.(*http.Transport).Clone()
	transport.Proxy = http.ProxyURL(proxy.url(t))
	r.cfg.Transport = transport
	if _, err := r.run(t); err != nil {
		t.Fatal(err)
	}
	if got, want := r.export(t), sampleCSV(3); got != want {
		t.Errorf("users %q, want %q", got, want)
	}
	requests, auth := proxy.seen()
	if len(requests) == 0 || len(auth) != 0 {
		t.Errorf("the proxy got %q with Authorization %q: want CONNECT only, without credentials", requests, auth)
	}
	for _, req := range requests {
		if req != "CONNECT "+api.srv.Listener.Addr().String() {
			t.Errorf("the proxy got %q, want only CONNECT to the API", req)
		}
	}
}

// fakeRemote reports another remote address than the real one.
type fakeRemote struct {
	net.Conn
	remote net.Addr
}

func (c fakeRemote) RemoteAddr() net.Addr { return c.remote }

// Issue 13, finding 1: the credentials go over plain http only when the
// connection really goes to a loopback address.
func TestPlainHTTPOnlyOverALoopbackConnection(t *testing.T) {
	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		writePage(w, map[string]any{"users": []any{}})
	})
	_, port, _ := net.SplitHostPort(api.srv.Listener.Addr().String())
	for _, base := range []string{api.srv.URL, "http://localhost:" + port} {
		var dialed []string
		r := newFetchRun(t, base)
		r.cfg.Transport = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialed = append(dialed, addr)
			var d net.Dialer
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return fakeRemote{conn, &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 80}}, nil
		}}
		_, err := r.run(t)
		wantError(t, err, fail.Usage, "192.0.2.10", "not to this machine")
		wantIs(t, err, ErrNotLoopback)
		for _, addr := range dialed {
			if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
				t.Errorf("%s: dialed %s, not a loopback address", base, addr)
			}
		}
	}
	if h := api.totalHits(); h != 0 {
		t.Errorf("the API got %d requests over connections that are not loopback ones", h)
	}
}

func TestLoopbackOnlyRefusesAnotherAddress(t *testing.T) {
	called := false
	dial := loopbackOnly(func(ctx context.Context, network, addr string) (net.Conn, error) {
		called = true
		return nil, errors.New("dialed")
	})
	_, err := dial(context.Background(), "tcp", "192.0.2.10:80")
	if !errors.Is(err, ErrNotLoopback) || called {
		t.Errorf("dialing 192.0.2.10: %v (dialer called: %v), want ErrNotLoopback before any connection", err, called)
	}
}

// A redirect to the same scheme, host and port is followed.
func TestSameOriginRedirectFollowed(t *testing.T) {
	p := paging{total: 3, per: 100, next: "absolute"}
	var api *fakeUsers
	api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		if r.URL.Query().Get("moved") == "" {
			http.Redirect(w, r, UsersPath+"?page=1&moved=1", http.StatusFound)
			return
		}
		writePage(w, p.body(api.srv.URL, page))
	})
	r := newFetchRun(t, api.srv.URL)
	if _, err := r.run(t); err != nil {
		t.Fatal(err)
	}
	if got, want := r.export(t), sampleCSV(3); got != want {
		t.Errorf("users %q, want %q", got, want)
	}
}
