package verify

import "time"

// timeLayout is how the archive writes times (SPEC section 6).
const timeLayout = "2006-01-02T15:04:05Z"

// dayCache remembers the midnights of recently seen dates. time.Parse takes
// about 150 ns, and an archive holds millions of timestamps on a few
// thousand dates: on a date already seen only the time of day is read.
type dayCache struct {
	dates    [1024][10]byte // YYYY-MM-DD; all zero (never a date) when empty
	midnight [1024]int64    // the Unix time of that date's midnight
}

// parse reads exactly YYYY-MM-DDTHH:MM:SSZ, a real date and time of day
// (second 60 is not), as Unix seconds. time.Parse reads the calendar, but it
// also takes a fraction after the seconds and, in some fields, one digit
// for two, so the shape is checked first.
func (c *dayCache) parse(t []byte) (int64, bool) {
	if !timeShape(t) {
		return 0, false
	}
	hour, minute, sec := digits2(t[11:]), digits2(t[14:]), digits2(t[17:])
	if hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	clock := int64(hour*3600 + minute*60 + sec)
	slot := (digits2(t[2:])*372 + digits2(t[5:])*31 + digits2(t[8:])) & 1023
	if c.dates[slot] == [10]byte(t) {
		return c.midnight[slot] + clock, true
	}
	tm, err := time.Parse(timeLayout, string(t))
	if err != nil {
		return 0, false
	}
	unix := tm.Unix()
	c.dates[slot], c.midnight[slot] = [10]byte(t), unix-clock
	return unix, true
}

// timeShape reports whether t has the shape of timeLayout: 20 bytes, digits
// where the layout has them and its separators elsewhere.
func timeShape(t []byte) bool {
	if len(t) != len(timeLayout) {
		return false
	}
	for i, l := range []byte(timeLayout) {
		isDigit := '0' <= t[i] && t[i] <= '9'
		if '0' <= l && l <= '9' {
			if !isDigit {
				return false
			}
		} else if t[i] != l {
			return false
		}
	}
	return true
}

// digits2 reads the two ASCII digits at the start of b.
func digits2(b []byte) int {
	return int(b[0]-'0')*10 + int(b[1]-'0')
}
