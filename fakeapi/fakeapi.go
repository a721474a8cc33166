// Package fakeapi is a stand-in for the ticket platform's users API, served
// on 127.0.0.1 for migrate --demo and for tests.
//
// It answers GET /api/v1/users.json?page=N, behind HTTP Basic auth, with
// PerPage users a page:
//
//	{"users":[{"id":900,"email":"ann@example.com"},{"id":901,"email":null}],
//	 "count":2,"next_page":null}
//
// next_page is the absolute address of page N+1 while more users follow,
// else null; count is always the total number of users. To show retries,
// it can answer 429 Too Many Requests with Retry-After: 1 now and then.
package fakeapi

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// Path is where the users are listed.
const Path = "/api/v1/users.json"

// DefaultPerPage is the page size when Options.PerPage is 0.
const DefaultPerPage = 100

// User is one ticket platform user. A nil Email is served as null.
type User struct {
	ID    int64   `json:"id"`
	Email *string `json:"email"`
}

// Options configures a Server.
type Options struct {
	// User and Password are the Basic auth credentials the server accepts.
	// Both empty means any request is accepted.
	User     string
	Password string
	// PerPage is the number of users a page; 0 means DefaultPerPage.
	PerPage int
	// Every429 makes the first authenticated request, and every Every429th
	// after it (requests 1, 1+N, 1+2N, ...), answer 429 with Retry-After: 1,
	// so that a client must retry at least once. 0 never answers 429; 1
	// answers 429 to every request.
	Every429 int
}

// Server is a running fake API. Close it when done.
type Server struct {
	// URL is the base address, http://127.0.0.1:port, to give as --api-url.
	URL string

	srv   *httptest.Server
	users []User
	opt   Options

	mu       sync.Mutex
	requests int
	tooMany  int
}

// Start serves users on 127.0.0.1, on a free port.
func Start(users []User, opt Options) (*Server, error) {
	if opt.PerPage < 0 || opt.Every429 < 0 {
		return nil, errors.New("fakeapi: PerPage and Every429 must not be negative")
	}
	if opt.PerPage == 0 {
		opt.PerPage = DefaultPerPage
	}
	s := &Server{users: append([]User(nil), users...), opt: opt}
	// httptest.NewServer listens on 127.0.0.1 only and panics when it
	// cannot; a demo that cannot listen should say so instead.
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("fakeapi: cannot listen on 127.0.0.1: %v", r)
			}
		}()
		s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	}()
	if err != nil {
		return nil, err
	}
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server and waits for the requests in flight.
func (s *Server) Close() { s.srv.Close() }

// Requests is the number of authenticated requests served so far, and how
// many of them were answered 429.
func (s *Server) Requests() (all, tooMany int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.tooMany
}

type page struct {
	Users    []User  `json:"users"`
	Count    int     `json:"count"`
	NextPage *string `json:"next_page"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if s.opt.User != "" || s.opt.Password != "" {
		user, password, ok := r.BasicAuth()
		if !ok || user != s.opt.User || password != s.opt.Password {
			w.Header().Set("WWW-Authenticate", `Basic realm="users"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	s.mu.Lock()
	s.requests++
	throttle := s.opt.Every429 > 0 && (s.requests-1)%s.opt.Every429 == 0
	if throttle {
		s.tooMany++
	}
	s.mu.Unlock()
	if throttle {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	}

	n := 1
	if v := r.URL.Query().Get("page"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			http.Error(w, "page must be a positive integer", http.StatusBadRequest)
			return
		}
	}
	per := s.opt.PerPage
	from := min((n-1)*per, len(s.users))
	if n-1 > len(s.users)/per { // (n-1)*per could overflow
		from = len(s.users)
	}
	to := min(from+per, len(s.users))
	p := page{Users: s.users[from:to], Count: len(s.users)}
	if to < len(s.users) {
		next := fmt.Sprintf("%s%s?page=%d", s.URL, Path, n+1)
		p.NextPage = &next
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(p)
}

// LoadUsersCSV reads an id,email export such as ticket_platform_users.csv:
// a header naming the columns id and email (any case, any order, other
// columns ignored), then one user a row. An empty (or blank) email is a null
// one; any other is kept as written.
func LoadUsersCSV(r io.Reader) ([]User, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("the users CSV is empty: want a header id,email")
	}
	if err != nil {
		return nil, fmt.Errorf("users CSV: %w", err)
	}
	idCol, emailCol := -1, -1
	for i, name := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))) {
		case "id":
			idCol = i
		case "email":
			emailCol = i
		}
	}
	if idCol < 0 || emailCol < 0 {
		return nil, fmt.Errorf("users CSV line 1: want columns id and email, found %q", header)
	}
	var users []User
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return users, nil
		}
		if err != nil {
			return nil, fmt.Errorf("users CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) <= max(idCol, emailCol) {
			return nil, fmt.Errorf("users CSV line %d: %d fields, want at least %d", line, len(rec), max(idCol, emailCol)+1)
		}
		id, ok := parseID(rec[idCol])
		if !ok {
			return nil, fmt.Errorf("users CSV line %d: id %q is not a positive integer", line, rec[idCol])
		}
		u := User{ID: id}
		if email := rec[emailCol]; strings.TrimSpace(email) != "" {
			u.Email = &email
		}
		users = append(users, u)
	}
}

// parseID reads an id as exports write it: decimal digits, maybe with a
// ".0" a spreadsheet added.
func parseID(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i > 0 && strings.Trim(s[i+1:], "0") == "" && i+1 < len(s) {
		s = s[:i]
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}
