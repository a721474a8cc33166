package frame

// IDTable maps int64 ids to int32 indexes with open addressing and linear
// probing in one flat array. At millions of comment ids the built-in map
// spends most of its time on cache misses across its control words and
// slots; here a lookup is usually one miss.
type IDTable struct {
	slots []idSlot
	mask  uint64
	shift uint
	n     int
}

type idSlot struct {
	key int64 // 0 marks an empty slot: ids are greater than 0
	val int32
}

// NewIDTable returns a table sized for about hint keys; it grows as needed.
func NewIDTable(hint int) *IDTable {
	t := &IDTable{}
	t.resize(max(1024, hint+hint/3+1))
	return t
}

// full reports whether one more key would load the table past 3/4: with
// Fibonacci hashing the mostly consecutive ids of an export spread evenly,
// so probes stay short there, and a table of 24M comment ids takes 512 MB
// where a load of 1/2 took 1 GB.
func (t *IDTable) full() bool { return (t.n+1)*4 > len(t.slots)*3 }

func (t *IDTable) resize(capacity int) {
	size, shift := 1, uint(64)
	for size < capacity {
		size <<= 1
		shift--
	}
	old := t.slots
	t.slots, t.mask, t.shift, t.n = make([]idSlot, size), uint64(size-1), shift, 0
	for _, s := range old {
		if s.key != 0 {
			t.Put(s.key, s.val)
		}
	}
}

func (t *IDTable) index(key int64) uint64 {
	// Fibonacci hashing spreads the mostly consecutive ids of an export.
	return (uint64(key) * 0x9E3779B97F4A7C15) >> t.shift
}

// Get returns the index stored for key.
func (t *IDTable) Get(key int64) (int32, bool) {
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

// Put stores val under key (key > 0), replacing an earlier value.
func (t *IDTable) Put(key int64, val int32) {
	if t.full() {
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

// Len is the number of keys.
func (t *IDTable) Len() int { return t.n }

// GetOrPut returns the value stored for key, or stores val under key (key >
// 0) and returns it with found false: one probe where Get then Put take two.
func (t *IDTable) GetOrPut(key int64, val int32) (v int32, found bool) {
	if t.full() {
		t.resize(len(t.slots) * 2)
	}
	for i := t.index(key); ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.key == key {
			return s.val, true
		}
		if s.key == 0 {
			s.key, s.val = key, val
			t.n++
			return val, false
		}
	}
}
