package main

// Tests at a scale past one batch of the export scan (internal/chatscan
// passes records between its goroutines in batches of 4,096 and reuses a
// batch's buffers once it has been applied): a value kept from a record must
// outlive the batch it came in. Every other test reads a few dozen records.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/migrate-tool/migrate/fixtures/gen/chatgen"
)

// pastOneBatchRows is how many records TestPastOneBatch generates: more
// than five scan batches, so that every batch buffer is reused.
const pastOneBatchRows = 30_000

// TestPastOneBatch runs chat-users, merge-users and build on a generated
// export of many batches, with defects, once in one process and once step by
// step in separate runs: every file must be byte-identical, and every chat
// user must be what an independent reading of the export says (SPEC section
// 5). A user's name or email kept as a view into a reused batch buffer gives
// another user's text, or a body's, and fails both.
func TestPastOneBatch(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	st, err := chatgen.WriteFiles(chatgen.Config{Rows: pastOneBatchRows, Seed: 13, EdgeRate: 0.01}, data)
	if err != nil {
		t.Fatal(err)
	}
	chat := filepath.Join(data, "chat_data.csv")
	args := func(work string, steps string) []string {
		return []string{"--steps", steps, "--chat-csv", chat,
			"--ticket-users", filepath.Join(data, "ticket_platform_users.csv"),
			"--work-dir", work, "--quiet", "--invalid-utf8", "replace", "--max-reject-rate", "1"}
	}
	together, apart := t.TempDir(), t.TempDir()
	if err := runNoPanic(t, args(together, "chat-users,merge-users,build")); err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"chat-users", "merge-users", "build"} {
		if err := runNoPanic(t, args(apart, step)); err != nil {
			t.Fatalf("%s alone: %v", step, err)
		}
	}
	for _, name := range []string{"chat_platform_users.csv", "merged_users.csv", "rejects.csv", "backup_tickets.tar.gz"} {
		a, err := os.ReadFile(filepath.Join(together, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(apart, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between one process (%d bytes) and steps run one by one (%d bytes)", name, len(a), len(b))
		}
	}

	want := refChatUsers(t, chat)
	if len(want) < 100 || st.Edges["name_defaulted"] == 0 {
		t.Fatalf("the generated export has %d users and %d placeholders: too few to test anything", len(want), st.Edges["name_defaulted"])
	}
	for _, work := range []string{together, apart} {
		got := readCSVFile(t, filepath.Join(work, "chat_platform_users.csv"))
		if !slices.Equal(got[0], []string{"name", "email", "id", "chat_ids", "source"}) {
			t.Fatalf("chat_platform_users.csv header %q", got[0])
		}
		if len(got)-1 != len(want) {
			t.Errorf("%s: %d chat users, the export has %d", work, len(got)-1, len(want))
		}
		differ := limitErrors(t, 5)
		for i, row := range got[1:] {
			if i < len(want) && !slices.Equal(row, want[i]) {
				differ("chat user %d is %q; the export says %q", i+1, row, want[i])
			}
		}
		differ("")

		// merged_users.csv and the archive carry the same names and
		// emails, in the same order.
		merged := readCSVFile(t, filepath.Join(work, "merged_users.csv"))
		if len(merged)-1 != len(want) {
			t.Errorf("%s: %d merged users, the export has %d chat users", work, len(merged)-1, len(want))
		}
		differ = limitErrors(t, 5)
		var users []refUser
		for i, row := range merged[1:] {
			if i < len(want) && (row[0] != want[i][0] || row[1] != want[i][1] || row[4] != want[i][3]) {
				differ("merged user %d is %q; the export says %q", i+1, row, want[i])
			}
			id, _ := strconv.ParseInt(row[2], 10, 64)
			users = append(users, refUser{Name: row[0], ID: id, Email: row[1]})
		}
		differ("")
		if archived := archiveUsers(t, filepath.Join(work, "backup_tickets.tar.gz")); !reflect.DeepEqual(archived, users) {
			t.Errorf("the archive holds %d users, not the %d of merged_users.csv with their names and emails", len(archived), len(users))
		}
	}
	if rows := readCSVFile(t, filepath.Join(together, "rejects.csv")); len(rows) < 100 {
		t.Errorf("rejects.csv has %d rows: the export was meant to have defects", len(rows)-1)
	}
}

// limitErrors reports the first n errors it is given, then how many there
// were in all when it is called with "".
func limitErrors(t *testing.T, n int) func(format string, args ...any) {
	count := 0
	return func(format string, args ...any) {
		t.Helper()
		switch {
		case format == "" && count > n:
			t.Errorf("... %d in all", count)
		case format == "":
		case count < n:
			t.Errorf(format, args...)
			count++
		default:
			count++
		}
	}
}

// refUser is a user object of the archive.
type refUser struct {
	Name  string `json:"name"`
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

// archiveUsers reads the users of an archive in order.
func archiveUsers(t *testing.T, path string) []refUser {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	expandArchive(t, f, out)
	var users []refUser
	for n := 1; ; n++ {
		b, ok := out[fmt.Sprintf("archive/backup_tickets_%d.json", n)]
		if !ok {
			return users
		}
		var file struct {
			Data struct {
				Tickets struct {
					Users []refUser `json:"users"`
				} `json:"tickets"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &file); err != nil {
			t.Fatal(err)
		}
		users = append(users, file.Data.Tickets.Users...)
	}
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %v (%d rows)", path, err, len(rows))
	}
	return rows
}

// refChatUsers reads a chat export in the seed's column order with
// encoding/csv and the value rules of SPEC section 3 written here, and
// returns its chat users by SPEC section 5, as rows of
// chat_platform_users.csv: name, email, id, chat_ids, source. It is slow and
// shares no code with the migration.
func refChatUsers(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil || len(header) != 10 || header[2] != "AUTHOR_ID" || header[3] != "NAME" || header[4] != "EMAIL" || header[9] != "TICKET_REQUESTER_ID" {
		t.Fatalf("%s: header %q, %v", path, header, err)
	}

	// One observation per chat id seen: the first, the first name, the
	// first email (record order; the author before the requester).
	type seen struct {
		id                int64
		first             int
		name, email       string
		hasName, hasEmail bool
		nameAt, emailAt   int
		parent            int64
		withNameOrEmail   bool
	}
	byID := map[int64]*seen{}
	var order []int64
	observe := func(id int64, at int, name string, hasName bool, email string, hasEmail bool) {
		s := byID[id]
		if s == nil {
			s = &seen{id: id, first: at, parent: id}
			byID[id] = s
			order = append(order, id)
		}
		if hasName && !s.hasName {
			s.name, s.hasName, s.nameAt = name, true, at
		}
		if hasEmail && !s.hasEmail {
			s.email, s.hasEmail, s.emailAt = email, true, at
		}
		s.withNameOrEmail = s.withNameOrEmail || hasName || hasEmail
	}
	// Ids linked by a shared email, as a union-find keyed by id.
	var root func(id int64) int64
	root = func(id int64) int64 {
		if p := byID[id].parent; p != id {
			r := root(p)
			byID[id].parent = r
			return r
		}
		return id
	}
	byEmail := map[string]int64{}

	for rec := 1; ; rec++ {
		fields, err := r.Read()
		if err == io.EOF {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) || len(fields) != len(header) {
			continue // malformed: observes nothing
		}
		if err != nil {
			t.Fatal(err)
		}
		if author, ok := refID(fields[2]); ok {
			name, hasName := refText(fields[3])
			email, hasEmail := refEmail(fields[4])
			observe(author, 2*rec, name, hasName, email, hasEmail)
			if hasEmail {
				if other, ok := byEmail[email]; ok {
					if a, b := root(author), root(other); a != b {
						byID[a].parent = b
					}
				} else {
					byEmail[email] = author
				}
			}
		}
		if requester, ok := refID(fields[9]); ok {
			observe(requester, 2*rec+1, "", false, "", false)
		}
	}

	type user struct{ ids []*seen }
	users := map[int64]*user{}
	var roots []int64
	for _, id := range order {
		r := root(id)
		if users[r] == nil {
			users[r] = &user{}
			roots = append(roots, r)
		}
		users[r].ids = append(users[r].ids, byID[id])
	}
	var rows [][]string
	for _, r := range roots {
		u := users[r]
		// order is by first observation, so ids[0] is the canonical id.
		canonical := u.ids[0]
		var name, email string
		nameAt, emailAt := -1, -1
		placeholder := true
		var ids []int64
		for _, s := range u.ids {
			ids = append(ids, s.id)
			if s.hasName && (nameAt < 0 || s.nameAt < nameAt) {
				name, nameAt = s.name, s.nameAt
			}
			if s.hasEmail && (emailAt < 0 || s.emailAt < emailAt) {
				email, emailAt = s.email, s.emailAt
			}
			placeholder = placeholder && !s.withNameOrEmail
		}
		switch {
		case nameAt >= 0:
		case email != "":
			name = email[:strings.Index(email, "@")]
		default:
			name = "Chat user " + strconv.FormatInt(canonical.id, 10)
		}
		slices.Sort(ids)
		var chatIDs []string
		for _, id := range ids {
			chatIDs = append(chatIDs, strconv.FormatInt(id, 10))
		}
		source := "chat"
		if placeholder {
			source = "placeholder"
		}
		rows = append(rows, []string{name, email, strconv.FormatInt(canonical.id, 10), strings.Join(chatIDs, " "), source})
	}
	// Users are ordered by their first observation; order lists the ids so,
	// and a user's first observation is its canonical id's.
	slices.SortStableFunc(rows, func(a, b []string) int {
		x, _ := strconv.ParseInt(a[2], 10, 64)
		y, _ := strconv.ParseInt(b[2], 10, 64)
		return byID[x].first - byID[y].first
	})
	return rows
}

// refTrim and refNull are SPEC section 3's trimming and default null tokens.
func refTrim(s string) string { return strings.Trim(s, " \t\r\n\f\v") }

func refNull(s string) bool { return s == "" || s == "NULL" || s == "null" || s == `\N` }

// refID reads an id: ASCII digits, optionally "." and zeros, above 0, in
// int64.
func refID(raw string) (int64, bool) {
	s := refTrim(raw)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if i == len(s)-1 || strings.Trim(s[i+1:], "0") != "" {
			return 0, false
		}
		s = s[:i]
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}

// refText reads NAME with --invalid-utf8 replace: each byte that is not
// UTF-8 becomes U+FFFD, line ends become \n.
func refText(raw string) (string, bool) {
	s := refTrim(raw)
	if refNull(s) {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	s = strings.ReplaceAll(b.String(), "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n"), true
}

// refEmail reads EMAIL: lowercased, valid with one @, a non-empty part on
// each side, no white space, control character or ,;<>()[]" ; an invalid
// email is no email.
func refEmail(raw string) (string, bool) {
	s := refTrim(raw)
	if refNull(s) || !utf8.ValidString(s) {
		return "", false
	}
	s = strings.ToLower(s)
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", false
	}
	for _, r := range s {
		if unicode.In(r, unicode.White_Space, unicode.Cc) || strings.ContainsRune(`,;<>()[]"`, r) {
			return "", false
		}
	}
	return s, true
}

// TestRefChatUsers checks the reference reading on a small export whose
// users are known, so that a reference that reads nothing cannot pass.
func TestRefChatUsers(t *testing.T) {
	const ok = ",x,true,2021-01-01T00:00:00Z,2021-01-01T00:00:00Z,"
	path := filepath.Join(t.TempDir(), "chat_data.csv")
	body := "CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,NAME,EMAIL,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT,TICKET_CREATED_AT,TICKET_REQUESTER_ID\n" +
		"1,1,12,B,b@x.test" + ok + "9\n" +
		"1,2,11,NULL, A@X.test " + ok + "9\n" +
		"1,3,11.00,,b@x.test" + ok + "9\n" +
		"1,4,13,\"C\r\nD\xff\",not an email" + ok + "12\n" +
		"1,5,14,,kim@x.test" + ok + "0\n" +
		"1,6,15,E,e@x.test\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"B", "b@x.test", "12", "11 12", "chat"},
		{"Chat user 9", "", "9", "9", "placeholder"},
		{"C\nD\uFFFD", "", "13", "13", "chat"},
		{"kim", "kim@x.test", "14", "14", "chat"},
	}
	if got := refChatUsers(t, path); !reflect.DeepEqual(got, want) {
		t.Errorf("refChatUsers:\n got %q\nwant %q", got, want)
	}
}
