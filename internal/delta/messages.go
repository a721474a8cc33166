package delta

import (
	"fmt"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/chatscan"
	"github.com/migrate-tool/migrate/internal/state"
)

// Messages is what a delta run makes of the comments and tickets of its
// export.
type Messages struct {
	// AlreadyMigrated counts the comments the lineage wrote that did not
	// change: they are not written again.
	AlreadyMigrated int
	// Rejects are the comments rejected as changed_after_migration or
	// ticket_already_migrated, in comment order.
	Rejects []chatscan.Reject
}

// Filter drops from comments and tickets what the lineage wrote, in SPEC
// section 12's order: a comment whose id the lineage wrote is already
// migrated when its hash is the one recorded, else rejected as
// changed_after_migration; a new comment whose ticket the lineage wrote is
// rejected as ticket_already_migrated (a bulk import cannot append to an
// imported ticket: the destination's API must add it); a ticket the lineage
// wrote is not written again. hash returns the hash of the comments at the
// given rows as the archive would write them. names are the export's names
// of chatscan.Columns, for rejects.csv. Filter frees l's comment index
// (Comments and Hashes): at 25M comments it holds 700 MB.
func Filter(comments *frame.Comments, tickets *frame.Tickets, l *state.Lineage, hash func(rows []int32) ([]uint64, error), names [10]string) (*Messages, error) {
	m := &Messages{}
	keep := make([]bool, comments.Len())
	known := make([]int32, 0, min(comments.Len(), l.Comments.Len())) // rows whose id the lineage wrote
	for i, id := range comments.ID {
		if _, ok := l.Comments.Get(id); ok {
			known = append(known, int32(i))
			continue
		}
		keep[i] = true
	}
	hashes, err := hash(known)
	if err != nil {
		return nil, err
	}
	changed := make(map[int32]bool)
	for k, row := range known {
		at, _ := l.Comments.Get(comments.ID[row])
		if hashes[k] == l.Hashes[at] {
			m.AlreadyMigrated++
		} else {
			changed[row] = true
		}
	}
	for i := range keep {
		switch {
		case changed[int32(i)]:
			m.Rejects = append(m.Rejects, chatscan.Reject{Record: int(comments.Record[i]), Reason: chatscan.ChangedAfterMigration,
				Column: names[1],
				Detail: fmt.Sprintf("comment %d was migrated by an earlier run and has changed since: the destination keeps the version it imported; change it there if needed", comments.ID[i])})
		case keep[i] && l.Tickets[comments.Ticket[i]]:
			keep[i] = false
			m.Rejects = append(m.Rejects, chatscan.Reject{Record: int(comments.Record[i]), Reason: chatscan.TicketAlreadyMigrated,
				Column: names[0],
				Detail: fmt.Sprintf("ticket %d was migrated by an earlier run, and a bulk import cannot add comment %d to it: add it through the destination's API", comments.Ticket[i], comments.ID[i])})
		}
	}
	comments.Filter(keep)
	keepTicket := make([]bool, tickets.Len())
	for i, id := range tickets.ID {
		keepTicket[i] = !l.Tickets[id]
	}
	tickets.Filter(keepTicket)
	// The index served its purpose: free it before the archive is written.
	l.Comments, l.Hashes = nil, nil
	return m, nil
}
