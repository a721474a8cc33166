package state

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
)

// ErrNoRun is wrapped by Newest's error when the database holds no run.
var ErrNoRun = errors.New("no earlier run")

// Runs returns every run, newest first.
func (s *DB) Runs() ([]Run, error) {
	rows, err := s.db.Query(`SELECT id, lineage, kind, started_at, finished_at, version, options,
		chat_export_path, chat_export_size, chat_export_sha256, archive_path, archive_size, archive_sha256, counts
		FROM runs ORDER BY id DESC`)
	if err != nil {
		return nil, fail.Failf("cannot read %s: %w", s.path, err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var r Run
		var started, finished, options, counts string
		if err := rows.Scan(&r.ID, &r.Lineage, &r.Kind, &started, &finished, &r.Version, &options,
			&r.ChatExport.Path, &r.ChatExport.Size, &r.ChatExport.SHA256,
			&r.Archive.Path, &r.Archive.Size, &r.Archive.SHA256, &counts); err != nil {
			return nil, fail.Failf("cannot read %s: %w", s.path, err)
		}
		r.StartedAt, _ = time.Parse(time.RFC3339Nano, started)
		r.FinishedAt, _ = time.Parse(time.RFC3339Nano, finished)
		r.Options, r.Counts = []byte(options), []byte(counts)
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fail.Failf("cannot read %s: %w", s.path, err)
	}
	return runs, nil
}

// Newest returns the newest run; it wraps ErrNoRun when there is none.
func (s *DB) Newest() (Run, error) {
	runs, err := s.Runs()
	if err != nil {
		return Run{}, err
	}
	if len(runs) == 0 {
		return Run{}, fail.Because(fail.Usage, ErrNoRun, "%s records no successful build", s.path)
	}
	return runs[0], nil
}

// Lineage is what the runs of one lineage wrote, as a delta run needs it.
type Lineage struct {
	ID   int64
	Runs []int64 // oldest first
	// Dest maps every chat id a run mapped to its destination id.
	Dest map[int64]int64
	// Users are the users written, by destination id.
	Users map[int64]WrittenUser
	// Tickets are the ids of the tickets written.
	Tickets map[int64]bool
	// Comments index the comments written: comment id -> row of Hashes.
	Comments *frame.IDTable
	Hashes   []uint64
}

// WrittenUser is a user a run of the lineage wrote.
type WrittenUser struct {
	Email  string // "" when none
	Source string // ticket_platform, chat or placeholder
}

// Lineage loads what the runs of lineage id wrote.
func (s *DB) Lineage(id int64) (*Lineage, error) {
	l := &Lineage{ID: id, Dest: map[int64]int64{}, Users: map[int64]WrittenUser{}, Tickets: map[int64]bool{}}
	bad := func(err error) (*Lineage, error) { return nil, fail.Failf("cannot read %s: %w", s.path, err) }
	rows, err := s.db.Query(`SELECT id FROM runs WHERE lineage = ? ORDER BY id`, id)
	if err != nil {
		return bad(err)
	}
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return bad(err)
		}
		l.Runs = append(l.Runs, r)
	}
	rows.Close()
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(l.Runs)), ",") + ")"
	args := make([]any, len(l.Runs))
	for i, r := range l.Runs {
		args[i] = r
	}
	if len(l.Runs) == 0 {
		return l, nil
	}
	// Later runs come later: a chat id keeps the id its lineage first gave
	// it, as delta runs never change one.
	if err := s.each(`SELECT chat_id, user_id FROM chat_ids WHERE run_id IN `+in+` ORDER BY run_id`, args, func(r *sql.Rows) error {
		var chat, user int64
		if err := r.Scan(&chat, &user); err != nil {
			return err
		}
		if _, ok := l.Dest[chat]; !ok {
			l.Dest[chat] = user
		}
		return nil
	}); err != nil {
		return bad(err)
	}
	if err := s.each(`SELECT id, email, source FROM users WHERE run_id IN `+in+` ORDER BY run_id`, args, func(r *sql.Rows) error {
		var id int64
		var u WrittenUser
		if err := r.Scan(&id, &u.Email, &u.Source); err != nil {
			return err
		}
		if _, ok := l.Users[id]; !ok {
			l.Users[id] = u
		}
		return nil
	}); err != nil {
		return bad(err)
	}
	if err := s.each(`SELECT id FROM tickets WHERE run_id IN `+in, args, func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		l.Tickets[id] = true
		return nil
	}); err != nil {
		return bad(err)
	}
	// Sized from the runs' counts, so that millions of ids are not
	// rehashed again and again as the table grows.
	var written int
	if err := s.db.QueryRow(`SELECT coalesce(sum(counts ->> '$.comments'), 0) FROM runs WHERE id IN `+in, args...).Scan(&written); err != nil {
		return bad(err)
	}
	l.Comments = frame.NewIDTable(max(written, 1<<16))
	l.Hashes = make([]uint64, 0, written)
	if err := s.each(`SELECT comments FROM comment_files WHERE run_id IN `+in+` ORDER BY run_id, file`, args, func(r *sql.Rows) error {
		var items sql.RawBytes // parsed before the next row: no copy of 95 MB
		if err := r.Scan(&items); err != nil {
			return err
		}
		return l.addComments(items)
	}); err != nil {
		return bad(err)
	}
	return l, nil
}

func (s *DB) each(query string, args []any, f func(*sql.Rows) error) error {
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// addComments reads one comment_files row, [[id, ticket_id, hash], ...],
// as CommentFile wrote it.
func (l *Lineage) addComments(items []byte) error {
	bad := func() error {
		return fmt.Errorf("a comment_files row holds %.60q, not [[id, ticket_id, hash], ...]", items)
	}
	b := bytes.TrimSpace(items)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return bad()
	}
	b = bytes.TrimSpace(b[1 : len(b)-1])
	var v [3]int64
	for len(b) > 0 {
		if b[0] != '[' {
			return bad()
		}
		b = b[1:]
		for k := range v {
			n, rest, ok := parseInt(b)
			if !ok {
				return bad()
			}
			v[k], b = n, bytes.TrimLeft(rest, " ")
			sep := byte(',')
			if k == 2 {
				sep = ']'
			}
			if len(b) == 0 || b[0] != sep {
				return bad()
			}
			b = bytes.TrimLeft(b[1:], " ")
		}
		if v[0] <= 0 {
			return bad()
		}
		if _, found := l.Comments.GetOrPut(v[0], int32(len(l.Hashes))); !found {
			l.Hashes = append(l.Hashes, uint64(v[2]))
		}
		b = bytes.TrimLeft(b, ", \n")
	}
	return nil
}

// parseInt reads a decimal int64 at the start of b.
func parseInt(b []byte) (n int64, rest []byte, ok bool) {
	i, neg := 0, false
	if i < len(b) && b[i] == '-' {
		neg, i = true, 1
	}
	start := i
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if i == start || i-start > 19 {
		return 0, b, false
	}
	if neg {
		n = -n
	}
	return n, b[i:], true
}

// UsersBefore returns the destination ids of the users that the runs of
// lineage before run wrote: those a later archive of the lineage may name
// without holding them.
func (s *DB) UsersBefore(lineage, run int64) (map[int64]bool, error) {
	users := map[int64]bool{}
	err := s.each(`SELECT u.id FROM users AS u JOIN runs AS r ON r.id = u.run_id WHERE r.lineage = ? AND r.id < ?`,
		[]any{lineage, run}, func(r *sql.Rows) error {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			users[id] = true
			return nil
		})
	if err != nil {
		return nil, fail.Failf("cannot read %s: %w", s.path, err)
	}
	return users, nil
}
