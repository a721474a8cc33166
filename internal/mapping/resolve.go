package mapping

import (
	"fmt"
	"strings"
)

// Resolved is where each column of Names stands in an export's header.
type Resolved struct {
	// Index is the column's field in the header, -1 when it is absent (not
	// in the header and not mapped).
	Index [NumColumns]int
	// Names are the columns' names as the header writes them; for an
	// absent column, its seed name.
	Names [NumColumns]string
}

// Absent tells whether column i is absent.
func (r *Resolved) Absent(i int) bool { return r.Index[i] < 0 }

// HeaderError is a header that the columns cannot be resolved in: a
// required column missing, a used column repeated, or a mapped name the
// header lacks.
type HeaderError struct {
	Missing  []string // required columns of Names not found, in order
	Unmapped []string // "BODY=text": mapped names the header lacks
	Repeated []string // used columns found more than once
	Found    []string // every column of the header, as written
}

func (e *HeaderError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing required column(s) "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unmapped) > 0 {
		parts = append(parts, "the mapping names column(s) the header lacks: "+strings.Join(e.Unmapped, ", "))
	}
	if len(e.Repeated) > 0 {
		parts = append(parts, "column(s) "+strings.Join(e.Repeated, ", ")+" appear more than once")
	}
	found := make([]string, len(e.Found))
	for i, name := range e.Found {
		found[i] = fmt.Sprintf("%q", name)
	}
	parts = append(parts, fmt.Sprintf("the header has %d column(s): %s", len(e.Found), strings.Join(found, ", ")))
	if nuls := strings.Count(strings.Join(e.Found, ""), "\x00"); nuls > 0 && nuls*3 >= len(strings.Join(e.Found, "")) {
		// "C\x00O\x00N\x00...": two bytes a character, and no byte order mark.
		parts = append(parts, "every other byte of the header is zero: the export looks like UTF-16 without a byte order mark; give --encoding utf-16le (or utf-16be)")
	}
	return strings.Join(parts, "; ")
}

// Resolve finds each column of Names in header: by the name the mapping
// gives it, else by its seed name; names are compared after trimming spaces
// and case-insensitively, in any order, and other columns are ignored. A
// required column not found, a mapped name the header lacks, and a used
// column that the header holds more than once are a *HeaderError.
func Resolve(header []string, cols Columns) (Resolved, error) {
	var r Resolved
	var e HeaderError
	for i := range Names {
		want, mapped := cols[i], cols[i] != ""
		if !mapped {
			want = Names[i]
		}
		r.Index[i], r.Names[i] = -1, Names[i]
		seen := 0
		for h, name := range header {
			if strings.EqualFold(strings.Trim(name, " \t"), strings.Trim(want, " \t")) {
				if seen == 0 {
					r.Index[i], r.Names[i] = h, name
				}
				seen++
			}
		}
		switch {
		case seen > 1:
			e.Repeated = append(e.Repeated, Names[i])
		case seen == 1:
		case mapped:
			e.Unmapped = append(e.Unmapped, fmt.Sprintf("%s=%s", Names[i], want))
		case Required[i]:
			e.Missing = append(e.Missing, Names[i])
		}
	}
	if e.Missing != nil || e.Unmapped != nil || e.Repeated != nil {
		// Cloned: the header may be a view into a reader's buffer.
		e.Found = make([]string, len(header))
		for i, name := range header {
			e.Found[i] = strings.Clone(name)
		}
		return Resolved{}, &e
	}
	for i := range r.Names {
		r.Names[i] = strings.Clone(r.Names[i])
	}
	return r, nil
}
