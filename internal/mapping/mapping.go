// Package mapping reads how an export names its columns and values (SPEC
// section 11): a mapping file (YAML), the --columns pairs, and their
// resolution against the header of the export. A mapping changes how values
// are read, never what is written.
//
// A mapping file:
//
//	columns:                      # the seed export's column: this export's column
//	  CONVERSATION_ID: conversation_id
//	  BODY: message_body
//	delimiter: ";"
//	encoding: windows-1252
//	timezone: Europe/Berlin
//	timestamp_formats: ["%d/%m/%Y %H:%M"]
//	true_values: [visible]
//	false_values: [note]
//	null_values: ["NULL", "-"]
//	public_default: true
//
// Every key is optional; any other key, or a columns key that is not one of
// Names, is an error: a typo is never ignored.
package mapping

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/goccy/go-yaml"
)

// Names are the columns of the chat export (SPEC section 3), by their names
// in the seed's export, in the order of the seed's header.
var Names = [NumColumns]string{
	"CONVERSATION_ID", "COMMENT_PART_ID", "AUTHOR_ID", "NAME", "EMAIL", "BODY",
	"COMMENT_PUBLIC", "COMMENT_CREATED_AT", "TICKET_CREATED_AT", "TICKET_REQUESTER_ID",
}

// Indexes into Names.
const (
	Conversation = iota
	Comment
	Author
	Name
	Email
	Body
	Public
	Created
	TicketCreated
	Requester
	NumColumns
)

// Required tells which columns an export must have; the others may be
// absent and are then derived (SPEC section 3).
var Required = [NumColumns]bool{Conversation: true, Comment: true, Author: true, Body: true, Created: true}

// ErrMapping is wrapped by the errors of a mapping file or --columns value
// that cannot be used.
var ErrMapping = errors.New("bad mapping")

// Columns maps a column of Names (by its index) to the name this export
// gives it; "" where the mapping says nothing.
type Columns [NumColumns]string

// Set reports whether the mapping names any column.
func (c Columns) Set() bool { return c != Columns{} }

// Over returns c with the pairs of other set over it, pair by pair: how
// --columns wins over the file.
func (c Columns) Over(other Columns) Columns {
	for i, name := range other {
		if name != "" {
			c[i] = name
		}
	}
	return c
}

// String writes the pairs as --columns takes them.
func (c Columns) String() string {
	var pairs []string
	for i, name := range c {
		if name != "" {
			pairs = append(pairs, Names[i]+"="+name)
		}
	}
	return strings.Join(pairs, ",")
}

// Index returns the index in Names of a column name, matched
// case-insensitively after trimming spaces, or -1.
func Index(name string) int {
	name = strings.TrimSpace(name)
	for i, n := range Names {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

// ParseColumns reads a --columns value: comma-separated SEED_NAME=export_name
// pairs. A name that is not one of Names, a pair without "=" or without an
// export name, and a column given twice are errors wrapping ErrMapping.
func ParseColumns(s string) (Columns, error) {
	var c Columns
	for _, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		seed, name, ok := strings.Cut(pair, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return Columns{}, fmt.Errorf("%w: %q: write SEED_NAME=export_name, such as BODY=message_body", ErrMapping, pair)
		}
		i := Index(seed)
		if i < 0 {
			return Columns{}, fmt.Errorf("%w: %q is not a column of the seed export (%s)", ErrMapping, strings.TrimSpace(seed), strings.Join(Names[:], ", "))
		}
		if c[i] != "" {
			return Columns{}, fmt.Errorf("%w: %s is given twice", ErrMapping, Names[i])
		}
		c[i] = name
	}
	return c, nil
}

// File is a mapping file as read. A nil field was not in the file.
type File struct {
	Path             string
	Columns          Columns
	Delimiter        *string
	Encoding         *string
	Timezone         *string
	TimestampFormats []string
	TrueValues       []string
	FalseValues      []string
	NullValues       []string
	PublicDefault    *bool
}

// fileYAML is the file's shape for the YAML decoder. Lists and column names
// are read as any, so that a value YAML reads as something other than a
// string (NULL is null, 1 a number) is an error rather than a word changed
// without a word.
type fileYAML struct {
	Columns          map[string]any `yaml:"columns"`
	Delimiter        *string        `yaml:"delimiter"`
	Encoding         *string        `yaml:"encoding"`
	Timezone         *string        `yaml:"timezone"`
	TimestampFormats *[]any         `yaml:"timestamp_formats"`
	TrueValues       *[]any         `yaml:"true_values"`
	FalseValues      *[]any         `yaml:"false_values"`
	NullValues       *[]any         `yaml:"null_values"`
	PublicDefault    *bool          `yaml:"public_default"`
}

// Read reads the mapping file at path.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot read the mapping: %w", ErrMapping, err)
	}
	return Parse(path, data)
}

// unmarshal decodes YAML into y. goccy/go-yaml v1.19.2 panics on some
// input (a tag on a list, "true_values: !00", found by FuzzParse): a file a
// user wrote must give an error, never a crash.
func unmarshal(data []byte, y *fileYAML) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML cannot be read (the parser stopped: %v); check its tags (!...) and indentation", r)
		}
	}()
	return yaml.UnmarshalWithOptions(data, y, yaml.DisallowUnknownField())
}

// Parse reads a mapping file's content; path names it in errors.
func Parse(path string, data []byte) (*File, error) {
	var y fileYAML
	if err := unmarshal(data, &y); err != nil {
		return nil, fmt.Errorf("%w: %s: %s (the keys are columns, delimiter, encoding, timezone, timestamp_formats, true_values, false_values, null_values, public_default)",
			ErrMapping, path, strings.TrimSpace(err.Error()))
	}
	f := &File{Path: path, Delimiter: y.Delimiter, Encoding: y.Encoding, Timezone: y.Timezone, PublicDefault: y.PublicDefault}
	for key, v := range y.Columns {
		i := Index(key)
		if i < 0 || strings.TrimSpace(key) != key {
			return nil, fmt.Errorf("%w: %s: columns: %q is not a column of the seed export (%s)", ErrMapping, path, key, strings.Join(Names[:], ", "))
		}
		name, ok := v.(string)
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("%w: %s: columns: %s: %s", ErrMapping, path, key, notAString(v))
		}
		if f.Columns[i] != "" {
			return nil, fmt.Errorf("%w: %s: columns: %s is given twice", ErrMapping, path, Names[i])
		}
		f.Columns[i] = strings.TrimSpace(name)
	}
	lists := []struct {
		key string
		in  *[]any
		out *[]string
	}{
		{"timestamp_formats", y.TimestampFormats, &f.TimestampFormats},
		{"true_values", y.TrueValues, &f.TrueValues},
		{"false_values", y.FalseValues, &f.FalseValues},
		{"null_values", y.NullValues, &f.NullValues},
	}
	for _, l := range lists {
		if l.in == nil {
			continue
		}
		*l.out = []string{}
		for k, v := range *l.in {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%w: %s: %s[%d]: %s", ErrMapping, path, l.key, k, notAString(v))
			}
			*l.out = append(*l.out, s)
		}
	}
	return f, nil
}

// notAString says why a YAML value is not the string it was meant to be.
func notAString(v any) string {
	switch v := v.(type) {
	case nil:
		return "YAML reads this as null (an empty value, ~, null or NULL): write the text in quotes, such as \"NULL\""
	case string:
		return "the value is empty: name the export's column, or leave the key out"
	default:
		return fmt.Sprintf("YAML reads %v as a %T, not as text: write it in quotes, such as \"%v\"", v, v, v)
	}
}
