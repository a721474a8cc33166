package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeExportExample runs the worked example of README.md's "Exports
// from other tools" as written (its work dir moved to a temporary folder):
// make build is skipped, sed -i is done here, bin/migrate is run.
func TestReadmeExportExample(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "## Exports from other tools")
	if !ok {
		t.Fatal("README.md has no Exports from other tools section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	work := filepath.Join(t.TempDir(), "work-intercom")
	var commands []string
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		text := strings.ReplaceAll(block[1], "\\\n", " ")
		for _, line := range strings.Split(text, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				commands = append(commands, strings.ReplaceAll(line, "work-intercom", work))
			}
		}
	}
	ran := 0
	for _, c := range commands {
		switch {
		case c == "make build":
		case strings.HasPrefix(c, "sed -i "):
			m := regexp.MustCompile(`^sed -i 's\|(.*)\|(.*)\|' (\S+)$`).FindStringSubmatch(c)
			if m == nil {
				t.Fatalf("cannot run %q here", c)
			}
			b, err := os.ReadFile(m[3])
			if err != nil {
				t.Fatal(err)
			}
			re := regexp.MustCompile("(?m)" + m[1])
			if !re.Match(b) {
				t.Fatalf("%q changes nothing in %s", c, m[3])
			}
			os.WriteFile(m[3], re.ReplaceAll(b, []byte(m[2])), 0o600)
		case strings.HasPrefix(c, "bin/migrate "):
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), strings.Fields(c)[1:], &stdout, &stderr, noEnv); err != nil {
				t.Fatalf("%s: %v\n%s%s", c, err, stdout.String(), stderr.String())
			}
			ran++
		default:
			t.Fatalf("the example holds a command this test cannot run: %q", c)
		}
	}
	if ran != 2 {
		t.Fatalf("ran %d migrate commands, want the 2 of the example", ran)
	}
	if _, err := os.Stat(filepath.Join(work, "backup_tickets.tar.gz")); err != nil {
		t.Errorf("the example wrote no archive: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(work, "mapping.yaml")); !bytes.Contains(b, []byte(`timezone: "America/New_York"`)) {
		t.Errorf("the edit did not reach mapping.yaml")
	}
}
