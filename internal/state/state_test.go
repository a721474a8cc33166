package state

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
)

// sqliteFile makes an SQLite database at path with the statements given.
func sqliteFile(t *testing.T, path string, statements ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range statements {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestOpenRefusesWhatItCannotRead: a database of a newer schema, an SQLite
// database that is not migrate's, a file that is not SQLite and a folder
// are refused with a message that says which (exit status 2), by Open and
// by Check alike, and left as they were.
func TestOpenRefusesWhatItCannotRead(t *testing.T) {
	tests := []struct {
		name   string
		make   func(t *testing.T, path string)
		is     error
		saying string
	}{
		{"newer schema", func(t *testing.T, path string) {
			sqliteFile(t, path, `CREATE TABLE schema_version (version INTEGER NOT NULL)`, `INSERT INTO schema_version VALUES (99)`,
				`CREATE TABLE runs (id INTEGER PRIMARY KEY, something_new TEXT)`)
		}, ErrNewerSchema, fmt.Sprintf("has schema version 99, but this migrate knows versions up to %d", Version)},
		{"another program's SQLite database", func(t *testing.T, path string) {
			sqliteFile(t, path, `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`, `INSERT INTO notes VALUES (1, 'keep me')`)
		}, ErrNotState, "is an SQLite database, but not migrate's"},
		{"a text file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("id,email\n1,a@example.com\n"+strings.Repeat("x", 200)+"\n"), 0o600)
		}, ErrNotState, "is not an SQLite database"},
		{"a truncated database", func(t *testing.T, path string) {
			sqliteFile(t, filepath.Join(filepath.Dir(path), "whole.db"), `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`)
			b, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "whole.db"))
			os.WriteFile(path, b[:100], 0o600)
		}, ErrNotState, "migrate.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), File)
			tt.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, open := range []struct {
				name string
				f    func() error
			}{
				{"Open", func() error {
					db, err := Open(path)
					if err == nil {
						db.Close()
					}
					return err
				}},
				{"Check", func() error { return Check(path) }},
			} {
				err := open.f()
				if !errors.Is(err, tt.is) || fail.Code(err) != fail.Usage || !strings.Contains(err.Error(), tt.saying) || !strings.Contains(err.Error(), path) {
					t.Errorf("%s: %v (status %d), want exit 2 saying %q and naming the file", open.name, err, fail.Code(err), tt.saying)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the refused file was changed")
			}
		})
	}
	t.Run("a folder", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), File)
		os.Mkdir(path, 0o700)
		if _, err := Open(path); fail.Code(err) != fail.Usage {
			t.Errorf("Open: %v, want exit 2", err)
		}
		if err := Check(path); fail.Code(err) != fail.Usage {
			t.Errorf("Check: %v, want exit 2", err)
		}
	})
}

// TestOpenUpgradesAnOlderSchema: version 0 is a database without tables,
// an empty file or an SQLite file that holds nothing yet; Open brings it
// to Version, and a run can be recorded in it. Check neither creates a
// missing file nor upgrades an old one.
func TestOpenUpgradesAnOlderSchema(t *testing.T) {
	for _, tt := range []struct {
		name string
		make func(t *testing.T, path string)
	}{
		{"empty file", func(t *testing.T, path string) { os.WriteFile(path, nil, 0o600) }},
		{"SQLite database without tables", func(t *testing.T, path string) {
			sqliteFile(t, path, `PRAGMA user_version = 7`) // writes the header, creates nothing
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), File)
			tt.make(t, path)
			before, _ := os.ReadFile(path)
			if err := Check(path); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("Check changed the file")
			}
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			v, err := db.version()
			if err != nil || v != Version {
				t.Fatalf("version %d, %v; want %d", v, err, Version)
			}
			recordOne(t, db)
			runs, err := db.Runs()
			if err != nil || len(runs) != 1 || runs[0].Lineage != runs[0].ID || runs[0].Kind != Full {
				t.Fatalf("runs %+v, %v; want one full run", runs, err)
			}
		})
	}
	t.Run("schema 1", func(t *testing.T) {
		// A database as the first migrate with migrate.db wrote it: tickets
		// a row each.
		path := filepath.Join(t.TempDir(), File)
		sqliteFile(t, path, migrations[0], `UPDATE schema_version SET version = 1`,
			`INSERT INTO runs VALUES (1, 1, 'full', '2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z', 'v', '{}', 'chat.csv', 1, 'ab', 'a.tar.gz', 1, 'cd', '{"comments":1}')`,
			`INSERT INTO tickets VALUES (1, 20, 2, '2024-01-01T00:00:00Z'), (1, 10, 1, '2023-12-31T00:00:00Z')`,
			`INSERT INTO comment_files VALUES (1, 1, '[[100,10,-5]]')`)
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if v, err := db.version(); err != nil || v != Version {
			t.Fatalf("version %d, %v; want %d", v, err, Version)
		}
		rows, err := db.db.Query(`SELECT run_id, file, id, requester_id, created_at FROM tickets ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var run, file, id, requester int64
			var created string
			rows.Scan(&run, &file, &id, &requester, &created)
			got = append(got, fmt.Sprintf("%d %d %d %d %s", run, file, id, requester, created))
		}
		rows.Close()
		if want := []string{"1 1 10 1 2023-12-31T00:00:00Z", "1 1 20 2 2024-01-01T00:00:00Z"}; !slices.Equal(got, want) {
			t.Errorf("tickets after the upgrade: %q, want %q", got, want)
		}
		l, err := db.Lineage(1)
		if err != nil || !l.Tickets[10] || !l.Tickets[20] || l.Comments.Len() != 1 {
			t.Fatalf("the lineage after the upgrade: %+v, %v", l, err)
		}
		recordOne(t, db)
	})
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), File)
		if err := Check(path); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Error("Check created the database")
		}
	})
}

// recordOne records a small full run.
func recordOne(t *testing.T, db *DB) *Run {
	t.Helper()
	run := &Run{Kind: Full, StartedAt: time.Unix(1700000000, 0), FinishedAt: time.Unix(1700000001, 0), Version: "test"}
	r, err := db.Begin(run)
	if err != nil {
		t.Fatal(err)
	}
	c := &Created{Batch: 2, Tickets: []Ticket{{ID: 10, Requester: 1, Created: 1600000000}},
		CommentIDs: []int64{100, 101, 102}, CommentTicket: []int64{10, 10, 10}, CommentHashes: []uint64{1, 1 << 63, 3},
		UserIDs: []int64{1}}
	users := []User{{ID: 1, Email: "a@example.com", Name: "A", Source: "chat", ChatIDs: []int64{1, 5}, Written: true}}
	if err := r.RecordMapped(users, map[int64]int64{5: 7}, c); err != nil {
		t.Fatal(err)
	}
	if err := r.RecordComments(c); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(time.Unix(1700000002, 0), FileRef{Path: "a.tar.gz", Size: 1, SHA256: "ab"}, []byte(`{"comments":3}`)); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	return run
}

// TestLineageReadsBackWhatWasRecorded: the chat ids with the id each keeps,
// the users, tickets and comments with their hashes (a hash above 2^63
// included, stored as a negative integer), and the comments view.
func TestLineageReadsBackWhatWasRecorded(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), File))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run := recordOne(t, db)
	l, err := db.Lineage(run.Lineage)
	if err != nil {
		t.Fatal(err)
	}
	if l.Dest[1] != 1 || l.Dest[5] != 7 || len(l.Dest) != 2 {
		t.Errorf("Dest %v, want chat id 1 -> 1 and 5 -> 7 (kept apart by a split)", l.Dest)
	}
	if u := l.Users[1]; u.Email != "a@example.com" || u.Source != "chat" || len(l.Users) != 1 {
		t.Errorf("Users %v", l.Users)
	}
	if !l.Tickets[10] || len(l.Tickets) != 1 {
		t.Errorf("Tickets %v", l.Tickets)
	}
	for id, want := range map[int64]uint64{100: 1, 101: 1 << 63, 102: 3} {
		at, ok := l.Comments.Get(id)
		if !ok || l.Hashes[at] != want {
			t.Errorf("comment %d: hash %v (found %v), want %d", id, l.Hashes[at], ok, want)
		}
	}
	var n, files int
	if err := db.db.QueryRow(`SELECT count(*), count(DISTINCT file) FROM comments WHERE run_id = ?`, run.ID).Scan(&n, &files); err != nil || n != 3 || files != 2 {
		t.Errorf("the comments view: %d comments in %d files (%v), want 3 in 2", n, files, err)
	}
	var got Run
	runs, _ := db.Runs()
	got = runs[0]
	if got.Archive.SHA256 != "ab" || string(got.Counts) != `{"comments":3}` || !got.FinishedAt.Equal(time.Unix(1700000002, 0)) {
		t.Errorf("Finish did not record the archive and counts: %+v", got)
	}
}

// TestRollbackRecordsNothing: a recording dropped before Commit leaves no
// run, and the next run takes its id.
func TestRollbackRecordsNothing(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), File))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Begin(&Run{Kind: Full, StartedAt: time.Now(), FinishedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.TicketFiles(1, 100, []Ticket{{ID: 1, Requester: 1, Created: 1}}); err != nil {
		t.Fatal(err)
	}
	r.Rollback()
	if runs, _ := db.Runs(); len(runs) != 0 {
		t.Fatalf("%d runs after a rollback", len(runs))
	}
	if run := recordOne(t, db); run.ID != 1 {
		t.Errorf("the next run is %d, want 1", run.ID)
	}
}

// TestOpenEscapesThePath: a work dir whose name holds ? or # opens the
// file it names.
func TestOpenEscapesThePath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "odd?name#x%20y")
	os.Mkdir(dir, 0o700)
	path := filepath.Join(dir, File)
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	recordOne(t, db)
	db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not where the path says: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("files beside the work dir: %v", entries)
	}
}
