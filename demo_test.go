package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
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
	out := stdout.String()
	for _, want := range []string{"retried request", filepath.Join(demoDir, workspace.ArchiveFile)} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+stderr.String(), demoPassword) {
		t.Errorf("the demo's password shows in its output")
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
