package chatscan

import (
	"unsafe"

	"github.com/migrate-tool/migrate/frame"
)

// messageSet collects comments and tickets during a scan: the comments
// frame is drop_duplicates(subset=["COMMENT_PART_ID"], keep="first") done
// while the records stream in, and the tickets frame the same on
// CONVERSATION_ID.
type messageSet struct {
	comments *frame.FirstSeen
	tickets  *frame.IDTable
	bodies   arena
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

// newMessageSet sizes its tables and the comment columns from the file size
// (a message row is about 200 bytes), so that millions of rows are not
// copied again and again as the columns grow.
func newMessageSet(s *Result, fileSize int64) *messageSet {
	hint := int(fileSize / 256)
	s.Comments.Grow(hint)
	return &messageSet{comments: frame.NewFirstSeen(hint), tickets: frame.NewIDTable(hint / 8)}
}

// ticket returns the row of a conversation's ticket, adding it on its first
// appearance.
func (m *messageSet) ticket(s *Result, conversation int64) int32 {
	t, found := m.tickets.GetOrPut(conversation, int32(s.Tickets.Len()))
	if !found {
		s.Tickets.Append(conversation)
	}
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

// comment keeps a valid message, or drops it as an exact duplicate, or
// finds it a conflicting duplicate: then it returns the record of the first
// message with its id and the column (an index into Columns) of the first
// field that differs, else -1.
func (m *messageSet) comment(s *Result, rec int, id int64, ticket int32, author, created int64, public bool, body string) (first int32, differs int) {
	c := &s.Comments
	if k, dup := m.comments.Add(id, int32(c.Len())); dup {
		switch {
		case c.Ticket[k] != s.Tickets.ID[ticket]:
			return c.Record[k], colConversation
		case c.Author[k] != author:
			return c.Record[k], colAuthor
		case c.Created[k] != created:
			return c.Record[k], colCreated
		case c.Public[k] != public:
			return c.Record[k], colPublic
		case c.Body[k] != body:
			return c.Record[k], colBody
		}
		s.ExactDuplicates++
		return 0, -1
	}
	c.ID = append(c.ID, id)
	c.Ticket = append(c.Ticket, s.Tickets.ID[ticket])
	c.TicketRow = append(c.TicketRow, ticket)
	c.Author = append(c.Author, author)
	c.Created = append(c.Created, created)
	c.Public = append(c.Public, public)
	c.Body = append(c.Body, m.bodies.keep(body))
	c.Record = append(c.Record, int32(rec))
	return 0, -1
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

// finish fills the derived ticket fields and drops the id tables.
func (m *messageSet) finish(s *Result, o Options) {
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
	m.comments, m.tickets, m.derived = nil, nil, nil
}

// arena keeps message bodies in large chunks instead of one allocation per
// row; chunks are never written again once a string points into them.
type arena struct{ cur []byte }

const arenaChunk = 8 << 20

func (a *arena) keep(s string) string {
	if len(s) == 0 {
		return ""
	}
	if cap(a.cur)-len(a.cur) < len(s) {
		a.cur = make([]byte, 0, max(arenaChunk, len(s)))
	}
	start := len(a.cur)
	a.cur = append(a.cur, s...)
	return unsafe.String(&a.cur[start], len(s))
}
