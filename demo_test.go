package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/fakeapi"
	"github.com/migrate-tool/migrate/internal/workspace"
	"github.com/migrate-tool/migrate/steps"
)

func TestDemo(t *testing.T) {
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	if err := runDemo(context.Background(), &stdout, &stderr, false); err != nil {
		t.Fatalf("runDemo: %v\nstderr:\n%s", err, stderr.String())
	}

	for _, name := range []string{"chat_data.csv", workspace.ArchiveFile, workspace.ReportFile, workspace.TicketUsersFile} {
		if info, err := os.Stat(filepath.Join(demoDir, name)); err != nil || info.Size() == 0 {
			t.Errorf("%s/%s: %v, want a non-empty file", demoDir, name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(demoDir, steps.FetchDir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s left behind after the fetch completed", steps.FetchDir)
	}

	data, err := os.ReadFile(filepath.Join(demoDir, workspace.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	var report map[string]map[string]any
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatalf("report.json: %v\n%s", err, data)
	}
	sample, err := loadSampleUsers()
	if err != nil {
		t.Fatal(err)
	}
	fetch := report["fetch-users"]
	if fetch == nil {
		t.Fatalf("report.json has no fetch-users object:\n%s", data)
	}
	wantPages := (len(sample) + demoPerPage - 1) / demoPerPage
	if fetch["users"] != float64(len(sample)) || fetch["pages"] != float64(wantPages) {
		t.Errorf("fetch-users %v, want %d users in %d pages", fetch, len(sample), wantPages)
	}
	if r, _ := fetch["retries"].(float64); r < 1 {
		t.Errorf("fetch-users retries %v, want at least 1: the fake API answers 429 to the first request", fetch["retries"])
	}
	for _, step := range []string{"chat-users", "merge-users", "build", "verify"} {
		if report[step] == nil {
			t.Errorf("report.json has no %s object", step)
		}
	}
	if v := report["verify"]["violations"]; v != float64(0) {
		t.Errorf("verify found %v violations in the demo's archive", v)
	}

	// The users fetched are the sample's, in its order.
	f, err := os.Open(filepath.Join(demoDir, workspace.TicketUsersFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fetched, err := fakeapi.LoadUsersCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fetched, sample) {
		t.Errorf("fetched %d users, not the sample's %d (in its order)", len(fetched), len(sample))
	}

	if !strings.Contains(stderr.String(), "page 1: 429 Too Many Requests, retrying in 1s (retry 1 of 5)") {
		t.Errorf("stderr does not show the retry:\n%s", stderr.String())
	}
	// The cutover: the later export's delta run writes only what is new,
	// and the history tells both runs, newest first.
	if b := report["build"]; b["kind"] != "delta" || b["comments"] != float64(7) || b["tickets"] != float64(2) || b["users"] != float64(1) ||
		b["already_migrated"] != float64(2510) {
		t.Errorf("the delta run's build: %v", b)
	}
	out := stdout.String()
	for _, want := range []string{"retried request", filepath.Join(demoDir, workspace.ArchiveFile),
		"== After cutover: migrate --steps chat-users,merge-users,build,verify --delta",
		"2,510 already migrated; 1 message changed since",
		"2 new messages on tickets already migrated",
		"run 2, ", "a delta run, continuing the lineage of run 1", "run 1, ", "a full run, which began a new lineage"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if piece, around := leakedCredentials(out+stderr.String()+everyFile(t, demoDir), demoUser, demoPassword); piece != "" {
		t.Errorf("a piece of the credentials (%q) shows in the demo's output or files:\n%s", piece, around)
	}
}

// everyFile is the text of every file under dir, the archive's JSON
// expanded, each after its path.
func everyFile(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		b.WriteString("\n" + path + "\n")
		b.Write(data)
		if strings.HasSuffix(path, ".tar.gz") {
			entries := map[string][]byte{}
			expandArchive(t, bytes.NewReader(data), entries)
			for name, e := range entries {
				b.WriteString("\n" + path + ": " + name + "\n")
				b.Write(e)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// leakedCredentials finds in shown any 8-byte piece of password,
// or any 12-byte piece of the HTTP Basic value of user:password, as it is,
// percent-decoded, JSON-unescaped or base64-decoded where it looks like
// base64, and returns it with the text around it ("" when none): a secret
// leaks in pieces and encoded (a URL, a header dump, an error quoting a
// response) as surely as whole.
func leakedCredentials(shown, user, password string) (piece, around string) {
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	// Percent-decoded leniently: a "50%" elsewhere must not hide the rest.
	pct := regexp.MustCompile(`%[0-9A-Fa-f]{2}`).ReplaceAllStringFunc(shown, func(e string) string {
		v, _ := strconv.ParseUint(e[1:], 16, 8)
		return string([]byte{byte(v)})
	})
	views := []string{shown, pct, strings.ReplaceAll(pct, "+", " ")}
	views = append(views, strings.NewReplacer(`\u002d`, "-", `\u002D`, "-", `\/`, "/", `\"`, `"`).Replace(shown))
	for _, word := range regexp.MustCompile(`[A-Za-z0-9+/]{12,}={0,2}`).FindAllString(shown, -1) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
			if dec, err := enc.DecodeString(word); err == nil {
				views = append(views, string(dec))
			}
		}
	}
	for _, secret := range []struct {
		text string
		size int
	}{{password, 8}, {basic, 12}} {
		for i := 0; i+secret.size <= len(secret.text); i++ {
			piece := secret.text[i : i+secret.size]
			for _, view := range views {
				if at := strings.Index(view, piece); at >= 0 {
					return piece, view[max(at-80, 0):min(at+80, len(view))]
				}
			}
		}
	}
	return "", ""
}

// TestLeakedCredentials makes sure the check finds the leaks it is meant
// to, so that a silent check does not pass every demo.
func TestLeakedCredentials(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(demoUser + ":" + demoPassword))
	for _, tt := range []struct {
		shown string
		leak  bool
	}{
		{"fetched 3 pages from http://127.0.0.1:1234 as demo into demo-out/ticket_platform_users.csv", false},
		{"password: " + demoPassword, true},
		{"password: " + demoPassword[1:], true},
		{"password: " + demoPassword[:9] + "...", true},
		{"Authorization: Basic " + basic, true},
		{"Authorization: Basic " + basic[:14] + "...", true},
		{"header dump: " + base64.StdEncoding.EncodeToString([]byte("Authorization: Basic "+demoPassword)), true},
		{`{"password":"` + strings.ReplaceAll(demoPassword, "-", `\u002d`) + `"}`, true},
		{"100% done; https://elsewhere.example/?p=" + percentEncodeAll(demoPassword), true},
	} {
		if piece, _ := leakedCredentials(tt.shown, demoUser, demoPassword); (piece != "") != tt.leak {
			t.Errorf("leakedCredentials(%q) = %q, want a leak: %v", tt.shown, piece, tt.leak)
		}
	}
}

func TestDemoQuietRerun(t *testing.T) {
	t.Chdir(t.TempDir())
	for run := 1; run <= 2; run++ {
		var stdout, stderr bytes.Buffer
		if err := runDemo(context.Background(), &stdout, &stderr, true); err != nil {
			t.Fatalf("run %d: %v\nstderr:\n%s", run, err, stderr.String())
		}
		if strings.Contains(stderr.String(), "retrying") {
			t.Errorf("run %d: a quiet demo tells of its retries:\n%s", run, stderr.String())
		}
	}
}

// percentEncodeAll writes every byte of s as %XX.
func percentEncodeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02x", s[i])
	}
	return b.String()
}
