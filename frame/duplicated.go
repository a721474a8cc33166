package frame

import "math/bits"

// FirstOf is pandas' duplicated(keep="first") on an id column, with the
// kept row named: first[i] is the row of the first occurrence of keys[i]
// (i itself when row i is the first). Keys must be above 0.
//
// It runs in time linear in the rows at any scale. A single hash table
// over millions of ids outgrows the caches and the TLB, so that every
// lookup misses (the seed-scale export's 2.1M comment ids spent 2 s there,
// and 25M ids grew more than linearly). FirstOf instead partitions the rows
// by the high bits of their key's hash, keeping record order inside each
// partition, and runs a small table per partition that stays in the cache:
// two sequential passes and cache-resident lookups.
func FirstOf(keys []int64) []int32 {
	n := len(keys)
	first := make([]int32, n)
	if n == 0 {
		return first
	}
	// About 4,096 rows a partition: a table of 8,192 16-byte slots, 128 KB.
	pbits := 0
	if n > 4096 {
		pbits = min(bits.Len(uint(n-1))-12, 12)
	}
	parts := 1 << pbits
	hash := func(k int64) uint64 { return uint64(k) * 0x9E3779B97F4A7C15 }
	part := func(h uint64) int {
		if pbits == 0 {
			return 0
		}
		return int(h >> (64 - pbits))
	}

	// Rows grouped by partition, in record order within each.
	start := make([]int32, parts+1)
	for _, k := range keys {
		start[part(hash(k))+1]++
	}
	largest := int32(0)
	for p := 1; p <= parts; p++ {
		largest = max(largest, start[p])
		start[p] += start[p-1]
	}
	order := make([]int32, n)
	next := make([]int32, parts)
	copy(next, start[:parts])
	for i, k := range keys {
		p := part(hash(k))
		order[next[p]] = int32(i)
		next[p]++
	}

	// One table, reused by every partition.
	size := 1
	for size < 2*int(largest) {
		size <<= 1
	}
	tbits := bits.Len(uint(size - 1))
	type slot struct {
		key int64
		row int32
	}
	table := make([]slot, size)
	mask := uint64(size - 1)
	for p := 0; p < parts; p++ {
		rows := order[start[p]:start[p+1]]
		if len(rows) == 0 {
			continue
		}
		used := 1
		for used < 2*len(rows) {
			used <<= 1
		}
		t := table[:used]
		clear(t)
		umask := uint64(used - 1)
		for _, row := range rows {
			k := keys[row]
			// The bits below the partition's, so that a partition's keys
			// spread over its table.
			i := (hash(k) << pbits >> (64 - tbits)) & umask & mask
			for {
				s := &t[i]
				if s.key == k {
					first[row] = s.row
					break
				}
				if s.key == 0 {
					s.key, s.row = k, row
					first[row] = row
					break
				}
				i = (i + 1) & umask
			}
		}
	}
	return first
}
