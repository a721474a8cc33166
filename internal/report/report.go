// Package report holds report.json, the work dir's record of what each step
// did: one object per step, keyed by the step's name, in pipeline order
// (SPEC section 7). A step that runs replaces its own object and keeps the
// others.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// Count is one named number of a step's report, or a group of them.
type Count = struct {
	Key   string
	Value any // int, int64, float64, string, bool, Counts, or any JSON value
}

// Counts is an ordered set of counts: report.json keeps this order.
type Counts []Count

// Add appends a count.
func (c *Counts) Add(key string, value any) { *c = append(*c, Count{key, value}) }

// Get returns the value under a dotted key such as "rejected.empty_body".
func (c Counts) Get(key string) (any, bool) {
	for _, kv := range c {
		if kv.Key == key {
			return kv.Value, true
		}
		if sub, ok := kv.Value.(Counts); ok && len(key) > len(kv.Key) && key[:len(kv.Key)+1] == kv.Key+"." {
			return sub.Get(key[len(kv.Key)+1:])
		}
	}
	return nil, false
}

// Int returns the integer under a dotted key, 0 when there is none.
func (c Counts) Int(key string) int64 {
	v, _ := c.Get(key)
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// MarshalJSON writes the counts as one object in their order.
func (c Counts) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(kv.Key))
		b.WriteByte(':')
		v, err := json.Marshal(kv.Value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Step is what one step adds to report.json: when and how it ran, its
// counts, and the files it read and wrote (SPEC section 7).
type Step struct {
	Name      string
	StartedAt time.Time
	Seconds   float64
	// Version is the program's version and VCS revision.
	Version string
	// Counts are the step's numbers, in the order they are written.
	Counts Counts
	// Options are the options in effect, by flag name.
	Options Counts
	// Inputs and Outputs are the files read and written, by role
	// ("chat_export", "archive"...).
	Inputs, Outputs []File
	// Written is set once the step's object is in report.json.
	Written bool
}

// File is a file a step read or wrote, as report.json records it.
type File = workspace.File

// Elapsed is the time since the step started, in seconds.
func (r *Step) Elapsed() float64 { return time.Since(r.StartedAt).Seconds() }

// AddInput records a file read.
func (r *Step) AddInput(f File) { r.Inputs = append(r.Inputs, f) }

// AddOutput records a file written.
func (r *Step) AddOutput(f File) { r.Outputs = append(r.Outputs, f) }

func (r *Step) object() Counts {
	o := Counts{
		{"seconds", roundSeconds(r.Seconds)},
		{"started_at", r.StartedAt.UTC().Format(time.RFC3339Nano)},
		{"version", r.Version},
	}
	o = append(o, r.Counts...)
	if r.Options != nil {
		o = append(o, Count{"options", r.Options})
	}
	files := func(list []File) Counts {
		c := Counts{}
		for _, f := range list {
			c.Add(f.Role, f)
		}
		return c
	}
	o = append(o, Count{"inputs", files(r.Inputs)}, Count{"outputs", files(r.Outputs)})
	return o
}

func roundSeconds(s float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(s, 'f', 3, 64), 64)
	return v
}

// Order is the order of the steps' objects in report.json.
var Order = []string{"fetch-users", "chat-users", "merge-users", "build", "verify"}

// Read returns the objects of path's report.json by step name; a missing
// file is an empty report.
func Read(path string) (map[string]json.RawMessage, error) {
	old := map[string]json.RawMessage{}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return old, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &old); err != nil {
		return nil, fmt.Errorf("%s is not a JSON object: %w", path, err)
	}
	return old, nil
}

// Write replaces the objects of the steps in reports in dir/report.json,
// keeping the objects of other steps as they were, and marks them written.
func Write(dir string, reports ...*Step) error {
	staged, err := Stage(dir, reports...)
	if err != nil {
		return err
	}
	defer staged.Abort()
	return staged.Commit()
}

// Staged is a report.json complete under a temporary name: a step that
// publishes a set of files renames it last (SPEC section 2).
type Staged struct {
	f       *workspace.AtomicFile
	reports []*Step
}

// Stage writes what Write would write, under a temporary name. Call Commit
// to put it in place, and defer Abort.
func Stage(dir string, reports ...*Step) (*Staged, error) {
	path := filepath.Join(dir, workspace.ReportFile)
	// A report that cannot be read is replaced, not fatal: it only holds counts.
	old, _ := Read(path)
	fresh := map[string]Counts{}
	for _, r := range reports {
		fresh[r.Name] = r.object()
	}

	var out bytes.Buffer
	out.WriteString("{\n")
	first := true
	write := func(name string, v []byte) {
		if !first {
			out.WriteString(",\n")
		}
		first = false
		fmt.Fprintf(&out, "  %q: %s", name, v)
	}
	for _, name := range Order {
		if c, ok := fresh[name]; ok {
			v, err := c.MarshalJSON()
			if err != nil {
				return nil, err
			}
			write(name, v)
		} else if raw, ok := old[name]; ok {
			write(name, bytes.TrimSpace(raw))
		}
	}
	out.WriteString("\n}\n")
	f, err := workspace.CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(out.Bytes()); err != nil {
		f.Abort()
		return nil, fail.Failf("cannot write %s: %w", path, err)
	}
	if err := f.Finish(); err != nil {
		return nil, err
	}
	return &Staged{f: f, reports: reports}, nil
}

// Commit renames report.json into place and marks its steps written.
func (s *Staged) Commit() error {
	if err := s.f.Commit(); err != nil {
		return err
	}
	for _, r := range s.reports {
		r.Written = true
	}
	return nil
}

// Abort drops the temporary file; it does nothing after Commit.
func (s *Staged) Abort() { s.f.Abort() }

// Recorded is a file that report.json says a step read or wrote.
type Recorded struct {
	Step      string
	StartedAt string
	// WorkDir is the --work-dir of that run, as it was given: a relative
	// Path is relative to the folder that run started in.
	WorkDir string
	File
}

// Find returns the newest file recorded with role among the inputs and
// outputs of the report at path: of every step, or of the steps named.
func Find(path, role string, steps ...string) (Recorded, bool) {
	objects, err := Read(path)
	if err != nil {
		return Recorded{}, false
	}
	var best Recorded
	found := false
	for name, raw := range objects {
		if len(steps) > 0 && !slices.Contains(steps, name) {
			continue
		}
		var o struct {
			StartedAt string `json:"started_at"`
			Options   struct {
				WorkDir string `json:"work_dir"`
			} `json:"options"`
			Inputs  map[string]File `json:"inputs"`
			Outputs map[string]File `json:"outputs"`
		}
		if json.Unmarshal(raw, &o) != nil {
			continue
		}
		for _, files := range []map[string]File{o.Outputs, o.Inputs} {
			f, ok := files[role]
			if !ok || f.Path == "" {
				continue
			}
			if !found || later(o.StartedAt, best.StartedAt) {
				best, found = Recorded{Step: name, StartedAt: o.StartedAt, WorkDir: o.Options.WorkDir, File: f}, true
			}
		}
	}
	return best, found
}

// Number writes n with thousands separators: 2,500,000.
func Number[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Output returns the file that step recorded as its output with role in
// the report at path.
func Output(path, step, role string) (File, bool) {
	objects, err := Read(path)
	if err != nil {
		return File{}, false
	}
	var o struct {
		Outputs map[string]File `json:"outputs"`
	}
	if raw, ok := objects[step]; !ok || json.Unmarshal(raw, &o) != nil {
		return File{}, false
	}
	f, ok := o.Outputs[role]
	return f, ok && f.Path != ""
}

// later tells whether the started_at a is later than b.
func later(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	if errA != nil || errB != nil {
		return a > b
	}
	return ta.After(tb)
}
