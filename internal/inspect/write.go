package inspect

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/migrate-tool/migrate/internal/input"
	"github.com/migrate-tool/migrate/internal/mapping"
)

// derivedNote says what an absent optional column becomes (SPEC section 3).
var derivedNote = [mapping.NumColumns]string{
	mapping.Name:          "every NAME is null (a user's name then comes from the email, or is a placeholder)",
	mapping.Email:         "every EMAIL is null, so no chat user can match a ticket platform user",
	mapping.Public:        "every comment's public is public_default",
	mapping.TicketCreated: "a ticket's created_at is the earliest COMMENT_CREATED_AT of its conversation",
	mapping.Requester:     "a ticket's requester is the author of its conversation's first valid message",
}

// yamlString writes s as a YAML double-quoted string; Go's escapes are
// YAML's.
func yamlString(s string) string { return strconv.Quote(s) }

func yamlList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = yamlString(w)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// evidence is the comment of a matched column: the share that parses, and
// sample values.
func (c *Column) evidence() string {
	s := fmt.Sprintf("%s of %d sampled values parse", percent(c.Share()), c.Values)
	if c.Nulls > 0 {
		s += fmt.Sprintf(" (%d null)", c.Nulls)
	}
	if len(c.Samples) > 0 {
		s += "; e.g. " + strings.Join(quoteAll(c.Samples), ", ")
	}
	if c.Parsed < c.Values && len(c.Unread) > 0 {
		s += "; not read: " + strings.Join(quoteAll(c.Unread), ", ")
	}
	return s
}

// YAML writes the proposal as a mapping file, a comment above each entry.
func (p *Proposal) YAML() []byte {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# A mapping proposed by migrate --steps inspect for %s\n", p.File)
	w("# from its first %d records. Check it, edit it, and pass it back with\n# --mapping; every key is optional (SPEC section 11).\n", p.Records)
	if len(p.Problems) > 0 {
		w("#\n# Incomplete: the run it describes would stop or reject records:\n")
		for _, pr := range p.Problems {
			w("#   - %s\n", pr)
		}
	}
	w("\n# %s\n", p.formatComment())
	w("encoding: %s\n", yamlString(p.Format.Encoding))
	w("# %s\n", p.delimiterComment())
	w("delimiter: %s\n\n", yamlString(input.DelimiterName(p.Format.Delimiter)))
	w("columns:  # the seed export's column: this export's column\n")
	for i, name := range mapping.Names {
		c := &p.Columns[i]
		if c.Export == "" {
			if c.Passed != "" {
				w("  # %s: %s\n", name, c.Passed)
			}
			if mapping.Required[i] {
				w("  # %s: no column found; required: name the export's column here\n  # %s: \"...\"\n", name, name)
			} else {
				w("  # %s: no column found; absent: %s\n", name, derivedNote[i])
			}
			continue
		}
		w("  # %s (found by %s): %s\n", c.Export, c.By, c.evidence())
		w("  %s: %s\n", name, yamlString(c.Export))
	}
	w("\n# Times without a zone are read in this zone")
	if p.ZoneLess > 0 {
		w(" (%d of the sampled timestamps have none)", p.ZoneLess)
	}
	w("; change it if the export writes local times.\ntimezone: %s\n", yamlString(p.Timezone))
	if len(p.TimestampFormats) > 0 {
		w("# Timestamp forms beyond SPEC section 3's, tried in order before them (strftime, Python strptime meanings).\n")
		for _, n := range p.FormatNotes {
			w("# %s\n", n)
		}
		w("timestamp_formats: %s\n", yamlList(p.TimestampFormats))
	}
	if len(p.TrueValues) > 0 || len(p.FalseValues) > 0 {
		w("# Words of COMMENT_PUBLIC beyond true/false, yes/no, 1/0, public/private/internal.\n")
		w("true_values: %s\nfalse_values: %s\n", yamlList(p.TrueValues), yamlList(p.FalseValues))
	}
	w("# Values read as null (an empty field always is).\nnull_values: %s\n", yamlList(p.NullValues))
	switch {
	case p.PublicDefault != nil:
		w("# Every comment's public when the export has no COMMENT_PUBLIC column.\npublic_default: %v\n", *p.PublicDefault)
	case p.Columns[mapping.Public].Export == "":
		w("# The export has no COMMENT_PUBLIC column: say whether its comments are public.\n# public_default: true\n")
	}
	return []byte(b.String())
}

func (p *Proposal) formatComment() string {
	s := "Read as " + p.Format.Encoding
	switch {
	case p.Format.BOM:
		s += " (found by its byte order mark)"
	case p.Legacy:
		s += " (the bytes are not UTF-8: windows-1252, the usual encoding of spreadsheet exports, is assumed; if letters look wrong, name the export's encoding here)"
	}
	if p.Format.Compression != input.None {
		s += ", " + p.Format.Compression.String() + "-compressed (read whatever the file's name)"
	}
	return s + "."
}

func (p *Proposal) delimiterComment() string {
	if p.Format.DelimiterGuessed {
		return fmt.Sprintf("The delimiter that splits the header into the most fields (%d).", len(p.Header))
	}
	return "The delimiter given."
}

// WriteTable prints the proposal as a table, then where mapping.yaml is
// and what to run.
func (p *Proposal) WriteTable(w io.Writer, mappingPath string) {
	fmt.Fprintf(w, "inspect %s: %d records sampled; %s; %d columns\n", p.File, p.Records, p.Format, len(p.Header))
	if p.Legacy {
		fmt.Fprintln(w, "the bytes are not UTF-8: windows-1252 assumed")
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tEXPORT COLUMN\tFOUND BY\tPARSES\tSAMPLES")
	for i, name := range mapping.Names {
		c := &p.Columns[i]
		switch {
		case c.Export != "":
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, c.Export, c.By, percent(c.Share()), strings.Join(quoteAll(c.Samples), ", "))
		case c.Passed != "":
			fmt.Fprintf(tw, "%s\t-\tnot found\t\t%s\n", name, c.Passed)
		case mapping.Required[i]:
			fmt.Fprintf(tw, "%s\t-\tnot found\t\trequired\n", name)
		default:
			fmt.Fprintf(tw, "%s\t-\tnot found\t\tabsent: %s\n", name, derivedNote[i])
		}
	}
	tw.Flush()
	if len(p.TimestampFormats) > 0 {
		fmt.Fprintf(w, "timestamp_formats: %s\n", yamlList(p.TimestampFormats))
		for _, n := range p.FormatNotes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	if len(p.TrueValues) > 0 || len(p.FalseValues) > 0 {
		fmt.Fprintf(w, "true_values: %s, false_values: %s\n", yamlList(p.TrueValues), yamlList(p.FalseValues))
	}
	if p.ZoneLess > 0 {
		fmt.Fprintf(w, "timezone: %s for the %d sampled timestamps without a zone\n", yamlString(p.Timezone), p.ZoneLess)
	}
	fmt.Fprintf(w, "wrote %s\n", mappingPath)
	if len(p.Problems) > 0 {
		fmt.Fprintln(w, "incomplete:")
		for _, pr := range p.Problems {
			fmt.Fprintf(w, "  - %s\n", pr)
		}
		fmt.Fprintf(w, "edit %s, then pass it with --mapping\n", mappingPath)
		return
	}
	fmt.Fprintf(w, "next: migrate --steps all --chat-csv %s --mapping %s ...\n", p.File, mappingPath)
}
