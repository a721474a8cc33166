package verify

import (
	"math/bits"
	"slices"
)

// IDSet is a fixed set of ids, such as the ticket platform's users: a bitmap
// over their range when that is dense enough (ids handed out in sequence),
// else the sorted ids. Looking millions of references up in a bitmap that
// fits the cache is an order of magnitude faster than in a hash map.
type IDSet struct {
	min    int64
	bits   []uint64
	sorted []int64
}

// bitmapMax bounds a bitmap to 16 MiB: cheap to build even for a few ids
// far apart, and lookups in it still beat a binary search.
const bitmapMax = 1 << 27

// NewIDSet returns the set of ids, which need not be sorted.
func NewIDSet(ids []int64) IDSet {
	if len(ids) == 0 {
		return IDSet{}
	}
	if !slices.IsSorted(ids) {
		ids = slices.Sorted(slices.Values(ids))
	}
	lo, hi := ids[0], ids[len(ids)-1]
	if span := uint64(hi-lo) + 1; span > bitmapMax {
		return IDSet{sorted: ids}
	}
	set := IDSet{min: lo, bits: make([]uint64, (uint64(hi-lo)+64)/64)}
	for _, id := range ids {
		d := uint64(id - lo)
		set.bits[d>>6] |= 1 << (d & 63)
	}
	return set
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

// idMap maps ids (above 0) to values. Its memory grows with the number of
// ids in it: for a value of 8 bytes, about 9 bytes an id when ids come in
// sequence, about 80 when they are far apart. A Go map would take 30 to 40
// bytes an id, and a hash and a probe for each, where ids in sequence here
// mostly find the page used last.
//
// Ids are kept in pages of 64 consecutive ids: a bitmap of those present
// and their values in id order, the rank of an id in the bitmap giving its
// slot.
type idMap[V any] struct {
	pages map[int64]*idPage[V]
	// The page used last, for reads and for writes apart: the merger
	// writes ids in one order and reads references in another.
	readKey, writeKey int64
	read, write       *idPage[V]
}

type idPage[V any] struct {
	bits uint64
	vals []V
}

func newIDMap[V any]() *idMap[V] {
	return &idMap[V]{pages: map[int64]*idPage[V]{}, readKey: -1, writeKey: -1}
}

// get returns a pointer to the value of id, nil when id is not in the map.
// The pointer holds until the next put.
func (m *idMap[V]) get(id int64) *V {
	if id <= 0 {
		return nil
	}
	key := id >> 6
	p := m.read
	if key != m.readKey {
		p = m.pages[key]
		if p == nil {
			return nil
		}
		m.readKey, m.read = key, p
	}
	bit := uint64(1) << (id & 63)
	if p.bits&bit == 0 {
		return nil
	}
	return &p.vals[bits.OnesCount64(p.bits&(bit-1))]
}

// put returns a pointer to the value of id (above 0), and whether id was
// in the map already; when not, it adds id with the zero value.
func (m *idMap[V]) put(id int64) (v *V, found bool) {
	key := id >> 6
	p := m.write
	if key != m.writeKey {
		p = m.pages[key]
		if p == nil {
			p = &idPage[V]{}
			m.pages[key] = p
		}
		m.writeKey, m.write = key, p
	}
	bit := uint64(1) << (id & 63)
	rank := bits.OnesCount64(p.bits & (bit - 1))
	if p.bits&bit == 0 {
		p.bits |= bit
		var zero V
		p.vals = slices.Insert(p.vals, rank, zero)
		return &p.vals[rank], false
	}
	return &p.vals[rank], true
}

// each calls f with every id in the map and its value, in no order.
func (m *idMap[V]) each(f func(id int64, v V)) {
	for key, p := range m.pages {
		for b := p.bits; b != 0; b &= b - 1 {
			bit := bits.TrailingZeros64(b)
			f(key<<6|int64(bit), p.vals[bits.OnesCount64(p.bits&(1<<bit-1))])
		}
	}
}
