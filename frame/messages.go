package frame

import "slices"

// Comments is the frame of comments that build writes: one row per valid
// message of the chat export, in record order, one typed column per key of
// the archive's comment object (SPEC section 4). The bodies (the cleaned
// BODY text, not yet HTML) stay in Bodies, a spill: a row holds where its
// body is, and its hash, which tells two bodies apart without reading them.
type Comments struct {
	ID, Ticket, Author, Created []int64
	Public                      []bool
	// Record is the message's record number in the export.
	Record []int32
	// TicketRow is the row of the comment's ticket in the Tickets frame.
	TicketRow []int32
	// BodyOff and BodyLen locate the body in Bodies; BodyHash is its
	// xxhash64.
	BodyOff  []int64
	BodyLen  []uint32
	BodyHash []uint64
	Bodies   *Spill
}

// Len is the number of rows.
func (c *Comments) Len() int { return len(c.ID) }

// Grow makes room for n more rows, so that millions of rows are not copied
// again and again as the columns grow. Capacity that is never used costs
// address space, not memory.
func (c *Comments) Grow(n int) {
	if n <= 0 {
		return
	}
	c.ID, c.Author, c.Created = grow(c.ID, n), grow(c.Author, n), grow(c.Created, n)
	c.Public, c.Record, c.TicketRow = grow(c.Public, n), grow(c.Record, n), grow(c.TicketRow, n)
	c.BodyOff, c.BodyLen, c.BodyHash = grow(c.BodyOff, n), grow(c.BodyLen, n), grow(c.BodyHash, n)
}

func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	out := make([]T, len(s), len(s)+n)
	copy(out, s)
	return out
}

// Filter keeps the rows whose keep is true, in order, in place. keep may
// be a column of c itself (c.Public).
func (c *Comments) Filter(keep []bool) {
	keep = slices.Clone(keep)
	c.ID, c.Ticket = Filter(c.ID, keep), filterIf(c.Ticket, keep)
	c.Author, c.Created = Filter(c.Author, keep), Filter(c.Created, keep)
	c.Public, c.Record, c.TicketRow = Filter(c.Public, keep), Filter(c.Record, keep), Filter(c.TicketRow, keep)
	c.BodyOff, c.BodyLen, c.BodyHash = Filter(c.BodyOff, keep), Filter(c.BodyLen, keep), filterIf(c.BodyHash, keep)
}

// filterIf is Filter on a column that may have been dropped (nil).
func filterIf[T any](col []T, keep []bool) []T {
	if col == nil {
		return nil
	}
	return Filter(col, keep)
}

// Texts returns the bodies of rows (in increasing row order), read into buf.
func (c *Comments) Texts(rows []int32, buf []byte) ([]string, []byte, error) {
	return TextRows(c.Bodies, c.BodyOff, c.BodyLen, rows, buf)
}

// AddBody appends a body to Bodies and the columns that locate it.
func (c *Comments) AddBody(body string, hash uint64) error {
	off, err := c.Bodies.Add(body)
	if err != nil {
		return err
	}
	c.BodyOff = append(c.BodyOff, off)
	c.BodyLen = append(c.BodyLen, uint32(len(body)))
	c.BodyHash = append(c.BodyHash, hash)
	return nil
}

// Tickets is the frame of conversations, in order of first appearance (SPEC
// section 4): one row per CONVERSATION_ID with a valid id in a well-formed
// record.
type Tickets struct {
	ID, Created, Requester []int64
	// HasFields tells whether a record of the conversation gave a valid
	// TICKET_CREATED_AT and TICKET_REQUESTER_ID; a ticket without is
	// rejected.
	HasFields []bool
	// Conflict tells whether two such records disagreed.
	Conflict []bool
}

// Len is the number of rows.
func (t *Tickets) Len() int { return len(t.ID) }

// Grow makes room for n more rows.
func (t *Tickets) Grow(n int) {
	if n <= 0 {
		return
	}
	t.ID, t.Created, t.Requester = grow(t.ID, n), grow(t.Created, n), grow(t.Requester, n)
	t.HasFields, t.Conflict = grow(t.HasFields, n), grow(t.Conflict, n)
}

// Append adds a conversation without ticket fields and returns its row.
func (t *Tickets) Append(id int64) int32 {
	t.ID = append(t.ID, id)
	t.Created = append(t.Created, 0)
	t.Requester = append(t.Requester, 0)
	t.HasFields = append(t.HasFields, false)
	t.Conflict = append(t.Conflict, false)
	return int32(len(t.ID) - 1)
}

// Filter keeps the rows whose keep is true, in order, in place. keep may
// be a column of t itself (t.HasFields).
func (t *Tickets) Filter(keep []bool) {
	keep = slices.Clone(keep)
	t.ID, t.Created, t.Requester = Filter(t.ID, keep), Filter(t.Created, keep), Filter(t.Requester, keep)
	t.HasFields, t.Conflict = Filter(t.HasFields, keep), Filter(t.Conflict, keep)
}
