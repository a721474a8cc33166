package value

import (
	"html"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParsers feeds one string to every value rule and checks what each
// promises, plus timestamps against refParse, a slow reading of SPEC section 3
// written independently of Parse. Seeds live in testdata/fuzz/FuzzParsers.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{
		"", "00076", "123.0", "9223372036854775808", "Ann@Example.COM", "ÄBC@X.DE",
		"a\u00a0b@c", "yes", "INTERNAL", "2021-03-04T05:06:07.123456789123+02:00",
		"2021-03-04 05:06 UTC", "2024-02-29", "1609459200999", "a\xff\xfeb\r\nc\r",
		"NULL,null,\\N", "NA,,-", " NULL", "nULL", "TrUe", "PUBLIC", "Internal", "yes ", "ye\u017f", "\u212a", "0,1",
	} {
		f.Add(s)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	parsers := []TimeParser{{Now: testNow}, {Loc: newYork, Now: testNow}}
	f.Fuzz(func(t *testing.T, raw string) {
		s := TrimSpace(raw)
		if s != "" && (asciiSpace[s[0]] || asciiSpace[s[len(s)-1]]) {
			t.Fatalf("TrimSpace(%q) = %q", raw, s)
		}
		checkNulls(t, raw, s)
		checkBool(t, s)
		checkBool(t, raw)

		id, ok := ParseID(s)
		if ok && id <= 0 {
			t.Fatalf("ParseID(%q) = %d", s, id)
		}
		if s != "" && isAllDigits(s) {
			want, err := strconv.ParseInt(s, 10, 64)
			if wantOK := err == nil && want > 0; ok != wantOK || ok && id != want {
				t.Fatalf("ParseID(%q) = %d, %v; strconv says %d, %v", s, id, ok, want, err)
			}
		} else if ok {
			// Only "digits.000" may pass: the same id as its digits.
			digits, zeros, _ := strings.Cut(s, ".")
			if strings.Trim(zeros, "0") != "" || zeros == "" {
				t.Fatalf("ParseID(%q) = %d, true", s, id)
			}
			if want, _ := ParseID(digits); want != id {
				t.Fatalf("ParseID(%q) = %d, but ParseID(%q) = %d", s, id, digits, want)
			}
		}

		if email, ok := NormalizeEmail(s); ok {
			if !utf8.ValidString(email) || strings.ToLower(email) != email || strings.Count(email, "@") != 1 {
				t.Fatalf("NormalizeEmail(%q) = %q", s, email)
			}
			if again, ok := NormalizeEmail(email); !ok || again != email {
				t.Fatalf("NormalizeEmail(%q) = %q, then %q, %v", s, email, again, ok)
			}
		}

		for _, p := range parsers {
			got, ok := p.Parse(s)
			want, wantOK := refParse(s, p.Loc, p.Now)
			if ok != wantOK || got != want {
				t.Fatalf("Parse(%q) in %v = %d, %v; reference says %d, %v", s, p.Loc, got, ok, want, wantOK)
			}
			if !ok {
				continue
			}
			if got < 0 || got > p.Now.Unix() {
				t.Fatalf("Parse(%q) = %d, outside [0, %d]", s, got, p.Now.Unix())
			}
			out := FormatTimestamp(got)
			if back, ok := p.Parse(out); !ok || back != got {
				t.Fatalf("Parse(%q) = %d, written %q, read back %d, %v", s, got, out, back, ok)
			}
		}

		clean, invalid := CleanText(raw)
		if !utf8.ValidString(clean) || strings.ContainsRune(clean, '\r') || TrimSpace(clean) != clean {
			t.Fatalf("CleanText(%q) = %q", raw, clean)
		}
		if invalid == utf8.ValidString(raw) {
			t.Fatalf("CleanText(%q) reports invalid=%v", raw, invalid)
		}
		body := string(AppendHTMLBody(nil, clean))
		inner, ok := strings.CutPrefix(body, "<p>")
		inner, ok2 := strings.CutSuffix(inner, "</p>")
		if !ok || !ok2 || strings.ContainsAny(strings.ReplaceAll(inner, "<br>", ""), "<>\"'\n") ||
			html.UnescapeString(strings.ReplaceAll(inner, "<br>", "\n")) != clean {
			t.Fatalf("AppendHTMLBody(%q) = %q", clean, body)
		}
	})
}

// checkNulls reads raw as a --null-values list (split at commas, as the
// flag is) and checks IsNull on strings near its tokens: a field is null
// when it is "" or exactly one of the tokens, byte for byte (no trimming,
// no case folding; SPEC section 3), and for nothing else.
func checkNulls(t *testing.T, raw, s string) {
	t.Helper()
	tokens := strings.Split(raw, ",")
	lists := []struct {
		nulls  Nulls
		tokens []string
	}{
		{Nulls{}, nil},
		{NewNulls([]string{"NULL", "null", `\N`}), []string{"NULL", "null", `\N`}},
		{NewNulls(tokens), tokens},
	}
	probes := []string{"", raw, s, "NULL", "null", `\N`, "Null", " NULL"}
	for _, tok := range tokens {
		probes = append(probes, tok, TrimSpace(tok), " "+tok, tok+" ", tok+"x", strings.ToUpper(tok), strings.ToLower(tok))
		if len(tok) > 0 {
			probes = append(probes, tok[1:], tok[:len(tok)-1])
		}
	}
	for _, l := range lists {
		for _, p := range probes {
			if got, want := l.nulls.IsNull(p), p == "" || slices.Contains(l.tokens, p); got != want {
				t.Fatalf("with null tokens %q, IsNull(%q) = %v, want %v", l.tokens, p, got, want)
			}
		}
	}
}

// refTrueWords and refFalseWords are SPEC section 3's boolean words.
var (
	refTrueWords  = []string{"true", "t", "yes", "y", "1", "public"}
	refFalseWords = []string{"false", "f", "no", "n", "0", "private", "internal"}
)

// checkBool compares ParseBool with a slow reading of SPEC section 3: s
// (trimmed by the caller, so spaces are not words) is true or false when it
// is one of the words but for the case of its ASCII letters; nothing else
// is a boolean, a word spelled with a non-ASCII letter that folds to an
// ASCII one (ſ, K) included, and not ok means false.
func checkBool(t *testing.T, s string) {
	t.Helper()
	var want, wantOK bool
	ascii := true
	for i := 0; i < len(s); i++ {
		ascii = ascii && s[i] < utf8.RuneSelf
	}
	if ascii {
		lower := strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}, s)
		want, wantOK = slices.Contains(refTrueWords, lower), slices.Contains(refTrueWords, lower) || slices.Contains(refFalseWords, lower)
	}
	if v, ok := ParseBool(s); v != want || ok != wantOK {
		t.Fatalf("ParseBool(%q) = %v, %v; SPEC section 3 says %v, %v", s, v, ok, want, wantOK)
	}
}

// TestFuzzParsersChecks gives the checks of FuzzParsers inputs whose
// answers are known, so that a check that reads nothing cannot pass.
func TestFuzzParsersChecks(t *testing.T) {
	for _, s := range []string{"TRUE", "t", "Yes", "y", "1", "Public", "FALSE", "f", "nO", "N", "0", "PRIVATE", "internal"} {
		v, ok := ParseBool(s)
		if !ok || v != slices.Contains(refTrueWords, strings.ToLower(s)) {
			t.Errorf("ParseBool(%q) = %v, %v", s, v, ok)
		}
	}
	for _, s := range []string{"", " true", "true ", "yes\n", "ye\u017f", "\u212a", "tru", "truee", "2", "on", "off", "null"} {
		if v, ok := ParseBool(s); v || ok {
			t.Errorf("ParseBool(%q) = %v, %v; want false, false", s, v, ok)
		}
	}
	n := NewNulls([]string{"NA", " - ", ""})
	for s, want := range map[string]bool{"": true, "NA": true, " - ": true, "-": false, "na": false, "NA ": false, "NULL": false} {
		if n.IsNull(s) != want {
			t.Errorf("IsNull(%q) with NA and \" - \" = %v, want %v", s, !want, want)
		}
	}
	checkNulls(t, "NA, -,", "NA")
	checkBool(t, "Internal")
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// refTime is SPEC section 3's timestamp grammar; RE2's \d is ASCII only.
var refTime = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?( ?(?:Z|z|[+-]\d{2}:\d{2}|[+-]\d{4}|[+-]\d{2})| (?i:UTC|GMT))?)?$`)

// refParse reads a timestamp the slow way: regexp, time.Date with overflow
// detection, and exact rationals for the range check.
func refParse(s string, loc *time.Location, now time.Time) (int64, bool) {
	if loc == nil {
		loc = time.UTC
	}
	nowRat := new(big.Rat).SetFrac(
		new(big.Int).Add(new(big.Int).Mul(big.NewInt(now.Unix()), big.NewInt(1e9)), big.NewInt(int64(now.Nanosecond()))),
		big.NewInt(1e9))
	var instant *big.Rat
	if s != "" && isAllDigits(s) {
		v, _ := new(big.Int).SetString(s, 10)
		instant = new(big.Rat).SetInt(v)
		if v.Cmp(big.NewInt(100000000000)) >= 0 {
			instant.Quo(instant, big.NewRat(1000, 1))
		}
	} else {
		m := refTime.FindStringSubmatch(s)
		if m == nil {
			return 0, false
		}
		num := func(x string) int {
			n, _ := strconv.Atoi(x)
			return n
		}
		y, mo, d, h, mi, sec := num(m[1]), num(m[2]), num(m[3]), num(m[4]), num(m[5]), num(m[6])
		if h > 23 || mi > 59 || sec > 59 {
			return 0, false
		}
		zone := loc
		switch z := m[8]; {
		case z == "":
		case strings.EqualFold(strings.TrimPrefix(z, " "), "Z") || strings.EqualFold(z, " UTC") || strings.EqualFold(z, " GMT"):
			zone = time.UTC
		default:
			z = strings.ReplaceAll(strings.TrimPrefix(z, " "), ":", "")
			zh, zm := num(z[1:3]), 0
			if len(z) == 5 {
				zm = num(z[3:5])
			}
			if zh > 23 || zm > 59 {
				return 0, false
			}
			off := zh*3600 + zm*60
			if z[0] == '-' {
				off = -off
			}
			zone = time.FixedZone("", off)
		}
		t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, zone)
		if c := t.In(zone); c.Year() != y || int(c.Month()) != mo || c.Day() != d {
			return 0, false // time.Date normalized an out-of-range date
		}
		instant = new(big.Rat).SetInt64(t.Unix())
		if m[7] != "" {
			frac, _ := new(big.Rat).SetString("0." + m[7])
			instant.Add(instant, frac)
		}
	}
	if instant.Sign() < 0 || instant.Cmp(nowRat) > 0 {
		return 0, false
	}
	whole := new(big.Int).Quo(instant.Num(), instant.Denom())
	return whole.Int64(), true
}
