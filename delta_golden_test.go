package main

// Golden cases of delta migrations (SPEC section 12): a full build of an
// export A, then build --delta of a later export B in the same work dir.
// See fixtures/delta/README.md for the cases.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/internal/fail"
)

func TestDeltaGolden(t *testing.T) {
	cases, err := filepath.Glob("fixtures/delta/*/args")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no delta cases found: %v", err)
	}
	for _, argsFile := range cases {
		dir := filepath.Dir(argsFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			compareDir(t, filepath.Join(dir, "want"), runDeltaCase(t, dir))
		})
	}
}

// runDeltaCase runs a case's first and second run in one work dir, then
// --steps history, and returns what the second run left by file name.
func runDeltaCase(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	work := filepath.Join(t.TempDir(), "work")
	shared := filepath.Dir(dir)
	pick := func(names ...string) string {
		for _, name := range names {
			for _, d := range []string{dir, shared} {
				if p := filepath.Join(d, name); fileExists(p) {
					return p
				}
			}
		}
		return ""
	}
	places := strings.NewReplacer("{a}", pick("chat_a.csv"), "{b}", pick("chat_b.csv"),
		"{tp_b}", pick("ticket_platform_users_b.csv", "ticket_platform_users.csv"),
		"{tp}", pick("ticket_platform_users.csv"), "{work}", work)
	scrub := strings.NewReplacer(work, "{work}", shared, "{fixtures}")

	if err := runArgsFile(t, pick("first.args"), places); err != nil {
		t.Fatalf("the first run failed: %v", err)
	}
	err := runArgsFile(t, filepath.Join(dir, "args"), places)
	out := map[string][]byte{}
	msg := ""
	if err != nil {
		msg = scrub.Replace(err.Error())
	}
	out["exit"] = fmt.Appendf(nil, "status %d\n%s\n", fail.Code(err), msg)
	for _, name := range []string{"merged_users.csv", "rejects.csv"} {
		if b, err := os.ReadFile(filepath.Join(work, name)); err == nil {
			out[name] = b
		}
	}
	if b, err := os.ReadFile(filepath.Join(work, "report.json")); err == nil {
		out["report.json"] = []byte(scrub.Replace(string(scrubTimes(b))))
	}
	if b, err := os.ReadFile(filepath.Join(work, "runs", "2", "created.csv")); err == nil {
		out["created.csv"] = b
	}
	if f, err := os.Open(filepath.Join(work, "backup_tickets.tar.gz")); err == nil {
		defer f.Close()
		expandArchive(t, f, out)
	}
	var history, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--steps", "history", "--work-dir", work}, &history, &stderr, noEnv); err != nil {
		t.Fatalf("history: %v\n%s", err, stderr.String())
	}
	out["history.txt"] = historyTimes.ReplaceAll([]byte(scrub.Replace(history.String())), []byte("{time}"))
	return out
}

// runArgsFile runs the arguments of a file (one a line, # comments) with
// its placeholders replaced.
func runArgsFile(t *testing.T, path string, places *strings.Replacer) error {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			args = append(args, places.Replace(line))
		}
	}
	var stdout, stderr bytes.Buffer
	return run(context.Background(), args, &stdout, &stderr, noEnv)
}

var (
	// reportTimes are the fields of report.json that change from run to
	// run, as golden_test.go scrubs them.
	reportTimes = regexp.MustCompile(`"seconds":[0-9.e+-]+,"started_at":"[^"]*","version":"[^"]*",`)
	// historyTimes are the start times --steps history prints.
	historyTimes = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d UTC`)
)

func scrubTimes(report []byte) []byte { return reportTimes.ReplaceAll(report, nil) }

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
