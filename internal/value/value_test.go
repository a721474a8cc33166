package value

import (
	"math"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York even where the system has no zoneinfo
	"unsafe"
)

func TestTrimSpace(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{" \t\r\n\f\vabc \t\r\n\f\v", "abc"},
		{"a b", "a b"},
		{"   ", ""},
		{"\u00a0abc\u00a0", "\u00a0abc\u00a0"}, // NBSP is data
		{"\u0085x\u2028", "\u0085x\u2028"},     // so are NEL and LINE SEPARATOR
		{"\x00a\x00", "\x00a\x00"},
	}
	for _, tt := range tests {
		if got := TrimSpace(tt.in); got != tt.want {
			t.Errorf("TrimSpace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNulls(t *testing.T) {
	defaults := NewNulls([]string{"NULL", "null", `\N`})
	custom := NewNulls([]string{"NA", "-", "", "NA"})
	tests := []struct {
		nulls Nulls
		raw   string
		want  bool
	}{
		{defaults, "", true},
		{defaults, "   ", true},
		{defaults, " \t\r\n\f\v", true},
		{defaults, "NULL", true},
		{defaults, "null", true},
		{defaults, `\N`, true},
		{defaults, "  NULL\t", true},
		{defaults, "Null", false},
		{defaults, "nULL", false},
		{defaults, `\n`, false},
		{defaults, "NULLS", false},
		{defaults, "\u00a0", false},
		{defaults, "None", false},
		{defaults, "NA", false},
		{custom, "NA", true},
		{custom, "-", true},
		{custom, "", true},
		{custom, "NULL", false}, // the list replaces the defaults
		{custom, "na", false},
		{Nulls{}, "", true},
		{Nulls{}, "NULL", false},
	}
	for _, tt := range tests {
		if got := tt.nulls.IsNull(TrimSpace(tt.raw)); got != tt.want {
			t.Errorf("%v.IsNull(%q) = %v, want %v", tt.nulls, tt.raw, got, tt.want)
		}
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // 0: invalid
	}{
		{"1", 1},
		{"76", 76},
		{"00076", 76},
		{"123.0", 123},
		{"123.00", 123},
		{"0123.000000", 123},
		{"9223372036854775807", math.MaxInt64},
		{"9223372036854775807.0", math.MaxInt64},
		{"09223372036854775807", math.MaxInt64},
		{"123.", 0},
		{"123.5", 0},
		{"123.01", 0},
		{"123.0.0", 0},
		{".0", 0},
		{".", 0},
		{"1e3", 0},
		{"+5", 0},
		{"-5", 0},
		{"0", 0},
		{"000", 0},
		{"0.0", 0},
		{"9223372036854775808", 0},
		{"18446744073709551616", 0},
		{"99999999999999999999999999999", 0},
		{"١٢٣", 0}, // Arabic-Indic digits
		{"１２３", 0}, // full-width digits
		{"12 3", 0},
		{"1,000", 0},
		{"0x10", 0},
		{"12a", 0},
		{"", 0},
	}
	for _, tt := range tests {
		got, ok := ParseID(tt.in)
		if ok != (tt.want != 0) || got != tt.want {
			t.Errorf("ParseID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.want != 0)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in   string
		want string // "": invalid
	}{
		{"a@b.c", "a@b.c"},
		{"Ann.Smith@Example.COM", "ann.smith@example.com"},
		{"ÄBC@X.DE", "äbc@x.de"},
		{"ÉLODIE@ÉCOLE.FR", "élodie@école.fr"},
		{"ΣΊΣΥΦΟΣ@x.gr", "σίσυφοσ@x.gr"}, // simple lowercase: no final sigma
		{"\u212a@x", "k@x"},              // KELVIN SIGN lowercases to ASCII k
		{"\u0130@x", "i@x"},              // İ: simple lowercase is i
		{"user+tag@x", "user+tag@x"},
		{"o'brien@x", "o'brien@x"},
		{"a@b@c", ""},
		{"@b.c", ""},
		{"a@", ""},
		{"@", ""},
		{"ab", ""},
		{"a b@c", ""},
		{"a@b c", ""},
		{"a\u00a0b@c", ""}, // NBSP
		{"a\tb@c", ""},
		{"a\x7fb@c", ""},             // DEL
		{"a\u0085b@c", ""},           // NEL: C1 control and White_Space
		{"a\u0080b@c", ""},           // C1 control
		{"a\u009fb@c", ""},           // C1 control
		{"a\x00b@c", ""},             // NUL
		{"a\u2028b@c", ""},           // LINE SEPARATOR
		{"a\u3000b@c", ""},           // IDEOGRAPHIC SPACE
		{"a\u200bb@c", "a\u200bb@c"}, // ZERO WIDTH SPACE is Cf, not White_Space
		{"a,b@c", ""},
		{"a;b@c", ""},
		{"a<b@c", ""},
		{"a>b@c", ""},
		{"a(b@c", ""},
		{"a)b@c", ""},
		{"a[b@c", ""},
		{"a]b@c", ""},
		{`a"b@c`, ""},
		{"<a@b.c>", ""},
		{"a\xff@b.c", ""},
		{"a@b\xc3", ""},
		{"a\xed\xa0\x80@b", ""}, // an encoded surrogate is not UTF-8
		{"\uFFFD@b", "\uFFFD@b"},
	}
	for _, tt := range tests {
		got, ok := NormalizeEmail(tt.in)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.want != "")
		}
	}
}

func TestNormalizeEmailKeepsLowercaseInput(t *testing.T) {
	for _, in := range []string{"ann@example.com", "äbc@x.de"} {
		got, _ := NormalizeEmail(in)
		if !sameData(got, in) {
			t.Errorf("NormalizeEmail(%q) copied its already-lowercase input", in)
		}
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in       string
		want, ok bool
	}{
		{"true", true, true},
		{"t", true, true},
		{"yes", true, true},
		{"y", true, true},
		{"1", true, true},
		{"public", true, true},
		{"TRUE", true, true},
		{"True", true, true},
		{"T", true, true},
		{"YeS", true, true},
		{"Y", true, true},
		{"PUBLIC", true, true},
		{"false", false, true},
		{"f", false, true},
		{"no", false, true},
		{"n", false, true},
		{"0", false, true},
		{"private", false, true},
		{"internal", false, true},
		{"FALSE", false, true},
		{"F", false, true},
		{"No", false, true},
		{"N", false, true},
		{"Private", false, true},
		{"INTERNAL", false, true},
		{"2", false, false},
		{"maybe", false, false},
		{"1.0", false, false},
		{"00", false, false},
		{"yes!", false, false},
		{"tru", false, false},
		{"ye\u017f", false, false}, // long s folds to s only under Unicode folding
		{"", false, false},
	}
	for _, tt := range tests {
		got, ok := ParseBool(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseBool(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// testNow is the run's start in the timestamp tests: not on a whole second, so
// that the fraction matters at the upper bound.
var testNow = time.Date(2024, 6, 1, 12, 0, 0, 123456789, time.UTC)

// unix reads an RFC 3339 time for a table's expected value.
func unix(t *testing.T, s string) int64 {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.Unix()
}

func TestParseTimestamp(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	const invalid = ""
	tests := []struct {
		loc  *time.Location
		in   string
		want string // RFC 3339; invalid: ""
	}{
		// date and time, each separator and zone
		{nil, "2021-03-04T05:06:07Z", "2021-03-04T05:06:07Z"},
		{nil, "2021-03-04 05:06:07Z", "2021-03-04T05:06:07Z"},
		{nil, "2021-03-04T05:06:07z", "2021-03-04T05:06:07Z"},
		{nil, "2021-03-04T05:06:07 UTC", "2021-03-04T05:06:07Z"},
		{nil, "2021-03-04 05:06 UTC", "2021-03-04T05:06:00Z"},
		{nil, "2021-03-04T05:06:07+02:00", "2021-03-04T03:06:07Z"},
		{nil, "2021-03-04T05:06:07-02:30", "2021-03-04T07:36:07Z"},
		{nil, "2021-03-04T05:06:07+0200", "2021-03-04T03:06:07Z"},
		{nil, "2021-03-04T05:06:07-0230", "2021-03-04T07:36:07Z"},
		{nil, "2021-03-04T05:06:07+23:59", "2021-03-03T05:07:07Z"},
		{nil, "2021-03-04T05:06:07-00:00", "2021-03-04T05:06:07Z"},
		{nil, "2021-03-04T05:06+01:00", "2021-03-04T04:06:00Z"},
		{nil, "2021-03-04T05:06Z", "2021-03-04T05:06:00Z"},
		{nil, "2021-03-04T05:06", "2021-03-04T05:06:00Z"},
		{nil, "2021-03-04 05:06:07", "2021-03-04T05:06:07Z"},
		{time.UTC, "2021-03-04 05:06:07", "2021-03-04T05:06:07Z"},
		{nil, "2021-03-04", "2021-03-04T00:00:00Z"},
		{nil, "0000-01-01", invalid},
		// fractions
		{nil, "2021-03-04T05:06:07.9Z", "2021-03-04T05:06:07Z"},
		{nil, "2021-03-04T05:06:07.999999999999Z", "2021-03-04T05:06:07Z"},
		{nil, "2021-03-04T05:06:07.000000000001+01:00", "2021-03-04T04:06:07Z"},
		{nil, "2021-03-04 05:06:07.5", "2021-03-04T05:06:07Z"},
		{nil, "2021-03-04T05:06:07.5 UTC", "2021-03-04T05:06:07Z"},
		{nil, "2021-03-04T05:06:07.Z", invalid},
		{nil, "2021-03-04T05:06:07.", invalid},
		{nil, "2021-03-04T05:06.5Z", invalid},
		{nil, "2021-03-04T05:06:07,5Z", invalid},
		// wall times in a zone, across daylight-saving changes (time.Date's reading)
		{newYork, "2021-01-15 10:00:00", "2021-01-15T15:00:00Z"},
		{newYork, "2021-07-15 10:00:00", "2021-07-15T14:00:00Z"},
		{newYork, "2021-07-15", "2021-07-15T04:00:00Z"},
		{newYork, "2021-03-14 02:30:00", "2021-03-14T06:30:00Z"}, // skipped: read with the offset after, as time.Date does
		{newYork, "2021-11-07 01:30:00", "2021-11-07T05:30:00Z"}, // repeated: the first one
		{newYork, "2021-07-15T10:00:00Z", "2021-07-15T10:00:00Z"},
		{newYork, "2021-07-15T10:00:00+02:00", "2021-07-15T08:00:00Z"},
		{newYork, "2021-07-15 10:00 UTC", "2021-07-15T10:00:00Z"},
		{newYork, "1970-01-01", "1970-01-01T05:00:00Z"},
		{newYork, "1609459200", "2021-01-01T00:00:00Z"},
		// field ranges
		{nil, "2020-02-29", "2020-02-29T00:00:00Z"},
		{nil, "2000-02-29", "2000-02-29T00:00:00Z"},
		{nil, "2021-02-29", invalid},
		{nil, "2100-02-29", invalid},
		{nil, "2021-02-28T23:59:59Z", "2021-02-28T23:59:59Z"},
		{nil, "2021-04-31", invalid},
		{nil, "2021-06-31", invalid},
		{nil, "2021-09-31", invalid},
		{nil, "2021-11-31", invalid},
		{nil, "2021-12-31", "2021-12-31T00:00:00Z"},
		{nil, "2021-13-01", invalid},
		{nil, "2021-00-01", invalid},
		{nil, "2021-01-00", invalid},
		{nil, "2021-01-32", invalid},
		{nil, "2021-01-01T24:00:00Z", invalid},
		{nil, "2021-01-01T23:60:00Z", invalid},
		{nil, "2021-01-01T23:59:60Z", invalid},
		{nil, "2021-12-31T23:59:60Z", invalid},
		{nil, "2021-01-01T10:00:00+24:00", invalid},
		{nil, "2021-01-01T10:00:00+23:60", invalid},
		{nil, "2021-01-01T10:00:00+2400", invalid},
		// other forms
		{nil, "2021-01-01T10:00:00 Z", "2021-01-01T10:00:00Z"},
		{nil, "2021-01-01T10:00:00 z", "2021-01-01T10:00:00Z"},
		{nil, "2021-01-01T10:00:00 utc", "2021-01-01T10:00:00Z"},
		{nil, "2021-01-01T10:00:00 Utc", "2021-01-01T10:00:00Z"},
		{nil, "2021-01-01T10:00:00 GMT", "2021-01-01T10:00:00Z"},
		{nil, "2021-01-01T10:00:00 gmt", "2021-01-01T10:00:00Z"},
		{newYork, "2021-01-01 10:00 GMT", "2021-01-01T10:00:00Z"},
		{nil, "2021-01-01T10:00:00 +01:00", "2021-01-01T09:00:00Z"},
		{nil, "2021-01-01T10:00:00 -0130", "2021-01-01T11:30:00Z"},
		{nil, "2021-01-01T10:00:00+01", "2021-01-01T09:00:00Z"},
		{nil, "2021-01-01 10:00:00+00", "2021-01-01T10:00:00Z"},
		{nil, "2021-01-01 10:00:00.123456+00", "2021-01-01T10:00:00Z"},
		{nil, "2021-01-01 10:00:00-05", "2021-01-01T15:00:00Z"},
		{nil, "2021-01-01 10:00:00 -05", "2021-01-01T15:00:00Z"},
		{newYork, "2021-07-01 10:00:00+00", "2021-07-01T10:00:00Z"},
		{nil, "2021-01-01T10:00:00+24", invalid},
		{nil, "2021-01-01T10:00:00+2", invalid},
		{nil, "2021-01-01T10:00:00+123", invalid},
		{nil, "2021-01-01T10:00:00UTC", invalid},
		{nil, "2021-01-01T10:00:00GMT", invalid},
		{nil, "2021-01-01T10:00:00  UTC", invalid},
		{nil, "2021-01-01T10:00:00  +01:00", invalid},
		{nil, "2021-01-01T10:00:00 CET", invalid},
		{nil, "2021-01-01T10:00:00 UTC+1", invalid},
		{nil, "2021-01-01T10:00:00 ", invalid},
		{nil, "2021-01-01T10:00:00+1:00", invalid},
		{nil, "2021-01-01T10:00:00+01:0", invalid},
		{nil, "2021-01-01T10:00:00+01:000", invalid},
		{nil, "2021-01-01T10:00:00+01-00", invalid},
		{nil, "2021-01-01T10:00:00ZZ", invalid},
		{nil, "2021-01-01T10:00:00Zjunk", invalid},
		{nil, "2021-01-01T10:00:00x", invalid},
		{nil, "2021-01-01T10:00:0", invalid},
		{nil, "2021-01-01T10:00:", invalid},
		{nil, "2021-01-01T10:0", invalid},
		{nil, "2021-01-01T10", invalid},
		{nil, "2021-01-01T", invalid},
		{nil, "2021-01-01 ", invalid},
		{nil, "2021-01-01t10:00:00Z", invalid},
		{nil, "2021-01-01  10:00:00", invalid},
		{nil, "2021-01-01Z", invalid},
		{nil, "2021-01-01 UTC", invalid},
		{nil, "2021-01-01+01:00", invalid},
		{nil, "2021-1-01", invalid},
		{nil, "2021-01-1", invalid},
		{nil, "21-01-01", invalid},
		{nil, "02021-01-01", invalid},
		{nil, "+2021-01-01", invalid},
		{nil, "2021/01/01", invalid},
		{nil, "2021-01-01T1:00:00Z", invalid},
		{nil, "2021-01-01T10:0:00Z", invalid},
		{nil, "2021-01-01T10:00:0Z", invalid},
		{nil, "２０２１-01-01", invalid},
		{nil, "2021-0a-01", invalid},
		{nil, "Mon, 04 Mar 2021 05:06:07 GMT", invalid},
		{nil, "2021-01-01 UTC", invalid},
		{nil, "2021-01-01 +01", invalid},
		{nil, "03/04/2021", invalid},
		{nil, "-1", invalid},
		{nil, "+1609459200", invalid},
		{nil, "1609459200.5", invalid},
		{nil, "1e9", invalid},
		{nil, "", invalid},
		// Unix seconds and milliseconds
		{nil, "0", "1970-01-01T00:00:00Z"},
		{nil, "000", "1970-01-01T00:00:00Z"},
		{nil, "1", "1970-01-01T00:00:01Z"},
		{nil, "1609459200", "2021-01-01T00:00:00Z"},
		{nil, "0001609459200", "2021-01-01T00:00:00Z"},
		{nil, "20210101", "1970-08-22T21:55:01Z"},
		{nil, "99999999999", invalid}, // seconds: year 5138
		{nil, "100000000000", "1973-03-03T09:46:40Z"},
		{nil, "1609459200999", "2021-01-01T00:00:00Z"},
		{nil, "9223372036854775807", invalid},
		{nil, "9223372036854775808", invalid},
		{nil, "123456789012345678901234567890", invalid},
		// the range: 1970 to the run's start, fractions included
		{nil, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
		{nil, "1970-01-01", "1970-01-01T00:00:00Z"},
		{nil, "1969-12-31T23:59:59Z", invalid},
		{nil, "1969-12-31T23:59:59.5Z", invalid},
		{nil, "1969-12-31T23:59:59.999999999999Z", invalid},
		{nil, "1970-01-01T01:00:00+01:00", "1970-01-01T00:00:00Z"},
		{nil, "1970-01-01T00:59:59+01:00", invalid},
		{nil, "1969-12-31T23:00:00-01:00", "1970-01-01T00:00:00Z"},
		{nil, "2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z"},
		{nil, "2024-06-01T12:00:00.123456789Z", "2024-06-01T12:00:00Z"},
		{nil, "2024-06-01T12:00:00.123456789000Z", "2024-06-01T12:00:00Z"},
		{nil, "2024-06-01T12:00:00.1234567890001Z", invalid},
		{nil, "2024-06-01T12:00:00.12345679Z", invalid},
		{nil, "2024-06-01T12:00:01Z", invalid},
		{nil, "2024-06-01T14:00:00+02:00", "2024-06-01T12:00:00Z"},
		{nil, "2024-06-01T14:00:01+02:00", invalid},
		{nil, "2024-06-01 12:00", "2024-06-01T12:00:00Z"},
		{nil, "2024-06-01", "2024-06-01T00:00:00Z"},
		{nil, "2024-06-02", invalid},
		{newYork, "2024-06-01 08:00:00", "2024-06-01T12:00:00Z"},
		{newYork, "2024-06-01 08:00:01", invalid},
		{nil, "1717243200", "2024-06-01T12:00:00Z"},
		{nil, "1717243201", invalid},
		{nil, "1717243200123", "2024-06-01T12:00:00Z"},
		{nil, "1717243200124", invalid},
		{nil, "9999-12-31T23:59:59Z", invalid},
	}
	for _, tt := range tests {
		p := TimeParser{Loc: tt.loc, Now: testNow}
		got, ok := p.Parse(tt.in)
		if tt.want == invalid {
			if ok {
				t.Errorf("Parse(%q) in %v = %s, want invalid", tt.in, tt.loc, FormatTimestamp(got))
			}
			continue
		}
		if want := unix(t, tt.want); !ok || got != want {
			t.Errorf("Parse(%q) in %v = %s, %v; want %s", tt.in, tt.loc, FormatTimestamp(got), ok, tt.want)
		}
	}
}

// TestParseTimestampLikeTimeDate reads every half hour around New York's
// daylight-saving changes and compares with time.Date, which SPEC names as
// the rule for skipped and repeated wall times.
func TestParseTimestampLikeTimeDate(t *testing.T) {
	for _, name := range []string{"America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Sao_Paulo"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		p := TimeParser{Loc: loc, Now: testNow}
		for _, day := range []time.Time{
			time.Date(2018, 11, 3, 0, 0, 0, 0, time.UTC),
			time.Date(2021, 3, 13, 0, 0, 0, 0, time.UTC),
			time.Date(2021, 3, 27, 0, 0, 0, 0, time.UTC),
			time.Date(2021, 4, 3, 0, 0, 0, 0, time.UTC),
			time.Date(2021, 10, 2, 0, 0, 0, 0, time.UTC),
			time.Date(2021, 10, 30, 0, 0, 0, 0, time.UTC),
			time.Date(2021, 11, 6, 0, 0, 0, 0, time.UTC),
		} {
			for m := 0; m < 3*24*60; m += 30 {
				w := day.Add(time.Duration(m) * time.Minute)
				want := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, loc).Unix()
				in := w.Format("2006-01-02 15:04")
				if got, ok := p.Parse(in); !ok || got != want {
					t.Errorf("Parse(%q) in %s = %d, %v; want %d", in, name, got, ok, want)
				}
				if m%(24*60) == 0 {
					in = w.Format("2006-01-02")
					if got, ok := p.Parse(in); !ok || got != want {
						t.Errorf("Parse(%q) in %s = %d, %v; want %d", in, name, got, ok, want)
					}
				}
			}
		}
	}
}

func TestParseTimestampEveryDay(t *testing.T) {
	// Every day from 1970 to Now, in both written forms, against the time package.
	p := TimeParser{Now: testNow}
	for d := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC); !d.After(testNow); d = d.AddDate(0, 0, 1) {
		w := d.Add(23*time.Hour + 59*time.Minute + 59*time.Second)
		if w.After(testNow) {
			w = d
		}
		for _, c := range []struct {
			in   string
			want int64
		}{{d.Format("2006-01-02"), d.Unix()}, {w.Format(time.RFC3339), w.Unix()}} {
			if got, ok := p.Parse(c.in); !ok || got != c.want {
				t.Fatalf("Parse(%q) = %d, %v; want %d", c.in, got, ok, c.want)
			}
		}
	}
}

func TestFormatTimestamp(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "1970-01-01T00:00:00Z"},
		{1, "1970-01-01T00:00:01Z"},
		{86399, "1970-01-01T23:59:59Z"},
		{951782400, "2000-02-29T00:00:00Z"},
		{1609459199, "2020-12-31T23:59:59Z"},
		{1717243200, "2024-06-01T12:00:00Z"},
		{4107542400, "2100-03-01T00:00:00Z"},
		{-1, "1969-12-31T23:59:59Z"},
		{-62135596800, "0001-01-01T00:00:00Z"},
		{-62167219200, "0000-01-01T00:00:00Z"},
		{253402300799, "9999-12-31T23:59:59Z"},
	}
	for _, tt := range tests {
		if got := FormatTimestamp(tt.in); got != tt.want {
			t.Errorf("FormatTimestamp(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if got := string(AppendTimestamp([]byte("x"), tt.in)); got != "x"+tt.want {
			t.Errorf("AppendTimestamp(%q, %d) = %q, want %q", "x", tt.in, got, "x"+tt.want)
		}
	}
	// Outside years 0000-9999 the time package writes it; check it agrees.
	for _, u := range []int64{253402300800, -62167219201, math.MaxInt32 * 1000} {
		if got, want := FormatTimestamp(u), time.Unix(u, 0).UTC().Format("2006-01-02T15:04:05Z"); got != want {
			t.Errorf("FormatTimestamp(%d) = %q, want %q", u, got, want)
		}
	}
	// Every hour of 1970-2100 against the time package.
	for u := int64(0); u < 4107542400; u += 3600 + 17 {
		if got, want := FormatTimestamp(u), time.Unix(u, 0).UTC().Format("2006-01-02T15:04:05Z"); got != want {
			t.Fatalf("FormatTimestamp(%d) = %q, want %q", u, got, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		raw, want string
		invalid   bool
	}{
		{"hello", "hello", false},
		{"  hello \t", "hello", false},
		{"\f\vhello\v\f", "hello", false},
		{"\r\nhello\r\n", "hello", false},
		{"a\r\nb", "a\nb", false},
		{"a\rb", "a\nb", false},
		{"a\r\rb", "a\n\nb", false},
		{"a\r\r\nb", "a\n\nb", false},
		{"a\n\rb", "a\n\nb", false},
		{"a\n\nb", "a\n\nb", false},
		{"a \r\n b", "a \n b", false},
		{"\u00a0hello\u00a0", "\u00a0hello\u00a0", false}, // NBSP is not trimmed
		{"\u0085hello", "\u0085hello", false},
		{"héllo wörld", "héllo wörld", false},
		{"a\xffb", "a\uFFFDb", true},
		{"a\xff\xfeb", "a\uFFFD\uFFFDb", true},
		{"\xff", "\uFFFD", true},
		{" \xff ", "\uFFFD", true},
		{"a\xe2\x82b", "a\uFFFD\uFFFDb", true},           // truncated 3-byte rune: one per byte
		{"a\xed\xa0\x80b", "a\uFFFD\uFFFD\uFFFDb", true}, // encoded surrogate
		{"a\xc0\xafb", "a\uFFFD\uFFFDb", true},           // overlong "/"
		{"\xe2\x82\xac\xe2\x82", "€\uFFFD\uFFFD", true},
		{"x\xff\r\ny", "x\uFFFD\ny", true},
		{"a\uFFFDb", "a\uFFFDb", false}, // an encoded U+FFFD is valid
		{"", "", false},
		{" \t ", "", false},
	}
	for _, tt := range tests {
		got, invalid := CleanText(tt.raw)
		if got != tt.want || invalid != tt.invalid {
			t.Errorf("CleanText(%q) = %q, %v; want %q, %v", tt.raw, got, invalid, tt.want, tt.invalid)
		}
	}
}

func TestAppendHTMLBody(t *testing.T) {
	tests := []struct{ body, want string }{
		{"", "<p></p>"},
		{"hello", "<p>hello</p>"},
		{"a & b", "<p>a &amp; b</p>"},
		{"<b>", "<p>&lt;b&gt;</p>"},
		{`say "hi"`, "<p>say &#34;hi&#34;</p>"},
		{"it's", "<p>it&#39;s</p>"},
		{`&<>"'`, "<p>&amp;&lt;&gt;&#34;&#39;</p>"},
		{"&amp;", "<p>&amp;amp;</p>"},
		{"line 1\nline 2", "<p>line 1<br>line 2</p>"},
		{"a\n\nb", "<p>a<br><br>b</p>"},
		{"a\n", "<p>a<br></p>"},
		{"\n", "<p><br></p>"},
		{"1 < 2\n3 > 2", "<p>1 &lt; 2<br>3 &gt; 2</p>"},
		{"héllo – 日本", "<p>héllo – 日本</p>"},
		{"tab\there", "<p>tab\there</p>"},
	}
	for _, tt := range tests {
		if got := string(AppendHTMLBody([]byte("x"), tt.body)); got != "x"+tt.want {
			t.Errorf("AppendHTMLBody(%q) = %q, want %q", tt.body, got, "x"+tt.want)
		}
	}
}

// TestNoAllocations holds the hot paths to their promise: ASCII input that
// needs no change costs no allocation.
func TestNoAllocations(t *testing.T) {
	p := TimeParser{Now: testNow}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	pNY := TimeParser{Loc: newYork, Now: testNow}
	us, err := CompileLayout("%m/%d/%Y %I:%M %p")
	if err != nil {
		t.Fatal(err)
	}
	pUS := TimeParser{Now: testNow, Layouts: []*Layout{us}}
	bools, err := NewBools([]string{"visible"}, []string{"note"})
	if err != nil {
		t.Fatal(err)
	}
	nulls := NewNulls([]string{"NULL", "null", `\N`})
	buf := make([]byte, 0, 256)
	sink := 0
	tests := []struct {
		name string
		f    func()
	}{
		{"TrimSpace", func() { sink += len(TrimSpace("  abc  ")) }},
		{"IsNull", func() { sink += b2i(nulls.IsNull("abc")) }},
		{"ParseID", func() { v, _ := ParseID("00076.0"); sink += int(v) }},
		{"NormalizeEmail", func() { v, _ := NormalizeEmail("ann.smith@example.com"); sink += len(v) }},
		{"NormalizeEmail non-ASCII", func() { v, _ := NormalizeEmail("äbc@x.de"); sink += len(v) }},
		{"ParseBool", func() { v, _ := ParseBool("Internal"); sink += b2i(v) }},
		{"Parse", func() { v, _ := p.Parse("2021-03-04T05:06:07.123+02:00"); sink += int(v) }},
		{"Parse in zone", func() { v, _ := pNY.Parse("2021-03-04 05:06:07"); sink += int(v) }},
		{"Parse ms", func() { v, _ := p.Parse("1609459200999"); sink += int(v) }},
		{"Parse +00 GMT", func() {
			v, _ := p.Parse("2021-03-04 05:06:07+00")
			v2, _ := p.Parse("2021-03-04 05:06:07 gmt")
			sink += int(v + v2)
		}},
		{"Parse layout", func() { v, _ := pUS.Parse("12/31/2021 10:00 PM"); sink += int(v) }},
		{"Parse layout, then built-in", func() { v, _ := pUS.Parse("2021-03-04T05:06:07Z"); sink += int(v) }},
		{"Bools", func() { v, _ := bools.Parse("Note"); sink += b2i(v) }},
		{"AppendTimestamp", func() { sink += len(AppendTimestamp(buf[:0], 1609459200)) }},
		{"CleanText", func() { v, _ := CleanText(" hello, world\nhow are you? "); sink += len(v) }},
		{"AppendHTMLBody", func() { sink += len(AppendHTMLBody(buf[:0], "a < b\nc & d")) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tt.name, n)
		}
	}
	_ = sink
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sameData reports whether a and b share their bytes: one was returned for
// the other without a copy.
func sameData(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

var benchSink int64

func BenchmarkParseTimestamp(b *testing.B) {
	p := TimeParser{Now: testNow}
	inputs := []string{"2021-03-04T05:06:07Z", "2021-03-04 05:06:07", "2021-03-04T05:06:07.123456+02:00", "1609459200", "2021-03-04"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v, _ := p.Parse(inputs[i%len(inputs)])
		benchSink += v
	}
}

func BenchmarkNormalizeEmail(b *testing.B) {
	inputs := []string{"ann.smith@example.com", "Ann.Smith@Example.COM", "äbc@x.de", "not an email"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v, _ := NormalizeEmail(inputs[i%len(inputs)])
		benchSink += int64(len(v))
	}
}

func BenchmarkCleanText(b *testing.B) {
	inputs := []string{
		"  Hello, I need help with my order #1234, it has not arrived yet.\nThanks!  ",
		"Réponse: le colis est arrivé.",
		"windows\r\nline ends\r\n",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v, _ := CleanText(inputs[i%len(inputs)])
		benchSink += int64(len(v))
	}
}

func BenchmarkParseID(b *testing.B) {
	inputs := []string{"123456789", "00076", "123.0", "abc"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v, _ := ParseID(inputs[i%len(inputs)])
		benchSink += v
	}
}
