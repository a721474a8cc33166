package workspace

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTempPID(t *testing.T) {
	for _, tc := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{".backup_tickets.tar.gz.tmp-4242-1234567", 4242, true},
		{".rejects.csv.tmp-1-0", 1, true},
		{".a.tmp-b.tmp-77-88", 77, true},
		{".config.tmp-4242-old", 0, false}, // a user's file
		{".config.tmp-4242-", 0, false},
		{".config.tmp--12", 0, false},
		{"rejects.csv.tmp-4242-1", 0, false}, // not hidden
		{".tmp-4242-1", 0, false},            // no final name
		{".x.tmp-0-1", 0, false},
		{".x.tmp-12a-1", 0, false},
	} {
		pid, ok := tempPID(tc.name)
		if pid != tc.pid || ok != tc.ok {
			t.Errorf("tempPID(%q) = %d, %v; want %d, %v", tc.name, pid, ok, tc.pid, tc.ok)
		}
	}
}

// RemoveStale removes what a dead migrate left, and nothing of the user's.
func TestRemoveStaleKeepsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	// 4194304 is above Linux's largest pid: no such process.
	stale := filepath.Join(dir, ".rejects.csv.tmp-4194304-123")
	mine := filepath.Join(dir, ".config.tmp-4194304-old")
	for _, p := range []string{stale, mine} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	RemoveStale(dir)
	if _, err := os.Stat(stale); err == nil {
		t.Error("the dead run's temporary file is still there")
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("the user's file was removed: %v", err)
	}
}
