package steps

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRecordedPath(t *testing.T) {
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	parent := filepath.Dir(here)
	tests := []struct {
		name                    string
		path, workThen, workNow string
		want                    string // "" when it cannot be known
	}{
		{"absolute", "/data/chat.csv", "w", "../w", "/data/chat.csv"},
		{"inside the work dir, from a subfolder", "w2/arch.tar.gz", "w2", "../w2", "../w2/arch.tar.gz"},
		{"inside a moved work dir", "w1/arch.tar.gz", "w1", "/elsewhere/w1copy", "/elsewhere/w1copy/arch.tar.gz"},
		{"inside, deeper", "w/runs/1/created.csv", "./w", "x/w", "x/w/runs/1/created.csv"},
		{"outside, from the same folder", "exports/chat.csv", "w2", "w2", filepath.Join(here, "exports/chat.csv")},
		{"outside, from a subfolder", "exports/chat.csv", filepath.Base(here) + "/w2", "w2", filepath.Join(parent, "exports/chat.csv")},
		{"the work dir was the folder itself", "chat.csv", ".", "sub", "sub/chat.csv"},
		{"outside, a moved work dir", "exports/chat.csv", "w1", "w1copy", ""},
		{"a name that only ends like the work dir", "exports/chat.csv", "w2", "aw2", ""},
		{"relative, the work dir absolute then and now", "chat.csv", "/data/w", "/data/w", "chat.csv"},
		{"relative, the work dir absolute then, moved", "chat.csv", "/data/w", "/data/w2", ""},
		{"no work dir recorded", "chat.csv", "", "w", "chat.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := recordedPath(tt.path, tt.workThen, tt.workNow)
			if !ok {
				got = ""
			}
			if got != tt.want {
				t.Errorf("recordedPath(%q, %q, %q) = %q, %v; want %q", tt.path, tt.workThen, tt.workNow, got, ok, tt.want)
			}
		})
	}
}
