package steps

// The tests of issue 13's findings on fetch-users (SPEC section 8), run
// through the step as a user runs it. Each failed on the step before
// ticketapi (commit 2ffad9c).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
)

const apiUsersPath = "/api/v1/users.json"

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

// Finding 1: Basic auth over plain http went by name (api.localhost,
// localhost.) through DNS, and through a proxy.
func TestFetchUsersBasicAuthNeverThroughAProxy(t *testing.T) {
	p := paging{total: 3, per: 100, next: "absolute"}
	var api *fakeUsers
	api = newFakeUsers(t, p.answer(&api))
	proxy := newProxyRecorder(t)
	proxyURL, _ := url.Parse(proxy.srv.URL)
	_, port, _ := net.SplitHostPort(api.srv.Listener.Addr().String())
	t.Setenv("HTTP_PROXY", proxy.srv.URL)
	t.Setenv("http_proxy", proxy.srv.URL)

	tests := []struct {
		apiURL string
		ok     bool
	}{
		{"http://127.0.0.1:" + port, true},
		{"http://localhost:" + port, true},
		{"http://api.localhost:" + port, false},
		{"http://localhost.:" + port, false},
		{"http://127.0.0.1.nip.io:" + port, false},
	}
	for _, tt := range tests {
		t.Run(tt.apiURL, func(t *testing.T) {
			before := api.totalHits()
			r := newFetchRun(t, tt.apiURL)
			r.env.Getenv = mapGetenv(map[string]string{
				EnvAPIUser: testAPIUser, EnvAPIPassword: testAPIPassword,
				"HTTP_PROXY": proxy.srv.URL, "http_proxy": proxy.srv.URL, "HTTPS_PROXY": proxy.srv.URL,
			})
			// A proxy configured on the transport itself, too.
			r.env.HTTPClient = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
			_, err := r.run(t)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if got, want := r.export(t), sampleCSV(3); got != want {
					t.Errorf("export %q, want %q", got, want)
				}
			} else {
				wantError(t, err, fail.Usage, "plain http", "https")
				if h := api.totalHits(); h != before {
					t.Errorf("the API got %d requests for a refused address", h-before)
				}
			}
			if requests, auth := proxy.seen(); len(requests) != 0 || len(auth) != 0 {
				t.Errorf("the proxy got %q, with Authorization %q", requests, auth)
			}
		})
	}
}

// remoteAddrConn reports another remote address than the real one.
type remoteAddrConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteAddrConn) RemoteAddr() net.Addr { return c.remote }

// Finding 1: Basic auth over plain http only when the connection really
// goes to a loopback address.
func TestFetchUsersPlainHTTPOnlyOverALoopbackConnection(t *testing.T) {
	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		writePage(w, map[string]any{"users": []any{}})
	})
	r := newFetchRun(t, api.srv.URL)
	elsewhere := &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 80}
	r.env.HTTPClient = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return remoteAddrConn{conn, elsewhere}, nil
		},
	}}
	_, err := r.run(t)
	wantError(t, err, fail.Usage, "192.0.2.10")
	if h := api.totalHits(); h != 0 {
		t.Errorf("the API got %d requests over a connection that is not a loopback one", h)
	}
	r.noExport(t)
}

func fetchWarnings(t *testing.T, counts report.Counts, invalidEmail, mismatch, ignored int64) {
	t.Helper()
	for key, want := range map[string]int64{
		"warnings.invalid_email":                  invalidEmail,
		"warnings.ticket_platform_count_mismatch": mismatch,
		"warnings.ticket_platform_count_ignored":  ignored,
	} {
		if got := counts.Int(key); got != want {
			t.Errorf("%s = %d, want %d (counts %v)", key, got, want, counts)
		}
	}
}

// Finding 2: count overflowed, a too small count lost users, a too large
// one sent a request per announced page.
func TestFetchUsersCount(t *testing.T) {
	tests := []struct {
		name      string
		total     int
		count     any
		maxHits   int
		mismatch  int64
		ignored   int64
		stderr    []string
		countsUse bool
	}{
		{"count past int64 pages", 250, int64(9223372036854775807), 4, 0, 1, []string{"ticket_platform_count_ignored", "9223372036854775807"}, false},
		{"count too small", 350, 100, 5, 1, 0, []string{"ticket_platform_count_mismatch", "100", "350"}, true},
		{"count of 10 million", 250, 10_000_000, 3 + 4, 1, 0, []string{"ticket_platform_count_mismatch", "10000000", "250"}, true},
		{"negative count", 250, -5, 4, 0, 1, []string{"ticket_platform_count_ignored", "-5"}, false},
		{"count not a number", 250, "many", 4, 0, 1, []string{"ticket_platform_count_ignored", "not an integer"}, false},
		{"fractional count", 250, 2.5, 4, 0, 1, []string{"ticket_platform_count_ignored", "not an integer"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := paging{total: tt.total, per: 100, next: "absent"}
			var api *fakeUsers
			api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				body := p.body(api.srv.URL, page)
				body["count"] = tt.count
				writePage(w, body)
			})
			r := newFetchRun(t, api.srv.URL)
			r.env.Opt.Concurrency = 4
			counts, err := r.run(t)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := r.export(t), sampleCSV(tt.total); got != want {
				t.Errorf("export has %d lines, want %d", strings.Count(got, "\n"), strings.Count(want, "\n"))
			}
			if h := api.totalHits(); h > tt.maxHits {
				t.Errorf("%d requests, want at most %d", h, tt.maxHits)
			}
			if got := counts.Int("users"); got != int64(tt.total) {
				t.Errorf("users = %d, want %d", got, tt.total)
			}
			fetchWarnings(t, counts, 0, tt.mismatch, tt.ignored)
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr.String(), s) {
					t.Errorf("stderr %q does not mention %q", r.stderr.String(), s)
				}
			}
		})
	}
}

// Finding 3: Retry-After: 999999 made the step wait 277 hours.
func TestFetchUsersRetryAfterTooLong(t *testing.T) {
	serverNow := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header func(h http.Header)
		asked  string
	}{
		{"seconds", func(h http.Header) { h.Set("Retry-After", "999999") }, "277h46m39s"},
		{"HTTP date", func(h http.Header) {
			h.Set("Date", serverNow.Format(http.TimeFormat))
			h.Set("Retry-After", serverNow.Add(2*time.Hour).Format(http.TimeFormat))
		}, "2h0m0s"},
		{"more seconds than a duration holds", func(h http.Header) { h.Set("Retry-After", "99999999999999999999") }, "2562047h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				tt.header(w.Header())
				w.WriteHeader(http.StatusTooManyRequests)
			})
			r := newFetchRun(t, api.srv.URL)
			_, err := r.run(t)
			wantError(t, err, fail.Failure, "429 Too Many Requests", tt.asked, "--max-retry-wait")
			if s := r.sleeps.all(); len(s) != 0 {
				t.Errorf("slept %v", s)
			}
			if h := api.totalHits(); h != 1 {
				t.Errorf("%d requests, want 1", h)
			}
			r.noExport(t)
		})
	}
}

// The credentials of the redaction test: every encoding of this password
// differs from the password, and the Basic value has + or / and padding.
const (
	oddUser     = "agent@example.com"
	oddPassword = `Tr0ub4dor&3 "horse"<battery>/staple%ü`
)

// echoAPI is a users API behind oddUser and oddPassword; hit counts the
// requests for each page, from 1.
func echoAPI(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, page, hit int)) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	hits := map[int]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		if !ok || user != oddUser || password != oddPassword {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		mu.Lock()
		hits[page]++
		hit := hits[page]
		mu.Unlock()
		answer(w, r, page, hit)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// percentAll encodes every byte of s as %XX.
func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// jsonEscapeAll writes every rune of s as a \uXXXX escape.
func jsonEscapeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// decodedViews are s and s decoded as percent-encoding and JSON escapes, in
// both orders, so that a test finds an encoded secret.
func decodedViews(s string) []string {
	pct := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '%' && i+2 < len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
					b.WriteByte(byte(v))
					i += 2
					continue
				}
			}
			b.WriteByte(s[i])
		}
		return b.String()
	}
	js := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) {
				switch s[i+1] {
				case 'u':
					if i+6 <= len(s) {
						if v, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
							b.WriteRune(rune(v))
							i += 5
							continue
						}
					}
				case '"', '\\', '/':
					b.WriteByte(s[i+1])
					i++
					continue
				}
			}
			b.WriteByte(s[i])
		}
		return b.String()
	}
	plus := strings.NewReplacer("+", " ")
	return []string{s, pct(s), js(s), pct(js(s)), js(pct(s)), pct(plus.Replace(s))}
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

// checkNoSecret fails when shown holds any 12-byte piece of password or of
// the Basic value of user:password, as it is or decoded.
func checkNoSecret(t *testing.T, shown, user, password string) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	for _, view := range decodedViews(shown) {
		for _, secret := range []string{password, basic} {
			for _, piece := range pieces(secret) {
				if i := strings.Index(view, piece); i >= 0 {
					t.Errorf("a piece of the credentials (%q) shows in:\n%s", piece, view[max(i-80, 0):min(i+80, len(view))])
					return
				}
			}
		}
	}
}

// everything is stdout, stderr, the error and every file in the work dir.
func (r *fetchRun) everything(err error) string {
	shown := r.stdout.String() + r.stderr.String()
	if err != nil {
		shown += err.Error()
	}
	filepath.WalkDir(r.env.Opt.WorkDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			shown += "\n" + path + "\n" + string(data)
		}
		return nil
	})
	return shown
}

// rawStatus answers with a status line whose reason phrase is reason.
func rawStatus(w http.ResponseWriter, code int, reason string) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code, reason)
	buf.Flush()
}

// Findings 4 and 5: escaped forms of the password slipped past redaction,
// and kept pages held what the server echoed.
func TestFetchUsersCredentialsNeverShown(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(oddUser + ":" + oddPassword))
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request, page, hit int)
	}{
		{"next_page to another host, percent-encoded", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": "https://elsewhere.example/?p=" + percentAll(oddPassword)})
		}},
		{"next_page to another host, query-escaped", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": "https://elsewhere.example/?p=" + url.QueryEscape(oddPassword)})
		}},
		{"redirect to another host, JSON-escaped", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			w.Header().Set("Location", "https://elsewhere.example/"+jsonEscapeAll(oddPassword))
			w.WriteHeader(http.StatusFound)
		}},
		{"same-origin next_page echoing the Basic value, then a 404", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			if page > 1 {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": apiUsersPath + "?page=2&auth=" + url.QueryEscape(r.Header.Get("Authorization"))})
		}},
		{"id echoing the password JSON-escaped", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			w.Write([]byte(`{"users":[{"id":"` + jsonEscapeAll(oddPassword) + `"}]}`))
		}},
		{"email echoing the Authorization header", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			writePage(w, map[string]any{"users": []any{map[string]any{"id": 7, "email": r.Header.Get("Authorization")}}, "next_page": nil})
		}},
		{"email echoing the password percent-encoded", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			writePage(w, map[string]any{"users": []any{map[string]any{"id": 7, "email": url.PathEscape(oddPassword) + "@example.com"}}, "next_page": nil})
		}},
		{"reason phrase echoing it, 404", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			rawStatus(w, http.StatusNotFound, url.QueryEscape(oddPassword)+" "+percentAll(oddPassword))
		}},
		{"reason phrase echoing it, 503 then success", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			if hit == 1 {
				rawStatus(w, http.StatusServiceUnavailable, percentAll(oddPassword))
				return
			}
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": nil, "echo": basic})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := echoAPI(t, tt.answer)
			r := newFetchRun(t, srv.URL)
			r.env.Getenv = mapGetenv(map[string]string{EnvAPIUser: oddUser, EnvAPIPassword: oddPassword})
			r.env.Opt.Retries = 1
			_, err := r.run(t)
			checkNoSecret(t, r.everything(err), oddUser, oddPassword)
		})
	}
}

// Finding 5: a kept page holds the ids, emails and what paging needs, never
// what else the server sent.
func TestFetchUsersKeptPagesHoldOnlyUsers(t *testing.T) {
	tests := []struct {
		name string
		next func(r *http.Request) string
	}{
		{"echo in other keys and an email", func(r *http.Request) string { return apiUsersPath + "?page=2" }},
		{"echo in a same-origin next_page", func(r *http.Request) string {
			return apiUsersPath + "?page=2&auth=" + url.QueryEscape(r.Header.Get("Authorization"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := echoAPI(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				if page > 1 {
					w.WriteHeader(http.StatusNotFound)
					return
				}
				auth := r.Header.Get("Authorization")
				writePage(w, map[string]any{
					"users": []any{
						map[string]any{"id": 1, "email": "ann@example.com", "password": auth, "name": "Ann"},
						map[string]any{"id": 2, "email": auth},
					},
					"headers":   r.Header,
					"next_page": tt.next(r),
				})
			})
			r := newFetchRun(t, srv.URL)
			r.env.Getenv = mapGetenv(map[string]string{EnvAPIUser: oddUser, EnvAPIPassword: oddPassword})
			_, err := r.run(t)
			if err == nil {
				t.Fatal("no error, want the 404 of page 2")
			}
			checkNoSecret(t, r.everything(err), oddUser, oddPassword)
			kept, _ := filepath.Glob(filepath.Join(r.env.Opt.WorkDir, FetchDir, "page-*.json"))
			for _, path := range kept {
				data, _ := os.ReadFile(path)
				var p map[string]json.RawMessage
				if err := json.Unmarshal(data, &p); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				for k := range p {
					switch k {
					case "page", "url", "count", "count_ignored", "next", "last", "users":
					default:
						t.Errorf("%s keeps %q: %s", path, k, data)
					}
				}
				var users []map[string]any
				json.Unmarshal(p["users"], &users)
				for _, u := range users {
					for k := range u {
						if k != "id" && k != "email" && k != "invalid" {
							t.Errorf("%s keeps the user key %q: %s", path, k, data)
						}
					}
				}
			}
		})
	}
}

// Finding 6: invalid UTF-8 and control characters in emails reached the
// CSV.
func TestFetchUsersInvalidEmailsWrittenEmpty(t *testing.T) {
	api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"users":[`+
			`{"id":1,"email":"Ann@Example.com"},`+
			"{\"id\":2,\"email\":\"bad\xffbyte@example.com\"},"+
			`{"id":3,"email":"nul\u0000@example.com"},`+
			`{"id":4,"email":"bell\u0007@example.com"},`+
			`{"id":5,"email":"c1\u0085@example.com"},`+
			`{"id":6,"email":"del\u007f@example.com"},`+
			`{"id":7,"email":"half\ud800@example.com"},`+
			`{"id":8,"email":null},`+
			`{"id":9,"email":"new\nline@example.com"},`+
			`{"id":10,"email":" spaced@example.com\n"}`+
			`],"next_page":null}`)
	})
	r := newFetchRun(t, api.srv.URL)
	counts, err := r.run(t)
	if err != nil {
		t.Fatal(err)
	}
	want := "id,email\n1,Ann@Example.com\n2,\n3,\n4,\n5,\n6,\n7,\n8,\n9,\n10,\" spaced@example.com\n\"\n"
	if got := r.export(t); got != want {
		t.Errorf("export:\n%q\nwant:\n%q", got, want)
	}
	fetchWarnings(t, counts, 7, 0, 0)
	if s := r.stderr.String(); !strings.Contains(s, "invalid_email") || !strings.Contains(s, "7 emails") {
		t.Errorf("stderr %q does not warn of the 7 invalid emails", s)
	}
}

// wantPrivate fails unless every folder under dir is 0700 and every file
// 0600.
func wantPrivate(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		info, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = fs.ModeDir | 0o700
		}
		if info.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, info.Mode(), want)
		}
		return nil
	})
}

// Finding 7: every file fetch-users leaves is readable by its owner only.
func TestFetchUsersFilesArePrivate(t *testing.T) {
	tests := []struct {
		name    string
		earlier func(t *testing.T, workDir, apiURL string)
	}{
		{"fresh", func(t *testing.T, workDir, apiURL string) {}},
		{"kept pages of an earlier run, loosened", func(t *testing.T, workDir, apiURL string) {
			dir := filepath.Join(workDir, FetchDir)
			os.MkdirAll(dir, 0o755)
			os.Chmod(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "source.json"), []byte(`{"api_url":"`+apiURL+`","user":"`+testAPIUser+`"}`), 0o644)
			os.WriteFile(filepath.Join(dir, "page-000009.json"), []byte(`{}`), 0o644)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := paging{total: 250, per: 100, next: "absolute"}
			failing := true
			var api *fakeUsers
			api = newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				if failing && page == 3 {
					w.WriteHeader(http.StatusNotFound)
					return
				}
				writePage(w, p.body(api.srv.URL, page))
			})
			r := newFetchRun(t, api.srv.URL)
			tt.earlier(t, r.env.Opt.WorkDir, api.srv.URL)
			if _, err := r.run(t); err == nil {
				t.Fatal("no error, want the 404 of page 3")
			}
			wantPrivate(t, r.env.Opt.WorkDir)
			failing = false
			if _, err := r.run(t); err != nil {
				t.Fatal(err)
			}
			wantPrivate(t, r.env.Opt.WorkDir)
		})
	}
}

// Finding 8: an interrupt exited 1 instead of 130 or 143.
func TestFetchUsersInterruptedBySignal(t *testing.T) {
	tests := []struct {
		signal string
		code   int
		during string
	}{
		{"SIGINT", fail.Interrupted, "request"},
		{"SIGTERM", fail.Terminated, "request"},
		{"SIGTERM", fail.Terminated, "wait"},
	}
	for _, tt := range tests {
		t.Run(tt.signal+" during a "+tt.during, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			cause := fail.Signal(tt.signal)
			api := newFakeUsers(t, func(w http.ResponseWriter, r *http.Request, page, hit int) {
				if tt.during == "request" {
					cancel(cause)
					<-r.Context().Done()
					return
				}
				w.Header().Set("Retry-After", "60")
				w.WriteHeader(http.StatusTooManyRequests)
				go func() { time.Sleep(50 * time.Millisecond); cancel(cause) }()
			})
			r := newFetchRun(t, api.srv.URL)
			r.env.Sleep = nil // the real wait, cut short by the signal
			start := time.Now()
			_, err := FetchUsers(ctx, r.env, &Memo{})
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("stopped after %v, want within about a second", d)
			}
			wantError(t, err, tt.code, "interrupted", "rerun")
			if !errors.Is(err, cause) {
				t.Errorf("error %v does not wrap the signal's cause", err)
			}
			r.noExport(t)
		})
	}
}

// The account is half of the credentials (SPEC section 8): a failed fetch
// leaves it in no file (the kept pages' source.json keeps its SHA-256), and
// a server that echoes it does not get it into a message.
func TestFetchUsersAccountNeverShown(t *testing.T) {
	const account = "alice.admin"
	for _, tt := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request, page, hit int)
	}{
		{"a 404 after a kept page, naming the account", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			if page > 1 {
				rawStatus(w, http.StatusNotFound, "no pages for "+account)
				return
			}
			writePage(w, map[string]any{"users": []any{sampleUser(1)}, "next_page": apiUsersPath + "?page=2"})
		}},
		{"a page that is not JSON, greeting the account", func(w http.ResponseWriter, r *http.Request, page, hit int) {
			w.Write([]byte("hello " + account + ", you are not allowed"))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := echoAPI(t, tt.answer)
			r := newFetchRun(t, srv.URL)
			r.env.Getenv = mapGetenv(map[string]string{EnvAPIUser: account, EnvAPIPassword: oddPassword})
			r.env.Opt.Retries = 1
			_, err := r.run(t)
			if err == nil {
				t.Fatal("the fetch succeeded; want it to fail")
			}
			if shown := r.everything(err); strings.Contains(shown, account) {
				t.Errorf("the account shows in the output, the error or a file:\n%s", shown)
			}
		})
	}
}
