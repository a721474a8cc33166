// Package progress reports long work on stderr: a bar on a terminal, a line
// every few seconds otherwise, nothing when quiet.
package progress

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Reporter reports long work: a bar when its writer is a terminal, a line
// every Every otherwise, nothing when quiet. A nil *Reporter reports nothing.
type Reporter struct {
	w        io.Writer
	quiet    bool
	terminal bool
	// Every is how often a line is printed when the writer is not a
	// terminal; New sets 5 s.
	Every time.Duration
	// now is the clock, for tests.
	now func() time.Time
}

// New reports to w. A bar is drawn only when w is a terminal.
func New(w io.Writer, quiet bool) *Reporter {
	p := &Reporter{w: w, quiet: quiet, Every: 5 * time.Second, now: time.Now}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.terminal = true
	}
	return p
}

// Task is one piece of long work: MB read, files written, pages fetched.
type Task struct {
	p     *Reporter
	label string
	unit  string
	total int64

	mu    sync.Mutex
	start time.Time
	done  int64
	last  time.Time
	bar   *progressbar.ProgressBar
}

// Start begins a task of total units (-1 when unknown).
func (p *Reporter) Start(label, unit string, total int64) *Task {
	if p == nil || p.quiet {
		return &Task{}
	}
	now := p.now()
	t := &Task{p: p, label: label, unit: unit, total: total, start: now, last: now}
	if p.terminal {
		t.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(250*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return t
}

// SetTotal changes the total once it becomes known.
func (t *Task) SetTotal(total int64) {
	if t.p == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total = total
	if t.bar != nil {
		t.bar.ChangeMax64(total)
	}
}

// Add records n more units done. Call it after the work, in small steps:
// rates are the units done over the time elapsed since Start.
func (t *Task) Add(n int64) {
	if t.p == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done += n
	if t.bar != nil {
		t.bar.Add64(n)
		return
	}
	if now := t.p.now(); now.Sub(t.last) >= t.p.Every {
		t.last = now
		fmt.Fprintln(t.p.w, t.line(now))
	}
}

// line is the progress of t at now, for a log: "reading chat.csv: 1,234 of
// 5,300 MB (23%), 120 MB/s, about 34 s left".
func (t *Task) line(now time.Time) string {
	elapsed := now.Sub(t.start).Seconds()
	s := fmt.Sprintf("%s: %s", t.label, group(t.done))
	if t.total > 0 {
		s += fmt.Sprintf(" of %s %s (%d%%)", group(t.total), t.unit, 100*t.done/t.total)
	} else {
		s += " " + t.unit
	}
	if elapsed > 0 && t.done > 0 {
		rate := float64(t.done) / elapsed
		s += fmt.Sprintf(", %s %s/s", groupFloat(rate), t.unit)
		if t.total > t.done {
			s += fmt.Sprintf(", about %s left", (time.Duration(float64(t.total-t.done)/rate) * time.Second).Round(time.Second))
		}
	}
	return s
}

// Done ends the task.
func (t *Task) Done() {
	if t.bar != nil {
		t.bar.Finish()
	}
}

// group writes n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range s {
		if i > 0 && s[0] != '-' && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func groupFloat(f float64) string {
	if f < 10 {
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return group(int64(f + 0.5))
}
