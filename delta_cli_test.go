package main

// SPEC section 12 through run: what --delta needs before any step runs, a
// migrate.db that cannot be read, and --steps history.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/state"
	"github.com/migrate-tool/migrate/steps"
)

// TestDeltaWithoutAnEarlierRunIsBadUsage: --delta in a work dir that holds
// no successful build stops before any step runs (exit status 2): chat-users
// writes nothing.
func TestDeltaWithoutAnEarlierRunIsBadUsage(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, work string)
	}{
		{"no migrate.db", func(*testing.T, string) {}},
		{"a migrate.db without runs", func(t *testing.T, work string) {
			os.MkdirAll(work, 0o700)
			db, err := state.Open(filepath.Join(work, state.File))
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
		}},
		{"a failed full build before", func(t *testing.T, work string) {
			// Too many rejects: exit 5, no archive, nothing recorded.
			if _, _, err := runArgs(t, work, "--steps", "chat-users,merge-users,build", "--max-reject-rate", "0.01", "--quiet"); fail.Code(err) != fail.TooManyRejects {
				t.Fatalf("the first build: %v, want exit 5", err)
			}
			os.Remove(filepath.Join(work, "chat_platform_users.csv"))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			work := filepath.Join(t.TempDir(), "work")
			tt.setup(t, work)
			_, _, err := runArgs(t, work, "--steps", "all", "--delta", "--quiet")
			if fail.Code(err) != fail.Usage || !errors.Is(err, state.ErrNoRun) || !strings.Contains(err.Error(), "run a full build first (without --delta)") {
				t.Errorf("%v (status %d), want exit 2 asking for a full build first", err, fail.Code(err))
			}
			if _, err := os.Stat(filepath.Join(work, "chat_platform_users.csv")); err == nil {
				t.Error("chat-users ran before --delta was found to have nothing to continue")
			}
		})
	}
}

// TestBuildRefusesAnUnreadableDatabase: a migrate.db of a newer schema, of
// another program or not SQLite at all stops build before any step runs
// (exit status 2), full or --delta, and is left as it was; so does history.
func TestBuildRefusesAnUnreadableDatabase(t *testing.T) {
	for _, tt := range []struct {
		name   string
		write  func(t *testing.T, path string)
		is     error
		saying string
	}{
		{"newer schema", func(t *testing.T, path string) {
			db, err := state.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Exec(`UPDATE schema_version SET version = ?`, state.Version+1); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}, state.ErrNewerSchema, "use the newer migrate that wrote it"},
		{"another program's database", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE runs (id INTEGER PRIMARY KEY)`); err != nil {
				t.Fatal(err)
			}
		}, state.ErrNotState, "is an SQLite database, but not migrate's"},
		{"not SQLite", func(t *testing.T, path string) {
			os.WriteFile(path, bytes.Repeat([]byte("not a database\n"), 20), 0o600)
		}, state.ErrNotState, "is not an SQLite database"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			work := filepath.Join(t.TempDir(), "work")
			os.MkdirAll(work, 0o700)
			path := filepath.Join(work, state.File)
			tt.write(t, path)
			before, _ := os.ReadFile(path)
			for _, extra := range [][]string{{"--steps", "chat-users,merge-users,build"}, {"--steps", "all", "--delta"}, {"--steps", "history"}} {
				_, _, err := runArgs(t, work, append(extra, "--quiet")...)
				if fail.Code(err) != fail.Usage || !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.saying) {
					t.Errorf("%v: %v (status %d), want exit 2 saying %q", extra, err, fail.Code(err), tt.saying)
				}
			}
			if _, err := os.Stat(filepath.Join(work, "chat_platform_users.csv")); err == nil {
				t.Error("a step ran before migrate.db was found unreadable")
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("migrate.db was changed")
			}
		})
	}
}

// TestOutputNamingTheDatabaseIsRefused: --out naming migrate.db would
// overwrite the record of every run.
func TestOutputNamingTheDatabaseIsRefused(t *testing.T) {
	work := t.TempDir()
	if _, _, err := runArgs(t, work, "--steps", "chat-users,merge-users,build", "--quiet"); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(work, state.File))
	_, _, err := runArgs(t, work, "--steps", "build", "--out", filepath.Join(work, state.File), "--quiet")
	if fail.Code(err) != fail.Usage || !errors.Is(err, steps.ErrOutputIsInput) {
		t.Errorf("%v (status %d), want exit 2: an output names an input", err, fail.Code(err))
	}
	if after, _ := os.ReadFile(filepath.Join(work, state.File)); !bytes.Equal(before, after) {
		t.Error("migrate.db was changed")
	}
}

// TestHistoryPrintsTheRunsNewestFirst reads --steps history's words after a
// full build and a delta build, and before any build.
func TestHistoryPrintsTheRunsNewestFirst(t *testing.T) {
	work := t.TempDir()
	history := func() string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"--steps", "history", "--work-dir", work}, &out, &errOut, noEnv); err != nil {
			t.Fatalf("history: %v\n%s", err, errOut.String())
		}
		return out.String()
	}

	// Before any build: no migrate.db is a missing input.
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"--steps", "history", "--work-dir", work}, &out, &errOut, noEnv)
	if fail.Code(err) != fail.Usage || !strings.Contains(err.Error(), "run the build step first") {
		t.Errorf("history without migrate.db: %v, want exit 2 asking for a build", err)
	}
	db, err := state.Open(filepath.Join(work, state.File))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if got := history(); !strings.Contains(got, "records no successful build yet") {
		t.Errorf("history of an empty migrate.db:\n%s", got)
	}

	if _, _, err := runArgs(t, work, "--steps", "chat-users,merge-users,build", "--quiet"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runArgs(t, work, "--steps", "build", "--delta", "--quiet"); err != nil {
		t.Fatal(err)
	}
	got := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d UTC`).ReplaceAllString(history(), "{time}")
	got = strings.ReplaceAll(got, work, "{work}")
	got = regexp.MustCompile(`SHA-256 [0-9a-f]{12}…`).ReplaceAllString(got, "SHA-256 {sha}…")
	want := `run 2, {time}: a delta run, continuing the lineage of run 1
  read fixtures/golden/chat_data.csv (4.7 KB): 39 records
  wrote 0 new tickets, 0 new comments and 0 new users to {work}/backup_tickets.tar.gz (0.0 KB, SHA-256 {sha}…)
  19 already migrated, 2 dropped as exact duplicates, 18 rejected
  to undo it in the destination, delete what {work}/runs/2/created.csv lists

run 1, {time}: a full run, which began a new lineage
  read fixtures/golden/chat_data.csv (4.7 KB): 39 records
  wrote 6 new tickets, 19 new comments and 13 new users to {work}/backup_tickets.tar.gz (1.1 KB, SHA-256 {sha}…)
  0 already migrated, 2 dropped as exact duplicates, 18 rejected
  to undo it in the destination, delete what {work}/runs/1/created.csv lists

`
	if got != want {
		t.Errorf("history:\n%s\nwant:\n%s", got, want)
	}
}

// TestVerifyAcceptsUsersOfTheLineage: a delta archive refers to users that
// an earlier run of its lineage wrote (Carol, a chat user, writes a new
// conversation); verify with the work dir's migrate.db accepts them (SPEC
// section 9), and still refuses a user nobody wrote.
func TestVerifyAcceptsUsersOfTheLineage(t *testing.T) {
	work := filepath.Join(t.TempDir(), "work")
	tp := "fixtures/delta/ticket_platform_users.csv"
	build := func(chat string, extra ...string) {
		t.Helper()
		var out, errOut bytes.Buffer
		args := append([]string{"--steps", "chat-users,merge-users,build", "--chat-csv", chat, "--ticket-users", tp,
			"--work-dir", work, "--quiet", "--max-reject-rate", "1"}, extra...)
		if err := run(context.Background(), args, &out, &errOut, noEnv); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	build("fixtures/delta/chat_a.csv")
	build("fixtures/delta/new-conversations/chat_b.csv", "--delta")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"--steps", "verify", "--ticket-users", tp, "--work-dir", work, "--quiet"}, &out, &errOut, noEnv)
	if err != nil {
		t.Fatalf("verify of a delta archive: %v\n%s%s", err, out.String(), errOut.String())
	}

	// A user that no run wrote is still a violation: migrate.db loses run 1.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(work, state.File))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM users WHERE run_id = 1 AND id = 11`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	err = run(context.Background(), []string{"--steps", "verify", "--ticket-users", tp, "--work-dir", work, "--quiet"}, &out, &errOut, noEnv)
	if fail.Code(err) != 4 || !strings.Contains(out.String()+errOut.String()+err.Error(), "11 names no user") {
		t.Errorf("verify with a user that no run wrote: %v (status %d), want exit 4 naming author 11\n%s", err, fail.Code(err), out.String())
	}
}

// TestWarnsOfAnUnrecordedArchive: a build killed between publishing its
// set and recording it leaves an archive that migrate.db does not know; a
// delta run says so. (The kill is simulated by deleting the run's record.)
func TestWarnsOfAnUnrecordedArchive(t *testing.T) {
	work := t.TempDir()
	if _, _, err := runArgs(t, work, "--steps", "chat-users,merge-users,build", "--quiet"); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := runArgs(t, work, "--steps", "build", "--delta", "--quiet"); err != nil || strings.Contains(errOut, "does not record") {
		t.Fatalf("a delta after a recorded build: %v, stderr %q", err, errOut)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(work, state.File))
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"users", "chat_ids", "ticket_files", "comment_files", "runs"} {
		col := "run_id"
		if table == "runs" {
			col = "id"
		}
		if _, err := db.Exec(`DELETE FROM ` + table + ` WHERE ` + col + ` = 2`); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	_, errOut, err := runArgs(t, work, "--steps", "build", "--delta", "--batch-size", "3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "backup_tickets.tar.gz (SHA-256 ") || !strings.Contains(errOut, "was published by a build that") {
		t.Errorf("no warning of the unrecorded archive on stderr:\n%s", errOut)
	}
}

// TestDeltaWarnsOfOtherCommentOptions: a delta run that writes comments
// with other options than the run before (another --body-format or
// --timezone) would see every migrated message as changed; it says why.
func TestDeltaWarnsOfOtherCommentOptions(t *testing.T) {
	work := t.TempDir()
	if _, _, err := runArgs(t, work, "--steps", "chat-users,merge-users,build"); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runArgs(t, work, "--steps", "build", "--delta")
	if err != nil || strings.Contains(stderr, "other options") {
		t.Errorf("the same options: %v, warned:\n%s", err, stderr)
	}
	_, stderr, _ = runArgs(t, work, "--steps", "build", "--delta", "--body-format", "html", "--timezone", "Europe/Berlin")
	for _, want := range []string{`--body-format "html" (run 2: "text")`, `--timezone "Europe/Berlin" (run 2: "UTC")`, "changed_after_migration"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
