package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
)

// TestInspectGolden runs --steps inspect on each case folder of
// fixtures/inspect (an export named chat_data.*, optional args, one per
// line) and compares mapping.yaml, what it printed and its exit status
// with the case's want/ folder (go test -update rewrites them).
func TestInspectGolden(t *testing.T) {
	cases, err := filepath.Glob("fixtures/inspect/*/chat_data.*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no inspect cases found: %v", err)
	}
	for _, chat := range cases {
		dir := filepath.Dir(chat)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			work := t.TempDir()
			args := []string{"--steps", "inspect", "--chat-csv", chat, "--work-dir", work}
			if raw, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
				for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
					if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
						args = append(args, line)
					}
				}
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), args, &stdout, &stderr, noEnv)
			clean := func(s string) string {
				return strings.ReplaceAll(strings.ReplaceAll(s, work, "{work}"), dir, "{dir}")
			}
			msg := ""
			if err != nil {
				msg = clean(err.Error())
			}
			got := map[string][]byte{
				"exit":   []byte(fmt.Sprintf("status %d\n%s\n", fail.Code(err), msg)),
				"stdout": []byte(clean(stdout.String())),
			}
			if b, err := os.ReadFile(filepath.Join(work, "mapping.yaml")); err == nil {
				got["mapping.yaml"] = []byte(clean(string(b)))
			}
			entries, _ := os.ReadDir(work)
			for _, e := range entries {
				if e.Name() != "mapping.yaml" && e.Name() != "migrate.lock" {
					t.Errorf("inspect wrote %s: it writes nothing but mapping.yaml", e.Name())
				}
			}
			if st, err := os.Stat(filepath.Join(work, "mapping.yaml")); err == nil && st.Mode().Perm() != 0o600 {
				t.Errorf("mapping.yaml has mode %v, want 0600", st.Mode().Perm())
			}
			compareDir(t, filepath.Join(dir, "want"), got)
		})
	}
}

// cleanExport is the canonical export without its defects: what an export
// whose values all parse looks like, for inspect to propose a complete
// mapping for.
func cleanExport() exportTable {
	t := canonicalExport()
	t.rows = slices.DeleteFunc(t.rows, func(r []string) bool {
		return len(r) != len(t.header) || r[7] == "not a date" || r[5] == "" || r[4] == "not an email" ||
			strings.HasPrefix(r[5], "A different body")
	})
	return t
}

// TestInspectProposalRuns exports the clean conversations as an Intercom
// conversation CSV and as a snake_case dump, runs inspect on each, passes
// its mapping.yaml back with --mapping to chat-users, merge-users, build
// and verify, and checks that the run succeeds and writes the archive of
// the canonical shape (SPEC section 11: the proposal gives the run it
// describes).
func TestInspectProposalRuns(t *testing.T) {
	clean := cleanExport()
	want, err := runShape(t, writeShape(t, exportShape{}, clean), "")
	if err != nil || len(want.archive) == 0 {
		t.Fatalf("the canonical shape: %v", err)
	}
	intercom := func(t exportTable) exportTable {
		t = t.mapColumn("COMMENT_PUBLIC", func(v string) string {
			if v == "true" {
				return "comment"
			}
			return "note"
		}).timestamps(func(tm time.Time) string { return tm.Format("01/02/2006 3:04:05 PM") })
		return t.drop("TICKET_CREATED_AT", "TICKET_REQUESTER_ID").rename(map[string]string{
			"CONVERSATION_ID": "conversation_id", "COMMENT_PART_ID": "message_id", "BODY": "message_body",
			"COMMENT_CREATED_AT": "message_created_at", "AUTHOR_ID": "message_author_id", "NAME": "message_author_name",
			"EMAIL": "message_author_email", "COMMENT_PUBLIC": "message_type",
		}).reorder([]string{"conversation_id", "message_id", "message_body", "message_created_at", "message_author_id",
			"message_author_name", "message_author_email", "message_type"})
	}
	snake := func(t exportTable) exportTable {
		return t.timestamps(func(tm time.Time) string { return tm.Format("2006-01-02 15:04:05") + "+00" }).rename(map[string]string{
			"CONVERSATION_ID": "conversation_id", "COMMENT_PART_ID": "message_id", "AUTHOR_ID": "author_id",
			"NAME": "author_name", "EMAIL": "author_email", "BODY": "body", "COMMENT_PUBLIC": "is_public",
			"COMMENT_CREATED_AT": "sent_at", "TICKET_CREATED_AT": "conversation_created_at", "TICKET_REQUESTER_ID": "requester_id",
		})
	}
	for _, tt := range []struct {
		name  string
		shape exportShape
		table func(exportTable) exportTable
	}{
		{"intercom", exportShape{}, intercom},
		{"snake_case, windows-1252, semicolons, gzip", exportShape{delim: ';', encode: "windows-1252", compress: "gzip"}, snake},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			chat := filepath.Join(dir, "export.csv")
			if err := os.WriteFile(chat, writeShape(t, tt.shape, tt.table(clean.clone())), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			work := filepath.Join(dir, "inspect")
			if err := run(context.Background(), []string{"--steps", "inspect", "--chat-csv", chat, "--work-dir", work}, &stdout, &stderr, noEnv); err != nil {
				t.Fatalf("inspect: %v\n%s", err, stdout.String())
			}
			proposal, err := os.ReadFile(filepath.Join(work, "mapping.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := runShape(t, writeShape(t, tt.shape, tt.table(clean.clone())), string(proposal))
			if err != nil {
				t.Fatalf("the run with the proposal: %v\n%s\nmapping.yaml:\n%s", err, got.stderr, proposal)
			}
			if !bytes.Equal(got.archive, want.archive) {
				t.Errorf("the archive differs from the canonical shape's; mapping.yaml:\n%s", proposal)
			}
			if !bytes.Equal(got.merged, want.merged) || len(got.rejects) != 0 {
				t.Errorf("merged users or rejects differ: %q\n%s", got.rejects, got.merged)
			}
		})
	}
}

// TestInspectWithoutRecords: with no record to sample, no column can be
// said to parse; inspect once printed 100.0% everywhere and exited 0, and
// the run it proposed stopped with exit 5. A classic Mac file (lines ended
// by a lone \r) reads as a header alone: the message says so.
func TestInspectWithoutRecords(t *testing.T) {
	header := "CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,NAME,EMAIL,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT,TICKET_CREATED_AT,TICKET_REQUESTER_ID"
	row := "1,2,3,Ann,ann@x.test,hi,true,2021-01-01T00:00:00Z,2021-01-01T00:00:00Z,3"
	for _, tc := range []struct{ name, data, want string }{
		{"header only", header + "\n", "holds no record after its header"},
		{"lone carriage returns", header + "\r" + row + "\r", "lone carriage return"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			chat := filepath.Join(dir, "chat.csv")
			if err := os.WriteFile(chat, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"--steps", "inspect", "--chat-csv", chat, "--work-dir", filepath.Join(dir, "w")}, &stdout, &stderr, noEnv)
			if fail.Code(err) != fail.Usage || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v (status %d), want exit 2 saying %q", err, fail.Code(err), tc.want)
			}
		})
	}
}
