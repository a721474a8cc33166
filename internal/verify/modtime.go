package verify

import (
	"fmt"
	"time"
)

// maxTimes bounds the distinct modification times counted while the time
// every entry should carry is not known yet.
const maxTimes = 64

// modTimes checks that every entry carries the time SPEC section 6 gives
// them all: SOURCE_DATE_EPOCH when set, else the newest created_at in the
// archive, known only at the end. A build run with another
// SOURCE_DATE_EPOCH than this verify would make every entry differ, so the
// entries that do are one violation, naming the first. It keeps no state
// per file: the first file that differs is the first file, or else the
// first whose time differs from the first file's; and the files that
// differ are all but those carrying the wanted time, counted per distinct
// time. A time below the newest created_at so far cannot be the wanted one
// and is forgotten.
type modTimes struct {
	// epoch is SOURCE_DATE_EPOCH, zero when not set.
	epoch  time.Time
	files  int
	first  fileTime
	other  fileTime // the first file whose time is not first's; number 0 when none
	newest int64    // the newest created_at so far, -1 when none
	counts map[int64]int
	// refused is set once a time was not counted for want of room: a time
	// not in counts then has an unknown count.
	refused bool
}

type fileTime struct {
	number int
	mtime  int64
}

// add takes the time of file number n, and the newest created_at in it.
func (m *modTimes) add(n int, mtime, newest int64) {
	if m.files == 0 {
		m.first, m.newest, m.counts = fileTime{n, mtime}, -1, map[int64]int{}
	} else if m.other.number == 0 && mtime != m.first.mtime {
		m.other = fileTime{n, mtime}
	}
	m.files++
	m.newest = max(m.newest, newest)
	if !m.epoch.IsZero() {
		if mtime == m.epoch.Unix() {
			m.counts[mtime]++
		}
		return
	}
	if _, ok := m.counts[mtime]; !ok {
		if m.refused {
			// It may have been refused before: its count would be short.
			return
		}
		if len(m.counts) >= maxTimes {
			for t := range m.counts {
				if t < m.newest {
					delete(m.counts, t)
				}
			}
			if len(m.counts) >= maxTimes {
				m.refused = true
				return
			}
		}
	}
	m.counts[mtime]++
}

// check returns the violation, if any.
func (m *modTimes) check() (string, bool) {
	if m.files == 0 {
		return "", false
	}
	want, why := m.epoch.Unix(), "SOURCE_DATE_EPOCH"
	if m.epoch.IsZero() {
		want, why = max(0, m.newest), "the newest created_at in the archive (SOURCE_DATE_EPOCH is not set)"
	}
	matching, known := m.counts[want]
	differ := m.files - matching
	if differ == 0 {
		return "", false
	}
	first := m.first
	if first.mtime == want {
		first = m.other
	}
	line := fmt.Sprintf("backup_tickets_%d.json: modification time %s; want %s, %s", first.number, formatTime(first.mtime), formatTime(want), why)
	switch {
	case !known && m.refused:
		line += " (and maybe more entries like it)"
	case differ > 1:
		line += fmt.Sprintf(" (and %d more entries like it)", differ-1)
	}
	return line, true
}
