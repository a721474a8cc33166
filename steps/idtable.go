package steps

// idTable maps int64 ids to int32 indexes with open addressing and linear
// probing in one flat array. At millions of comment ids the built-in map
// spends most of its time on cache misses across its control words and
// slots; here a lookup is usually one miss.
type idTable struct {
	slots []idSlot
	mask  uint64
	shift uint
	n     int
}

type idSlot struct {
	key int64 // 0 marks an empty slot: ids are greater than 0
	val int32
}

func newIDTable(hint int) *idTable {
	t := &idTable{}
	t.resize(max(1024, hint*2))
	return t
}

func (t *idTable) resize(capacity int) {
	size, shift := 1, uint(64)
	for size < capacity {
		size <<= 1
		shift--
	}
	old := t.slots
	t.slots, t.mask, t.shift, t.n = make([]idSlot, size), uint64(size-1), shift, 0
	for _, s := range old {
		if s.key != 0 {
			t.put(s.key, s.val)
		}
	}
}

func (t *idTable) index(key int64) uint64 {
	// Fibonacci hashing spreads the mostly consecutive ids of an export.
	return (uint64(key) * 0x9E3779B97F4A7C15) >> t.shift
}

// get returns the index stored for key.
func (t *idTable) get(key int64) (int32, bool) {
	for i := t.index(key); ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.key == key {
			return s.val, true
		}
		if s.key == 0 {
			return 0, false
		}
	}
}

// put stores val under key (key > 0), replacing an earlier value.
func (t *idTable) put(key int64, val int32) {
	if (t.n+1)*2 > len(t.slots) {
		t.resize(len(t.slots) * 2)
	}
	for i := t.index(key); ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.key == key {
			s.val = val
			return
		}
		if s.key == 0 {
			s.key, s.val = key, val
			t.n++
			return
		}
	}
}
