package fakeapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func email(s string) *string { return &s }

func users(n int) []User {
	var out []User
	for i := 1; i <= n; i++ {
		u := User{ID: int64(i)}
		if i%3 != 0 {
			u.Email = email(fmt.Sprintf("u%d@example.com", i))
		}
		out = append(out, u)
	}
	return out
}

type response struct {
	status     int
	retryAfter string
	page       struct {
		Users    []User  `json:"users"`
		Count    *int    `json:"count"`
		NextPage *string `json:"next_page"`
	}
	raw string
}

func get(t *testing.T, rawURL, user, password string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), raw: string(body)}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &r.page); err != nil {
			t.Fatalf("%s: %v in %s", rawURL, err, body)
		}
	}
	return r
}

func start(t *testing.T, u []User, opt Options) *Server {
	t.Helper()
	s, err := Start(u, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if pu, _ := url.Parse(s.URL); pu.Hostname() != "127.0.0.1" {
		t.Errorf("listening on %s, want 127.0.0.1", s.URL)
	}
	return s
}

func TestPaging(t *testing.T) {
	s := start(t, users(250), Options{User: "demo", Password: "pw"})
	tests := []struct {
		page       string
		first, len int
		next       string
	}{
		{"1", 1, 100, "2"},
		{"2", 101, 100, "3"},
		{"3", 201, 50, ""},
		{"4", 0, 0, ""},
		{"9223372036854775807", 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run("page "+tt.page, func(t *testing.T) {
			r := get(t, s.URL+Path+"?page="+tt.page, "demo", "pw")
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			p := r.page
			if len(p.Users) != tt.len {
				t.Fatalf("%d users, want %d", len(p.Users), tt.len)
			}
			if tt.len > 0 && p.Users[0].ID != int64(tt.first) {
				t.Errorf("first id %d, want %d", p.Users[0].ID, tt.first)
			}
			if p.Count == nil || *p.Count != 250 {
				t.Errorf("count %v, want 250", p.Count)
			}
			want := ""
			if tt.next != "" {
				want = s.URL + Path + "?page=" + tt.next
			}
			switch {
			case want == "" && p.NextPage != nil:
				t.Errorf("next_page %q, want null", *p.NextPage)
			case want != "" && (p.NextPage == nil || *p.NextPage != want):
				t.Errorf("next_page %v, want %q", p.NextPage, want)
			}
			if !strings.Contains(r.raw, `"next_page":`) {
				t.Errorf("next_page missing in %s", r.raw)
			}
		})
	}
	// A null email is served as null, not "".
	r := get(t, s.URL+Path+"?page=1", "demo", "pw")
	if r.page.Users[2].Email != nil || !strings.Contains(r.raw, `{"id":3,"email":null}`) {
		t.Errorf("user 3: %v in %s, want a null email", r.page.Users[2].Email, r.raw)
	}
}

func TestRefusals(t *testing.T) {
	s := start(t, users(3), Options{User: "demo", Password: "pw"})
	tests := []struct {
		name, path, user, password string
		status                     int
	}{
		{"no credentials", Path + "?page=1", "", "", http.StatusUnauthorized},
		{"wrong password", Path + "?page=1", "demo", "nope", http.StatusUnauthorized},
		{"bad page", Path + "?page=zero", "demo", "pw", http.StatusBadRequest},
		{"page 0", Path + "?page=0", "demo", "pw", http.StatusBadRequest},
		{"other path", "/api/v2/users.json", "demo", "pw", http.StatusNotFound},
		{"no page is page 1", Path, "demo", "pw", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := get(t, s.URL+tt.path, tt.user, tt.password); r.status != tt.status {
				t.Errorf("status %d, want %d", r.status, tt.status)
			}
		})
	}
	if all, _ := s.Requests(); all != 3 {
		t.Errorf("%d authenticated requests counted, want 3 (the bad pages and page 1)", all)
	}
}

func TestEvery429(t *testing.T) {
	tests := []struct {
		every int
		want  string // per request: 4 for 429, . for 200
	}{
		{0, "......"},
		{1, "444444"},
		{3, "4..4..4"},
		{2, "4.4.4."},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.every), func(t *testing.T) {
			s := start(t, users(5), Options{User: "demo", Password: "pw", Every429: tt.every})
			var got strings.Builder
			for range tt.want {
				r := get(t, s.URL+Path+"?page=1", "demo", "pw")
				switch r.status {
				case http.StatusTooManyRequests:
					got.WriteByte('4')
					if r.retryAfter != "1" {
						t.Errorf("Retry-After %q, want 1", r.retryAfter)
					}
				case http.StatusOK:
					got.WriteByte('.')
				default:
					t.Fatalf("status %d", r.status)
				}
			}
			if got.String() != tt.want {
				t.Errorf("answers %s, want %s", got.String(), tt.want)
			}
			if _, tooMany := s.Requests(); tooMany != strings.Count(tt.want, "4") {
				t.Errorf("%d counted 429s, want %d", tooMany, strings.Count(tt.want, "4"))
			}
		})
	}
}

func TestStartRefusesNegativeOptions(t *testing.T) {
	if _, err := Start(nil, Options{PerPage: -1}); err == nil {
		t.Error("PerPage -1 accepted")
	}
}

func TestLoadUsersCSV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // ids and emails, "-" for null
		wantErr string
	}{
		{"plain", "id,email\n900,ann@example.com\n901,\n", "900 ann@example.com; 901 -", ""},
		{"columns in another order, BOM, extra column", "\ufeffEmail, ID ,name\nBob@Example.com,00076,Bob\n", "76 Bob@Example.com", ""},
		{"spreadsheet id", "id,email\n12.0,a@b.c\n", "12 a@b.c", ""},
		{"blank email is null", "id,email\n5,\"  \"\n", "5 -", ""},
		{"header only", "id,email\n", "", ""},
		{"empty", "", "", "empty"},
		{"missing column", "id,mail\n1,a@b.c\n", "", "line 1: want columns id and email"},
		{"bad id", "id,email\n1,a@b.c\nx7,b@c.d\n", "", `line 3: id "x7"`},
		{"zero id", "id,email\n0,a@b.c\n", "", `line 2: id "0"`},
		{"short row", "id,email\n1\n", "", "line 2: 1 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, err := LoadUsersCSV(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, u := range users {
				e := "-"
				if u.Email != nil {
					e = *u.Email
				}
				parts = append(parts, fmt.Sprintf("%d %s", u.ID, e))
			}
			if got := strings.Join(parts, "; "); got != tt.want {
				t.Errorf("users %q, want %q", got, tt.want)
			}
		})
	}
}
