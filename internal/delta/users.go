// Package delta holds the rules of a delta run (SPEC section 12): what a
// later export adds to the archives its lineage already wrote, with the
// same ids. Users keep the destination ids their lineage gave them; tickets
// and comments written before are not written again; a message that
// changed, or that a bulk import cannot append to a ticket already
// imported, is rejected so that nothing is lost silently.
package delta

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/state"
)

// ErrCollision is wrapped by the error of a delta run whose users collide
// with the ids its lineage wrote (exit status 3).
var ErrCollision = errors.New("users collide with the ids of earlier runs")

// User is a merged user of this run (merged_users.csv).
type User struct {
	Name, Email, Source string
	// ID is the destination id merge-users gave it.
	ID      int64
	ChatIDs []int64
}

// Split is an identity_split: one person whom the lineage gave more than
// one id, or who was written with a chat id and now matches a ticket
// platform user. The ids stay as they were written; an admin may merge the
// people by hand.
type Split struct {
	Email   string  `json:"email"`
	ChatIDs []int64 `json:"chat_ids"`
	IDs     []int64 `json:"ids"`
	Why     string  `json:"why"`
}

// Identity is where the users of a delta run stand against their lineage.
type Identity struct {
	// Dest maps every chat id of the run to its destination id.
	Dest map[int64]int64
	// IDs is each user's destination id, and Write tells whether the run
	// writes the user (the lineage did not).
	IDs   []int64
	Write []bool
	// Existing tells that the user keeps an id the lineage mapped but never
	// wrote: a ticket platform user that --existing-users skip left out,
	// who exists in the destination whatever this export's email says.
	Existing []bool
	// Splits lists the identity_split cases, in user order.
	Splits []Split
}

// Users applies the lineage to this run's merged users: a chat id the
// lineage mapped keeps its destination id, and so does a new chat id of the
// same person (linked by email, in this export or to an email the lineage
// wrote); a user written before is not written again. ticketIDs are the
// ticket platform's ids, tpSource the source of a ticket platform user.
//
// Collisions (SPEC section 5) are checked against the lineage too, and stop
// the run (exit status 3) naming the first ten: a new user whose id is one
// the lineage gave another person (a chat user's id, or a ticket platform
// user's id that the lineage gave a chat user), and a user who keeps an id
// the lineage gave a chat user that is now a ticket platform user's id.
func Users(users []User, l *state.Lineage, ticketIDs map[int64]bool, tpSource string) (*Identity, error) {
	byEmail := map[string]int64{}
	for id, w := range l.Users {
		if w.Email != "" {
			if old, ok := byEmail[w.Email]; !ok || id < old {
				byEmail[w.Email] = id
			}
		}
	}
	given := map[int64]bool{} // every id the lineage gave
	for _, id := range l.Dest {
		given[id] = true
	}
	for id := range l.Users {
		given[id] = true
	}
	// chatGiven tells whether the lineage gave id to a chat or placeholder
	// user: every such user was written, as only ticket platform users
	// are ever left out (--existing-users skip).
	chatGiven := func(id int64) bool {
		w, ok := l.Users[id]
		return ok && w.Source != tpSource
	}
	x := &Identity{Dest: map[int64]int64{}, IDs: make([]int64, len(users)), Write: make([]bool, len(users)), Existing: make([]bool, len(users))}
	var collisions []string
	for i, u := range users {
		// The ids the lineage gave this person, in the order of its chat ids.
		var known []int64
		for _, c := range u.ChatIDs {
			if id, ok := l.Dest[c]; ok && !slices.Contains(known, id) {
				known = append(known, id)
			}
		}
		if id, ok := byEmail[u.Email]; ok && u.Email != "" && !slices.Contains(known, id) {
			known = append(known, id)
		}
		id := u.ID
		switch {
		case len(known) == 0:
			// A new person: the id merge-users gave, unless the lineage
			// gave it to someone else.
			switch {
			case u.Source != tpSource && given[id]:
				collisions = append(collisions, fmt.Sprintf("  %q (chat ids %v): id %d was given to another person by an earlier run", u.Name, u.ChatIDs, id))
			case u.Source != tpSource && ticketIDs[id]:
				collisions = append(collisions, fmt.Sprintf("  %q (chat ids %v): id %d is a ticket platform user's", u.Name, u.ChatIDs, id))
			case u.Source == tpSource && chatGiven(id):
				collisions = append(collisions, fmt.Sprintf("  %q (chat ids %v): ticket platform id %d was given to a chat user by an earlier run", u.Name, u.ChatIDs, id))
			}
		default:
			id = known[0]
			if len(known) > 1 {
				split := Split{Email: u.Email, ChatIDs: u.ChatIDs, IDs: known,
					Why: "this export links chat ids that earlier runs gave different ids"}
				if u.Source == tpSource && !slices.Contains(known, u.ID) {
					split.IDs = append(slices.Clone(known), u.ID)
					split.Why += fmt.Sprintf(", and the user now matches ticket platform user %d by email", u.ID)
				}
				x.Splits = append(x.Splits, split)
			} else if u.Source == tpSource && u.ID != id {
				x.Splits = append(x.Splits, Split{Email: u.Email, ChatIDs: u.ChatIDs, IDs: []int64{id, u.ID},
					Why: fmt.Sprintf("written with id %d before, this user now matches ticket platform user %d by email", id, u.ID)})
			}
			for _, k := range known {
				if chatGiven(k) && ticketIDs[k] && !(u.Source == tpSource && u.ID == k) {
					collisions = append(collisions, fmt.Sprintf("  %q (chat ids %v): id %d, which an earlier run gave this chat user, is now a ticket platform user's", u.Name, u.ChatIDs, k))
				}
			}
		}
		x.IDs[i] = id
		_, wroteUser := l.Users[id]
		x.Write[i] = !wroteUser
		x.Existing[i] = len(known) > 0 && !wroteUser
		for _, c := range u.ChatIDs {
			if old, ok := l.Dest[c]; ok {
				x.Dest[c] = old // the ids stay as they were written
			} else {
				x.Dest[c] = id
			}
		}
	}
	if len(collisions) > 0 {
		n := len(collisions)
		who := fmt.Sprintf("%d users collide", n)
		if n == 1 {
			who = "1 user collides"
		}
		return nil, fail.Because(fail.Conflict, ErrCollision, "%s with the ids that earlier runs of this lineage wrote (SPEC section 5): two people would become one in the destination; nothing was written. First %d:\n%s\n"+
			"A new user's id can be moved with a larger --chat-id-offset (rerun merge-users, then build --delta); an id the destination already holds for a chat user needs the destination admin's decision.",
			who, min(n, 10), strings.Join(collisions[:min(n, 10)], "\n"))
	}
	return x, nil
}
