package frame

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// readResult is one call to Read: a record or a parse error.
type readResult struct {
	Fields []string
	Line   int
	Err    error // a sentinel (ErrBareQuote...), compared with errors.Is
	// ErrLine and ErrCol locate the error (ParseError.Line, Column).
	ErrLine, ErrCol int
}

// readAll reads r to the end, cloning the fields so that ReuseRecord's views
// survive, and stops after a fatal error.
func readAll(t testing.TB, r *Reader) []readResult {
	t.Helper()
	var out []readResult
	for {
		fields, line, err := r.Read()
		if err == io.EOF {
			return out
		}
		res := readResult{Line: line}
		for _, f := range fields {
			res.Fields = append(res.Fields, strings.Clone(f))
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Read: unexpected error %v", err)
			}
			if pe.StartLine != line {
				t.Errorf("ParseError.StartLine %d, Read line %d", pe.StartLine, line)
			}
			res.Err, res.ErrLine, res.ErrCol = pe.Err, pe.Line, pe.Column
		}
		out = append(out, res)
		if errors.Is(err, ErrOpenQuote) {
			if _, _, err := r.Read(); err != io.EOF {
				t.Errorf("Read after ErrOpenQuote: %v, want io.EOF", err)
			}
			return out
		}
	}
}

func rec(line int, fields ...string) readResult {
	return readResult{Line: line, Fields: fields}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name  string
		input string
		lazy  bool
		want  []readResult
	}{
		{name: "empty input", input: "", want: nil},
		{name: "only newlines", input: "\n\r\n\n", want: nil},
		{name: "simple", input: "a,b,c\n", want: []readResult{rec(1, "a", "b", "c")}},
		{name: "no final newline", input: "a,b\nc,d", want: []readResult{rec(1, "a", "b"), rec(2, "c", "d")}},
		{name: "crlf", input: "a,b\r\nc,d\r\n", want: []readResult{rec(1, "a", "b"), rec(2, "c", "d")}},
		{name: "empty lines are not records", input: "\n\na\n\r\n\nb\n", want: []readResult{rec(3, "a"), rec(6, "b")}},
		{name: "a line of spaces is a record", input: "a\n  \nb\n", want: []readResult{rec(1, "a"), rec(2, "  "), rec(3, "b")}},
		{name: "empty fields", input: ",\na,\n,b\n\"\"\n", want: []readResult{rec(1, "", ""), rec(2, "a", ""), rec(3, "", "b"), rec(4, "")}},
		{name: "spaces are data", input: " a , b \n", want: []readResult{rec(1, " a ", " b ")}},
		{name: "bom skipped", input: "\xEF\xBB\xBFa,b\nc\n", want: []readResult{rec(1, "a", "b"), rec(2, "c")}},
		{name: "bom then quote", input: "\xEF\xBB\xBF\"a\",b\n", want: []readResult{rec(1, "a", "b")}},
		{name: "bom only at the start", input: "a\n\xEF\xBB\xBFb\n", want: []readResult{rec(1, "a"), rec(2, "\xEF\xBB\xBFb")}},
		{name: "bom alone", input: "\xEF\xBB\xBF", want: nil},
		{
			name:  "quoted comma, quote and newline",
			input: "\"a,b\",\"c\"\"d\",\"e\nf\"\ng\n",
			want:  []readResult{rec(1, "a,b", "c\"d", "e\nf"), rec(3, "g")},
		},
		{name: "crlf inside quotes becomes lf", input: "\"a\r\nb\",c\r\nd\r\n", want: []readResult{rec(1, "a\nb", "c"), rec(3, "d")}},
		{name: "lone cr is data", input: "a\rb,c\r\r\nd\n", want: []readResult{rec(1, "a\rb", "c\r"), rec(2, "d")}},
		{name: "lone cr in quotes is data", input: "\"a\rb\"\n", want: []readResult{rec(1, "a\rb")}},
		{name: "cr before eof dropped", input: "a,b\r", want: []readResult{rec(1, "a", "b")}},
		{name: "cr alone before eof", input: "a\n\r", want: []readResult{rec(1, "a")}},
		{name: "quoted field then eof", input: "a,\"b\"", want: []readResult{rec(1, "a", "b")}},
		{
			name:  "bare quote",
			input: "a,b\"c,d\ne,f\n",
			want:  []readResult{{Line: 1, Fields: []string{"a", "b\"c,d"}, Err: ErrBareQuote, ErrLine: 1, ErrCol: 4}, rec(2, "e", "f")},
		},
		{
			name:  "bare quote in the first field",
			input: "x\"\ny\n",
			want:  []readResult{{Line: 1, Fields: []string{"x\""}, Err: ErrBareQuote, ErrLine: 1, ErrCol: 2}, rec(2, "y")},
		},
		{
			name:  "text after closing quote",
			input: "\"ab\"c,d\ne\n",
			want:  []readResult{{Line: 1, Fields: []string{"ab\"c,d"}, Err: ErrQuote, ErrLine: 1, ErrCol: 4}, rec(2, "e")},
		},
		{
			name:  "space after closing quote",
			input: "a,\"b\" ,c\n",
			want:  []readResult{{Line: 1, Fields: []string{"a", "b\" ,c"}, Err: ErrQuote, ErrLine: 1, ErrCol: 5}},
		},
		{
			name:  "stray quote swallows lines up to the next quote",
			input: "1,\"b\n2,c\n3,d\"x,e\n4,f\n",
			want:  []readResult{{Line: 1, Fields: []string{"1", "b\n2,c\n3,d\"x,e"}, Err: ErrQuote, ErrLine: 3, ErrCol: 4}, rec(4, "4", "f")},
		},
		{
			name:  "open quote at eof",
			input: "a\n\"b,c\nd\n",
			want:  []readResult{rec(1, "a"), {Line: 2, Err: ErrOpenQuote, ErrLine: 3, ErrCol: 3}},
		},
		{
			name:  "open quote at eof without newline",
			input: "x,\"abc",
			want:  []readResult{{Line: 1, Fields: []string{"x"}, Err: ErrOpenQuote, ErrLine: 1, ErrCol: 7}},
		},
		{
			name:  "open quote right at eof",
			input: "x,\"",
			want:  []readResult{{Line: 1, Fields: []string{"x"}, Err: ErrOpenQuote, ErrLine: 1, ErrCol: 4}},
		},
		{name: "lazy bare quote", input: "a\"b,c\n", lazy: true, want: []readResult{rec(1, "a\"b", "c")}},
		{name: "lazy quote in quoted field", input: "\"c\"d\",e\n", lazy: true, want: []readResult{rec(1, "c\"d", "e")}},
		{name: "lazy open quote at eof", input: "a,\"bc\nd", lazy: true, want: []readResult{rec(1, "a", "bc\nd")}},
	}
	for _, tt := range tests {
		for _, reuse := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/reuse=%v", tt.name, reuse), func(t *testing.T) {
				r := NewReader(strings.NewReader(tt.input))
				r.LazyQuotes, r.ReuseRecord = tt.lazy, reuse
				got := readAll(t, r)
				if !equalResults(got, tt.want) {
					t.Errorf("Read %q:\n got %+v\nwant %+v", tt.input, got, tt.want)
				}
				if off := r.InputOffset(); off != int64(len(tt.input)) {
					t.Errorf("InputOffset at the end = %d, want %d", off, len(tt.input))
				}
			})
		}
	}
}

func equalResults(got, want []readResult) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Line != w.Line || g.ErrLine != w.ErrLine || g.ErrCol != w.ErrCol || g.Err != w.Err {
			return false
		}
		if len(g.Fields) != len(w.Fields) || (len(g.Fields) > 0 && !reflect.DeepEqual(g.Fields, w.Fields)) {
			return false
		}
	}
	return true
}

func TestParseErrorMessage(t *testing.T) {
	tests := []struct {
		input string
		want  string
	}{
		{"a\"b\n", `parse error on line 1, column 2: bare " in non-quoted field`},
		{"\"a\nb\"c\n", `record on line 1; parse error on line 2, column 2: extraneous or missing " in quoted field`},
		{"x\n y,\"a\nb\n", "record on line 2; the quote opened on line 2, column 4 is still open at line 3, column 3: quoted field not closed before the end of the input"},
	}
	for _, tt := range tests {
		r := NewReader(strings.NewReader(tt.input))
		var err error
		for err == nil {
			_, _, err = r.Read()
		}
		if err == io.EOF || err.Error() != tt.want {
			t.Errorf("Read %q: error %q, want %q", tt.input, err, tt.want)
		}
	}
}

func TestReaderInputOffset(t *testing.T) {
	input := "\xEF\xBB\xBFa,b\r\n\n\"c\nd\",e\nf"
	wantOffsets := []int64{3 + 5, 3 + 5 + 1 + 8, int64(len(input))}
	r := NewReader(strings.NewReader(input))
	for i, want := range wantOffsets {
		if _, _, err := r.Read(); err != nil {
			t.Fatalf("Read %d: %v", i, err)
		}
		if got := r.InputOffset(); got != want {
			t.Errorf("after record %d: InputOffset = %d, want %d", i+1, got, want)
		}
	}
}

// TestReaderLongLine covers lines longer than the read buffer.
func TestReaderLongLine(t *testing.T) {
	long := strings.Repeat("x", BufferSize*3/2)
	input := "a," + long + "\n\"" + long + "\"\"\n" + long + "\",b\n"
	for _, reuse := range []bool{false, true} {
		r := NewReader(strings.NewReader(input))
		r.ReuseRecord = reuse
		got := readAll(t, r)
		want := []readResult{rec(1, "a", long), rec(2, long+"\"\n"+long, "b")}
		if !equalResults(got, want) {
			t.Errorf("reuse=%v: long lines read wrong: %d records", reuse, len(got))
		}
	}
}

// TestReaderReuseRecordAllocs checks that ReuseRecord allocates nothing per
// record once its buffers have grown.
func TestReaderReuseRecordAllocs(t *testing.T) {
	row := "1,2,\"quoted, with \"\"quotes\"\"\nand a newline\",plain text,x\n4,5,six,seven,eight\n"
	r := NewReader(strings.NewReader(strings.Repeat(row, 2000)))
	r.ReuseRecord = true
	allocs := testing.AllocsPerRun(1000, func() {
		if _, _, err := r.Read(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReuseRecord: %v allocations per record, want 0", allocs)
	}
	r = NewReader(strings.NewReader(strings.Repeat(row, 2000)))
	allocs = testing.AllocsPerRun(1000, func() {
		if _, _, err := r.Read(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 2 {
		t.Errorf("without ReuseRecord: %v allocations per record, want 2 (the string and the slice)", allocs)
	}
}

// stdResults reads input with encoding/csv configured as Reader mirrors it.
func stdResults(t testing.TB, input string, lazy bool, comma byte) []readResult {
	t.Helper()
	r := csv.NewReader(strings.NewReader(input))
	r.FieldsPerRecord = -1
	r.LazyQuotes = lazy
	r.Comma = rune(comma)
	var out []readResult
	for {
		fields, err := r.Read()
		if err == io.EOF {
			return out
		}
		res := readResult{Fields: fields}
		if len(fields) > 0 {
			res.Line, _ = r.FieldPos(0)
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("encoding/csv: unexpected error %v", err)
			}
			res.Line, res.ErrLine, res.ErrCol = pe.StartLine, pe.Line, pe.Column
			switch pe.Err {
			case csv.ErrBareQuote:
				res.Err = ErrBareQuote
			case csv.ErrQuote:
				res.Err = ErrQuote
			default:
				t.Fatalf("encoding/csv: unexpected error %v", err)
			}
		}
		out = append(out, res)
	}
}

// compareWithStd checks Reader against encoding/csv on an input without a
// BOM: the same records, lines and error positions, except that an open
// quote at the end is ErrOpenQuote, which encoding/csv calls ErrQuote.
func compareWithStd(t *testing.T, input string) {
	for _, comma := range []byte{',', ';', '\t', '|'} {
		for _, lazy := range []bool{false, true} {
			compareWithStdComma(t, input, lazy, comma)
		}
	}
}

func compareWithStdComma(t *testing.T, input string, lazy bool, comma byte) {
	{
		want := stdResults(t, input, lazy, comma)
		for _, reuse := range []bool{false, true} {
			r := NewReader(strings.NewReader(input))
			r.LazyQuotes, r.ReuseRecord, r.Comma = lazy, reuse, comma
			got := readAll(t, r)
			// Where encoding/csv drops the rest of a malformed record,
			// Reader keeps it as one last field holding the offending quote.
			for i := range got {
				if got[i].Err != ErrBareQuote && got[i].Err != ErrQuote {
					continue
				}
				n := len(got[i].Fields)
				if n == 0 || !strings.Contains(got[i].Fields[n-1], `"`) {
					t.Fatalf("comma=%q lazy=%v reuse=%v input %q: malformed record %+v does not keep its rest as a last field", comma, lazy, reuse, input, got[i])
				}
				got[i].Fields = got[i].Fields[:n-1]
				if len(got[i].Fields) == 0 {
					got[i].Fields = nil
				}
			}
			if n := len(got); n > 0 && got[n-1].Err == ErrOpenQuote {
				got[n-1].Err = ErrQuote
			}
			if !equalResults(got, want) {
				t.Fatalf("comma=%q lazy=%v reuse=%v input %q:\n got %+v\nwant %+v", comma, lazy, reuse, input, got, want)
			}
			if off := r.InputOffset(); off != int64(len(input)) {
				t.Fatalf("lazy=%v reuse=%v input %q: InputOffset = %d at the end, want %d", lazy, reuse, input, off, len(input))
			}
		}
	}
}

var differentialInputs = []string{
	"",
	"a,b,c\nd,e,f\n",
	"a,\"b\nc\"\r\n\r\nd",
	"\"\"\"\",\"\",\n",
	"a\"b\nc",
	"\"ab\"c\nd\n",
	"\"a\n\nb\n",
	"x,\"y\"\"\n",
	"\"a\r\nb\"\r",
	" \n\t\n,\n",
	"a,b\r\nc\rd,e\r",
	"\"é,\"\xff\n",
	"1,\"b\n2,c\n3,d\"x,e\n4,f\n",
	"a;b\tc|d,e\n\"x;y\";z\n",
}

func TestReaderKeepRaw(t *testing.T) {
	input := "id,body\n\n1,plain\r\n2,\"two\r\nlines\"\n3,bad\"quote\n4,\"open\nstill\"x,y\n\n5,last"
	want := []string{"id,body", "1,plain", "2,\"two\nlines\"", "3,bad\"quote", "4,\"open\nstill\"x,y", "5,last"}
	for _, reuse := range []bool{false, true} {
		r := NewReader(strings.NewReader(input))
		r.KeepRaw, r.ReuseRecord = true, reuse
		var got []string
		for {
			_, _, err := r.Read()
			if err == io.EOF {
				break
			}
			got = append(got, string(r.Raw()))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("reuse=%v: raw records\n got %q\nwant %q", reuse, got, want)
		}
	}
}

func TestReaderMatchesEncodingCSV(t *testing.T) {
	for _, input := range differentialInputs {
		compareWithStd(t, input)
	}
	compareWithStd(t, string(generateCSV(2000, 7)))
}

func FuzzReader(f *testing.F) {
	for _, input := range differentialInputs {
		f.Add(input)
	}
	f.Fuzz(func(t *testing.T, input string) {
		if strings.HasPrefix(input, "\xEF\xBB\xBF") {
			t.Skip("a BOM is skipped by Reader only")
		}
		compareWithStd(t, input)
	})
}

func TestMatchHeader(t *testing.T) {
	required := []string{"CONVERSATION_ID", "EMAIL", "BODY"}
	tests := []struct {
		name     string
		header   []string
		want     []int
		missing  []string
		repeated []string
	}{
		{name: "exact", header: []string{"CONVERSATION_ID", "EMAIL", "BODY"}, want: []int{0, 1, 2}},
		{name: "any order, others ignored", header: []string{"X", "body", "Email", "conversation_id", "Y"}, want: []int{3, 2, 1}},
		{name: "trimmed", header: []string{" CONVERSATION_ID\t", "\tEMAIL", "BODY  "}, want: []int{0, 1, 2}},
		{name: "missing", header: []string{"EMAIL", "X"}, missing: []string{"CONVERSATION_ID", "BODY"}},
		{name: "repeated", header: []string{"CONVERSATION_ID", "EMAIL", "BODY", " email "}, repeated: []string{"EMAIL"}},
		{name: "missing and repeated", header: []string{"BODY", "body", "EMAIL"}, missing: []string{"CONVERSATION_ID"}, repeated: []string{"BODY"}},
		{name: "inner spaces count", header: []string{"CONVERSATION ID", "EMAIL", "BODY"}, missing: []string{"CONVERSATION_ID"}},
		{name: "empty header", header: []string{""}, missing: required},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MatchHeader(tt.header, required)
			if tt.missing == nil && tt.repeated == nil {
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("MatchHeader = %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			var he *HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("MatchHeader error = %v, want a *HeaderError", err)
			}
			if !reflect.DeepEqual(he.Missing, tt.missing) || !reflect.DeepEqual(he.Repeated, tt.repeated) || !reflect.DeepEqual(he.Found, tt.header) {
				t.Errorf("HeaderError = %+v; want missing %v, repeated %v, found %v", he, tt.missing, tt.repeated, tt.header)
			}
			for _, name := range append(append([]string{}, tt.missing...), tt.repeated...) {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
		})
	}
}

func TestHeaderErrorMessage(t *testing.T) {
	_, err := MatchHeader([]string{"id", " mail", "id"}, []string{"ID", "EMAIL"})
	want := `missing required column(s) EMAIL; required column(s) ID appear more than once; the header has 3 column(s): "id", " mail", "id"`
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// generateCSV returns a chat-export-like CSV of n records after a header:
// mostly plain rows, some bodies quoted with commas, quotes and line breaks.
func generateCSV(n int, seed uint32) []byte {
	var b bytes.Buffer
	b.WriteString("CONVERSATION_ID,COMMENT_PART_ID,AUTHOR_ID,NAME,EMAIL,BODY,COMMENT_PUBLIC,COMMENT_CREATED_AT,TICKET_CREATED_AT,TICKET_REQUESTER_ID\n")
	x := seed | 1
	next := func() uint32 { // xorshift: deterministic and cheap
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return x
	}
	for i := 0; i < n; i++ {
		conv := 1000 + i/7
		fmt.Fprintf(&b, "%d,%d,%d,User %d,user%d@example.com,", conv, 50000+i, 300+next()%500, i%500, i%500)
		switch next() % 5 {
		case 0:
			b.WriteString("\"Hello, I have a \"\"problem\"\"\nwith my order #")
			fmt.Fprintf(&b, "%d\r\nThanks\"", next()%100000)
		case 1:
			b.WriteString("\"short, quoted\"")
		default:
			fmt.Fprintf(&b, "Plain message number %d about the delivery of parcel %d and the refund", i, next())
		}
		fmt.Fprintf(&b, ",true,2023-01-%02d 10:%02d:00,2023-01-01T09:00:00Z,%d\n", 1+i%28, i%60, 300+conv%500)
	}
	return b.Bytes()
}

func BenchmarkReader(b *testing.B) {
	data := generateCSV(320_000, 1) // about 50 MB
	b.Run("Reader", func(b *testing.B) { benchReader(b, data, false) })
	b.Run("Reader/ReuseRecord", func(b *testing.B) { benchReader(b, data, true) })
	b.Run("encoding-csv", func(b *testing.B) { benchStd(b, data, false) })
	b.Run("encoding-csv/ReuseRecord", func(b *testing.B) { benchStd(b, data, true) })
}

func benchReader(b *testing.B, data []byte, reuse bool) {
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		r.ReuseRecord = reuse
		for {
			if _, _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchStd(b *testing.B, data []byte, reuse bool) {
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		r.ReuseRecord = reuse
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestReaderCheckUTF8(t *testing.T) {
	input := "a,b\n1,ok\n2,\"bad \xff\nstill\"\n3,fine\n\xc3,x\n"
	r := NewReader(strings.NewReader(input))
	r.CheckUTF8 = true
	var got []bool
	for {
		_, _, err := r.Read()
		if err == io.EOF {
			break
		}
		got = append(got, r.InvalidUTF8())
	}
	want := []bool{false, false, true, false, true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("InvalidUTF8 per record = %v, want %v", got, want)
	}
}
