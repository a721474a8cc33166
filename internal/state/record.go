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

// Users records the users the run mapped.
func (r *Recording) Users(users []User) error {
	userStmt, err := r.tx.Prepare(`INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return r.fail(err)
	}
	defer userStmt.Close()
	chatStmt, err := r.tx.Prepare(`INSERT OR REPLACE INTO chat_ids VALUES (?, ?, ?)`)
	if err != nil {
		return r.fail(err)
	}
	defer chatStmt.Close()
	var ids strings.Builder
	for _, u := range users {
		for _, c := range u.ChatIDs {
			if _, err := chatStmt.Exec(r.run.ID, c, u.ID); err != nil {
				return r.fail(err)
			}
		}
		if !u.Written {
			continue
		}
		ids.Reset()
		for k, c := range u.ChatIDs {
			if k > 0 {
				ids.WriteByte(' ')
			}
			ids.WriteString(strconv.FormatInt(c, 10))
		}
		if _, err := userStmt.Exec(r.run.ID, u.ID, u.Email, u.Name, u.Source, ids.String()); err != nil {
			return r.fail(err)
		}
	}
	return nil
}

// ticketsPerStatement is how many tickets one INSERT carries: fewer
// statements, the same rows.
const ticketsPerStatement = 500

// Tickets records the tickets the run's archive created.
func (r *Recording) Tickets(tickets []Ticket) error {
	for len(tickets) > 0 {
		n := min(len(tickets), ticketsPerStatement)
		q := "INSERT INTO tickets VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?),", n), ",")
		args := make([]any, 0, 4*n)
		for _, t := range tickets[:n] {
			args = append(args, r.run.ID, t.ID, t.Requester, value.FormatTimestamp(t.Created))
		}
		if _, err := r.tx.Exec(q, args...); err != nil {
			return r.fail(err)
		}
		tickets = tickets[n:]
	}
	return nil
}

// CommentFile records the comments of archive file n (from 1): their ids,
// tickets and hashes, in archive order.
func (r *Recording) CommentFile(n int, ids, tickets []int64, hashes []uint64) error {
	b := make([]byte, 0, 40*len(ids)+2)
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
	b = append(b, ']')
	if _, err := r.tx.Exec(`INSERT INTO comment_files VALUES (?, ?, ?)`, r.run.ID, n, string(b)); err != nil {
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
