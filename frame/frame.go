package frame

import (
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
)

// ReadOptions configures ReadCSV.
type ReadOptions struct {
	// LazyQuotes reads stray quotes as text (see Reader.LazyQuotes). If
	// false (the default), a stray quote is an error.
	LazyQuotes bool
}

// fileError is an error for the user that names the file and the line; it
// wraps the error underneath so that errors.Is and errors.As still see the
// sentinel or the *ParseError.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// ErrFieldCount is wrapped by ReadCSV's error for a record whose field count
// differs from the header's.
var ErrFieldCount = errors.New("wrong number of fields")

// ErrEmptyFile is wrapped by ReadCSV's error for an input without a header.
var ErrEmptyFile = errors.New("empty file")

// ReadCSV streams a CSV file and keeps only the columns named in cols
// (matched by MatchHeader), as String columns named exactly as in cols. It
// reads with ReuseRecord and copies each record's kept fields into one new
// string, so it never holds the whole file, nor any record twice. file is
// used in error messages, "<file>: line N: ...": a parse error (stray quotes
// too: these are small trusted tables), a record whose field count differs
// from the header's, a missing or repeated column, an empty input.
func ReadCSV(r io.Reader, file string, cols []string, opt ReadOptions) (dataframe.DataFrame, error) {
	df, _, err := ReadCSVLines(r, file, cols, opt)
	return df, err
}

// ReadCSVLines is ReadCSV that also returns, for each row of the frame, the
// line of the file where its record starts: what an error about a row's
// value must name, since empty lines and quoted line breaks make it differ
// from the row index + 2.
func ReadCSVLines(r io.Reader, file string, cols []string, opt ReadOptions) (dataframe.DataFrame, []int, error) {
	cr := NewReader(r)
	cr.ReuseRecord = true
	cr.LazyQuotes = opt.LazyQuotes
	header, line, err := cr.Read()
	if err == io.EOF {
		return dataframe.DataFrame{}, nil, &fileError{
			msg: fmt.Sprintf("%s: the file is empty; it needs a header row naming the columns %s", file, strings.Join(cols, ", ")),
			err: ErrEmptyFile,
		}
	}
	if err != nil {
		return dataframe.DataFrame{}, nil, readError(file, err)
	}
	idx, err := MatchHeader(header, cols)
	if err != nil {
		return dataframe.DataFrame{}, nil, &fileError{msg: fmt.Sprintf("%s: line %d: %v", file, line, err), err: err}
	}
	nfields := len(header)
	values := make([][]string, len(cols))
	var lines []int
	var buf []byte
	for {
		fields, line, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return dataframe.DataFrame{}, nil, readError(file, err)
		}
		if len(fields) != nfields {
			return dataframe.DataFrame{}, nil, &fileError{
				msg: fmt.Sprintf("%s: line %d: the record has %d field(s) but the header has %d; quote a field that holds a comma, or fix the row",
					file, line, len(fields), nfields),
				err: ErrFieldCount,
			}
		}
		lines = append(lines, line)
		// One allocation per record for the kept fields, which also lets
		// the skipped columns' bytes go.
		buf = buf[:0]
		for _, j := range idx {
			buf = append(buf, fields[j]...)
		}
		s := string(buf)
		for i, j := range idx {
			n := len(fields[j])
			values[i] = append(values[i], s[:n])
			s = s[n:]
		}
	}
	return FromColumns(cols, values...), lines, nil
}

// readError names the file, the line and the column of a Reader error, with
// what to do about it.
func readError(file string, err error) error {
	var pe *ParseError
	if !errors.As(err, &pe) {
		return &fileError{msg: fmt.Sprintf("%s: %v", file, err), err: err}
	}
	var msg string
	switch pe.Err {
	case ErrOpenQuote:
		msg = fmt.Sprintf("%s: line %d: column %d: this quote opens a field that is never closed (the file ends at line %d); close it, or double it (\"\") if it is part of the text",
			file, pe.QuoteLine, pe.QuoteColumn, pe.Line)
	case ErrBareQuote:
		msg = fmt.Sprintf("%s: line %d: column %d: %v; put the field in quotes and double the quote (\"a \"\"b\"\" c\")",
			file, pe.Line, pe.Column, pe.Err)
	default:
		msg = fmt.Sprintf("%s: line %d: column %d: %v (record starting on line %d); double a quote that is part of a quoted field",
			file, pe.Line, pe.Column, pe.Err, pe.StartLine)
	}
	return &fileError{msg: msg, err: err}
}

// Column returns a column's values as strings, in one pass over the series,
// or nil when df has no such column. gota's NaN element reads as "NaN".
func Column(df dataframe.DataFrame, name string) []string {
	s := df.Col(name)
	if s.Err != nil {
		return nil
	}
	return s.Records()
}

// FromColumns builds a DataFrame of String columns: names[i] names cols[i].
// The columns must all have the same length and the names must be distinct;
// otherwise the frame's Err says so. Values are taken as they are: no type
// detection, so "00076" stays "00076".
func FromColumns(names []string, cols ...[]string) dataframe.DataFrame {
	if len(names) != len(cols) {
		return dataframe.DataFrame{Err: fmt.Errorf("frame: %d column names for %d columns", len(names), len(cols))}
	}
	seen := make(map[string]bool, len(names))
	ss := make([]series.Series, len(cols))
	for i, col := range cols {
		if seen[names[i]] {
			return dataframe.DataFrame{Err: fmt.Errorf("frame: column name %q repeated", names[i])}
		}
		seen[names[i]] = true
		if col == nil {
			col = []string{}
		}
		ss[i] = series.New(col, series.String, names[i])
	}
	return dataframe.New(ss...)
}

// Rename renames columns by the map (old -> new), like pandas
// rename(columns=...): names not in the map, and map keys that name no
// column, are left alone; the renames happen at once, so a swap works.
func Rename(df dataframe.DataFrame, names map[string]string) dataframe.DataFrame {
	if df.Err != nil {
		return df
	}
	cols := df.Names()
	changed := false
	for i, old := range cols {
		if n, ok := names[old]; ok && n != old {
			cols[i] = n
			changed = true
		}
	}
	if !changed {
		return df
	}
	out := df.Copy()
	if err := out.SetNames(cols...); err != nil {
		return dataframe.DataFrame{Err: err}
	}
	return out
}

// Cast parses one column strictly with parse, like pandas astype but
// without gota's silent NaN: it returns the parsed values (the zero value
// where parse failed) and the row indexes where parse failed, ascending. A
// missing column gives nil, nil.
func Cast[T any](df dataframe.DataFrame, col string, parse func(string) (T, bool)) (vals []T, bad []int) {
	values := Column(df, col)
	if values == nil {
		return nil, nil
	}
	vals = make([]T, len(values))
	for i, v := range values {
		p, ok := parse(v)
		if !ok {
			bad = append(bad, i)
			continue
		}
		vals[i] = p
	}
	return vals, bad
}

// DropNA drops the rows where any of cols is null per isNull, like pandas
// dropna(subset=cols, how="any"). It returns the kept frame and the dropped
// row indexes, ascending. A missing column makes the returned frame's Err.
func DropNA(df dataframe.DataFrame, isNull func(string) bool, cols ...string) (dataframe.DataFrame, []int) {
	if df.Err != nil {
		return df, nil
	}
	null := make([]bool, df.Nrow())
	for _, name := range cols {
		values := Column(df, name)
		if values == nil {
			return dataframe.DataFrame{Err: fmt.Errorf("dropna: no column %q", name)}, nil
		}
		for i, v := range values {
			if !null[i] && isNull(v) {
				null[i] = true
			}
		}
	}
	return dropRows(df, null)
}

// dropRows returns df without the rows marked in drop, and their indexes.
func dropRows(df dataframe.DataFrame, drop []bool) (dataframe.DataFrame, []int) {
	var dropped []int
	keep := make([]int, 0, len(drop))
	for i, d := range drop {
		if d {
			dropped = append(dropped, i)
		} else {
			keep = append(keep, i)
		}
	}
	if dropped == nil {
		return df, nil
	}
	return df.Subset(keep), dropped
}

// DropDuplicates keeps the first row of each distinct combination of the
// subset columns, like pandas drop_duplicates(subset, keep="first"), and
// returns the kept frame and the dropped row indexes, ascending. With
// skipEmpty, rows whose subset values are all "" are never dropped. A
// missing column makes the returned frame's Err.
func DropDuplicates(df dataframe.DataFrame, skipEmpty bool, subset ...string) (dataframe.DataFrame, []int) {
	if df.Err != nil {
		return df, nil
	}
	keys := make([][]string, len(subset))
	for k, name := range subset {
		if keys[k] = Column(df, name); keys[k] == nil {
			return dataframe.DataFrame{Err: fmt.Errorf("drop_duplicates: no column %q", name)}, nil
		}
	}
	n := df.Nrow()
	drop := make([]bool, n)
	seen := make(map[string]struct{}, n)
	var buf []byte
	for i := 0; i < n; i++ {
		// The key is each value prefixed by its length, so that no two
		// combinations share a key whatever bytes the values hold.
		buf = buf[:0]
		empty := true
		for _, col := range keys {
			v := col[i]
			empty = empty && v == ""
			buf = binary.AppendUvarint(buf, uint64(len(v)))
			buf = append(buf, v...)
		}
		if skipEmpty && empty {
			continue
		}
		if _, ok := seen[string(buf)]; ok {
			drop[i] = true
			continue
		}
		seen[string(buf)] = struct{}{}
	}
	return dropRows(df, drop)
}

// LeftJoin joins right onto left on the key column with a hash map, like
// pandas merge(how="left", on=key) but one row per left row: every left row
// once, in order, followed by right's other columns taken from the FIRST
// right row with an equal key, or "" when none matches. A right column whose
// name is also a left column's gets rightSuffix appended. matched[i] tells
// whether left row i matched. Keys equal to "" never match. A missing key
// column makes the returned frame's Err.
func LeftJoin(left, right dataframe.DataFrame, key, rightSuffix string) (joined dataframe.DataFrame, matched []bool) {
	if left.Err != nil {
		return left, nil
	}
	if right.Err != nil {
		return right, nil
	}
	leftKeys, rightKeys := Column(left, key), Column(right, key)
	if leftKeys == nil || rightKeys == nil {
		return dataframe.DataFrame{Err: fmt.Errorf("left join: no key column %q in both frames", key)}, nil
	}
	first := make(map[string]int, len(rightKeys))
	for j, k := range rightKeys {
		if _, ok := first[k]; !ok && k != "" {
			first[k] = j
		}
	}
	rowOf := make([]int, len(leftKeys))
	matched = make([]bool, len(leftKeys))
	for i, k := range leftKeys {
		j, ok := first[k]
		if !ok || k == "" {
			j = -1
		}
		rowOf[i], matched[i] = j, ok && k != ""
	}

	leftNames := make(map[string]bool)
	for _, name := range left.Names() {
		leftNames[name] = true
	}
	var names []string
	var cols [][]string
	for _, name := range right.Names() {
		if name == key {
			continue
		}
		values := Column(right, name)
		col := make([]string, len(rowOf))
		for i, j := range rowOf {
			if j >= 0 {
				col[i] = values[j]
			}
		}
		if leftNames[name] {
			name += rightSuffix
			if leftNames[name] {
				return dataframe.DataFrame{Err: fmt.Errorf("left join: column %q is in the left frame already", name)}, nil
			}
		}
		names = append(names, name)
		cols = append(cols, col)
	}
	if len(cols) == 0 {
		return left, matched
	}
	return left.CBind(FromColumns(names, cols...)), matched
}

// WriteCSV writes the frame as RFC 4180 CSV with a header row, "\n" line
// ends, UTF-8 without BOM, quoting only the fields that need it (as
// encoding/csv's Writer decides).
func WriteCSV(w io.Writer, df dataframe.DataFrame) error {
	if df.Err != nil {
		return df.Err
	}
	names := df.Names()
	cols := make([][]string, len(names))
	for i, name := range names {
		cols[i] = Column(df, name)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(names); err != nil {
		return err
	}
	record := make([]string, len(names))
	for r := 0; r < df.Nrow(); r++ {
		for c := range cols {
			record[c] = cols[c][r]
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
