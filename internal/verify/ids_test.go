package verify

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestIDMap(t *testing.T) {
	for _, tt := range []struct {
		name string
		id   func(r *rand.Rand) int64
	}{
		{"dense", func(r *rand.Rand) int64 { return 1 + r.Int64N(5000) }},
		{"sparse", func(r *rand.Rand) int64 { return 1 + r.Int64N(1<<62) }},
		{"page edges", func(r *rand.Rand) int64 { return 64*(1+r.Int64N(20)) + []int64{-1, 0, 1}[r.IntN(3)] }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			m, want := newIDMap[int](), map[int64]int{}
			for i := range 20000 {
				id := tt.id(r)
				v, found := m.put(id)
				if _, ok := want[id]; found != ok {
					t.Fatalf("put(%d): found %v, want %v", id, found, ok)
				}
				*v += i
				want[id] += i
				probe := tt.id(r)
				w, ok := want[probe]
				if got := m.get(probe); (got != nil) != ok || ok && *got != w {
					t.Fatalf("get(%d) = %v, want %d (%v)", probe, got, w, ok)
				}
			}
			n := 0
			m.each(func(id int64, v int) {
				n++
				if w, ok := want[id]; !ok || v != w {
					t.Errorf("each: %d = %d, want %d (%v)", id, v, w, ok)
				}
			})
			if n != len(want) {
				t.Errorf("each gave %d ids, want %d", n, len(want))
			}
			if m.get(0) != nil || m.get(-5) != nil {
				t.Error("get of an id below 1 found something")
			}
		})
	}
}

func TestIDSet(t *testing.T) {
	for _, ids := range [][]int64{{7, 3, 5}, {1, 1 << 40, 5}} {
		s := NewIDSet(ids)
		for _, id := range ids {
			if !s.Has(id) {
				t.Errorf("%v: Has(%d) is false", ids, id)
			}
		}
		for _, id := range []int64{0, 2, 4, 6, 8, 1<<40 + 1, -1} {
			if s.Has(id) {
				t.Errorf("%v: Has(%d) is true", ids, id)
			}
		}
	}
	var empty IDSet
	if empty.Has(1) {
		t.Error("the empty set has 1")
	}
}

// TestKeptViolations checks that a file keeps the texts of its first
// violations in file order, whatever order they are found in.
func TestKeptViolations(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var k keptViolations
	for _, limit := range []int{0, 1, 5, 100} {
		k.reset(limit)
		var all []violation
		for seq := 1; seq <= 300; seq++ {
			off := r.IntN(50)
			all = append(all, violation{off: off, seq: seq})
			if k.want(off) {
				k.add(off, "x")
			}
		}
		got := k.sorted()
		if k.count != len(all) || len(got) != min(limit, len(all)) {
			t.Fatalf("limit %d: count %d, kept %d", limit, k.count, len(got))
		}
		// The first limit in file order: sort all the same way.
		for i := range all {
			for j := i + 1; j < len(all); j++ {
				if all[j].less(all[i]) {
					all[i], all[j] = all[j], all[i]
				}
			}
		}
		for i, v := range got {
			if v.off != all[i].off || v.seq != all[i].seq {
				t.Fatalf("limit %d: kept[%d] = %+v, want %+v", limit, i, v, all[i])
			}
		}
	}
}

// TestModTimesManyTimes covers archives whose entries carry more distinct
// times than modTimes counts.
func TestModTimesManyTimes(t *testing.T) {
	// Every file holds a created_at of 1000; file i carries time 1000+i.
	var m modTimes
	for i := range 100 {
		m.add(i+1, int64(1000+i), 1000)
	}
	line, bad := m.check()
	if want := "backup_tickets_2.json: modification time 1970-01-01T00:16:41Z; want 1970-01-01T00:16:40Z, the newest created_at in the archive (SOURCE_DATE_EPOCH is not set) (and 98 more entries like it)"; !bad || line != want {
		t.Errorf("got %q, %v; want %q", line, bad, want)
	}
	// None carries the time wanted, which was never counted.
	m = modTimes{}
	for i := range 100 {
		m.add(i+1, int64(2000+i), 1000)
	}
	if line, bad := m.check(); !bad || !strings.HasPrefix(line, "backup_tickets_1.json: modification time 1970-01-01T00:33:20Z;") || !strings.HasSuffix(line, "(and maybe more entries like it)") {
		t.Errorf("got %q, %v", line, bad)
	}
	// With SOURCE_DATE_EPOCH the time wanted is known from the start.
	m = modTimes{epoch: time.Unix(1000, 0)}
	for i := range 100 {
		m.add(i+1, int64(1000+i%2), 1000)
	}
	if line, bad := m.check(); !bad || !strings.HasSuffix(line, "SOURCE_DATE_EPOCH (and 49 more entries like it)") || !strings.HasPrefix(line, "backup_tickets_2.json") {
		t.Errorf("got %q, %v", line, bad)
	}
}
