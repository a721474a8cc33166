//go:build linux

package verify

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	vt "github.com/migrate-tool/migrate/internal/verify/verifytest"
)

// TestHostileMemory verifies hostile archives in a child process each and
// bounds its peak memory twice: the child's own watchdog, which reads
// runtime.ReadMemStats every 2 ms and exits at the bound (so that a
// regression fails fast instead of taking the machine's memory), and the
// child's peak resident set, VmHWM in /proc/self/status. (rusage would not
// do: Linux counts in a child's ru_maxrss the parent's peak before exec.)
func TestHostileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("verifies archives of up to 200 MB of JSON")
	}
	tests := []struct {
		name       string
		write      func(t *testing.T, w io.Writer)
		limitMB    int
		violations int
	}{
		{"1 GiB declared in 95 bytes", func(t *testing.T, w io.Writer) {
			w.Write(gzipped(t, newHostileTar().header(t, "backup_tickets_1.json", 1<<30).cut()))
		}, 128, 2},
		{"3M empty comments in 9 KB", func(t *testing.T, w io.Writer) {
			w.Write(gzipped(t, newHostileTar().file(t, "backup_tickets_1.json", amplifier(3_000_000)).end(t)))
		}, 256, 6*3_000_000 + 1},
		{"two files of 22M empty comments each", func(t *testing.T, w io.Writer) {
			w.Write(amplifierArchive(t, 2, (specMaxEntry-100)/3))
		}, 256, 2 * (6*((specMaxEntry-100)/3) + 1)},
		{"2M comments repeating one id and naming no ticket", func(t *testing.T, w io.Writer) {
			writeComments(t, w, 20_000, func(int) int64 { return 1 })
		}, 128, 2*2_000_000 - 1},
		{"500k comments with their own ids", func(t *testing.T, w io.Writer) {
			writeComments(t, w, 5_000, func(i int) int64 { return int64(i + 1) })
		}, 128, 500_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "backup_tickets.tar.gz")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			tt.write(t, f)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestHostileMemoryChild$")
			cmd.Env = append(os.Environ(), "VERIFY_MEMORY_CHILD="+path, "VERIFY_MEMORY_LIMIT_MB="+strconv.Itoa(tt.limitMB))
			out, err := cmd.Output()
			var got struct{ violations, peakMB, rss int }
			fmt.Sscanf(resultLine(out), "violations=%d peak=%d rss=%d", &got.violations, &got.peakMB, &got.rss)
			rss := got.rss >> 10 // KiB to MiB
			t.Logf("peak resident set %d MiB, peak from ReadMemStats %d MiB, %d violations", rss, got.peakMB, got.violations)
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			if rss >= tt.limitMB || got.peakMB >= tt.limitMB {
				t.Errorf("peak memory %d MiB (resident) and %d MiB (ReadMemStats), want under %d", rss, got.peakMB, tt.limitMB)
			}
			if got.violations != tt.violations {
				t.Errorf("%d violations, want %d", got.violations, tt.violations)
			}
		})
	}
}

// writeComments writes an archive of files files of 100 comments, the i-th
// with id id(i), each naming ticket 2, which does not exist, and user 1.
func writeComments(t *testing.T, w io.Writer, files int, id func(i int) int64) {
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	h := newHostileTar()
	var b strings.Builder
	for n := range files {
		b.Reset()
		b.WriteString(`{"data":{"tickets":{"data":[],"comments":[`)
		for i := range 100 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"created_at":"2021-01-01T10:05:00Z","ticket_id":2,"id":%d,"public":true,"html_body":"","author_id":1}`, id(n*100+i))
		}
		b.WriteString(`],"users":[`)
		if n == 0 {
			b.WriteString(vt.User(1, ""))
		}
		b.WriteString(`],"organizations":[]}}}`)
		h.file(t, fmt.Sprintf("backup_tickets_%d.json", n+1), b.String())
		gz.Write(h.buf.Bytes())
		h.buf.Reset()
	}
	gz.Write(h.end(t))
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
}

// resultLine is the line the child prints its result on.
func resultLine(out []byte) string {
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "violations=") {
			return line
		}
	}
	return ""
}

// TestHostileMemoryChild is the child of TestHostileMemory.
func TestHostileMemoryChild(t *testing.T) {
	path := os.Getenv("VERIFY_MEMORY_CHILD")
	if path == "" {
		t.Skip("run by TestHostileMemory")
	}
	limit, _ := strconv.Atoi(os.Getenv("VERIFY_MEMORY_LIMIT_MB"))
	peak := make(chan uint64)
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		var max uint64
		for done := false; !done; {
			select {
			case <-stop:
				done = true
			case <-time.After(2 * time.Millisecond):
			}
			// What the runtime holds from the system and has not given back.
			runtime.ReadMemStats(&m)
			max = maxOf(max, m.Sys-m.HeapReleased)
			if max>>20 >= uint64(limit) {
				fmt.Printf("over the limit: %d MiB of memory\n", max>>20)
				os.Exit(3)
			}
		}
		peak <- max
	}()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := &lineCounter{}
	cfg := testConfig()
	cfg.Out = lines
	res, err := Archive(context.Background(), bufio.NewReader(f), cfg)
	close(stop)
	max := <-peak
	if err != nil {
		t.Fatal(err)
	}
	if lines.n > MaxPrinted+1 {
		t.Errorf("%d lines printed", lines.n)
	}
	fmt.Printf("violations=%d peak=%d rss=%d\n", res.Violations, max>>20, peakResident(t))
}

// peakResident returns the process's peak resident set in KiB.
func peakResident(t *testing.T) int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func maxOf(a, b uint64) uint64 { return max(a, b) }

// lineCounter counts the lines written to it and keeps none.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += strings.Count(string(p), "\n")
	return len(p), nil
}
