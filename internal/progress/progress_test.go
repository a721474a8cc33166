package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestLinesWhenNotATerminal checks the log lines: one every Every, with the
// rate over the time elapsed since Start, never an instant burst.
func TestLinesWhenNotATerminal(t *testing.T) {
	var out bytes.Buffer
	p := New(&out, false)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }
	task := p.Start("writing backup_tickets.tar.gz", "files", 21253)
	task.Add(256) // at once: no line, and no rate from zero time
	clock = clock.Add(5 * time.Second)
	task.Add(4744) // 5,000 files in 5 s
	clock = clock.Add(time.Second)
	task.Add(1000) // within Every of the last line: nothing
	task.Done()
	want := "writing backup_tickets.tar.gz: 5,000 of 21,253 files (23%), 1,000 files/s, about 16s left\n"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}

func TestQuietAndNil(t *testing.T) {
	var out bytes.Buffer
	New(&out, true).Start("x", "MB", 10).Add(10)
	var nilReporter *Reporter
	task := nilReporter.Start("x", "MB", 10)
	task.Add(5)
	task.SetTotal(20)
	task.Done()
	if out.Len() > 0 {
		t.Errorf("quiet printed %q", out.String())
	}
}

func TestLineWithoutTotal(t *testing.T) {
	p := New(&bytes.Buffer{}, false)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return start }
	task := p.Start("fetching users", "pages", -1)
	task.done = 1234
	if got := task.line(start.Add(2 * time.Second)); !strings.Contains(got, "1,234 pages, 617 pages/s") {
		t.Errorf("line %q", got)
	}
}
