package state

import (
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/value"
)

// Kinds of run.
const (
	Full  = "full"
	Delta = "delta"
)

// Run is one successful build, as the runs table holds it.
type Run struct {
	ID int64
	// Lineage is the id of the full run that began the run's lineage: the
	// run itself for a full run.
	Lineage    int64
	Kind       string
	StartedAt  time.Time
	FinishedAt time.Time
	Version    string
	// Options and Counts are JSON objects, as report.json writes them.
	Options, Counts json.RawMessage
	ChatExport      FileRef
	Archive         FileRef
}

// FileRef is a file a run read or wrote.
type FileRef struct {
	Path   string
	Size   int64
	SHA256 string
}

// User is a user a run mapped: every chat id of a merged user has its
// destination id, whether the archive wrote the user or not.
type User struct {
	ID          int64
	Email, Name string
	Source      string
	ChatIDs     []int64
	// Written is set when the run's archive created the user.
	Written bool
}

// Ticket is a ticket a run's archive created.
type Ticket struct {
	ID, Requester, Created int64 // Created in Unix seconds
}

// Recording is a run being recorded: one transaction, which Commit makes
// durable and Rollback (or a crash) drops, so that a failed build records
// nothing.
type Recording struct {
	tx  *sql.Tx
	run *Run
	s   *DB
}

// Begin starts recording run: its id and, for a full run, its lineage are
// given by the database (see Run after Commit).
func (s *DB) Begin(run *Run) (*Recording, error) {
	tx, err := s.db.Begin()
	if err != nil {
		return nil, fail.Failf("cannot write %s: %w", s.path, err)
	}
	res, err := tx.Exec(`INSERT INTO runs (lineage, kind, started_at, finished_at, version, options,
		chat_export_path, chat_export_size, chat_export_sha256, archive_path, archive_size, archive_sha256, counts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		run.Lineage, run.Kind, run.StartedAt.UTC().Format(time.RFC3339Nano), run.FinishedAt.UTC().Format(time.RFC3339Nano), run.Version,
		string(orEmpty(run.Options)), run.ChatExport.Path, run.ChatExport.Size, run.ChatExport.SHA256,
		run.Archive.Path, run.Archive.Size, run.Archive.SHA256, string(orEmpty(run.Counts)))
	if err == nil {
		run.ID, err = res.LastInsertId()
	}
	if err == nil && run.Kind == Full {
		run.Lineage = run.ID
		_, err = tx.Exec(`UPDATE runs SET lineage = ? WHERE id = ?`, run.ID, run.ID)
	}
	if err != nil {
		tx.Rollback()
		return nil, fail.Failf("cannot write %s: %w", s.path, err)
	}
	return &Recording{tx: tx, run: run, s: s}, nil
}

func orEmpty(j json.RawMessage) json.RawMessage {
	if len(j) == 0 {
		return json.RawMessage("{}")
	}
	return j
}

// Users records the users the run mapped: every chat id with the
// destination id it maps to (dest, which may keep an id that a user's
// other chat ids do not share: an identity split), and the users the
// run's archive wrote. A chat id missing from dest maps to its user's id.
func (r *Recording) Users(users []User, dest map[int64]int64) error {
	var chat [][3]int64
	for _, u := range users {
		for _, c := range u.ChatIDs {
			id, ok := dest[c]
			if !ok {
				id = u.ID
			}
			chat = append(chat, [3]int64{r.run.ID, c, id})
		}
	}
	err := r.insert("INSERT OR REPLACE INTO chat_ids VALUES ", 3, len(chat), func(i int, args []any) {
		args[0], args[1], args[2] = chat[i][0], chat[i][1], chat[i][2]
	})
	if err != nil {
		return err
	}
	var written []int
	for i, u := range users {
		if u.Written {
			written = append(written, i)
		}
	}
	var ids strings.Builder
	return r.insert("INSERT INTO users VALUES ", 6, len(written), func(i int, args []any) {
		u := users[written[i]]
		ids.Reset()
		for k, c := range u.ChatIDs {
			if k > 0 {
				ids.WriteByte(' ')
			}
			ids.WriteString(strconv.FormatInt(c, 10))
		}
		args[0], args[1], args[2], args[3], args[4], args[5] = r.run.ID, u.ID, u.Email, u.Name, u.Source, ids.String()
	})
}

// rowsPerStatement is how many rows one INSERT carries at most: a
// statement per row would cost more in statements than in rows.
const rowsPerStatement = 256

// insert inserts n rows of width values each, which fill puts in args,
// rowsPerStatement rows per statement, each statement prepared once.
func (r *Recording) insert(head string, width, n int, fill func(i int, args []any)) error {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + "),"
	var stmt *sql.Stmt
	stmtRows := 0
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	args := make([]any, 0, width*rowsPerStatement)
	for lo := 0; lo < n; lo += rowsPerStatement {
		k := min(n-lo, rowsPerStatement)
		if stmt == nil || k != stmtRows {
			if stmt != nil {
				stmt.Close()
			}
			var err error
			if stmt, err = r.tx.Prepare(head + strings.TrimSuffix(strings.Repeat(row, k), ",")); err != nil {
				stmt = nil
				return r.fail(err)
			}
			stmtRows = k
		}
		args = args[:width*k]
		for i := range k {
			fill(lo+i, args[i*width:(i+1)*width])
		}
		if _, err := stmt.Exec(args...); err != nil {
			return r.fail(err)
		}
	}
	return nil
}

// TicketFiles records the tickets of the archive files from first (from
// 1) on, batch tickets a file: their ids, requesters and creation times,
// in archive order, as one JSON array per file.
func (r *Recording) TicketFiles(first, batch int, tickets []Ticket) error {
	files := (len(tickets) + batch - 1) / batch
	var b []byte
	return r.insert("INSERT INTO ticket_files VALUES ", 3, files, func(f int, args []any) {
		b = append(b[:0], '[')
		for i, t := range tickets[f*batch : min((f+1)*batch, len(tickets))] {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = strconv.AppendInt(b, t.ID, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, t.Requester, 10)
			b = append(b, ',', '"')
			b = value.AppendTimestamp(b, t.Created)
			b = append(b, '"', ']')
		}
		b = append(b, ']')
		args[0], args[1], args[2] = r.run.ID, first+f, string(b)
	})
}

// CommentFiles records the comments of the archive files from first (from
// 1) on, batch comments a file: their ids, tickets and hashes, in archive
// order, as one JSON array per file.
func (r *Recording) CommentFiles(first, batch int, ids, tickets []int64, hashes []uint64) error {
	files := (len(ids) + batch - 1) / batch
	var b []byte
	return r.insert("INSERT INTO comment_files VALUES ", 3, files, func(f int, args []any) {
		lo, hi := f*batch, min((f+1)*batch, len(ids))
		b = appendComments(b[:0], ids[lo:hi], tickets[lo:hi], hashes[lo:hi])
		args[0], args[1], args[2] = r.run.ID, first+f, string(b)
	})
}

// appendComments appends [[id, ticket_id, hash], ...] to b: the hash as a
// signed integer, which is how SQLite's JSON functions read it back.
func appendComments(b []byte, ids, tickets []int64, hashes []uint64) []byte {
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, id, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, tickets[i], 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(hashes[i]), 10)
		b = append(b, ']')
	}
	return append(b, ']')
}

// Finish records what is known only once the archive is complete: when
// the run finished, its archive, and its counts.
func (r *Recording) Finish(finished time.Time, archive FileRef, counts json.RawMessage) error {
	r.run.FinishedAt, r.run.Archive, r.run.Counts = finished, archive, counts
	_, err := r.tx.Exec(`UPDATE runs SET finished_at = ?, archive_path = ?, archive_size = ?, archive_sha256 = ?, counts = ? WHERE id = ?`,
		finished.UTC().Format(time.RFC3339Nano), archive.Path, archive.Size, archive.SHA256, string(orEmpty(counts)), r.run.ID)
	if err != nil {
		return r.fail(err)
	}
	return nil
}

// Commit makes the run durable.
func (r *Recording) Commit() error {
	if err := r.tx.Commit(); err != nil {
		return fail.Failf("cannot write %s: %w", r.s.path, err)
	}
	return nil
}

// Rollback drops the run; it does nothing after Commit.
func (r *Recording) Rollback() { r.tx.Rollback() }

func (r *Recording) fail(err error) error {
	r.tx.Rollback()
	return fail.Failf("cannot write %s: %w", r.s.path, err)
}
