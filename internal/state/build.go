package state

import (
	"io"
	"strconv"

	"github.com/migrate-tool/migrate/frame"
)

// Created is what a run's archive created, in archive order: the rows of
// its tickets, comments and users as the archive slices them into files of
// Batch objects.
type Created struct {
	Batch         int
	Tickets       []Ticket
	CommentIDs    []int64
	CommentTicket []int64
	CommentHashes []uint64
	UserIDs       []int64
}

// Files is the number of archive files.
func (c *Created) Files() int {
	return max(frame.NumChunks(len(c.Tickets), c.Batch), frame.NumChunks(len(c.CommentIDs), c.Batch), frame.NumChunks(len(c.UserIDs), c.Batch))
}

// RecordMapped records the users the run mapped (see Users) and the
// tickets it created: what is known before the archive is written.
func (r *Recording) RecordMapped(users []User, dest map[int64]int64, c *Created) error {
	if err := r.Users(users, dest); err != nil {
		return err
	}
	return r.TicketFiles(1, c.Batch, c.Tickets)
}

// RecordComments records the comments the run created, with the hashes
// that writing the archive gave them.
func (r *Recording) RecordComments(c *Created) error {
	return r.CommentFiles(1, c.Batch, c.CommentIDs, c.CommentTicket, c.CommentHashes)
}

// WriteCSV writes created.csv (SPEC section 12): kind,id for every object
// the archive creates, in archive order (file by file: its tickets, its
// comments, its users), the list a destination admin needs to undo the run.
// No field needs quoting, so the rows are appended by hand.
func (c *Created) WriteCSV(w io.Writer) error {
	b := make([]byte, 0, 64<<10)
	b = append(b, "kind,id\n"...)
	put := func(kind string, id int64) error {
		b = append(b, kind...)
		b = append(b, ',')
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '\n')
		if len(b) > 60<<10 {
			_, err := w.Write(b)
			b = b[:0]
			return err
		}
		return nil
	}
	for n := 0; n < c.Files(); n++ {
		lo := n * c.Batch
		for i := lo; i < min(lo+c.Batch, len(c.Tickets)); i++ {
			if err := put("ticket", c.Tickets[i].ID); err != nil {
				return err
			}
		}
		for i := lo; i < min(lo+c.Batch, len(c.CommentIDs)); i++ {
			if err := put("comment", c.CommentIDs[i]); err != nil {
				return err
			}
		}
		for i := lo; i < min(lo+c.Batch, len(c.UserIDs)); i++ {
			if err := put("user", c.UserIDs[i]); err != nil {
				return err
			}
		}
	}
	_, err := w.Write(b)
	return err
}
