package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/fakeapi"
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

// TestReadmeExamples runs the examples of README.md's "Running it" and
// "After cutover: the delta run" as written, in order, on the bundled
// sample: the work dir moves to a temporary folder, https://tickets.example.com
// is a fake ticket platform serving the sample's users with the
// credentials the example exports, make build is skipped and bin/migrate
// is run.
func TestReadmeExamples(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, title := range []string{"## Running it\n", "## After cutover: the delta run\n"} {
		_, section, ok := strings.Cut(string(raw), title)
		if !ok {
			t.Fatalf("README.md has no %q section", strings.TrimSpace(title))
		}
		section, _, _ = strings.Cut(section, "\n## ")
		for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
			text := strings.ReplaceAll(block[1], "\\\n", " ")
			for _, line := range strings.Split(text, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					commands = append(commands, line)
				}
			}
		}
	}
	users, err := loadSampleUsers()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	work := filepath.Join(t.TempDir(), "work")
	var api *fakeapi.Server
	ran := 0
	for _, c := range commands {
		switch {
		case c == "make build":
		case strings.HasPrefix(c, "export "):
			for _, kv := range strings.Fields(strings.TrimPrefix(c, "export ")) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			api, err = fakeapi.Start(users, fakeapi.Options{User: env["MIGRATE_API_USER"], Password: env["MIGRATE_API_PASSWORD"]})
			if err != nil {
				t.Fatal(err)
			}
			defer api.Close()
		case strings.HasPrefix(c, "bin/migrate "):
			args := strings.Fields(c)[1:]
			for i, a := range args {
				a = strings.ReplaceAll(a, "https://tickets.example.com", apiURL(api))
				if a == "work" || strings.HasPrefix(a, "work/") {
					a = filepath.Join(work, strings.TrimPrefix(strings.TrimPrefix(a, "work"), "/"))
				}
				args[i] = a
			}
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), args, &stdout, &stderr, func(k string) string { return env[k] }); err != nil {
				t.Fatalf("%s: %v\n%s%s", c, err, stdout.String(), stderr.String())
			}
			if strings.Contains(c, "--steps build,verify") && !strings.Contains(stderr.String(), "using --chat-csv fixtures/sample/chat_data.csv, as recorded in") {
				t.Errorf("the rerun did not say which export it reuses:\n%s", stderr.String())
			}
			ran++
		default:
			t.Fatalf("the README holds a command this test cannot run: %q", c)
		}
	}
	if ran != 4 {
		t.Fatalf("ran %d migrate commands, want the 4 of the README", ran)
	}
	for _, name := range []string{"backup_tickets.tar.gz", "backup_tickets_delta.tar.gz", "migrate.db", "runs/2/created.csv"} {
		if _, err := os.Stat(filepath.Join(work, name)); err != nil {
			t.Errorf("the examples left no %s: %v", name, err)
		}
	}
}

func apiURL(s *fakeapi.Server) string {
	if s == nil {
		return "https://tickets.example.com"
	}
	return s.URL
}
