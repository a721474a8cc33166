package steps

import (
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/input"
	"github.com/migrate-tool/migrate/internal/mapping"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/value"
)

// inputOptions are the options that say how the chat export is read (SPEC
// sections 3 and 11), resolved by Validate.
type inputOptions struct {
	columns       mapping.Columns
	layouts       []*value.Layout
	bools         value.Bools
	publicDefault *bool
}

// given tells whether a flag was given on the command line.
func (o *Options) given(flag string) bool { return o.Given == nil || o.Given(flag) }

// applyMapping reads --mapping and takes from it every option whose flag
// was not given on the command line (a flag given wins over the file), and
// the columns, over which --columns wins pair by pair.
func (o *Options) applyMapping() error {
	var fileColumns mapping.Columns
	if o.Mapping != "" {
		m, err := mapping.Read(o.Mapping)
		if err != nil {
			return fail.New(fail.Usage, &OptionError{Flag: "mapping", Value: o.Mapping, Want: "a mapping file (YAML, see migrate --steps inspect)", Err: err})
		}
		fileColumns = m.Columns
		str := func(flag string, v *string, dst *string) {
			if v != nil && !o.given(flag) {
				*dst = *v
			}
		}
		list := func(flag string, v []string, dst *[]string) {
			if v != nil && !o.given(flag) {
				*dst = v
			}
		}
		str("encoding", m.Encoding, &o.Encoding)
		str("delimiter", m.Delimiter, &o.Delimiter)
		str("timezone", m.Timezone, &o.Timezone)
		list("null-values", m.NullValues, &o.NullValues)
		list("true-values", m.TrueValues, &o.TrueValues)
		list("false-values", m.FalseValues, &o.FalseValues)
		list("timestamp-format", m.TimestampFormats, &o.TimestampFormats)
		if m.PublicDefault != nil && !o.given("public-default") {
			o.PublicDefault = fmt.Sprint(*m.PublicDefault)
		}
	}
	cols, err := mapping.ParseColumns(o.Columns)
	if err != nil {
		return fail.New(fail.Usage, &OptionError{Flag: "columns", Value: o.Columns, Want: "SEED_NAME=export_name pairs, such as BODY=message_body,AUTHOR_ID=user_id", Err: err})
	}
	o.input.columns = fileColumns.Over(cols)
	return nil
}

// validateInput checks the options of the chat export's reading.
func (o *Options) validateInput() error {
	bad := func(flag, value, want string, err error) error {
		return fail.New(fail.Usage, &OptionError{Flag: flag, Value: value, Want: want, Err: err})
	}
	if _, err := input.LookupEncoding(o.Encoding); err != nil {
		return bad("encoding", fmt.Sprintf("%q", o.Encoding), "auto or a WHATWG encoding label such as utf-8, utf-16le, windows-1252, iso-8859-15, shift_jis", err)
	}
	if _, _, err := input.ParseDelimiter(o.Delimiter); err != nil {
		return bad("delimiter", fmt.Sprintf("%q", o.Delimiter), `auto, ",", ";", "|" or tab`, err)
	}
	o.input.layouts = nil
	for _, f := range o.TimestampFormats {
		l, err := value.CompileLayout(f)
		if err != nil {
			return bad("timestamp-format", fmt.Sprintf("%q", f), "a strftime pattern with "+value.LayoutDirectives+", such as %m/%d/%Y %I:%M %p", err)
		}
		o.input.layouts = append(o.input.layouts, l)
	}
	bools, err := value.NewBools(o.TrueValues, o.FalseValues)
	if err != nil {
		return bad("true-values", strings.Join(o.TrueValues, ","), "words that are not also false values (--false-values)", err)
	}
	o.input.bools = bools
	o.input.publicDefault = nil
	switch o.PublicDefault {
	case "":
	case "true", "false":
		v := o.PublicDefault == "true"
		o.input.publicDefault = &v
	default:
		return bad("public-default", fmt.Sprintf("%q", o.PublicDefault), "true or false (every comment's public when the export has no COMMENT_PUBLIC column)", nil)
	}
	if o.InspectRows < 1 {
		return bad("inspect-rows", fmt.Sprint(o.InspectRows), "1 or more", nil)
	}
	return nil
}

// inputReportOptions are the options of the chat export's reading that
// differ from their defaults, for report.json: a run that reads a plain
// export records what it always did.
func (o *Options) inputReportOptions() report.Counts {
	var c report.Counts
	add := func(key string, v any, set bool) {
		if set {
			c = append(c, report.Count{key, v})
		}
	}
	add("encoding", o.Encoding, o.Encoding != "auto")
	add("delimiter", o.Delimiter, o.Delimiter != "auto")
	add("mapping", o.Mapping, o.Mapping != "")
	add("columns", o.input.columns.String(), o.input.columns.Set())
	add("timestamp_formats", o.TimestampFormats, len(o.TimestampFormats) > 0)
	add("true_values", o.TrueValues, len(o.TrueValues) > 0)
	add("false_values", o.FalseValues, len(o.FalseValues) > 0)
	add("public_default", o.PublicDefault, o.PublicDefault != "")
	return c
}
