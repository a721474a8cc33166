package chatscan

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/value"
)

// scanExport scans a whole export (header included) with options o.
func scanExport(t *testing.T, text string, o Options) (*Result, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chat_data.csv")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	o.File = path
	o.Nulls = value.NewNulls([]string{"NULL"})
	o.Times = &value.TimeParser{Loc: time.UTC, Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	return Scan(context.Background(), o)
}

// TestDerivedTicketFields checks SPEC section 3's derivation of absent
// ticket columns, each alone and both together.
func TestDerivedTicketFields(t *testing.T) {
	type ticket struct {
		id, created, requester int64
		ok, conflict           bool
	}
	ts := func(s string) int64 {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.Unix()
	}
	tests := []struct {
		name, export string
		want         []ticket
		conflicts    int
	}{
		{"both absent: earliest valid message, first valid author",
			"CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT\n" +
				"1,1,5,x,true,bad\n" + // not a valid message
				"1,2,6,x,true,2021-01-02T00:00:00Z\n" +
				"1,3,7,x,true,2021-01-01T00:00:00Z\n" +
				"1,4,8,,true,2020-01-01T00:00:00Z\n" + // empty body: not valid
				"2,5,9,,true,2021-01-01T00:00:00Z\n", // no valid message: rejected ticket
			[]ticket{{1, ts("2021-01-01T00:00:00Z"), 6, true, false}, {2, 0, 0, false, false}}, 0},
		{"created_at absent: the requester column as always, created derived",
			"CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT,TICKET_REQUESTER_ID\n" +
				"1,1,5,x,true,2021-01-02T00:00:00Z,NULL\n" +
				"1,2,6,x,true,2021-01-01T00:00:00Z,42\n" +
				"1,3,6,x,true,2021-01-03T00:00:00Z,43\n" + // disagrees: a conflict, the first wins
				"2,4,6,x,true,2021-01-03T00:00:00Z,NULL\n", // no requester: rejected
			[]ticket{{1, ts("2021-01-01T00:00:00Z"), 42, true, true}, {2, 0, 0, false, false}}, 1},
		{"requester absent: the created column as always, requester derived",
			"CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT,TICKET_CREATED_AT\n" +
				"1,1,5,,true,2021-01-02T00:00:00Z,bad\n" +
				"1,2,6,x,true,2021-01-01T00:00:00Z,2020-12-31T00:00:00Z\n" +
				"1,3,7,x,true,2021-01-03T00:00:00Z,2020-12-31T00:00:00Z\n",
			[]ticket{{1, ts("2020-12-31T00:00:00Z"), 6, true, false}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := scanExport(t, tt.export, Options{Messages: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []ticket
			for i, id := range s.Tickets.ID {
				tk := ticket{id: id, ok: s.Tickets.HasFields[i], conflict: s.Tickets.Conflict[i]}
				if tk.ok {
					tk.created, tk.requester = s.Tickets.Created[i], s.Tickets.Requester[i]
				}
				got = append(got, tk)
			}
			if !reflect.DeepEqual(got, tt.want) || s.TicketConflicts != tt.conflicts {
				t.Errorf("tickets %+v, %d conflicts\nwant    %+v, %d", got, s.TicketConflicts, tt.want, tt.conflicts)
			}
		})
	}
}

// TestAbsentColumns checks the other absent columns: COMMENT_PUBLIC takes
// PublicDefault and stops build without one (not chat-users), NAME and
// EMAIL are null.
func TestAbsentColumns(t *testing.T) {
	export := "CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,BODY,COMMENT_CREATED_AT\n1,1,5,x,2021-01-01T00:00:00Z\n"
	if _, err := scanExport(t, export, Options{Messages: true}); fail.Code(err) != fail.Usage || !strings.Contains(err.Error(), "--public-default") {
		t.Errorf("without a public default, build: %v", err)
	}
	s, err := scanExport(t, export, Options{})
	if err != nil {
		t.Fatalf("chat-users needs no public default: %v", err)
	}
	if len(s.Users) != 1 || s.Users[0].Name != "Chat user 5" || !s.Absent[colEmail] || !s.Absent[colName] {
		t.Errorf("users %+v, absent %v", s.Users, s.Absent)
	}
	no := false
	s, err = scanExport(t, export, Options{Messages: true, PublicDefault: &no})
	if err != nil {
		t.Fatal(err)
	}
	if s.Comments.Len() != 1 || s.Comments.Public[0] || s.PublicDefaulted != 0 || !s.DefaultedPublic() {
		t.Errorf("public %v, defaulted warnings %d", s.Comments.Public, s.PublicDefaulted)
	}
}
