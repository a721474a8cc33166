package steps

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/bytedance/sonic"
)

// Count is one named number of a step's report, or a group of them.
type Count struct {
	Key   string
	Value any // int, int64, float64 or Counts
}

// Counts is an ordered set of counts: report.json keeps this order, and the
// summary table prints it.
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
		v, err := sonic.ConfigStd.Marshal(kv.Value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// StepReport is what one step adds to report.json.
type StepReport struct {
	Step    string
	Seconds float64
	Counts  Counts
}

func (r StepReport) object() Counts {
	return append(Counts{{"seconds", roundSeconds(r.Seconds)}}, r.Counts...)
}

func roundSeconds(s float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(s, 'f', 3, 64), 64)
	return v
}

// stepOrder is the order of the pipeline, used for report.json and the summary.
var stepOrder = []string{"fetch-users", "chat-users", "merge-users", "build", "verify"}

// WriteReport replaces the objects of the steps in reports in dir/report.json,
// keeping the objects of other steps as they were.
func WriteReport(dir string, reports []StepReport) error {
	path := filepath.Join(dir, ReportFile)
	old := map[string]rawJSON{}
	if data, err := os.ReadFile(path); err == nil {
		// A report that cannot be read is replaced, not fatal: it only holds counts.
		_ = sonic.Unmarshal(data, &old)
	}
	fresh := map[string]Counts{}
	for _, r := range reports {
		fresh[r.Step] = r.object()
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
	for _, name := range stepOrder {
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
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(out.Bytes()); err != nil {
		return Failf("cannot write %s: %v", path, err)
	}
	return f.Commit()
}

// rawJSON keeps a JSON value as it was read.
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// PrintSummary writes the counts of the steps that ran as a table.
func PrintSummary(w io.Writer, reports []StepReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "step\tcount\tvalue\t\n")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t\n", r.Step, "seconds", r.Seconds)
		printCounts(tw, r.Step, "", r.Counts)
	}
	tw.Flush()
}

func printCounts(w io.Writer, step, prefix string, c Counts) {
	for _, kv := range c {
		switch v := kv.Value.(type) {
		case Counts:
			printCounts(w, step, prefix+kv.Key+".", v)
		default:
			fmt.Fprintf(w, "%s\t%s\t%v\t\n", step, prefix+kv.Key, v)
		}
	}
}
