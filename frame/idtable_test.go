package frame

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestIDTableMatchesMap(t *testing.T) {
	tests := []struct {
		name string
		keys func(i int) int64
	}{
		{"consecutive", func(i int) int64 { return int64(i + 1) }},
		{"strided", func(i int) int64 { return int64(i)*1024 + 7 }},
		{"large", func(i int) int64 { return math.MaxInt64 - int64(i) }},
		{"random", func(i int) int64 { return rand.New(rand.NewPCG(uint64(i), 1)).Int64N(1e6) + 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := NewIDTable(4) // small, so that it grows
			want := map[int64]int32{}
			for i := 0; i < 50000; i++ {
				k := tt.keys(i)
				if _, ok := want[k]; !ok {
					want[k] = int32(i)
					table.Put(k, int32(i))
				}
			}
			for k, v := range want {
				if got, ok := table.Get(k); !ok || got != v {
					t.Fatalf("get(%d) = %d, %v; want %d", k, got, ok, v)
				}
			}
			for _, k := range []int64{-1, math.MinInt64 + 1, 1 << 62} {
				if _, inMap := want[k]; !inMap {
					if _, ok := table.Get(k); ok {
						t.Errorf("get(%d) found a key never put", k)
					}
				}
			}
			if table.n != len(want) {
				t.Errorf("table holds %d keys, want %d", table.n, len(want))
			}
		})
	}
}

func BenchmarkIDTable(b *testing.B) {
	for i := 0; i < b.N; i++ {
		t := NewIDTable(1 << 20)
		for k := int64(1); k <= 1<<20; k++ {
			if _, ok := t.Get(k * 3); !ok {
				t.Put(k*3, int32(k))
			}
		}
	}
}
