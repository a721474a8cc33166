package verify

import (
	"cmp"
	"slices"
)

// violation is one violation inside a file; off orders a file's violations
// as they stand in the file, seq those at the same offset as they were
// found.
type violation struct {
	off, seq int
	text     string
}

func (a violation) less(b violation) bool {
	return a.off < b.off || a.off == b.off && a.seq < b.seq
}

// keptViolations counts the violations of one file and keeps the texts of
// those that could be printed: the first limit of them in file order. A
// file's violations are not found in file order (an object's missing keys
// are found after what is wrong inside it, an array's length after its
// elements), so the texts are a max-heap on the order: a violation past the
// last kept one costs a comparison, not a message.
type keptViolations struct {
	limit int
	count int
	heap  []violation
}

func (k *keptViolations) reset(limit int) {
	k.limit, k.count, k.heap = limit, 0, k.heap[:0]
}

// want counts one violation at off and reports whether its text is kept.
func (k *keptViolations) want(off int) bool {
	k.count++
	if len(k.heap) < k.limit {
		return true
	}
	return len(k.heap) > 0 && off < k.heap[0].off
}

// add keeps the text of the violation want was just asked about.
func (k *keptViolations) add(off int, text string) {
	v := violation{off: off, seq: k.count, text: text}
	if len(k.heap) == k.limit {
		// Replace the last in file order, then sift down.
		k.heap[0] = v
		k.down(0)
		return
	}
	k.heap = append(k.heap, v)
	for i := len(k.heap) - 1; i > 0; {
		parent := (i - 1) / 2
		if !k.heap[parent].less(k.heap[i]) {
			break
		}
		k.heap[parent], k.heap[i] = k.heap[i], k.heap[parent]
		i = parent
	}
}

func (k *keptViolations) down(i int) {
	h := k.heap
	for {
		big, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && h[big].less(h[l]) {
			big = l
		}
		if r < len(h) && h[big].less(h[r]) {
			big = r
		}
		if big == i {
			return
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
}

// sorted returns a copy of the kept violations in file order.
func (k *keptViolations) sorted() []violation {
	if len(k.heap) == 0 {
		return nil
	}
	out := slices.Clone(k.heap)
	slices.SortFunc(out, func(a, b violation) int {
		return cmp.Or(cmp.Compare(a.off, b.off), cmp.Compare(a.seq, b.seq))
	})
	return out
}
