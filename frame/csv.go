package frame

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// A ParseError is returned for parsing errors. Lines and columns are 1-based;
// columns count bytes, not runes, as in encoding/csv. A UTF-8 BOM skipped at
// the start of the input is not counted in the columns of line 1.
type ParseError struct {
	StartLine int   // line where the record starts
	Line      int   // line where the error occurred
	Column    int   // column (1-based byte index) where the error occurred
	Err       error // ErrBareQuote, ErrQuote or ErrOpenQuote

	// QuoteLine and QuoteColumn, set only with ErrOpenQuote, locate the
	// opening quote of the field that is never closed: where the user has to
	// look, while Line and Column are the end of the input.
	QuoteLine, QuoteColumn int
}

func (e *ParseError) Error() string {
	if e.Err == ErrOpenQuote && e.QuoteLine > 0 {
		return fmt.Sprintf("record on line %d; the quote opened on line %d, column %d is still open at line %d, column %d: %v",
			e.StartLine, e.QuoteLine, e.QuoteColumn, e.Line, e.Column, e.Err)
	}
	if e.StartLine != e.Line {
		return fmt.Sprintf("record on line %d; parse error on line %d, column %d: %v", e.StartLine, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("parse error on line %d, column %d: %v", e.Line, e.Column, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// These are the errors that can be returned in ParseError.Err.
//
// ErrBareQuote and ErrQuote are recoverable: the record ends with the line
// where the offending quote stands, Read returns the fields read before it,
// and the next Read continues with the following line. ErrOpenQuote is fatal:
// the rest of the input was swallowed by the open field.
var (
	ErrBareQuote = errors.New(`bare " in non-quoted field`)
	ErrQuote     = errors.New(`extraneous or missing " in quoted field`)
	ErrOpenQuote = errors.New(`quoted field not closed before the end of the input`)
)

// BufferSize is the size of the read buffer: large enough that nearly every
// line is found in it whole, so ReadSlice rarely needs the slow path. A
// *bufio.Reader of at least this size given to NewReader is read as it is,
// without a second buffer.
const BufferSize = 1 << 20

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// A Reader reads records from a CSV input, following encoding/csv's Reader
// with a single-byte Comma, no comment character, FieldsPerRecord -1 (the caller checks
// field counts) and TrimLeadingSpace false, except that:
//
//   - a UTF-8 BOM at the very start of the input is skipped;
//   - Read also returns the line where the record starts;
//   - a quoted field still open at the end of the input is reported as
//     ErrOpenQuote, not ErrQuote;
//   - with ReuseRecord the fields are views into an internal buffer.
//
// Empty lines are skipped; a line of spaces is a record of one field. "\r\n"
// and "\n" end lines, "\r\n" inside a quoted field becomes "\n", a lone "\r"
// is data, and a "\r" right before the end of the input is dropped.
//
// The exported fields can be changed before the first call to Read.
type Reader struct {
	// Comma is the field delimiter: one ASCII byte other than a quote, "\r"
	// or "\n". If 0 (the default), it is ','.
	Comma byte

	// KeepRaw, if true, keeps the text of each record as read (its lines,
	// line breaks included, without the final line end) for Raw: what a
	// caller logs of a record it cannot trust. It costs a copy of the
	// records that hold quotes.
	KeepRaw bool

	// CheckUTF8, if true, checks that each line read is valid UTF-8, for
	// InvalidUTF8: one pass over whole lines costs far less than one per
	// field.
	CheckUTF8 bool

	// LazyQuotes, if true, reads a quote in an unquoted field, and a quote
	// in a quoted field not followed by a comma, a line end or a second
	// quote, as text. If false (the default), they are ErrBareQuote and
	// ErrQuote.
	LazyQuotes bool

	// ReuseRecord, if true, makes Read return a slice and field strings
	// that share memory with the Reader and are valid ONLY UNTIL THE NEXT
	// CALL TO Read: the bytes behind a field are overwritten by the next
	// record. A caller that keeps a field must copy it with strings.Clone.
	// Read then allocates nothing per record. If false (the default), each
	// record is one newly allocated string that all its fields share, plus
	// the slice.
	ReuseRecord bool

	r       *bufio.Reader
	started bool // the BOM check is done

	// numLine is the number of lines read so far.
	numLine int

	// offset is the number of input bytes consumed so far.
	offset int64

	// rawBuffer holds a line longer than the bufio buffer.
	rawBuffer []byte

	// recordBuffer holds the unescaped fields of a record with quotes, one
	// after another; fieldEnds[i] is where field i ends in it.
	recordBuffer []byte
	fieldEnds    []int

	// record is the slice Read returns with ReuseRecord.
	record []string

	// invalid is set when a line of the last record is not UTF-8, with
	// CheckUTF8.
	invalid bool

	// raw is the text of the last record, with KeepRaw: a view into the
	// read buffer for a record without quotes, else rawBuf.
	raw, rawBuf []byte
}

// InvalidUTF8 tells, with CheckUTF8, whether the record most recently
// read holds a byte that is not part of valid UTF-8; the caller finds where.
func (r *Reader) InvalidUTF8() bool { return r.invalid }

// Raw returns the text of the record most recently read, as read, when
// KeepRaw is set; like the fields of ReuseRecord, it is valid only until the
// next call to Read.
func (r *Reader) Raw() []byte { return r.raw }

func (r *Reader) comma() byte {
	if r.Comma == 0 {
		return ','
	}
	return r.Comma
}

// NewReader returns a new Reader that reads from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, BufferSize)}
}

// InputOffset returns the number of input bytes consumed so far, the BOM
// included: the end of the most recently read record.
func (r *Reader) InputOffset() int64 {
	return r.offset
}

// Read returns the next record's fields and the line where it starts. At
// the end of the input it returns nil, 0, io.EOF.
//
// On ErrBareQuote and ErrQuote (in a *ParseError), Read returns the fields
// read before the error and, as one last field, the rest of the record's
// text (the field being read, the offending quote and the rest of its line),
// so that the caller can log the malformed record without losing any of its
// text; encoding/csv drops that part. The next Read continues after the line
// where the error stands. On ErrOpenQuote
// the input is exhausted. With ReuseRecord, the fields are valid only until
// the next call to Read.
func (r *Reader) Read() (fields []string, line int, err error) {
	if !r.started {
		r.started = true
		if b, err := r.r.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
			r.r.Discard(len(utf8BOM))
			r.offset += int64(len(utf8BOM))
		}
	}

	r.invalid = false
	// Read a line, skipping empty ones.
	var text []byte
	var errRead error
	for errRead == nil {
		text, errRead = r.readLine()
		if errRead == nil && len(text) == lengthNL(text) {
			continue
		}
		break
	}
	if errRead != nil && len(text) == 0 {
		return nil, 0, errRead
	}
	recLine := r.numLine

	if bytes.IndexByte(text, '"') < 0 {
		// The common case: no quote anywhere in the line, so the record is
		// this line split at commas, and needs no unescaping.
		data := text[:len(text)-lengthNL(text)]
		if r.KeepRaw {
			r.raw = data
		}
		var s string
		var dst []string
		if r.ReuseRecord {
			s = unsafe.String(unsafe.SliceData(data), len(data))
			dst = r.record[:0]
		} else {
			// One string for the whole record: pins the fields together,
			// but allocates once.
			s = string(data)
			dst = make([]string, 0, bytes.Count(data, []byte{r.comma()})+1)
		}
		dst = splitFields(dst, s, r.comma())
		if r.ReuseRecord {
			r.record = dst
		}
		return dst, recLine, errRead
	}
	return r.readQuoted(text, errRead, recLine)
}

// splitFields appends the fields of s, separated by comma, to dst.
func splitFields(dst []string, s string, comma byte) []string {
	for {
		i := strings.IndexByte(s, comma)
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}

// readLine reads the next line with its trailing "\n", as encoding/csv's
// readLine does: if the end of the input is hit without a "\n", a trailing
// "\r" is dropped; if some bytes were read, the error is never io.EOF; a
// final "\r\n" becomes "\n". The result is valid until the next readLine.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.rawBuffer = append(r.rawBuffer[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.r.ReadSlice('\n')
			r.rawBuffer = append(r.rawBuffer, line...)
		}
		line = r.rawBuffer
	}
	readSize := len(line)
	if readSize > 0 && err == io.EOF {
		err = nil
		// As encoding/csv does, for backwards compatibility.
		if line[readSize-1] == '\r' {
			line = line[:readSize-1]
		}
	}
	r.numLine++
	r.offset += int64(readSize)
	if r.CheckUTF8 && !r.invalid && !utf8.Valid(line) {
		r.invalid = true
	}
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

// lengthNL reports the number of bytes for the trailing "\n".
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// readQuoted parses a record whose first line, text, holds a quote. It is
// encoding/csv's readRecord with Comma ',' and positions kept only for the
// errors.
func (r *Reader) readQuoted(text []byte, errRead error, recLine int) ([]string, int, error) {
	const quoteLen = len(`"`)
	const commaLen = 1
	comma := r.comma()
	var err error
	line := text
	if r.KeepRaw {
		r.rawBuf = append(r.rawBuf[:0], text...)
	}
	r.recordBuffer = r.recordBuffer[:0]
	r.fieldEnds = r.fieldEnds[:0]
	posLine, posCol := r.numLine, 1
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			// Non-quoted field.
			i := bytes.IndexByte(line, comma)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if !r.LazyQuotes {
				if j := bytes.IndexByte(field, '"'); j >= 0 {
					err = &ParseError{StartLine: recLine, Line: r.numLine, Column: posCol + j, Err: ErrBareQuote}
					// Keep the rest of the line as one last field, so
					// that no text of a malformed record is lost.
					r.recordBuffer = append(r.recordBuffer, line[:len(line)-lengthNL(line)]...)
					r.fieldEnds = append(r.fieldEnds, len(r.recordBuffer))
					break parseField
				}
			}
			r.recordBuffer = append(r.recordBuffer, field...)
			r.fieldEnds = append(r.fieldEnds, len(r.recordBuffer))
			if i >= 0 {
				line = line[i+commaLen:]
				posCol += i + commaLen
				continue parseField
			}
			break parseField
		}
		// Quoted field.
		quoteLine, quoteCol := posLine, posCol
		line = line[quoteLen:]
		posCol += quoteLen
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				// Hit the next quote.
				r.recordBuffer = append(r.recordBuffer, line[:i]...)
				line = line[i+quoteLen:]
				posCol += i + quoteLen
				switch {
				case len(line) > 0 && line[0] == '"':
					// `""`: an escaped quote.
					r.recordBuffer = append(r.recordBuffer, '"')
					line = line[quoteLen:]
					posCol += quoteLen
				case len(line) > 0 && line[0] == comma:
					// `",`: the end of the field.
					line = line[commaLen:]
					posCol += commaLen
					r.fieldEnds = append(r.fieldEnds, len(r.recordBuffer))
					continue parseField
				case lengthNL(line) == len(line):
					// `"\n`: the end of the line.
					r.fieldEnds = append(r.fieldEnds, len(r.recordBuffer))
					break parseField
				case r.LazyQuotes:
					// A stray quote, read as text.
					r.recordBuffer = append(r.recordBuffer, '"')
				default:
					// A closing quote followed by something else. The
					// field read so far, the quote and the rest of the
					// line become one last field, so that the text a
					// stray quote swallowed is kept.
					err = &ParseError{StartLine: recLine, Line: r.numLine, Column: posCol - quoteLen, Err: ErrQuote}
					r.recordBuffer = append(r.recordBuffer, '"')
					r.recordBuffer = append(r.recordBuffer, line[:len(line)-lengthNL(line)]...)
					r.fieldEnds = append(r.fieldEnds, len(r.recordBuffer))
					break parseField
				}
			case len(line) > 0:
				// Hit the end of the line: the field goes on.
				r.recordBuffer = append(r.recordBuffer, line...)
				if errRead != nil {
					break parseField
				}
				posCol += len(line)
				line, errRead = r.readLine()
				if r.KeepRaw {
					r.rawBuf = append(r.rawBuf, line...)
				}
				if len(line) > 0 {
					posLine++
					posCol = 1
				}
				if errRead == io.EOF {
					errRead = nil
				}
			default:
				// The end of the input inside the quoted field.
				if !r.LazyQuotes && errRead == nil {
					err = &ParseError{StartLine: recLine, Line: posLine, Column: posCol, Err: ErrOpenQuote,
						QuoteLine: quoteLine, QuoteColumn: quoteCol}
					break parseField
				}
				r.fieldEnds = append(r.fieldEnds, len(r.recordBuffer))
				break parseField
			}
		}
	}
	if err == nil {
		err = errRead
	}
	if r.KeepRaw {
		r.raw = r.rawBuf[:len(r.rawBuf)-lengthNL(r.rawBuf)]
	}

	var s string
	var dst []string
	if r.ReuseRecord {
		s = unsafe.String(unsafe.SliceData(r.recordBuffer), len(r.recordBuffer))
		dst = r.record[:0]
	} else {
		s = string(r.recordBuffer)
		dst = make([]string, 0, len(r.fieldEnds))
	}
	start := 0
	for _, end := range r.fieldEnds {
		dst = append(dst, s[start:end])
		start = end
	}
	if r.ReuseRecord {
		r.record = dst
	}
	return dst, recLine, err
}

// HeaderError reports required columns missing from a header row, or
// present more than once.
type HeaderError struct {
	Missing  []string // required names not found, in the order required
	Repeated []string // required names found more than once, in the order required
	Found    []string // every column of the header, as written
}

func (e *HeaderError) Error() string {
	var b strings.Builder
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, "missing required column(s) %s", strings.Join(e.Missing, ", "))
	}
	if len(e.Repeated) > 0 {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "required column(s) %s appear more than once", strings.Join(e.Repeated, ", "))
	}
	found := make([]string, len(e.Found))
	for i, name := range e.Found {
		found[i] = fmt.Sprintf("%q", name)
	}
	fmt.Fprintf(&b, "; the header has %d column(s): %s", len(e.Found), strings.Join(found, ", "))
	return b.String()
}

// MatchHeader finds the required columns in a header row: names are compared
// after trimming ASCII spaces and tabs and case-insensitively, in any order;
// other columns are ignored. It returns, for each required name, its index
// in header. A missing or repeated required column is a *HeaderError naming
// the missing and repeated ones and listing the columns found; the caller
// prefixes the file name.
func MatchHeader(header []string, required []string) ([]int, error) {
	idx := make([]int, len(required))
	seen := make([]int, len(required))
	for i := range idx {
		idx[i] = -1
	}
	for h, name := range header {
		name = strings.Trim(name, " \t")
		for i, want := range required {
			if strings.EqualFold(name, strings.Trim(want, " \t")) {
				if seen[i] == 0 {
					idx[i] = h
				}
				seen[i]++
			}
		}
	}
	var e HeaderError
	for i, want := range required {
		switch {
		case seen[i] == 0:
			e.Missing = append(e.Missing, want)
		case seen[i] > 1:
			e.Repeated = append(e.Repeated, want)
		}
	}
	if e.Missing != nil || e.Repeated != nil {
		// Cloned: the header may be a ReuseRecord view.
		e.Found = make([]string, len(header))
		for i, name := range header {
			e.Found[i] = strings.Clone(name)
		}
		return nil, &e
	}
	return idx, nil
}
