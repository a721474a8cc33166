package verify

import (
	"strings"
	"testing"

	vt "github.com/migrate-tool/migrate/internal/verify/verifytest"
)

func TestLayout(t *testing.T) {
	tickets := func(ids ...int64) []string {
		var out []string
		for _, id := range ids {
			out = append(out, vt.Ticket(id, 5))
		}
		return out
	}
	comments := func(ids ...int64) []string {
		var out []string
		for _, id := range ids {
			out = append(out, vt.Comment(id, 1, 5))
		}
		return out
	}
	users := []string{vt.User(5, "")}
	file := func(n int, t, c, u []string) vt.Entry {
		return vt.File("backup_tickets_"+string(rune('0'+n))+".json", vt.Batch(t, c, u))
	}
	tests := []struct {
		name    string
		entries []vt.Entry
		want    string // the lines, "" when clean
	}{
		{"runs of 2", []vt.Entry{
			file(1, tickets(1, 2), comments(10, 11), users),
			file(2, tickets(3), comments(12, 13), nil),
			file(3, nil, comments(14), nil)}, ""},
		{"everything in one file", []vt.Entry{file(1, tickets(1, 2, 3), comments(10), users)}, ""},
		{"a short run before a full one", []vt.Entry{
			file(1, tickets(1), comments(10, 11), users),
			file(2, tickets(2, 3), nil, nil)},
			"backup_tickets_1.json: holds 1 ticket, 2 comments, 1 user; want 2 tickets, 2 comments, 1 user: each array is cut in its own order into runs of 2 (the longest array of any file) and file n holds the n-th run (SPEC section 6, layout seed)\n" +
				"backup_tickets_2.json: holds 2 tickets, 0 comments, 0 users; want 1 ticket, 0 comments, 0 users: each array is cut in its own order into runs of 2 (the longest array of any file) and file n holds the n-th run (SPEC section 6, layout seed)\n"},
		{"one of each per file", []vt.Entry{
			file(1, tickets(1), comments(10), users),
			file(2, tickets(2), comments(11), []string{vt.User(6, "")})}, ""},
		{"an empty file at the end", []vt.Entry{
			file(1, tickets(1), comments(10), users),
			file(2, nil, nil, nil)},
			"backup_tickets_2.json: one file too many: runs of 1 put every object in 1 file (SPEC section 6, layout seed)\n"},
		{"nothing but an empty file", []vt.Entry{file(1, nil, nil, nil)},
			"backup_tickets_1.json: holds no object; an archive with nothing to write holds no files (SPEC section 6)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res := check(t, vt.Archive(t, tt.entries), testConfig())
			if out != tt.want || res.Violations != strings.Count(tt.want, "\n") {
				t.Errorf("%d violations, output:\n%s\nwant:\n%s", res.Violations, out, tt.want)
			}
		})
	}
}

// A file with a violation of its own leaves its arrays' lengths unknown:
// the layout is not checked, and only that violation is printed.
func TestLayoutSkippedForABrokenFile(t *testing.T) {
	entries := []vt.Entry{
		vt.File("backup_tickets_1.json", vt.Batch([]string{vt.Ticket(1, 5)}, nil, []string{vt.User(5, "")})),
		vt.File("backup_tickets_2.json", `{"data":{"tickets":{"data":[],"comments":null,"users":[],"organizations":[]}}}`),
	}
	out, res := check(t, vt.Archive(t, entries), testConfig())
	if res.Violations != 1 || !strings.Contains(out, "comments: is null") {
		t.Errorf("%d violations, output:\n%s", res.Violations, out)
	}
}
