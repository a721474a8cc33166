package frame

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// firstOfMap is FirstOf the obvious way, for reference.
func firstOfMap(keys []int64) []int32 {
	seen := map[int64]int32{}
	out := make([]int32, len(keys))
	for i, k := range keys {
		if f, ok := seen[k]; ok {
			out[i] = f
			continue
		}
		seen[k] = int32(i)
		out[i] = int32(i)
	}
	return out
}

func TestFirstOfMatchesAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		n    int
		key  func(i int) int64
	}{
		{"empty", 0, nil},
		{"one", 1, func(int) int64 { return 7 }},
		{"all the same", 5000, func(int) int64 { return 42 }},
		{"consecutive, 15% repeated", 200_000, func(i int) int64 {
			if i%7 == 0 && i > 0 {
				return int64(i / 2)
			}
			return int64(i + 1)
		}},
		{"random, many repeats", 100_000, func(int) int64 { return rng.Int64N(30_000) + 1 }},
		{"huge ids", 50_000, func(i int) int64 { return math.MaxInt64 - int64(i%20_000) }},
		{"strided", 70_000, func(i int) int64 { return int64(i%50_000)<<20 + 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := make([]int64, tt.n)
			for i := range keys {
				keys[i] = tt.key(i)
			}
			got, want := FirstOf(keys), firstOfMap(keys)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("row %d (key %d): first %d, want %d", i, keys[i], got[i], want[i])
				}
			}
		})
	}
}

func BenchmarkFirstOf(b *testing.B) {
	for _, n := range []int{2_500_000, 25_000_000} {
		keys := make([]int64, n)
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range keys {
			keys[i] = rng.Int64N(int64(n)*7/8) + 1_000_000
		}
		b.Run(fmt.Sprintf("partitioned/%d", n), func(b *testing.B) {
			for b.Loop() {
				FirstOf(keys)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(fmt.Sprintf("one-table/%d", n), func(b *testing.B) {
			for b.Loop() {
				t := NewIDTable(n)
				for i, k := range keys {
					t.GetOrPut(k, int32(i))
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
