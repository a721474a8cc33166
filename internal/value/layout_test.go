package value

import (
	"errors"
	"testing"
	"time"
)

func TestCompileLayout(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		ok      bool
	}{
		{"%m/%d/%Y %I:%M %p", true},
		{"%d.%m.%y %H:%M:%S.%f %z", true},
		{"%a, %d %b %Y %H:%M:%S %Z", true},
		{"%A %B %e %Y", true},
		{"%Y %j", true},
		{"100%% %Y", true},
		{"%H:%M", false},       // no year
		{"%Y-%m-%d %s", false}, // %s is not in the list
		{"%Y-%m-%dT%T", false}, // composites are not either
		{"%Y-%m-%d %", false},  // a lone %
		{"", false},            // no year
		{"%Y-%m-%d %H:%M:%c", false},
	} {
		_, err := CompileLayout(tt.pattern)
		if (err == nil) != tt.ok {
			t.Errorf("CompileLayout(%q) = %v, want ok %v", tt.pattern, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrLayout) {
			t.Errorf("CompileLayout(%q) = %v, want ErrLayout", tt.pattern, err)
		}
	}
}

func TestParseLayouts(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	const invalid = ""
	tests := []struct {
		layouts []string
		loc     *time.Location
		in      string
		want    string // RFC 3339; invalid: ""
	}{
		// SPEC section 3's example, and the PM/AM rules of %I
		{[]string{"%m/%d/%Y %I:%M %p"}, nil, "12/31/2021 10:00 PM", "2021-12-31T22:00:00Z"},
		{[]string{"%m/%d/%Y %I:%M %p"}, nil, "12/31/2021 10:00 pm", "2021-12-31T22:00:00Z"},
		{[]string{"%m/%d/%Y %I:%M %p"}, nil, "1/5/2021 12:00 AM", "2021-01-05T00:00:00Z"},
		{[]string{"%m/%d/%Y %I:%M %p"}, nil, "1/5/2021 12:30 PM", "2021-01-05T12:30:00Z"},
		{[]string{"%m/%d/%Y %I:%M %p"}, nil, "1/5/2021   9:05 am", "2021-01-05T09:05:00Z"},
		{[]string{"%m/%d/%Y %I:%M %p"}, nil, "13/5/2021 9:05 AM", invalid},
		{[]string{"%m/%d/%Y %I:%M %p"}, nil, "12/31/2021 13:00 PM", invalid},
		{[]string{"%m/%d/%Y %I:%M %p"}, nil, "12/31/2021 10:00", invalid},
		{[]string{"%m/%d/%Y %I:%M %p"}, nil, "12/31/2021 10:00 PM extra", invalid},
		// day first, two-digit years, fractions, zones
		{[]string{"%d/%m/%Y %H:%M"}, nil, "31/12/2021 22:00", "2021-12-31T22:00:00Z"},
		{[]string{"%d/%m/%Y %H:%M"}, berlin, "31/12/2021 22:00", "2021-12-31T21:00:00Z"},
		{[]string{"%d.%m.%y %H:%M"}, nil, "31.12.21 22:00", "2021-12-31T22:00:00Z"},
		{[]string{"%d.%m.%y %H:%M"}, nil, "01.01.70 00:00", "1970-01-01T00:00:00Z"},
		{[]string{"%d.%m.%y %H:%M"}, nil, "31.12.69 23:59", invalid}, // 1969
		{[]string{"%Y-%m-%d %H:%M:%S.%f"}, nil, "2021-01-01 10:00:00.5", "2021-01-01T10:00:00Z"},
		{[]string{"%d/%m/%Y %H:%M:%S.%f"}, nil, "01/01/2021 10:00:00.1234567", invalid},
		{[]string{"%Y-%m-%d %H:%M:%S.%f"}, nil, "2021-01-01 10:00:00.1234567", "2021-01-01T10:00:00Z"}, // the built-in form reads it
		{[]string{"%Y-%m-%d %H:%M:%S %z"}, berlin, "2021-01-01 10:00:00 +0200", "2021-01-01T08:00:00Z"},
		{[]string{"%Y-%m-%d %H:%M:%S %z"}, berlin, "2021-01-01 10:00:00 -02:30", "2021-01-01T12:30:00Z"},
		{[]string{"%Y-%m-%d %H:%M:%S %z"}, berlin, "2021-01-01 10:00:00 Z", "2021-01-01T10:00:00Z"},
		{[]string{"%Y-%m-%d %H:%M:%S %z"}, nil, "2021-01-01 10:00:00 +2400", invalid},
		{[]string{"%d/%m/%Y %H:%M %z"}, nil, "01/01/2021 10:00 +02", invalid},
		{[]string{"%Y-%m-%d %H:%M %Z"}, berlin, "2021-01-01 10:00 utc", "2021-01-01T10:00:00Z"},
		{[]string{"%Y-%m-%d %H:%M %Z"}, berlin, "2021-01-01 10:00 GMT", "2021-01-01T10:00:00Z"},
		{[]string{"%Y-%m-%d %H:%M %Z"}, nil, "2021-01-01 10:00 PST", invalid},
		// names
		{[]string{"%a, %d %b %Y %H:%M:%S %Z"}, nil, "Mon, 04 Mar 2021 05:06:07 GMT", "2021-03-04T05:06:07Z"},
		{[]string{"%A %B %e %Y"}, nil, "thursday MARCH  4 2021", "2021-03-04T00:00:00Z"},
		{[]string{"%B %d, %Y"}, nil, "Sept 4, 2021", invalid},
		{[]string{"%b %d, %Y"}, nil, "Sep 4, 2021", "2021-09-04T00:00:00Z"},
		// %j, %%, literals in any case
		{[]string{"%Y %j"}, nil, "2020 366", "2020-12-31T00:00:00Z"},
		{[]string{"%Y %j"}, nil, "2021 366", invalid},
		{[]string{"%Y%m%dT%H%M"}, nil, "20210304t0506", "2021-03-04T05:06:00Z"},
		{[]string{"100%% %Y"}, nil, "100% 2021", "2021-01-01T00:00:00Z"},
		// numbers without separators: the widest first, then narrower
		{[]string{"%Y%m%d"}, nil, "2021111", "2021-11-01T00:00:00Z"},
		{[]string{"%Y%m%d"}, nil, "2021131", "2021-01-31T00:00:00Z"},
		// the range rules: second 60, February 30, 1970, the run's start
		{[]string{"%d/%m/%Y %H:%M:%S"}, nil, "01/01/2021 10:00:60", invalid},
		{[]string{"%d/%m/%Y"}, nil, "30/02/2021", invalid},
		{[]string{"%d/%m/%Y"}, nil, "29/02/2020", "2020-02-29T00:00:00Z"},
		{[]string{"%d/%m/%Y"}, nil, "31/12/1969", invalid},
		{[]string{"%d/%m/%Y"}, nil, "02/06/2024", invalid},
		// layouts first, in order, then the built-in forms
		{[]string{"%d/%m/%Y", "%m/%d/%Y"}, nil, "05/04/2021", "2021-04-05T00:00:00Z"},
		{[]string{"%d/%m/%Y", "%m/%d/%Y"}, nil, "05/31/2021", "2021-05-31T00:00:00Z"},
		{[]string{"%d/%m/%Y"}, nil, "2021-03-04T05:06:07Z", "2021-03-04T05:06:07Z"},
		{[]string{"%d/%m/%Y"}, nil, "1609459200", "2021-01-01T00:00:00Z"},
		// a layout that reads the value decides, even out of range
		{[]string{"%Y%m%d"}, nil, "20210101", "2021-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		p := TimeParser{Loc: tt.loc, Now: testNow}
		for _, pattern := range tt.layouts {
			l, err := CompileLayout(pattern)
			if err != nil {
				t.Fatal(err)
			}
			p.Layouts = append(p.Layouts, l)
		}
		got, ok := p.Parse(tt.in)
		if tt.want == invalid {
			if ok {
				t.Errorf("%q: Parse(%q) = %s, want invalid", tt.layouts, tt.in, FormatTimestamp(got))
			}
			continue
		}
		if want := unix(t, tt.want); !ok || got != want {
			t.Errorf("%q: Parse(%q) in %v = %s, %v; want %s", tt.layouts, tt.in, tt.loc, FormatTimestamp(got), ok, tt.want)
		}
	}
}

func TestBools(t *testing.T) {
	b, err := NewBools([]string{"visible", "Öffentlich", " comment ", "yes"}, []string{"note", "whisper"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		in       string
		want, ok bool
	}{
		{"visible", true, true},
		{"VISIBLE", true, true},
		{"öffentlich", true, true},
		{"comment", true, true},
		{"Note", false, true},
		{"WHISPER", false, true},
		{"yes", true, true},
		{"Internal", false, true},
		{"notes", false, false},
		{"vis", false, false},
		{"", false, false},
	} {
		got, ok := b.Parse(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if v, ok := (Bools{}).Parse("public"); !v || !ok {
		t.Error("the zero Bools does not read the built-in words")
	}
	for _, bad := range []struct{ trues, falses []string }{
		{[]string{"note"}, []string{"NOTE"}},
		{[]string{"no"}, nil},
		{nil, []string{"Public"}},
	} {
		if _, err := NewBools(bad.trues, bad.falses); !errors.Is(err, ErrBoolWord) {
			t.Errorf("NewBools(%q, %q) = %v, want ErrBoolWord", bad.trues, bad.falses, err)
		}
	}
}

// FuzzLayout compiles any pattern and reads any value with it: no panic,
// and a time read is in range, the same as the built-in forms would check.
func FuzzLayout(f *testing.F) {
	f.Add("%m/%d/%Y %I:%M %p", "12/31/2021 10:00 PM")
	f.Add("%d.%m.%y %H:%M:%S.%f %z", "31.12.21 22:00:00.5 +01:00")
	f.Add("%a, %d %b %Y %H:%M:%S %Z", "Fri, 31 Dec 2021 22:00:00 GMT")
	f.Add("%Y %j", "2020 366")
	f.Fuzz(func(t *testing.T, pattern, v string) {
		l, err := CompileLayout(pattern)
		if err != nil {
			if !errors.Is(err, ErrLayout) {
				t.Fatalf("CompileLayout(%q): %v", pattern, err)
			}
			return
		}
		p := TimeParser{Now: testNow, Layouts: []*Layout{l}}
		if got, ok := p.Parse(v); ok && (got < 0 || got > testNow.Unix()) {
			t.Fatalf("Parse(%q) with %q = %d, out of range", v, pattern, got)
		}
	})
}
