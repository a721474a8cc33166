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

// Column returns a column's values as strings, in one pass over the series.
// A missing column is an error.
func Column(df dataframe.DataFrame, name string) ([]string, error) {
	if df.Err != nil {
		return nil, df.Err
	}
	s := df.Col(name)
	if s.Err != nil {
		return nil, fmt.Errorf("frame: no column %q (the frame has %s)", name, strings.Join(df.Names(), ", "))
	}
	return s.Records(), nil
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
func Rename(df dataframe.DataFrame, names map[string]string) (dataframe.DataFrame, error) {
	if df.Err != nil {
		return df, df.Err
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
		return df, nil
	}
	seen := make(map[string]bool, len(cols))
	for _, name := range cols {
		if seen[name] {
			err := fmt.Errorf("rename: column name %q would be repeated", name)
			return dataframe.DataFrame{Err: err}, err
		}
		seen[name] = true
	}
	out := df.Copy()
	if err := out.SetNames(cols...); err != nil {
		return dataframe.DataFrame{Err: err}, fmt.Errorf("rename: %w", err)
	}
	return out, nil
}

// Cast parses one column strictly with parse, like pandas astype but
// without gota's silent NaN: it returns the parsed values (the zero value
// where parse failed) and the row indexes where parse failed, ascending. A
// missing column is an error.
func Cast[T any](df dataframe.DataFrame, col string, parse func(string) (T, bool)) (vals []T, bad []int, err error) {
	values, err := Column(df, col)
	if err != nil {
		return nil, nil, err
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
	return vals, bad, nil
}

// DropNA drops the rows where any of cols is null per isNull, like pandas
// dropna(subset=cols, how="any"). It returns the kept frame and the dropped
// row indexes, ascending. A missing column is an error.
func DropNA(df dataframe.DataFrame, isNull func(string) bool, cols ...string) (dataframe.DataFrame, []int, error) {
	if df.Err != nil {
		return df, nil, df.Err
	}
	null := make([]bool, df.Nrow())
	for _, name := range cols {
		values, err := Column(df, name)
		if err != nil {
			return dataframe.DataFrame{Err: err}, nil, fmt.Errorf("dropna: %w", err)
		}
		for i, v := range values {
			if !null[i] && isNull(v) {
				null[i] = true
			}
		}
	}
	out, dropped := dropRows(df, null)
	return out, dropped, nil
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
// returns the kept frame and the dropped row indexes, ascending. A missing
// column is an error.
func DropDuplicates(df dataframe.DataFrame, subset ...string) (dataframe.DataFrame, []int, error) {
	if df.Err != nil {
		return df, nil, df.Err
	}
	keys := make([][]string, len(subset))
	for k, name := range subset {
		col, err := Column(df, name)
		if err != nil {
			return dataframe.DataFrame{Err: err}, nil, fmt.Errorf("drop_duplicates: %w", err)
		}
		keys[k] = col
	}
	n := df.Nrow()
	drop := make([]bool, n)
	seen := make(map[string]struct{}, n)
	var buf []byte
	for i := 0; i < n; i++ {
		// The key is each value prefixed by its length, so that no two
		// combinations share a key whatever bytes the values hold.
		buf = buf[:0]
		for _, col := range keys {
			v := col[i]
			buf = binary.AppendUvarint(buf, uint64(len(v)))
			buf = append(buf, v...)
		}
		if _, ok := seen[string(buf)]; ok {
			drop[i] = true
			continue
		}
		seen[string(buf)] = struct{}{}
	}
	out, dropped := dropRows(df, drop)
	return out, dropped, nil
}

// Indicator is the column LeftJoin adds, as pandas merge(indicator=True)
// does: Both when the left row found a right row, LeftOnly when not.
const (
	Indicator = "_merge"
	Both      = "both"
	LeftOnly  = "left_only"
)

// LeftJoin joins right onto left on the key column with a hash map, like
// pandas merge(how="left", on=key, indicator=True) but one row per left
// row: every left row once, in order, followed by right's other columns
// taken from the FIRST right row with an equal key, or "" when none matches,
// and the Indicator column. A right column whose name is also a left
// column's gets suffix appended. Keys equal to "" never match. A missing key
// column is an error.
func LeftJoin(left, right dataframe.DataFrame, key, suffix string) (dataframe.DataFrame, error) {
	if left.Err != nil {
		return left, left.Err
	}
	if right.Err != nil {
		return right, right.Err
	}
	leftKeys, err := Column(left, key)
	if err != nil {
		return dataframe.DataFrame{Err: err}, fmt.Errorf("left join: %w", err)
	}
	rightKeys, err := Column(right, key)
	if err != nil {
		return dataframe.DataFrame{Err: err}, fmt.Errorf("left join: %w", err)
	}
	first := make(map[string]int, len(rightKeys))
	for j, k := range rightKeys {
		if _, ok := first[k]; !ok && k != "" {
			first[k] = j
		}
	}
	rowOf := make([]int, len(leftKeys))
	indicator := make([]string, len(leftKeys))
	for i, k := range leftKeys {
		j, ok := first[k]
		if !ok || k == "" {
			j = -1
		}
		rowOf[i] = j
		indicator[i] = LeftOnly
		if j >= 0 {
			indicator[i] = Both
		}
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
		values, err := Column(right, name)
		if err != nil {
			return dataframe.DataFrame{Err: err}, err
		}
		col := make([]string, len(rowOf))
		for i, j := range rowOf {
			if j >= 0 {
				col[i] = values[j]
			}
		}
		if leftNames[name] {
			name += suffix
		}
		names = append(names, name)
		cols = append(cols, col)
	}
	names = append(names, Indicator)
	cols = append(cols, indicator)
	for _, name := range names {
		if leftNames[name] {
			err := fmt.Errorf("left join: column %q is in the left frame already", name)
			return dataframe.DataFrame{Err: err}, err
		}
	}
	joined := left.CBind(FromColumns(names, cols...))
	return joined, joined.Err
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
		col, err := Column(df, name)
		if err != nil {
			return err
		}
		cols[i] = col
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

// Select returns the columns cols of df, in that order (pandas df[cols]).
func Select(df dataframe.DataFrame, cols ...string) (dataframe.DataFrame, error) {
	if df.Err != nil {
		return df, df.Err
	}
	for _, c := range cols {
		if _, err := Column(df, c); err != nil {
			return dataframe.DataFrame{Err: err}, fmt.Errorf("select: %w", err)
		}
	}
	out := df.Select(cols)
	return out, out.Err
}

// Assign sets column name to values, replacing a column of that name or
// adding it at the end (pandas df[name] = values). values must have one
// value per row.
func Assign(df dataframe.DataFrame, name string, values []string) (dataframe.DataFrame, error) {
	if df.Err != nil {
		return df, df.Err
	}
	if len(values) != df.Nrow() {
		err := fmt.Errorf("assign %q: %d values for %d rows", name, len(values), df.Nrow())
		return dataframe.DataFrame{Err: err}, err
	}
	out := df.Mutate(series.New(values, series.String, name))
	return out, out.Err
}
