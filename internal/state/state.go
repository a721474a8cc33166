// Package state is migrate.db, the work dir's SQLite record of every
// successful build and of what its archive created (SPEC section 12): the
// runs, and per run the users, tickets and comments it wrote, so that a
// delta run writes only what its lineage lacks, with the same ids, and a
// destination admin can undo any run.
//
// It is a real SQLite database (modernc.org/sqlite: pure Go, no cgo), which
// a person opens with the sqlite3 shell:
//
//	sqlite3 work/migrate.db 'SELECT id, kind, started_at FROM runs'
//
// Tickets and comments are stored a row per archive file (ticket_files and
// comment_files, a JSON array of [id, requester_id, created_at] or [id,
// ticket_id, hash] each), because a row each costs more than a second at
// the seed's 2.1M comments and half a second at its 216k tickets; the views
// tickets and comments give them back one row each.
package state

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/migrate-tool/migrate/internal/fail"
	_ "modernc.org/sqlite"
)

// File is the database's name in the work dir.
const File = "migrate.db"

// Version is the schema this program reads and writes.
const Version = 2

// ErrNewerSchema is wrapped by Open's error for a database that a newer
// migrate wrote: it is refused, never misread.
var ErrNewerSchema = errors.New("migrate.db was written by a newer migrate")

// ErrNotState is wrapped by Open's error for a file that is not a migrate
// database.
var ErrNotState = errors.New("not a migrate database")

// DB is an open migrate.db.
type DB struct {
	db   *sql.DB
	path string
}

// migrations take a database from version i (the index) to i+1. Version 0
// is a database without tables.
var migrations = []string{
	// 0 -> 1
	`CREATE TABLE schema_version (version INTEGER NOT NULL);
	INSERT INTO schema_version VALUES (0);
	CREATE TABLE runs (
		id INTEGER PRIMARY KEY,
		lineage INTEGER NOT NULL,
		kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')),
		started_at TEXT NOT NULL,
		finished_at TEXT NOT NULL,
		version TEXT NOT NULL,
		options TEXT NOT NULL,
		chat_export_path TEXT NOT NULL,
		chat_export_size INTEGER NOT NULL,
		chat_export_sha256 TEXT NOT NULL,
		archive_path TEXT NOT NULL,
		archive_size INTEGER NOT NULL,
		archive_sha256 TEXT NOT NULL,
		counts TEXT NOT NULL
	);
	CREATE TABLE users (
		run_id INTEGER NOT NULL REFERENCES runs (id),
		id INTEGER NOT NULL,
		email TEXT NOT NULL,
		name TEXT NOT NULL,
		source TEXT NOT NULL,
		chat_ids TEXT NOT NULL,
		PRIMARY KEY (run_id, id)
	) WITHOUT ROWID;
	CREATE TABLE chat_ids (
		run_id INTEGER NOT NULL REFERENCES runs (id),
		chat_id INTEGER NOT NULL,
		user_id INTEGER NOT NULL,
		PRIMARY KEY (run_id, chat_id)
	) WITHOUT ROWID;
	CREATE TABLE tickets (
		run_id INTEGER NOT NULL REFERENCES runs (id),
		id INTEGER NOT NULL,
		requester_id INTEGER NOT NULL,
		created_at TEXT NOT NULL,
		PRIMARY KEY (run_id, id)
	) WITHOUT ROWID;
	CREATE TABLE comment_files (
		run_id INTEGER NOT NULL REFERENCES runs (id),
		file INTEGER NOT NULL,
		comments TEXT NOT NULL,
		PRIMARY KEY (run_id, file)
	) WITHOUT ROWID;
	CREATE VIEW comments AS
		SELECT f.run_id AS run_id, f.file AS file, j.value ->> 0 AS id, j.value ->> 1 AS ticket_id, j.value ->> 2 AS hash
		FROM comment_files AS f, json_each(f.comments) AS j;`,
	// 1 -> 2: tickets a row per archive file, as comments. Schema 1 did
	// not keep their archive order: its tickets become one row per run,
	// file 1, in id order. Both are rowid tables: a row of 4 KB fits in a
	// rowid table's page but spills to overflow pages in a WITHOUT ROWID
	// one, which made recording 2M comments a third slower.
	`CREATE TABLE ticket_files (
		run_id INTEGER NOT NULL REFERENCES runs (id),
		file INTEGER NOT NULL,
		tickets TEXT NOT NULL,
		PRIMARY KEY (run_id, file)
	);
	DROP VIEW comments;
	CREATE TABLE comment_files_2 (
		run_id INTEGER NOT NULL REFERENCES runs (id),
		file INTEGER NOT NULL,
		comments TEXT NOT NULL,
		PRIMARY KEY (run_id, file)
	);
	INSERT INTO comment_files_2 SELECT run_id, file, comments FROM comment_files ORDER BY run_id, file;
	DROP TABLE comment_files;
	ALTER TABLE comment_files_2 RENAME TO comment_files;
	CREATE VIEW comments AS
		SELECT f.run_id AS run_id, f.file AS file, j.value ->> 0 AS id, j.value ->> 1 AS ticket_id, j.value ->> 2 AS hash
		FROM comment_files AS f, json_each(f.comments) AS j;
	INSERT INTO ticket_files
		SELECT run_id, 1, json_group_array(json_array(id, requester_id, created_at))
		FROM (SELECT * FROM tickets ORDER BY run_id, id) GROUP BY run_id;
	DROP TABLE tickets;
	CREATE VIEW tickets AS
		SELECT f.run_id AS run_id, f.file AS file, j.value ->> 0 AS id, j.value ->> 1 AS requester_id, j.value ->> 2 AS created_at
		FROM ticket_files AS f, json_each(f.tickets) AS j;`,
}

// Open opens path, creating it or bringing an older schema up to Version.
// A file that is not a migrate database, or one a newer migrate wrote, is
// refused with a message that says so (exit status 2).
func Open(path string) (*DB, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fail.Usagef("%s is a folder, not migrate's database", path)
	}
	s, err := open(path)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(); err != nil {
		s.db.Close()
		return nil, err
	}
	os.Chmod(path, 0o600)
	return s, nil
}

// Check tells whether path can be opened by Open, without creating or
// changing it: a missing file is fine (build creates it), and so is an
// older schema (build brings it up to date); a file that is not a migrate
// database, or one a newer migrate wrote, is refused as Open refuses it.
// Opening it may roll back a transaction that a killed build left, as
// SQLite does on any open.
func Check(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil && st.IsDir() {
		return fail.Usagef("%s is a folder, not migrate's database", path)
	}
	s, err := open(path)
	if err != nil {
		return err
	}
	defer s.Close()
	version, err := s.version()
	if err == nil && version > Version {
		err = s.newer(version)
	}
	return err
}

// open opens path without reading it. The path is escaped for SQLite's URI
// form, so that a work dir holding ? or # opens the right file.
func open(path string) (*DB, error) {
	uri := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", "file:"+uri+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(DELETE)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)")
	if err != nil {
		return nil, fail.Failf("cannot open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return &DB{db: db, path: path}, nil
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// Path is the database's file.
func (s *DB) Path() string { return s.path }

// migrate reads the schema version and applies the migrations it lacks, all
// in one transaction.
func (s *DB) migrate() error {
	version, err := s.version()
	if err != nil {
		return err
	}
	if version > Version {
		return s.newer(version)
	}
	if version == Version {
		return nil
	}
	if version == 0 {
		// Pages of 16 KB hold the 4 KB rows of ticket_files and
		// comment_files with less waste; only an empty database takes it.
		if _, err := s.db.Exec(`PRAGMA page_size = 16384`); err != nil {
			return fail.Failf("cannot create %s: %w", s.path, err)
		}
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fail.Failf("cannot update %s: %w", s.path, err)
	}
	defer tx.Rollback()
	for v := version; v < Version; v++ {
		if _, err := tx.Exec(migrations[v]); err != nil {
			return fail.Failf("cannot update %s from schema version %d: %w", s.path, v, err)
		}
	}
	if _, err := tx.Exec(`UPDATE schema_version SET version = ?`, Version); err != nil {
		return fail.Failf("cannot update %s: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fail.Failf("cannot update %s: %w", s.path, err)
	}
	return nil
}

func (s *DB) newer(version int) error {
	return fail.Because(fail.Usage, ErrNewerSchema,
		"%s has schema version %d, but this migrate knows versions up to %d: use the newer migrate that wrote it, or another --work-dir", s.path, version, Version)
}

// version is the schema version: 0 for an empty database.
func (s *DB) version() (int, error) {
	var tables int
	if err := s.db.QueryRow(`SELECT count(*) FROM sqlite_schema`).Scan(&tables); err != nil {
		return 0, fail.Because(fail.Usage, ErrNotState, "%s is not an SQLite database (%v): move it away, or use another --work-dir", s.path, err)
	}
	if tables == 0 {
		return 0, nil
	}
	var v int
	if err := s.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		return 0, fail.Because(fail.Usage, ErrNotState, "%s is an SQLite database, but not migrate's (%v): move it away, or use another --work-dir", s.path, err)
	}
	return v, nil
}

// Exec runs a statement, for tests and repairs.
func (s *DB) Exec(query string, args ...any) error {
	_, err := s.db.Exec(query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return nil
}
