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
	"strconv"

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

// Step is what one step adds to report.json.
type Step struct {
	Name    string
	Seconds float64
	Counts  Counts
}

func (r Step) object() Counts {
	return append(Counts{{"seconds", roundSeconds(r.Seconds)}}, r.Counts...)
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
// keeping the objects of other steps as they were.
func Write(dir string, reports []Step) error {
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
				return err
			}
			write(name, v)
		} else if raw, ok := old[name]; ok {
			write(name, bytes.TrimSpace(raw))
		}
	}
	out.WriteString("\n}\n")
	return workspace.WriteFile(path, out.Bytes())
}
