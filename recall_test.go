package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestRecallFromAnotherFolder: the work dir remembers its inputs and its
// archive relative to the folder the first run started in, so a rerun from
// a subfolder (naming the work dir as ../w) reads the same export and
// writes the same archive; and an archive verify was asked to check is not
// where the next build writes.
func TestRecallFromAnotherFolder(t *testing.T) {
	sample, err := filepath.Abs("fixtures/sample")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, f := range []struct{ from, to string }{{"chat_data.csv", "exports/chat.csv"}, {"ticket_platform_users.csv", "tp.csv"}} {
		b, err := os.ReadFile(filepath.Join(sample, f.from))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(root, filepath.Dir(f.to)), 0o755)
		if err := os.WriteFile(filepath.Join(root, f.to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	migrate := func(args ...string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append(args, "--invalid-utf8", "replace", "--max-reject-rate", "1", "--quiet")
		if err := run(context.Background(), args, &stdout, &stderr, noEnv); err != nil {
			t.Fatalf("migrate %v: %v\n%s", args, err, stderr.String())
		}
	}
	t.Chdir(root)
	migrate("--steps", "chat-users,merge-users,build", "--chat-csv", "exports/chat.csv", "--ticket-users", "tp.csv",
		"--work-dir", "w", "--out", "w/arch.tar.gz")
	first, err := os.ReadFile("w/arch.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	// Another archive, from another work dir, for verify to check.
	migrate("--steps", "chat-users,merge-users,build", "--chat-csv", "exports/chat.csv", "--ticket-users", "tp.csv",
		"--work-dir", "v", "--out", "other.tar.gz", "--batch-size", "7")
	other, _ := os.ReadFile("other.tar.gz")

	os.Mkdir("sub", 0o755)
	t.Chdir(filepath.Join(root, "sub"))
	os.Remove(filepath.Join(root, "w", "arch.tar.gz"))
	migrate("--steps", "build,verify", "--work-dir", "../w")
	if again, err := os.ReadFile(filepath.Join(root, "w", "arch.tar.gz")); err != nil || !bytes.Equal(again, first) {
		t.Errorf("the rerun from sub/ did not write w/arch.tar.gz again (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(root, "sub", "w")); err == nil {
		t.Error("the rerun from sub/ wrote into sub/w, outside the work dir")
	}

	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"--steps", "verify", "--work-dir", "../w", "--out", "../other.tar.gz", "--quiet"}, &stdout, &stderr, noEnv)
	migrate("--steps", "build", "--work-dir", "../w")
	if after, _ := os.ReadFile(filepath.Join(root, "other.tar.gz")); !bytes.Equal(after, other) {
		t.Error("build wrote over the archive verify was asked to check")
	}
}
