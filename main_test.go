package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/steps"
	"github.com/spf13/pflag"
)

func noEnv(string) string { return "" }

// runArgs runs the CLI on the golden fixture with extra args.
func runArgs(t *testing.T, work string, extra ...string) (string, string, error) {
	t.Helper()
	args := append([]string{
		"--chat-csv", "fixtures/golden/chat_data.csv",
		"--ticket-users", "fixtures/golden/ticket_platform_users.csv",
		"--work-dir", work,
		"--invalid-utf8", "replace", "--max-reject-rate", "1",
	}, extra...)
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut, noEnv)
	return out.String(), errOut.String(), err
}

func TestCLIExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		status int
		msg    string // a substring of the message, or
		flag   string // the flag of the *steps.OptionError it wraps
	}{
		{"one dash steps", []string{"-steps", "chat-users,merge-users,build", "--quiet"}, 0, "", ""},
		{"one dash with =", []string{"-steps=chat-users", "-quiet"}, 0, "", ""},
		{"unknown step", []string{"--steps", "chat-users,bild"}, 2, `unknown step "bild"`, ""},
		{"empty steps", []string{"--steps", ""}, 2, "--steps is empty", ""},
		{"batch size too big", []string{"--steps", "all", "--batch-size", "101", "--quiet"}, 2, "", "batch-size"},
		{"batch size zero", []string{"--steps", "all", "--batch-size", "0", "--quiet"}, 2, "", "batch-size"},
		{"body format", []string{"--steps", "all", "--body-format", "markdown", "--quiet"}, 2, "", "body-format"},
		{"existing users", []string{"--steps", "all", "--existing-users", "drop", "--quiet"}, 2, "", "existing-users"},
		{"negative offset", []string{"--steps", "all", "--chat-id-offset", "-1", "--quiet"}, 2, "", "chat-id-offset"},
		{"offset overflow", []string{"--steps", "all", "--chat-id-offset", "9223372036854775800", "--quiet"}, 2, "past the largest possible id", ""},
		{"bad timezone", []string{"--steps", "all", "--timezone", "Mars/Olympus", "--quiet"}, 2, "", "timezone"},
		{"unknown flag", []string{"--stepz", "all"}, 2, "unknown flag", ""},
		{"stray argument", []string{"--steps", "all", "extra"}, 2, `unexpected argument "extra"`, ""},
		{"missing chat csv", []string{"--steps", "chat-users", "--chat-csv", "nope.csv"}, 2, "nope.csv", ""},
		{"build before merge", []string{"--steps", "build", "--quiet"}, 2, "run the merge-users step first", ""},
		{"unknown encoding", []string{"--steps", "all", "--encoding", "ebcdic-x", "--quiet"}, 2, "", "encoding"},
		{"unknown delimiter", []string{"--steps", "all", "--delimiter", ":", "--quiet"}, 2, "", "delimiter"},
		{"bad timestamp format", []string{"--steps", "all", "--timestamp-format", "%H:%M", "--quiet"}, 2, "", "timestamp-format"},
		{"directive not read", []string{"--steps", "all", "--timestamp-format", "%Y %s", "--quiet"}, 2, "", "timestamp-format"},
		{"word both true and false", []string{"--steps", "all", "--true-values", "note", "--false-values", "Note", "--quiet"}, 2, "", "true-values"},
		{"true word already false", []string{"--steps", "all", "--true-values", "no", "--quiet"}, 2, "", "true-values"},
		{"bad public default", []string{"--steps", "all", "--public-default", "maybe", "--quiet"}, 2, "", "public-default"},
		{"bad columns", []string{"--steps", "all", "--columns", "MESSAGE=text", "--quiet"}, 2, "", "columns"},
		{"missing mapping", []string{"--steps", "all", "--mapping", "nope.yaml", "--quiet"}, 2, "", "mapping"},
		{"inspect rows", []string{"--steps", "inspect", "--inspect-rows", "0"}, 2, "", "inspect-rows"},
		{"inspect alone, no ticket users needed", []string{"--steps", "inspect", "--ticket-users", "nope.csv"}, 2, "the proposed mapping is incomplete: CONVERSATION_ID: only 97.1%", ""},
		{"all runs no inspect", []string{"--steps", "all", "--delimiter", ";", "--quiet"}, 2, "the header is one field", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runArgs(t, t.TempDir(), tt.args...)
			if got := fail.Code(err); got != tt.status {
				t.Fatalf("exit status %d, want %d (err: %v)", got, tt.status, err)
			}
			if tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("error %v, want it to contain %q", err, tt.msg)
			}
			var oe *steps.OptionError
			if tt.flag != "" && (!errors.As(err, &oe) || oe.Flag != tt.flag || !errors.Is(err, steps.ErrBadOption)) {
				t.Errorf("error %v, want a bad --%s", err, tt.flag)
			}
		})
	}
}

func TestHelpShowsAWorkedExample(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"--help"}, &out, &errOut, noEnv)
	if !errors.Is(err, pflag.ErrHelp) {
		t.Fatalf("err = %v, want pflag.ErrHelp", err)
	}
	for _, want := range []string{"migrate -steps all", "--chat-id-offset", "--batch-size", "MIGRATE_API_PASSWORD", "Exit status", "--max-reject-rate", "--invalid-utf8", "--encoding", "--delimiter", "--mapping", "--columns", "--timestamp-format", "--true-values", "--false-values", "--public-default", "--inspect-rows", "\"inspect\""} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help on stdout does not mention %q", want)
		}
	}
	if errOut.Len() > 0 {
		t.Errorf("help wrote on stderr: %q", errOut.String())
	}
}

func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out, &errOut, noEnv); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "migrate ") || !strings.Contains(out.String(), "revision") {
		t.Errorf("--version printed %q, want the version and the revision", out.String())
	}
}

func TestArchiveIsByteIdentical(t *testing.T) {
	var archives [][]byte
	for i := 0; i < 2; i++ {
		work := t.TempDir()
		if _, _, err := runArgs(t, work, "--steps", "chat-users,merge-users,build", "--quiet"); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(work, "backup_tickets.tar.gz"))
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, b)
	}
	if !bytes.Equal(archives[0], archives[1]) {
		t.Error("two runs on the same input wrote different archives")
	}
}

func TestStepsRerunAloneMatchOneProcess(t *testing.T) {
	together, apart := t.TempDir(), t.TempDir()
	if _, _, err := runArgs(t, together, "--steps", "chat-users,merge-users,build", "--quiet"); err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"chat-users", "merge-users", "build"} {
		if _, _, err := runArgs(t, apart, "--steps", step, "--quiet"); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	for _, name := range []string{"chat_platform_users.csv", "merged_users.csv", "rejects.csv", "backup_tickets.tar.gz"} {
		a, _ := os.ReadFile(filepath.Join(together, name))
		b, _ := os.ReadFile(filepath.Join(apart, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between one process and steps run one by one", name)
		}
	}
}

func TestSummaryAndQuiet(t *testing.T) {
	out, errOut, err := runArgs(t, t.TempDir(), "--steps", "chat-users,merge-users,build", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"chat-users", "merge-users", "build",
		"39 records = 19 comments + 2 exact duplicates + 18 rejected (see ", "written to ", "(1 file, 1.1 KB)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// For a person: no dotted metric names, no zero counts.
	for _, unwanted := range []string{"rejected.", "exact_duplicates", "archive_bytes", " 0 "} {
		if strings.Contains(out, unwanted) {
			t.Errorf("summary shows %q:\n%s", unwanted, out)
		}
	}
	if errOut != "" {
		t.Errorf("--quiet printed on stderr: %q", errOut)
	}
}
