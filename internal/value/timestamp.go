package value

import (
	"math"
	"time"
)

// TimeParser reads timestamps per SPEC section 3. Parse keeps no state, so
// one TimeParser may serve many goroutines.
type TimeParser struct {
	// Loc is the zone of times written without one (--timezone); nil means UTC.
	Loc *time.Location
	// Now is the moment the run started: later times are invalid. The zero
	// Now makes every time after January 1, year 1 invalid, so set it.
	Now time.Time
	// Layouts are the --timestamp-format patterns, tried in order before
	// the built-in forms; nil tries only the built-in ones.
	Layouts []*Layout
}

// msThreshold is where an all-digit timestamp stops being seconds and becomes
// milliseconds.
const msThreshold = 100000000000

// Parse returns the timestamp s as Unix seconds, truncated to the second. s is
// trimmed and not null. The forms are
//
//	2006-01-02T15:04[:05[.999…]][zone]   (T or one space between date and time)
//	2006-01-02                           (midnight in Loc)
//	1136214245 or 1136214245000          (Unix seconds, or milliseconds from 100000000000 up)
//
// where zone is Z, z, +07:00, -07:00, +0700, -0700, +07 or -07, optionally
// after one space, or one space and UTC or GMT in any case; and, tried first,
// the layouts of --timestamp-format (see Layout). Out-of-range
// fields (second 60 included), zones beyond ±23:59, times before 1970-01-01Z
// and times after Now (with their fraction: 1969-12-31T23:59:59.5Z is before)
// are invalid. A wall time without zone is read in Loc as time.Date reads it.
func (p *TimeParser) Parse(s string) (int64, bool) {
	if len(p.Layouts) > 0 {
		// Before the built-in forms, as SPEC section 3 says; a parser
		// without layouts pays one length check.
		if v, ok, read := p.parseLayouts(s); read {
			return v, ok
		}
	}
	if len(s) < 10 || s[4] != '-' {
		// An all-digit string has a digit at 4; anything else fails here.
		return p.parseUnix(s)
	}
	if s[7] != '-' {
		return 0, false
	}
	year := digits4(s[0:4])
	month := digits2(s[5:7])
	day := digits2(s[8:10])
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return 0, false
	}
	if len(s) == 10 {
		return p.wall(year, month, day, 0, 0, 0, 0, false)
	}
	if s[10] != 'T' && s[10] != ' ' || len(s) < 16 || s[13] != ':' {
		return 0, false
	}
	hour := digits2(s[11:13])
	minute := digits2(s[14:16])
	if hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, false
	}
	sec, nsec, extra := 0, 0, false
	i := 16
	if i < len(s) && s[i] == ':' {
		if i+3 > len(s) {
			return 0, false
		}
		sec = digits2(s[i+1 : i+3])
		if sec < 0 || sec > 59 {
			return 0, false
		}
		i += 3
		if i < len(s) && s[i] == '.' {
			i++
			start := i
			for ; i < len(s) && isDigit(s[i]); i++ {
				if i-start < 9 {
					nsec = nsec*10 + int(s[i]-'0')
				} else if s[i] != '0' {
					// Beyond nanoseconds only "is it above zero" matters,
					// for a time equal to Now up to the nanosecond.
					extra = true
				}
			}
			if i == start {
				return 0, false
			}
			for k := i - start; k < 9; k++ {
				nsec *= 10
			}
		}
	}
	zone := s[i:]
	switch {
	case zone == "":
		return p.wall(year, month, day, hour, minute, sec, nsec, extra)
	case zone == "Z" || zone == "z":
		return p.check(civilSeconds(year, month, day, hour, minute, sec), nsec, extra)
	}
	offset, ok := parseZone(zone)
	if !ok {
		return 0, false
	}
	return p.check(civilSeconds(year, month, day, hour, minute, sec)-offset, nsec, extra)
}

// parseZone reads the zone after a time, other than "" and "Z": Z, z,
// +07:00, -07:00, +0700, -0700, +07 or -07 (as PostgreSQL writes +00),
// optionally after one space, or one space and UTC or GMT in any case. It
// returns the zone's offset east of UTC in seconds.
func parseZone(zone string) (offset int64, ok bool) {
	if zone[0] == ' ' {
		zone = zone[1:]
		if equalFoldASCII(zone, "utc") || equalFoldASCII(zone, "gmt") {
			return 0, true
		}
	}
	if zone == "Z" || zone == "z" {
		return 0, true
	}
	if len(zone) < 3 || zone[0] != '+' && zone[0] != '-' {
		return 0, false
	}
	zh, zm := digits2(zone[1:3]), 0
	switch {
	case len(zone) == 3:
	case len(zone) == 6 && zone[3] == ':':
		zm = digits2(zone[4:6])
	case len(zone) == 5:
		zm = digits2(zone[3:5])
	default:
		return 0, false
	}
	if zh < 0 || zh > 23 || zm < 0 || zm > 59 {
		return 0, false
	}
	offset = int64(zh*3600 + zm*60)
	if zone[0] == '-' {
		offset = -offset
	}
	return offset, true
}

// parseUnix reads the all-digit form: seconds, or milliseconds from
// msThreshold up. A value beyond int64 is far after any Now.
func (p *TimeParser) parseUnix(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) {
			return 0, false
		}
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if v >= msThreshold {
		return p.check(v/1000, int(v%1000)*1e6, false)
	}
	return p.check(v, 0, false)
}

// wall reads a time without zone in p.Loc.
func (p *TimeParser) wall(year, month, day, hour, minute, sec, nsec int, extra bool) (int64, bool) {
	if p.Loc == nil || p.Loc == time.UTC {
		return p.check(civilSeconds(year, month, day, hour, minute, sec), nsec, extra)
	}
	// The fraction stays out of time.Date: it cannot move the wall time across
	// a zone transition, which falls on whole seconds.
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, p.Loc)
	return p.check(t.Unix(), nsec, extra)
}

// check applies the range rule to the instant unix + nsec/1e9 (+ a bit more
// when extra is set, for fraction digits beyond nanoseconds) and returns unix,
// which is that instant truncated to the second.
func (p *TimeParser) check(unix int64, nsec int, extra bool) (int64, bool) {
	if unix < 0 {
		// The fraction is never negative, so the instant is before 1970 exactly
		// when its whole seconds are.
		return 0, false
	}
	now, nowNsec := p.Now.Unix(), p.Now.Nanosecond()
	if unix > now || unix == now && (nsec > nowNsec || nsec == nowNsec && extra) {
		return 0, false
	}
	return unix, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digits2 reads two ASCII digits, or returns -1.
func digits2(s string) int {
	if !isDigit(s[0]) || !isDigit(s[1]) {
		return -1
	}
	return int(s[0]-'0')*10 + int(s[1]-'0')
}

// digits4 reads four ASCII digits, or returns -1.
func digits4(s string) int {
	hi, lo := digits2(s[0:2]), digits2(s[2:4])
	if hi < 0 || lo < 0 {
		return -1
	}
	return hi*100 + lo
}

func isLeap(year int) bool {
	return year%4 == 0 && (year%100 != 0 || year%400 == 0)
}

// daysIn returns the number of days of month (1-12) in year.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if isLeap(year) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// civilSeconds returns the Unix seconds of a UTC wall time whose fields are
// already in range.
func civilSeconds(year, month, day, hour, minute, sec int) int64 {
	return daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec)
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (year, month, day int) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

// timestampLayout is how timestamps are written (UTC, whole seconds).
const timestampLayout = "2006-01-02T15:04:05Z"

// FormatTimestamp writes Unix seconds as 2006-01-02T15:04:05Z (UTC).
func FormatTimestamp(unix int64) string {
	var buf [len(timestampLayout)]byte
	return string(AppendTimestamp(buf[:0], unix))
}

// Unix seconds of 0000-01-01T00:00:00Z and of 9999-12-31T23:59:59Z: the years
// AppendTimestamp writes by hand.
const (
	minFastUnix = -62167219200
	maxFastUnix = 253402300799
)

// AppendTimestamp appends FormatTimestamp(unix) to b without allocating when b
// has room.
func AppendTimestamp(b []byte, unix int64) []byte {
	if unix < minFastUnix || unix > maxFastUnix {
		return time.Unix(unix, 0).UTC().AppendFormat(b, timestampLayout)
	}
	days, secs := unix/86400, unix%86400
	if secs < 0 {
		days--
		secs += 86400
	}
	y, m, d := civilFromDays(days)
	hh, mm, ss := int(secs/3600), int(secs/60%60), int(secs%60)
	b = append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+hh/10), byte('0'+hh%10), ':',
		byte('0'+mm/10), byte('0'+mm%10), ':',
		byte('0'+ss/10), byte('0'+ss%10), 'Z')
	return b
}

// Why says, for a person, why Parse refused s (trimmed, not null), as the
// detail of a rejected record.
func (p *TimeParser) Why(s string) string {
	later := *p
	later.Now = time.Unix(1<<62, 0)
	if _, ok := later.Parse(s); ok {
		return "is later than the moment this run started"
	}
	return "is not a timestamp (see --timestamp-format)"
}
