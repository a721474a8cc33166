package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/fakeapi"
	"github.com/migrate-tool/migrate/internal/fail"
)

// TestTicketUsersNamedFile: --ticket-users names the export to use when it
// exists (fetch-users is skipped, its file is not an output), and the file
// fetch-users writes when it does not (SPEC section 2's step table): a run
// with --api-url and a new --ticket-users path once stopped before any step,
// "cannot read the ticket platform users".
func TestTicketUsersNamedFile(t *testing.T) {
	users, err := loadSampleUsers()
	if err != nil {
		t.Fatal(err)
	}
	api, err := fakeapi.Start(users, fakeapi.Options{User: "agent", Password: "secret-password"})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	env := map[string]string{"MIGRATE_API_USER": "agent", "MIGRATE_API_PASSWORD": "secret-password"}
	migrate := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		args = append([]string{"--chat-csv", "fixtures/sample/chat_data.csv", "--invalid-utf8", "replace",
			"--max-reject-rate", "1", "--quiet"}, args...)
		err := run(context.Background(), args, &stdout, &stderr, func(k string) string { return env[k] })
		return stderr.String(), err
	}
	dir := t.TempDir()
	named := filepath.Join(dir, "tp.csv")

	// Not there yet: fetch-users writes it, merge-users reads it.
	if msg, err := migrate("--steps", "all", "--api-url", api.URL, "--ticket-users", named, "--work-dir", filepath.Join(dir, "w1")); err != nil {
		t.Fatalf("--steps all with a new --ticket-users: %v\n%s", err, msg)
	}
	fetched, err := os.ReadFile(named)
	if err != nil || !strings.HasPrefix(string(fetched), "id,email\n") || strings.Count(string(fetched), "\n") != len(users)+1 {
		t.Fatalf("%s: %d lines, %v; want the header and %d users", named, strings.Count(string(fetched), "\n"), err, len(users))
	}
	if _, err := os.Stat(filepath.Join(dir, "w1", "ticket_platform_users.csv")); err == nil {
		t.Error("fetch-users wrote the work dir's file too")
	}

	// There: fetch-users, even when named, leaves it as it is.
	if msg, err := migrate("--steps", "fetch-users,chat-users,merge-users", "--api-url", api.URL, "--ticket-users", named, "--work-dir", filepath.Join(dir, "w2")); err != nil {
		t.Fatalf("fetch-users with an existing --ticket-users: %v\n%s", err, msg)
	}
	if after, _ := os.ReadFile(named); !bytes.Equal(after, fetched) {
		t.Error("the named export changed")
	}

	// Missing, with no fetch-users to write it: exit 2, saying what to do.
	_, err = migrate("--steps", "chat-users,merge-users", "--ticket-users", filepath.Join(dir, "nope.csv"), "--work-dir", filepath.Join(dir, "w3"))
	if fail.Code(err) != fail.Usage || !strings.Contains(err.Error(), "nope.csv") || !strings.Contains(err.Error(), "check the path") {
		t.Errorf("a missing --ticket-users: %v (status %d), want exit 2 naming it", err, fail.Code(err))
	}
}
