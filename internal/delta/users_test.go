package delta

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/state"
)

const tp = "ticket_platform"

// lineage is a lineage that mapped Ann (chat id 1, ticket platform id 9001),
// Carol (chat ids 11 and 12, id 11), Dave (chat id 21) and Dave at work
// (chat id 22), and wrote them all but Ann (--existing-users skip).
func lineage() *state.Lineage {
	return &state.Lineage{
		ID:   1,
		Dest: map[int64]int64{1: 9001, 11: 11, 12: 11, 21: 21, 22: 22},
		Users: map[int64]state.WrittenUser{
			11: {Email: "carol@x.test", Source: "chat"},
			21: {Email: "dave@y.test", Source: "chat"},
			22: {Email: "dave@work.test", Source: "chat"},
		},
	}
}

func TestUsers(t *testing.T) {
	tpIDs := map[int64]bool{9001: true, 9031: true}
	tests := []struct {
		name   string
		users  []User
		ids    []int64
		write  []bool
		dest   map[int64]int64
		splits int
	}{
		{"old users keep their ids and are not written again",
			[]User{{Name: "Carol", Email: "carol@x.test", Source: "chat", ID: 11, ChatIDs: []int64{11, 12}}},
			[]int64{11}, []bool{false}, map[int64]int64{11: 11, 12: 11}, 0},
		{"a ticket platform user the lineage mapped but did not write is written now",
			[]User{{Name: "Ann", Email: "ann@x.test", Source: tp, ID: 9001, ChatIDs: []int64{1}}},
			[]int64{9001}, []bool{true}, map[int64]int64{1: 9001}, 0},
		{"a new chat id linked in this export takes its user's id",
			[]User{{Name: "Carol", Email: "carol@x.test", Source: "chat", ID: 11, ChatIDs: []int64{11, 12, 13}}},
			[]int64{11}, []bool{false}, map[int64]int64{11: 11, 12: 11, 13: 11}, 0},
		{"a new chat id with an email the lineage wrote takes that id",
			// Chat id 14 is not in the lineage; merge-users gave it 14.
			[]User{{Name: "Carol again", Email: "carol@x.test", Source: "chat", ID: 14, ChatIDs: []int64{14}}},
			[]int64{11}, []bool{false}, map[int64]int64{14: 11}, 0},
		{"a new person gets merge-users' id and is written",
			[]User{{Name: "Gina", Email: "gina@x.test", Source: "chat", ID: 51, ChatIDs: []int64{51}}},
			[]int64{51}, []bool{true}, map[int64]int64{51: 51}, 0},
		{"two lineage ids for one person: a split, each chat id keeps its id",
			[]User{{Name: "Dave", Email: "dave@y.test", Source: "chat", ID: 21, ChatIDs: []int64{21, 22, 23}}},
			[]int64{21}, []bool{false}, map[int64]int64{21: 21, 22: 22, 23: 21}, 1},
		{"two lineage ids and a ticket platform match: one split naming all three",
			[]User{{Name: "Dave", Email: "dave@y.test", Source: tp, ID: 9031, ChatIDs: []int64{21, 22}}},
			[]int64{21}, []bool{false}, map[int64]int64{21: 21, 22: 22}, 1},
		{"an old chat user now matching the ticket platform: a split, the id stays",
			[]User{{Name: "Dave", Email: "dave@y.test", Source: tp, ID: 9031, ChatIDs: []int64{21}}},
			[]int64{21}, []bool{false}, map[int64]int64{21: 21}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := Users(tt.users, lineage(), tpIDs, tp)
			if err != nil {
				t.Fatal(err)
			}
			if len(x.Splits) == 1 && tt.users[0].Source == tp && !slices.Contains(x.Splits[0].IDs, tt.users[0].ID) {
				t.Errorf("the split %+v does not name the ticket platform id %d", x.Splits[0], tt.users[0].ID)
			}
			if !slices.Equal(x.IDs, tt.ids) || !slices.Equal(x.Write, tt.write) || len(x.Splits) != tt.splits {
				t.Errorf("ids %v write %v splits %+v; want %v %v and %d splits", x.IDs, x.Write, x.Splits, tt.ids, tt.write, tt.splits)
			}
			for c, id := range tt.dest {
				if x.Dest[c] != id {
					t.Errorf("chat id %d -> %d, want %d", c, x.Dest[c], id)
				}
			}
		})
	}
}

// TestUsersCollisions: collisions against the ids the lineage wrote stop
// the run (exit status 3), naming the user.
func TestUsersCollisions(t *testing.T) {
	tests := []struct {
		name   string
		user   User
		tpIDs  map[int64]bool
		saying string
	}{
		{"a new chat user takes an id the lineage gave",
			User{Name: "Ivy", Email: "ivy@x.test", Source: "chat", ID: 22, ChatIDs: []int64{1022}}, nil,
			"id 22 was given to another person"},
		{"a new placeholder takes an id the lineage gave",
			User{Name: "Chat user 1011", Source: "placeholder", ID: 11, ChatIDs: []int64{1011}}, nil,
			"id 11 was given to another person"},
		{"a new ticket platform user whose id the lineage gave a chat user",
			User{Name: "Zed", Email: "zed@x.test", Source: tp, ID: 21, ChatIDs: []int64{77}}, map[int64]bool{21: true},
			"ticket platform id 21 was given to a chat user"},
		{"a kept chat user's id is now a ticket platform id",
			User{Name: "Carol", Email: "carol@x.test", Source: "chat", ID: 1011, ChatIDs: []int64{11}}, map[int64]bool{11: true},
			"id 11, which an earlier run gave this chat user, is now a ticket platform user's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Users([]User{tt.user}, lineage(), tt.tpIDs, tp)
			if fail.Code(err) != fail.Conflict || !errors.Is(err, ErrCollision) || !strings.Contains(err.Error(), tt.saying) || !strings.Contains(err.Error(), tt.user.Name) {
				t.Errorf("%v (status %d), want exit 3 saying %q", err, fail.Code(err), tt.saying)
			}
		})
	}
	// The same ticket platform user, whose chat id is new: no collision.
	x, err := Users([]User{{Name: "Ann", Email: "ann@x.test", Source: tp, ID: 9001, ChatIDs: []int64{2}}}, lineage(), map[int64]bool{9001: true}, tp)
	if err != nil || x.IDs[0] != 9001 || !x.Write[0] {
		t.Errorf("Ann under a new chat id: %v, %+v; want id 9001, written", err, x)
	}
}
