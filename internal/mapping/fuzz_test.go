package mapping

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds the mapping parser anything: it returns a mapping or an
// ErrMapping, never panics, and what it returns holds only column names
// that resolve against a header of exactly those names.
func FuzzParse(f *testing.F) {
	f.Add([]byte("columns:\n  BODY: text\n  CONVERSATION_ID: conv\ndelimiter: \";\"\npublic_default: true\n"))
	f.Add([]byte("null_values: [NULL, \"-\"]\n"))
	f.Add([]byte("timestamp_formats: [\"%d/%m/%Y %H:%M\"]\ntrue_values: [visible]\nfalse_values: [note]\n"))
	f.Add([]byte("colums: {}\n"))
	f.Add([]byte("columns: &a {BODY: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrMapping) {
				t.Fatalf("Parse: %v is not ErrMapping", err)
			}
			return
		}
		var header []string
		for _, name := range m.Columns {
			if name != "" && strings.TrimSpace(name) != name {
				t.Fatalf("column name %q not trimmed", name)
			}
			if name != "" {
				header = append(header, name)
			}
		}
		if _, err := Resolve(header, m.Columns); err != nil {
			var he *HeaderError
			if !errors.As(err, &he) || len(he.Unmapped) > 0 {
				t.Fatalf("Resolve of the mapping's own names: %v", err)
			}
		}
	})
}

// FuzzParseColumns: --columns either parses into pairs that print back as
// the same pairs, or is an ErrMapping.
func FuzzParseColumns(f *testing.F) {
	f.Add("CONVERSATION_ID=conv_id,BODY=text")
	f.Add("body = x ,, name=y")
	f.Add("BODY")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseColumns(s)
		if err != nil {
			if !errors.Is(err, ErrMapping) {
				t.Fatalf("ParseColumns(%q): %v", s, err)
			}
			return
		}
		if strings.Contains(s, "=,") {
			return
		}
		again, err := ParseColumns(c.String())
		if err != nil || again != c {
			t.Fatalf("ParseColumns(%q) = %q, printed %q, read back %q, %v", s, c, c.String(), again, err)
		}
	})
}
