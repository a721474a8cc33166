package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/internal/fail"
)

var update = flag.Bool("update", false, "update golden files")

// TestGolden runs each case folder under fixtures/golden through run and
// compares what it wrote with the case's want/ folder. A case folder holds
// args (one argument per line; {dir} is the case's input folder, {work} a
// fresh work dir) and, when it has its own, chat_data.csv and
// ticket_platform_users.csv; otherwise the shared ones in fixtures/golden are
// used.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("fixtures/golden/*/args")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, argsFile := range cases {
		dir := filepath.Dir(argsFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := runCase(t, dir)
			compareDir(t, filepath.Join(dir, "want"), got)
		})
	}
}

// runCase runs one case and returns its outputs by file name.
func runCase(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	work := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	input := func(name string) string {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return filepath.Join(dir, name)
		}
		return filepath.Join(filepath.Dir(dir), name)
	}
	var args []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.ReplaceAll(line, "{chat}", input("chat_data.csv"))
		line = strings.ReplaceAll(line, "{tp}", input("ticket_platform_users.csv"))
		line = strings.ReplaceAll(line, "{work}", work)
		args = append(args, line)
	}
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "SOURCE_DATE_EPOCH" && strings.Contains(string(raw), "#sde") {
			return "1700000000"
		}
		return ""
	}
	err = run(context.Background(), args, &stdout, &stderr, getenv)
	out := map[string][]byte{}
	status := fail.Code(err)
	msg := ""
	if err != nil {
		msg = strings.ReplaceAll(err.Error(), work, "{work}")
		msg = strings.ReplaceAll(msg, filepath.Dir(dir), "{golden}")
	}
	out["exit"] = []byte(fmt.Sprintf("status %d\n%s\n", status, msg))
	for _, name := range []string{"chat_platform_users.csv", "merged_users.csv", "rejects.csv"} {
		if b, err := os.ReadFile(filepath.Join(work, name)); err == nil {
			out[name] = b
		}
	}
	if b, err := os.ReadFile(filepath.Join(work, "report.json")); err == nil {
		b = regexp.MustCompile(`"seconds":[0-9.e+-]+,"started_at":"[^"]*","version":"[^"]*",`).ReplaceAll(b, nil)
		b = []byte(strings.ReplaceAll(string(b), work, "{work}"))
		b = []byte(strings.ReplaceAll(string(b), filepath.Dir(dir), "{golden}"))
		out["report.json"] = b
	}
	if f, err := os.Open(filepath.Join(work, "backup_tickets.tar.gz")); err == nil {
		defer f.Close()
		expandArchive(t, f, out)
	}
	return out
}

// expandArchive adds the archive's entries, pretty-printed, and a listing of
// their tar headers to out.
func expandArchive(t *testing.T, r io.Reader, out map[string][]byte) {
	t.Helper()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatalf("archive is not gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	var listing bytes.Buffer
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("archive is not a tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&listing, "%s type=%c mode=%o uid=%d gid=%d uname=%q gname=%q mtime=%d size=%d\n",
			h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime.Unix(), h.Size)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, body, "", "  "); err != nil {
			t.Fatalf("%s is not JSON: %v", h.Name, err)
		}
		pretty.WriteByte('\n')
		out["archive/"+h.Name] = pretty.Bytes()
	}
	out["archive/entries.txt"] = listing.Bytes()
}

// compareDir compares got with the files under want, or rewrites want with -update.
func compareDir(t *testing.T, want string, got map[string][]byte) {
	t.Helper()
	if *update {
		os.RemoveAll(want)
		for name, b := range got {
			p := filepath.Join(want, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	var wantNames []string
	filepath.Walk(want, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.HasSuffix(p, ".got") {
			rel, _ := filepath.Rel(want, p)
			wantNames = append(wantNames, rel)
		}
		return nil
	})
	sort.Strings(wantNames)
	seen := map[string]bool{}
	for _, name := range wantNames {
		seen[name] = true
		w, _ := os.ReadFile(filepath.Join(want, name))
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: not written (want %d bytes)", name, len(w))
			continue
		}
		if !bytes.Equal(w, g) {
			gotPath := filepath.Join(want, name+".got")
			os.WriteFile(gotPath, g, 0o644)
			t.Errorf("%s differs from the golden file; diff %s %s", name, filepath.Join(want, name), gotPath)
		} else {
			os.Remove(filepath.Join(want, name+".got"))
		}
	}
	for name := range got {
		if !seen[name] {
			t.Errorf("%s: written but has no golden file (run go test -update and read the diff)", name)
		}
	}
}
