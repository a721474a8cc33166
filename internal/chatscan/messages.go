package chatscan

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/cespare/xxhash/v2"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
)

// messageSet collects comments and tickets during a scan. The tickets
// frame is drop_duplicates(subset=["CONVERSATION_ID"], keep="first") done
// while the records stream in; the comments frame keeps every valid message
// until the scan ends, then drop_duplicates on COMMENT_PART_ID runs over
// it at once (frame.FirstOf), in time linear in the rows.
type messageSet struct {
	tickets *frame.IDTable
	// The last conversation looked up: an export holds a conversation's
	// messages together, so most lookups end here.
	lastConversation int64
	lastTicket       int32
	// sized is set once the columns were sized for the whole export.
	sized bool
	// derived holds, per ticket row, what deriving absent ticket fields
	// needs; only when the export lacks one (see deriveFields).
	derived []derivedTicket
}

// derivedTicket is what the records of one conversation tell about its
// ticket fields when TICKET_CREATED_AT or TICKET_REQUESTER_ID is absent.
type derivedTicket struct {
	// given is set once a record gave every ticket field the export has;
	// created and requester are that record's (only the present ones).
	given              bool
	created, requester int64
	// messages is set once a valid message was read; earliest is the
	// earliest COMMENT_CREATED_AT of the valid messages, author the
	// AUTHOR_ID of the first in record order.
	messages         bool
	earliest, author int64
}

// newMessageSet opens the spill that holds the bodies.
func newMessageSet(s *Result, spillDir string) (*messageSet, error) {
	spill, err := frame.NewSpill(spillDir)
	if err != nil {
		return nil, fail.Failf("%w (in %s)", err, spillDir)
	}
	s.Comments.Bodies = spill
	s.Comments.Grow(batchRecords)
	return &messageSet{tickets: frame.NewIDTable(batchRecords), lastTicket: -1}, nil
}

// size makes room for about rows records, guessed from the first batch, so
// that millions of rows are not copied again and again as the columns grow:
// a guess too high would hold memory that is never used.
func (m *messageSet) size(s *Result, rows int) {
	if m.sized {
		return
	}
	m.sized = true
	s.Comments.Grow(rows - s.Comments.Len())
	s.Tickets.Grow(rows/8 - s.Tickets.Len())
}

// ticket returns the row of a conversation's ticket, adding it on its first
// appearance.
func (m *messageSet) ticket(s *Result, conversation int64) int32 {
	if conversation == m.lastConversation && m.lastTicket >= 0 {
		return m.lastTicket
	}
	t, found := m.tickets.GetOrPut(conversation, int32(s.Tickets.Len()))
	if !found {
		s.Tickets.Append(conversation)
	}
	m.lastConversation, m.lastTicket = conversation, t
	return t
}

// ticketFields takes a ticket's fields from the first record that has them,
// and counts a conflict when a later one disagrees.
func (m *messageSet) ticketFields(s *Result, t int32, created, requester int64) {
	ts := &s.Tickets
	if !ts.HasFields[t] {
		ts.HasFields[t], ts.Created[t], ts.Requester[t] = true, created, requester
		return
	}
	if (ts.Created[t] != created || ts.Requester[t] != requester) && !ts.Conflict[t] {
		ts.Conflict[t] = true
		s.TicketConflicts++
	}
}

// comment adds a valid message to the comments frame, its body to the
// spill; duplicates are found when the scan ends (see dedupe).
func (m *messageSet) comment(s *Result, rec int, id int64, ticket int32, author, created int64, public bool, body string) error {
	c := &s.Comments
	c.ID = append(c.ID, id)
	c.TicketRow = append(c.TicketRow, ticket)
	c.Author = append(c.Author, author)
	c.Created = append(c.Created, created)
	c.Public = append(c.Public, public)
	c.Record = append(c.Record, int32(rec))
	return c.AddBody(body, xxhash.Sum64String(body))
}

// dedupe keeps the first message of each COMMENT_PART_ID (SPEC section 4):
// a later one is an exact duplicate, dropped and counted, when its ticket,
// author, created_at, public and body equal the first one's (the bodies by
// their 64-bit hashes); else it is rejected as conflicting_duplicate, naming
// the first record and the first field that differs.
func (m *messageSet) dedupe(s *Result) {
	c := &s.Comments
	first := frame.FirstOf(c.ID)
	keep := make([]bool, c.Len())
	for i, f := range first {
		if int(f) == i {
			keep[i] = true
			continue
		}
		differs := -1
		switch {
		case c.TicketRow[f] != c.TicketRow[i]:
			differs = colConversation
		case c.Author[f] != c.Author[i]:
			differs = colAuthor
		case c.Created[f] != c.Created[i]:
			differs = colCreated
		case c.Public[f] != c.Public[i]:
			differs = colPublic
		case c.BodyHash[f] != c.BodyHash[i] || c.BodyLen[f] != c.BodyLen[i]:
			differs = colBody
		}
		if differs < 0 {
			s.ExactDuplicates++
			continue
		}
		s.Rejects = append(s.Rejects, Reject{Record: int(c.Record[i]), Reason: ConflictingDuplicate,
			Column: s.Names[differs],
			Detail: fmt.Sprintf("COMMENT_PART_ID %d was first read in record %d, whose %s differs", c.ID[i], c.Record[f], s.Names[differs])})
	}
	c.Filter(keep)
	c.Ticket = make([]int64, c.Len())
	for i, t := range c.TicketRow {
		c.Ticket[i] = s.Tickets.ID[t]
	}
	slices.SortStableFunc(s.Rejects, func(a, b Reject) int { return cmp.Compare(a.Record, b.Record) })
}

// deriveFields records what one well-formed record of conversation t
// tells about its ticket's fields when the export lacks TICKET_CREATED_AT
// or TICKET_REQUESTER_ID (SPEC section 3): a present field comes, as
// always, from the first record that gives the ticket fields the export
// has (later ones that disagree count ticket_fields_conflict); an absent
// created_at is the earliest COMMENT_CREATED_AT of the conversation's valid
// messages, an absent requester the AUTHOR_ID of its first valid message.
func (m *messageSet) deriveFields(s *Result, o *Options, t int32, p *parsedRecord) {
	for int(t) >= len(m.derived) {
		m.derived = append(m.derived, derivedTicket{})
	}
	d := &m.derived[t]
	if p.reason == 0 {
		if !d.messages || p.created < d.earliest {
			d.earliest = p.created
		}
		if !d.messages {
			d.author = p.author
		}
		d.messages = true
	}
	createdOK := p.ticketCreatedOK || o.absent[colTicketCreated]
	requesterOK := p.requesterOK || o.absent[colRequester]
	if !createdOK || !requesterOK {
		return
	}
	if !d.given {
		d.given, d.created, d.requester = true, p.ticketCreated, p.requester
		return
	}
	if (d.created != p.ticketCreated || d.requester != p.requester) && !s.Tickets.Conflict[t] {
		s.Tickets.Conflict[t] = true
		s.TicketConflicts++
	}
}

// finish removes the duplicates, fills the derived ticket fields and drops
// the id tables.
func (m *messageSet) finish(s *Result, o Options) error {
	if err := s.Comments.Bodies.Flush(); err != nil {
		return fail.Failf("cannot write the message bodies aside: %w", err)
	}
	m.dedupe(s)
	if o.derive {
		ts := &s.Tickets
		for t := range ts.ID {
			var d derivedTicket
			if t < len(m.derived) {
				d = m.derived[t]
			}
			ts.HasFields[t] = d.given && d.messages
			if !ts.HasFields[t] {
				continue
			}
			ts.Created[t], ts.Requester[t] = d.created, d.requester
			if o.absent[colTicketCreated] {
				ts.Created[t] = d.earliest
			}
			if o.absent[colRequester] {
				ts.Requester[t] = d.author
			}
		}
	}
	m.tickets, m.derived = nil, nil
	return nil
}
