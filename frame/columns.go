package frame

import "iter"

// The typed columns of a columnar frame are plain slices, one per column,
// all of one length: the frame of comments holds []int64 ids, []bool
// visibility, []string bodies. The verbs below work a column at a time, so
// no per-cell interface call is made however many rows there are.

// Filter is df[keep]: the values whose keep is true, in order. It reuses
// col's array.
func Filter[T any](col []T, keep []bool) []T {
	out := col[:0]
	for i, v := range col {
		if keep[i] {
			out = append(out, v)
		}
	}
	return out
}

// Take returns col's values at rows, in the order of rows (pandas iloc).
func Take[T any](col []T, rows []int32) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = col[r]
	}
	return out
}

// Chunks slices n rows into runs of size, like the seed's split of its JSON
// lines into files of 100: it yields each run's number (from 0) and its
// bounds [lo, hi).
func Chunks(n, size int) iter.Seq2[int, [2]int] {
	return func(yield func(int, [2]int) bool) {
		for k, lo := 0, 0; lo < n; k, lo = k+1, lo+size {
			if !yield(k, [2]int{lo, min(lo+size, n)}) {
				return
			}
		}
	}
}

// NumChunks is how many runs of size n rows make.
func NumChunks(n, size int) int { return (n + size - 1) / size }

// Map is the hash left join of a key column on a lookup table, as the
// seed's VLOOKUP: out[i] is lookup's value for keys[i]. missing lists the
// rows whose key the table lacks (their out is the zero value), ascending.
func Map[K comparable, V any](keys []K, lookup map[K]V) (out []V, missing []int) {
	out = make([]V, len(keys))
	for i, k := range keys {
		v, ok := lookup[k]
		if !ok {
			missing = append(missing, i)
			continue
		}
		out[i] = v
	}
	return out, missing
}

// Replace is Map into the key column itself: col[i] becomes lookup's value
// for it, sparing a second column of millions of rows. missing lists the
// rows whose key the table lacks (left as they were), ascending.
func Replace[K comparable](col []K, lookup map[K]K) (missing []int) {
	for i, k := range col {
		v, ok := lookup[k]
		if !ok {
			missing = append(missing, i)
			continue
		}
		col[i] = v
	}
	return missing
}

// FirstSeen is drop_duplicates(keep="first") on an int64 key, fed one row at
// a time while a file streams in: it remembers the first row of each key.
type FirstSeen struct{ t *IDTable }

// NewFirstSeen sizes the index for about hint keys.
func NewFirstSeen(hint int) *FirstSeen { return &FirstSeen{NewIDTable(hint)} }

// Add records row under key unless key was seen: it returns the first row
// of key and whether row is a duplicate of it.
func (f *FirstSeen) Add(key int64, row int32) (first int32, dup bool) {
	return f.t.GetOrPut(key, row)
}

// Len is the number of distinct keys.
func (f *FirstSeen) Len() int { return f.t.Len() }
