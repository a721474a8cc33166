package chatscan

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/input"
	"github.com/migrate-tool/migrate/internal/value"
)

// WriteRejects writes rejects.csv (SPEC section 7): one row per rejected
// record, in record order: record, line, reason, column and detail, then
// the record's value of every column of the header (empty for a malformed
// record), then raw (the text of a malformed record). Every row has the
// same number of fields and every value is valid UTF-8, so any CSV reader
// opens the file. The raw values of records rejected after parsing are
// read again from the export first.
func (s *Result) WriteRejects(w io.Writer, rejects []Reject) error {
	if err := s.refill(rejects); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := []string{"record", "line", "reason", "column", "detail"}
	for _, name := range s.Header {
		head = append(head, value.ValidUTF8(name))
	}
	cw.Write(append(head, "raw"))
	row := make([]string, 0, len(head)+1)
	for _, r := range rejects {
		row = append(row[:0], strconv.Itoa(r.Record), strconv.Itoa(r.Line), r.Reason.String(), r.Column, value.ValidUTF8(r.Detail))
		for i := range s.Header {
			v := ""
			if i < len(r.Fields) {
				v = value.ValidUTF8(r.Fields[i])
			}
			row = append(row, v)
		}
		row = append(row, value.ValidUTF8(r.Raw))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// refill reads the export again for the rejected records whose raw values
// were not kept, from the last checkpoint before the first of them: the
// records a delta run rejects are usually the export's last ones. The text
// goes through the same chain as the first read (decompression, decoding,
// delimiter), nothing left to detect.
func (s *Result) refill(rejects []Reject) error {
	want := map[int]int{}
	first := 0
	for i, r := range rejects {
		if r.Fields == nil && r.Reason != MalformedRow {
			want[r.Record] = i
			if first == 0 || r.Record < first {
				first = r.Record
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	src, err := input.Open(s.File, s.Format.Options())
	if err != nil {
		return fail.Failf("cannot read %s again for rejects.csv: %w", s.File, err)
	}
	defer src.Close()
	from := checkpoint{record: 1}
	for _, c := range s.checkpoints {
		if c.record <= first && c.offset > 0 {
			from = c
		}
	}
	if from.offset > 0 {
		if err := src.Skip(from.offset); err != nil {
			return fail.Failf("cannot read %s again for rejects.csv: %w", s.File, err)
		}
	}
	r := frame.NewReader(src.Text)
	r.Comma = src.Delimiter
	r.LazyQuotes = s.lazyQuotes
	if from.offset == 0 {
		if _, _, err := r.Read(); err != nil {
			return fail.Failf("cannot read %s again for rejects.csv: %w", s.File, err)
		}
	}
	base := -1 // lines read before the checkpoint, once known
	for rec := from.record; len(want) > 0; rec++ {
		fields, line, err := r.Read()
		if errors.Is(err, io.EOF) {
			return fail.Failf("%s changed while migrate was reading it: rerun build", s.File)
		}
		var perr *frame.ParseError
		if err != nil && !errors.As(err, &perr) {
			return fail.Failf("cannot read %s again for rejects.csv: %w", s.File, err)
		}
		if base < 0 {
			base = 0
			if from.offset > 0 {
				base = from.line - line
			}
		}
		if i, ok := want[rec]; ok {
			rejects[i].Fields, rejects[i].Line = fields, base+line
			delete(want, rec)
		}
	}
	return nil
}
