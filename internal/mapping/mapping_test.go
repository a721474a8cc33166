package mapping

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	f, err := Parse("m.yaml", []byte(`columns:                      # the seed export's column: this export's column
  CONVERSATION_ID: conversation_id
  body: " message_body "
  COMMENT_PUBLIC: is_public
delimiter: ";"
encoding: windows-1252
timezone: Europe/Berlin
timestamp_formats: ["%d/%m/%Y %H:%M"]
true_values: [visible, yes, on]
false_values: [note]
null_values: ["NULL", "-", '\N']
public_default: true
`))
	if err != nil {
		t.Fatal(err)
	}
	var want Columns
	want[Conversation], want[Body], want[Public] = "conversation_id", "message_body", "is_public"
	if f.Columns != want {
		t.Errorf("columns %q, want %q", f.Columns, want)
	}
	if *f.Delimiter != ";" || *f.Encoding != "windows-1252" || *f.Timezone != "Europe/Berlin" || !*f.PublicDefault {
		t.Errorf("scalars: %+v", f)
	}
	if !slices.Equal(f.TrueValues, []string{"visible", "yes", "on"}) || !slices.Equal(f.NullValues, []string{"NULL", "-", `\N`}) ||
		!slices.Equal(f.TimestampFormats, []string{"%d/%m/%Y %H:%M"}) || !slices.Equal(f.FalseValues, []string{"note"}) {
		t.Errorf("lists: %+v", f)
	}

	empty, err := Parse("m.yaml", []byte("# nothing but a comment\n"))
	if err != nil || empty.Columns.Set() || empty.Delimiter != nil || empty.NullValues != nil {
		t.Errorf("an empty mapping: %+v, %v", empty, err)
	}
	none, err := Parse("m.yaml", []byte("null_values: []\n"))
	if err != nil || none.NullValues == nil || len(none.NullValues) != 0 {
		t.Errorf("an empty list is a list: %+v, %v", none, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ yaml, msg string }{
		{"colums:\n  BODY: text\n", `unknown field "colums"`},
		{"columns:\n  MESSAGE: text\n", `"MESSAGE" is not a column of the seed export`},
		{"columns:\n  BODY: text\n  BODY: other\n", "already defined"},
		{"columns:\n  BODY: text\n  body: other\n", "BODY is given twice"},
		{"columns:\n  BODY:\n", "YAML reads this as null"},
		{"columns:\n  BODY: 12\n", "write it in quotes"},
		{"columns:\n  BODY: \"\"\n", "the value is empty"},
		{"null_values: [NULL, \"-\"]\n", `null_values[0]: YAML reads this as null`},
		{"true_values: [1]\n", "true_values[0]: YAML reads 1"},
		{"public_default: yes\n", "public_default"},
		{"- a\n", "mapping"},
		{"columns: [BODY]\n", "columns"},
		{"delimiter: [a]\n", "delimiter"},
		{"\tbad: yaml: : :\n", "m.yaml"},
		// goccy/go-yaml v1.19.2 panics on a tag on a list (FuzzParse).
		{"true_values: !00\n", "the YAML cannot be read"},
	} {
		_, err := Parse("m.yaml", []byte(tt.yaml))
		if !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Parse(%q) = %v; want ErrMapping saying %q", tt.yaml, err, tt.msg)
		}
	}
}

func TestParseColumns(t *testing.T) {
	c, err := ParseColumns(" CONVERSATION_ID = conv id ,body=text,,")
	if err != nil || c[Conversation] != "conv id" || c[Body] != "text" {
		t.Errorf("ParseColumns: %q, %v", c, err)
	}
	if c.String() != "CONVERSATION_ID=conv id,BODY=text" {
		t.Errorf("String() = %q", c.String())
	}
	for _, bad := range []string{"BODY", "BODY=", "MESSAGE=text", "BODY=a,body=b"} {
		if _, err := ParseColumns(bad); !errors.Is(err, ErrMapping) {
			t.Errorf("ParseColumns(%q) = %v, want ErrMapping", bad, err)
		}
	}
	var file Columns
	file[Body], file[Name] = "file_body", "file_name"
	over := file.Over(c)
	if over[Body] != "text" || over[Name] != "file_name" || over[Conversation] != "conv id" {
		t.Errorf("Over: %q", over)
	}
}

func TestResolve(t *testing.T) {
	seed := Names[:]
	r, err := Resolve(seed, Columns{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range Names {
		if r.Index[i] != i || r.Names[i] != Names[i] {
			t.Errorf("seed header: %d is %d %q", i, r.Index[i], r.Names[i])
		}
	}

	var m Columns
	m[Conversation], m[Body], m[Created] = "conv", "Text", "sent_at"
	header := []string{" sent_at ", "CONV", "comment_part_id", "author_id", "text", "extra", "body"}
	r, err = Resolve(header, m)
	if err != nil {
		t.Fatal(err)
	}
	want := [NumColumns]int{1, 2, 3, -1, -1, 4, -1, 0, -1, -1}
	if r.Index != want {
		t.Errorf("Index = %v, want %v", r.Index, want)
	}
	if r.Names[Body] != "text" || r.Names[Name] != "NAME" || !r.Absent(Email) || r.Absent(Body) {
		t.Errorf("Names = %q", r.Names)
	}

	for _, tt := range []struct {
		header []string
		cols   Columns
		msgs   []string
	}{
		{[]string{"CONVERSATION_ID", "COMMENT_PART_ID", "AUTHOR_ID", "EMAIL"}, Columns{},
			[]string{"missing required column(s) BODY, COMMENT_CREATED_AT", `the header has 4 column(s): "CONVERSATION_ID"`}},
		{append(slices.Clone(seed), "author_id "), Columns{}, []string{"column(s) AUTHOR_ID appear more than once"}},
		{append(slices.Clone(seed), "name"), Columns{}, []string{"column(s) NAME appear more than once"}},
		{seed, func() Columns { var c Columns; c[Body] = "message_text"; return c }(), []string{"the mapping names column(s) the header lacks: BODY=message_text"}},
	} {
		_, err := Resolve(tt.header, tt.cols)
		var he *HeaderError
		if !errors.As(err, &he) {
			t.Fatalf("Resolve(%q) = %v, want a *HeaderError", tt.header, err)
		}
		for _, m := range tt.msgs {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("Resolve(%q): %v lacks %q", tt.header, err, m)
			}
		}
	}
}

// TestHeaderErrorSuggestsUTF16: a UTF-16 export without a byte order mark
// reads as names with a zero byte between letters; the error names the fix.
func TestHeaderErrorSuggestsUTF16(t *testing.T) {
	for _, tc := range []struct {
		header []string
		want   bool
	}{
		{[]string{"C\x00O\x00N\x00V\x00", "\x00B\x00O\x00D\x00Y\x00"}, true},
		{[]string{"conversation", "text"}, false},
		{[]string{"a\x00bcdefghij"}, false}, // one stray NUL
	} {
		_, err := Resolve(tc.header, Columns{})
		if err == nil {
			t.Fatalf("Resolve(%q) found every column", tc.header)
		}
		if got := strings.Contains(err.Error(), "--encoding utf-16le"); got != tc.want {
			t.Errorf("Resolve(%q): %v; want a UTF-16 hint: %v", tc.header, err, tc.want)
		}
	}
}
