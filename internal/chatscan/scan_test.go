package chatscan

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/value"
)

const testHeader = "CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,NAME,EMAIL,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT,TICKET_CREATED_AT,TICKET_REQUESTER_ID\n"

// scanString scans rows (without header) with default options.
func scanString(t *testing.T, rows string) *Result {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chat_data.csv")
	if err := os.WriteFile(path, []byte(testHeader+rows), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Scan(context.Background(), Options{
		File: path, Messages: true,
		Nulls: value.NewNulls([]string{"NULL", "null", `\N`}),
		Times: &value.TimeParser{Loc: time.UTC, Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type userRow struct {
	name, email string
	id          int64
	chatIDs     string
}

func usersOf(s *Result) []userRow {
	var out []userRow
	for _, u := range s.Users {
		var ids []string
		for _, c := range u.ChatIDs {
			ids = append(ids, itoa(c))
		}
		out = append(out, userRow{u.Name, u.Email, u.ID, strings.Join(ids, " ")})
	}
	return out
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestChatUserRules(t *testing.T) {
	const ok = ",x,true,2021-01-01T00:00:00Z,2021-01-01T00:00:00Z,"
	tests := []struct {
		name string
		rows string
		want []userRow
	}{
		{"one author, requester is the author",
			"1,1,5,Ann,ann@x.test" + ok + "5\n",
			[]userRow{{"Ann", "ann@x.test", 5, "5"}}},
		{"chain of emails joins three ids; canonical is the first observed",
			"1,1,12,B,b@x.test" + ok + "12\n" +
				"1,2,11,,a@x.test" + ok + "12\n" +
				"1,3,11,,b@x.test" + ok + "12\n" +
				"1,4,13,C,A@X.TEST" + ok + "12\n",
			[]userRow{{"B", "b@x.test", 12, "11 12 13"}}},
		{"email is the first non-null in record order, name the first non-null",
			"1,1,7,NULL,NULL" + ok + "7\n" +
				"1,2,7,Later,first@x.test" + ok + "7\n" +
				"1,3,7,Latest,second@x.test" + ok + "7\n",
			[]userRow{{"Later", "first@x.test", 7, "7"}}},
		{"name from the email's local part",
			"1,1,7,,kim.lee@x.test" + ok + "7\n",
			[]userRow{{"kim.lee", "kim.lee@x.test", 7, "7"}}},
		{"requester only: placeholder name; author before requester within a record",
			"1,1,7,Agent,agent@x.test" + ok + "9\n",
			[]userRow{{"Agent", "agent@x.test", 7, "7"}, {"Chat user 9", "", 9, "9"}}},
		{"invalid email links nothing",
			"1,1,7,A,not-an-email" + ok + "7\n1,2,8,B,not-an-email" + ok + "8\n",
			[]userRow{{"A", "", 7, "7"}, {"B", "", 8, "8"}}},
		{"a rejected comment still observes its users",
			"1,bad,7,A,a@x.test" + ok + "7\n",
			[]userRow{{"A", "a@x.test", 7, "7"}}},
		{"a malformed record observes nothing",
			"1,1,7,A,a@x.test\n",
			nil},
		{"users ordered by first observation after merging",
			"1,1,3,C,c@x.test" + ok + "3\n" +
				"1,2,1,A,a@x.test" + ok + "3\n" +
				"1,3,2,B,c@x.test" + ok + "3\n",
			[]userRow{{"C", "c@x.test", 3, "2 3"}, {"A", "a@x.test", 1, "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := usersOf(scanString(t, tt.rows))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("users\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestMessageRules(t *testing.T) {
	type want struct {
		comments  []int64
		rejects   string // reasons in record order
		exactDups int
		tickets   []int64
		rejectedT int
		conflicts int
	}
	tests := []struct {
		name string
		rows string
		want want
	}{
		{"exact duplicate dropped, conflicting rejected",
			"1,10,5,A,a@x.test,hi,true,2021-01-01T00:00:00Z,2021-01-01T00:00:00Z,5\n" +
				"1,10,5,Other name,b@x.test,  hi ,TRUE,2021-01-01 00:00:00Z,2021-01-01T00:00:00Z,5\n" +
				"1,10,5,A,a@x.test,hi,false,2021-01-01T00:00:00Z,2021-01-01T00:00:00Z,5\n",
			want{[]int64{10}, "conflicting_duplicate", 1, []int64{1}, 0, 0}},
		{"checks run in SPEC order",
			"x,bad,bad,A,a,,maybe,bad,bad,5\n" +
				"1,bad,bad,A,a,,maybe,bad,bad,5\n" +
				"1,2,bad,A,a,,maybe,bad,bad,5\n" +
				"1,2,5,A,a,,maybe,bad,bad,5\n" +
				"1,2,5,A,a,,maybe,2021-01-01T00:00:00Z,bad,5\n" +
				"1,2,5,A,a,x,maybe,2021-01-01T00:00:00Z,bad,5\n",
			want{nil, "bad_conversation_id bad_comment_id bad_author_id bad_created_at empty_body bad_public", 0, []int64{1}, 1, 0}},
		{"ticket fields from the first record that has both; later disagreement warns once",
			"1,1,5,A,a@x.test,x,1,2021-01-01T00:00:00Z,bad,5\n" +
				"1,2,5,A,a@x.test,x,1,2021-01-01T00:00:00Z,2021-01-02T00:00:00Z,5\n" +
				"1,3,5,A,a@x.test,x,1,2021-01-01T00:00:00Z,2021-01-03T00:00:00Z,5\n" +
				"1,4,5,A,a@x.test,x,1,2021-01-01T00:00:00Z,2021-01-02T00:00:00Z,6\n",
			want{[]int64{1, 2, 3, 4}, "", 0, []int64{1}, 0, 1}},
		{"a ticket without fields keeps its messages (build rejects them), after duplicates",
			"1,1,5,A,a@x.test,x,1,2021-01-01T00:00:00Z,bad,5\n" +
				"1,1,5,A,a@x.test,x,1,2021-01-01T00:00:00Z,bad,5\n" +
				"1,1,5,A,a@x.test,y,1,2021-01-01T00:00:00Z,bad,5\n",
			want{[]int64{1}, "conflicting_duplicate", 1, []int64{1}, 1, 0}},
		{"a ticket exists from a record whose comment is rejected",
			"2,bad,5,A,a@x.test,x,1,2021-01-01T00:00:00Z,2021-01-01T00:00:00Z,5\n",
			want{nil, "bad_comment_id", 0, []int64{2}, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scanString(t, tt.rows)
			var reasons []string
			for _, r := range s.Rejects {
				reasons = append(reasons, r.Reason.String())
			}
			comments := s.Comments.ID
			if len(comments) == 0 {
				comments = nil
			}
			got := want{comments, strings.Join(reasons, " "), s.ExactDuplicates, s.Tickets.ID, rejectedTickets(s), s.TicketConflicts}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
			if s.Records != len(s.Comments.ID)+s.ExactDuplicates+len(s.Rejects) {
				t.Errorf("reconciliation: %d records, %d comments, %d duplicates, %d rejects", s.Records, len(s.Comments.ID), s.ExactDuplicates, len(s.Rejects))
			}
		})
	}
}

func rejectedTickets(s *Result) int {
	n := 0
	for _, ok := range s.Tickets.HasFields {
		if !ok {
			n++
		}
	}
	return n
}
