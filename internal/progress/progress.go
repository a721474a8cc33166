// Package progress reports long work on stderr: a bar on a terminal, a line
// every few seconds otherwise, nothing when quiet.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Reporter reports long work on stderr: a bar on a terminal, a line every few
// seconds otherwise, nothing when quiet. A nil *Reporter reports nothing.
type Reporter struct {
	w        io.Writer
	quiet    bool
	terminal bool
	every    time.Duration
}

// New reports to w. A bar is drawn only when w is a terminal.
func New(w io.Writer, quiet bool) *Reporter {
	p := &Reporter{w: w, quiet: quiet, every: 5 * time.Second}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.terminal = true
	}
	return p
}

// Task is one piece of long work: rows read, pages fetched.
type Task struct {
	p     *Reporter
	label string
	unit  string
	total int64

	mu   sync.Mutex
	done int64
	last time.Time
	bar  *progressbar.ProgressBar
}

// Start begins a task of total units (-1 when unknown).
func (p *Reporter) Start(label, unit string, total int64) *Task {
	t := &Task{p: p, label: label, unit: unit, total: total, last: time.Now()}
	if p == nil || p.quiet {
		return t
	}
	if p.terminal {
		t.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionShowIts(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return t
}

// SetTotal changes the total once it becomes known.
func (t *Task) SetTotal(total int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total = total
	if t.bar != nil {
		t.bar.ChangeMax64(total)
	}
}

// Add records n more units done.
func (t *Task) Add(n int64) {
	if t.p == nil || t.p.quiet {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done += n
	if t.bar != nil {
		t.bar.Add64(n)
		return
	}
	if now := time.Now(); now.Sub(t.last) >= t.p.every {
		t.last = now
		if t.total > 0 {
			fmt.Fprintf(t.p.w, "%s: %d of %d %s\n", t.label, t.done, t.total, t.unit)
		} else {
			fmt.Fprintf(t.p.w, "%s: %d %s\n", t.label, t.done, t.unit)
		}
	}
}

// Done ends the task.
func (t *Task) Done() {
	if t.bar != nil {
		t.bar.Finish()
	}
}
