// Package inspect proposes a mapping for a chat export from another tool
// (SPEC section 11): it reads the first records of the export, finds how
// it is compressed, encoded and separated, which of its columns are the
// seed export's columns (by their seed names, then by the names common
// exports give them), and how much of each parses by the value rules of
// SPEC section 3; it proposes the timestamp formats and visibility words
// the values need. The proposal is written as a mapping file that
// --mapping reads, with comments that show the evidence, and as a table.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/input"
	"github.com/migrate-tool/migrate/internal/mapping"
	"github.com/migrate-tool/migrate/internal/value"
)

// Options are what inspect starts from: the export, and whatever the user
// already said about it (flags or a mapping); what is left at its default
// is detected.
type Options struct {
	File string
	// Rows is how many records to sample.
	Rows int
	// Input: "auto" encoding or delimiter is detected.
	Input input.Options
	// Columns given are taken as they are.
	Columns mapping.Columns
	// NullValues, Timezone, TimestampFormats, TrueValues, FalseValues and
	// PublicDefault are the options in effect; the proposal keeps them and
	// adds what the values need.
	NullValues       []string
	Timezone         string
	Times            *value.TimeParser // Loc, Now and the layouts of TimestampFormats
	TimestampFormats []string
	TrueValues       []string
	FalseValues      []string
	PublicDefault    *bool
	LazyQuotes       bool
	// ReplaceInvalidUTF8 is --invalid-utf8 replace: bytes that are not
	// UTF-8 do not stop the run.
	ReplaceInvalidUTF8 bool
}

// Proposal is what inspect found and proposes.
type Proposal struct {
	File    string
	Format  input.Format
	Legacy  bool // the bytes are not UTF-8: a legacy encoding is assumed
	Records int  // sampled
	Header  []string

	Columns [mapping.NumColumns]Column

	Timezone         string
	ZoneLess         int // sampled timestamps without a zone
	TimestampFormats []string
	FormatNotes      []string
	TrueValues       []string
	FalseValues      []string
	NullValues       []string
	PublicDefault    *bool

	// Problems make the proposal incomplete (exit status 2).
	Problems []string
}

// Column is one column of mapping.Names in the proposal.
type Column struct {
	Export string // the header's name, "" when not found
	By     string // how it was found: "exact name", "mapping", "Intercom name"...
	// Values are the sampled values of well-formed records, Parsed those
	// that parse, Nulls those that are null; Samples a few distinct ones.
	Values, Parsed, Nulls int
	Samples               []string
	// Unread are the values that do not parse, most frequent first (at
	// most a few), for the comment.
	Unread []string
	// Passed says why a column found by a known name was not taken: its
	// values are not what the column holds.
	Passed string
	// Repeated is a name that would have matched but stands more than once
	// in the header: a run cannot tell which to read (mapping.Resolve).
	Repeated string
	// blocked: the run would look for the repeated name itself (it is the
	// column's seed name, or the mapping given names it) and stop.
	blocked bool
}

// Share is the share of sampled values that parse, from 0 to 1.
func (c *Column) Share() float64 {
	if c.Values == 0 {
		return 1
	}
	return float64(c.Parsed) / float64(c.Values)
}

// MinShare is the least share of each matched column's values that must
// parse for the proposal to be complete.
const MinShare = 0.99

// sample is the records read.
type sample struct {
	header  []string
	records [][]string // well-formed records only
	read    int        // every record read
	invalid bool       // a byte that is not UTF-8 was found
}

// Run reads the first o.Rows records of the export and proposes a mapping.
func Run(ctx context.Context, o Options) (*Proposal, error) {
	p := &Proposal{File: o.File, Timezone: o.Timezone, NullValues: o.NullValues,
		TimestampFormats: append([]string(nil), o.TimestampFormats...),
		TrueValues:       append([]string(nil), o.TrueValues...), FalseValues: append([]string(nil), o.FalseValues...),
		PublicDefault: o.PublicDefault}
	s, format, err := read(ctx, o, o.Input)
	if err != nil {
		return nil, err
	}
	if s.invalid && (o.Input.Encoding == "" || o.Input.Encoding == "auto") && !format.BOM {
		// Not UTF-8 and no BOM: most likely a spreadsheet's Windows-1252.
		in := o.Input
		in.Encoding = "windows-1252"
		if s, format, err = read(ctx, o, in); err != nil {
			return nil, err
		}
		p.Legacy = true
	}
	if s.invalid && !p.Legacy && format.Encoding == "utf-8" && !o.ReplaceInvalidUTF8 {
		p.Problems = append(p.Problems, "encoding: some bytes are not UTF-8, though the export is read as UTF-8 (by its BOM, or as given), so the run would stop: name the export's encoding, or keep the rest of the text with --invalid-utf8 replace")
	}
	p.Format, p.Records, p.Header = format, s.read, s.header
	p.match(s.header, o.Columns)
	p.measure(s, o)
	p.check()
	return p, nil
}

// read samples the export with in.
func read(ctx context.Context, o Options, in input.Options) (*sample, input.Format, error) {
	src, err := input.Open(o.File, in)
	if err != nil {
		return nil, input.Format{}, err
	}
	defer src.Close()
	r := frame.NewReader(src.Text)
	r.Comma = src.Delimiter
	r.LazyQuotes = o.LazyQuotes
	s := &sample{}
	header, _, err := r.Read()
	if err == io.EOF {
		return nil, src.Format, fail.Usagef("%s: the file is empty: there is no header to inspect", o.File)
	}
	if err != nil {
		return nil, src.Format, fail.Usagef("%s: %v", o.File, err)
	}
	s.header = header
	s.invalid = !validUTF8(header)
	var perr *frame.ParseError
	for s.read < o.Rows {
		if s.read%4096 == 0 && ctx.Err() != nil {
			return nil, src.Format, context.Cause(ctx)
		}
		fields, _, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil && (!errors.As(err, &perr) || errors.Is(err, frame.ErrOpenQuote)) {
			return nil, src.Format, fail.Usagef("%s: %v", o.File, err)
		}
		s.read++
		s.invalid = s.invalid || !validUTF8(fields)
		if err == nil && len(fields) == len(header) {
			s.records = append(s.records, fields)
		}
	}
	return s, src.Format, nil
}

func validUTF8(fields []string) bool {
	for _, f := range fields {
		if !utf8.ValidString(f) {
			return false
		}
	}
	return true
}

// match finds each column in the header: as the options map it, by its
// seed name, then by the names of knownNames; a header column serves one
// column only, and a name that stands twice in the header (as a run
// compares names: trimmed, whatever the case) serves none.
func (p *Proposal) match(header []string, given mapping.Columns) {
	used := make([]bool, len(header))
	times := map[string]int{}
	for _, h := range header {
		times[strings.ToLower(strings.Trim(h, " \t"))]++
	}
	var i int // the column find looks for
	find := func(name string) int {
		for h, got := range header {
			if used[h] || fold(got) != fold(name) {
				continue
			}
			if times[strings.ToLower(strings.Trim(got, " \t"))] > 1 {
				c := &p.Columns[i]
				if c.Repeated == "" {
					c.Repeated = got
				}
				c.blocked = c.blocked || given[i] != "" || strings.EqualFold(strings.Trim(got, " \t"), mapping.Names[i])
				continue
			}
			return h
		}
		return -1
	}
	take := func(i, h int, by string) {
		used[h] = true
		p.Columns[i].Export, p.Columns[i].By = header[h], by
	}
	for i = range mapping.Names {
		if given[i] == "" {
			continue
		}
		if h := find(given[i]); h >= 0 {
			take(i, h, "mapping")
		} else if p.Columns[i].Repeated == "" {
			p.Problems = append(p.Problems, fmt.Sprintf("%s: the mapping names %q, which the header lacks", mapping.Names[i], given[i]))
		}
	}
	for i = range mapping.Names {
		if given[i] != "" {
			continue
		}
		if h := find(mapping.Names[i]); h >= 0 {
			take(i, h, "seed name")
		}
	}
	for i = range mapping.Names {
		if given[i] != "" || p.Columns[i].Export != "" {
			continue
		}
		for _, k := range knownNames[i] {
			if h := find(k.name); h >= 0 {
				take(i, h, k.source+" name")
				break
			}
		}
	}
}

// index returns the header index of column i, or -1.
func (p *Proposal) index(i int) int {
	if p.Columns[i].Export == "" {
		return -1
	}
	for h, name := range p.Header {
		if name == p.Columns[i].Export {
			return h
		}
	}
	return -1
}

// check lists what keeps the proposal from giving a complete run.
func (p *Proposal) check() {
	if p.Records == 0 {
		// No value was sampled: 99% of nothing is not a pass, and the run
		// would stop (SPEC section 7: an export with no record).
		hint := "the export holds no record after its header, so no value could be checked and a run would stop"
		if slices.ContainsFunc(p.Header, func(h string) bool { return strings.Contains(h, "\r") }) {
			hint += `; its header holds a lone carriage return: the lines end with \r alone (a classic Mac file), which a CSV reads as data, so convert the line ends to \n or \r\n`
		}
		p.Problems = append(p.Problems, hint)
	}
	for i, name := range mapping.Names {
		c := &p.Columns[i]
		switch {
		case c.Export == "" && c.Repeated != "" && (mapping.Required[i] || c.blocked):
			p.Problems = append(p.Problems, fmt.Sprintf("%s: the header holds %q more than once, and a run cannot tell which to read: rename one of them in the export", name, c.Repeated))
		case c.Export == "" && mapping.Required[i]:
			p.Problems = append(p.Problems, fmt.Sprintf("%s: no column found; name it under columns", name))
		case c.Export == "" && i == mapping.Public && p.PublicDefault == nil:
			p.Problems = append(p.Problems, "COMMENT_PUBLIC: no column found; set public_default to true or false (visibility is never guessed)")
		case c.Export != "" && c.Share() < MinShare:
			p.Problems = append(p.Problems, fmt.Sprintf("%s: only %s of the sampled values of %q parse (%s)", name, percent(c.Share()), c.Export, strings.Join(quoteAll(c.Unread), ", ")))
		}
	}
}

func percent(share float64) string {
	return fmt.Sprintf("%.1f%%", share*100)
}

func quoteAll(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = quote(v)
	}
	return out
}

// quote writes a value for a comment or the table: quoted, at most 40
// characters, on one line.
func quote(v string) string {
	if utf8.RuneCountInString(v) > 40 {
		r := []rune(v)
		v = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", v)
}
