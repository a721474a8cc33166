package verify

import (
	"math"
	"slices"
)

// IDSet is a set of ids: a bitmap over their range when that is dense
// enough (ids handed out in sequence), else the sorted distinct ids. Looking
// millions of references up in a bitmap that fits the cache is an order of
// magnitude faster than in a hash map of the same ids.
type IDSet struct {
	min    int64
	bits   []uint64
	sorted []int64
}

// bitmapMax bounds a bitmap to 16 MiB: cheap to clear even for a few ids
// far apart, and lookups in it still beat a binary search.
const bitmapMax = 1 << 27

// newIDSet returns the set of the ids seq yields, 0 aside, and the ids it
// yields more than once.
func newIDSet(seq func(yield func(int64) bool)) (set IDSet, repeated []int64) {
	n := 0
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for id := range seq {
		if id != 0 {
			n++
			lo, hi = min(lo, id), max(hi, id)
		}
	}
	if n == 0 {
		return set, nil
	}
	if span := uint64(hi-lo) + 1; span <= bitmapMax {
		bits := make([]uint64, (span+63)/64)
		for id := range seq {
			if id == 0 {
				continue
			}
			d := uint64(id - lo)
			w, m := d>>6, uint64(1)<<(d&63)
			if bits[w]&m != 0 {
				repeated = append(repeated, id)
			}
			bits[w] |= m
		}
		return IDSet{min: lo, bits: bits}, slices.Compact(slices.Sorted(slices.Values(repeated)))
	}
	sorted := make([]int64, 0, n)
	for id := range seq {
		if id != 0 {
			sorted = append(sorted, id)
		}
	}
	sorted = sortIDs(sorted)
	distinct := sorted[:0]
	for i, id := range sorted {
		if i > 0 && id == sorted[i-1] {
			if len(repeated) == 0 || repeated[len(repeated)-1] != id {
				repeated = append(repeated, id)
			}
			continue
		}
		distinct = append(distinct, id)
	}
	return IDSet{sorted: distinct}, repeated
}

// Has reports whether id is in the set.
func (s *IDSet) Has(id int64) bool {
	if s.bits != nil {
		d := uint64(id - s.min)
		return id >= s.min && d < uint64(len(s.bits))*64 && s.bits[d>>6]&(1<<(d&63)) != 0
	}
	_, ok := slices.BinarySearch(s.sorted, id)
	return ok
}

// sortIDs sorts positive ids with an LSD radix sort, skipping the passes
// over bytes that every id shares: ids rarely use all eight.
func sortIDs(a []int64) []int64 {
	if len(a) < 2 {
		return a
	}
	var bits uint64
	for _, id := range a {
		bits |= uint64(id)
	}
	src, dst := a, make([]int64, len(a))
	for shift := 0; shift < 64 && bits>>shift != 0; shift += 8 {
		var count [256]int
		for _, id := range src {
			count[byte(uint64(id)>>shift)]++
		}
		if count[byte(uint64(src[0])>>shift)] == len(src) {
			continue
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, id := range src {
			b := byte(uint64(id) >> shift)
			dst[count[b]] = id
			count[b]++
		}
		src, dst = dst, src
	}
	return src
}
