package state

import (
	"encoding/csv"
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

// Record records what a run created, and its users, in r.
func (r *Recording) Record(users []User, c *Created) error {
	if err := r.Users(users); err != nil {
		return err
	}
	if err := r.Tickets(c.Tickets); err != nil {
		return err
	}
	for n, run := range frame.Chunks(len(c.CommentIDs), c.Batch) {
		lo, hi := run[0], run[1]
		if err := r.CommentFile(n+1, c.CommentIDs[lo:hi], c.CommentTicket[lo:hi], c.CommentHashes[lo:hi]); err != nil {
			return err
		}
	}
	return nil
}

// WriteCSV writes created.csv (SPEC section 12): kind,id for every object
// the archive creates, in archive order (file by file: its tickets, its
// comments, its users), the list a destination admin needs to undo the run.
func (c *Created) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"kind", "id"})
	row := make([]string, 2)
	put := func(kind string, id int64) {
		row[0], row[1] = kind, strconv.FormatInt(id, 10)
		cw.Write(row)
	}
	for n := 0; n < c.Files(); n++ {
		lo := n * c.Batch
		for i := lo; i < min(lo+c.Batch, len(c.Tickets)); i++ {
			put("ticket", c.Tickets[i].ID)
		}
		for i := lo; i < min(lo+c.Batch, len(c.CommentIDs)); i++ {
			put("comment", c.CommentIDs[i])
		}
		for i := lo; i < min(lo+c.Batch, len(c.UserIDs)); i++ {
			put("user", c.UserIDs[i])
		}
	}
	cw.Flush()
	return cw.Error()
}
