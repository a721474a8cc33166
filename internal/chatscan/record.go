package chatscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"unsafe"

	"github.com/cespare/xxhash/v2"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/value"
)

// parsedRecord is one record with its values read by the rules of SPEC
// section 3; what is done with them is decided by apply.
type parsedRecord struct {
	rec, line int
	malformed bool
	reason    Reason // the first check of SPEC section 4 that failed, if any
	// For a record rejected while parsing, what rejects.csv says of it:
	// the column and why, and its raw fields, or its text when malformed.
	column, detail string
	fields         []string
	raw            string

	conversation, comment, author, requester         int64
	conversationOK, commentOK, authorOK, requesterOK bool

	name, email, body                      string
	hasName, hasEmail, hasBody             bool
	nameInvalid, emailInvalid, bodyInvalid bool // invalid UTF-8 in name and body; an invalid email

	public, publicOK, publicNull bool
	created, ticketCreated       int64
	createdOK, ticketCreatedOK   bool
}

type recordBatch struct {
	recs   []parsedRecord
	text   []byte // backing store of the batch's names, emails and bodies
	offset int64  // bytes read when the batch was full, for progress
	start  checkpoint
	err    error
}

// checkpoint is where a record starts in the export, so that rejects.csv
// can read records again from there rather than from the first line.
type checkpoint struct {
	record int
	offset int64 // the byte where reading it starts
	line   int   // the line where it starts
}

const batchRecords = 4096

// parse reads records and sends them in batches; a fatal error ends the
// stream with a batch that carries it.
func (o Options) parse(ctx context.Context, r *frame.Reader, idx [numColumns]int, nfields int, checkUTF8 bool, offset func() int64, out chan<- *recordBatch, free <-chan *recordBatch, stop <-chan struct{}) {
	defer close(out)
	send := func(b *recordBatch) bool {
		select {
		case out <- b:
			return true
		case <-stop:
			return false
		}
	}
	next := func() *recordBatch {
		select {
		case b := <-free:
			b.recs, b.text = b.recs[:0], b.text[:0]
			return b
		default:
			return &recordBatch{recs: make([]parsedRecord, 0, batchRecords)}
		}
	}
	b := next()
	raw := make([]string, len(Columns))
	var perr *frame.ParseError // outside the loop: errors.As makes it escape
	for rec := 1; ; rec++ {
		start := r.InputOffset()
		fields, line, err := r.Read()
		if err == io.EOF {
			break
		}
		if len(b.recs) == 0 {
			b.start = checkpoint{record: rec, offset: start, line: line}
		}
		if err != nil && (!errors.As(err, &perr) || errors.Is(err, frame.ErrOpenQuote)) {
			send(&recordBatch{err: csvError(o.File, err)})
			return
		}
		if checkUTF8 && r.InvalidUTF8() {
			err := o.checkUTF8(fields, line)
			if err == nil {
				err = fail.Because(fail.Usage, ErrInvalidUTF8, "%s: the record on line %d holds bytes that are not UTF-8: if a spreadsheet or a Windows program wrote the file, try --encoding windows-1252 (or the export's encoding), or keep the rest of the text with --invalid-utf8 replace", o.File, line)
			}
			send(&recordBatch{err: err})
			return
		}
		// The fields are views into the reader's buffer, valid until the
		// next Read: what apply needs is copied into the batch.
		b.recs = append(b.recs, parsedRecord{rec: rec, line: line})
		p := &b.recs[len(b.recs)-1]
		if err != nil || len(fields) != nfields {
			p.malformed, p.reason = true, MalformedRow
			if o.Messages {
				p.raw = string(r.Raw())
				p.detail = malformedDetail(err, len(fields), nfields)
			}
		} else {
			for i, j := range idx {
				if j >= 0 {
					raw[i] = fields[j]
				} else {
					raw[i] = "" // an absent column is null
				}
			}
			o.parseValues(p, raw)
			p.name, p.email, p.body = b.keep(p.name), b.keep(p.email), b.keep(p.body)
			if p.reason != 0 && o.Messages {
				p.fields = cloneFields(fields)
			}
		}
		if len(b.recs) == batchRecords {
			if err := ctx.Err(); err != nil {
				send(&recordBatch{err: fmt.Errorf("interrupted while reading %s: %w", o.File, context.Cause(ctx))})
				return
			}
			b.offset = offset()
			if !send(b) {
				return
			}
			b = next()
		}
	}
	b.offset = offset()
	send(b)
}

// parseValues reads the values of one well-formed record.
func (o *Options) parseValues(p *parsedRecord, raw []string) {
	nulls := o.Nulls
	id := func(col int) (int64, bool) {
		v := value.TrimSpace(raw[col])
		if nulls.IsNull(v) {
			return 0, false
		}
		return value.ParseID(v)
	}
	timestamp := func(col int) (int64, bool) {
		v := value.TrimSpace(raw[col])
		if nulls.IsNull(v) {
			return 0, false
		}
		return o.Times.Parse(v)
	}
	p.conversation, p.conversationOK = id(colConversation)
	p.comment, p.commentOK = id(colComment)
	p.author, p.authorOK = id(colAuthor)
	p.requester, p.requesterOK = id(colRequester)
	if v := value.TrimSpace(raw[colName]); !nulls.IsNull(v) {
		p.name, p.nameInvalid = value.CleanText(raw[colName])
		p.hasName = true
	}
	if v := value.TrimSpace(raw[colEmail]); !nulls.IsNull(v) {
		p.email, p.hasEmail = o.emails.normalize(v)
		p.emailInvalid = !p.hasEmail
	}
	if !o.Messages {
		return
	}
	if v := value.TrimSpace(raw[colBody]); !nulls.IsNull(v) {
		p.body, p.bodyInvalid = value.CleanText(raw[colBody])
		p.hasBody = true
	}
	switch v := value.TrimSpace(raw[colPublic]); {
	case o.absent[colPublic]:
		p.public, p.publicOK = *o.PublicDefault, true
	case nulls.IsNull(v):
		p.publicNull, p.publicOK = true, true
	default:
		p.public, p.publicOK = o.Bools.Parse(v)
	}
	p.created, p.createdOK = timestamp(colCreated)
	if p.conversationOK && (p.requesterOK || o.absent[colRequester]) {
		p.ticketCreated, p.ticketCreatedOK = timestamp(colTicketCreated)
	}
	const notID = "is not an id (a whole number above 0)"
	switch {
	case !p.conversationOK:
		o.explain(p, BadConversationID, colConversation, raw, notID)
	case !p.commentOK:
		o.explain(p, BadCommentID, colComment, raw, notID)
	case !p.authorOK:
		o.explain(p, BadAuthorID, colAuthor, raw, notID)
	case !p.createdOK:
		o.explain(p, BadCreatedAt, colCreated, raw, o.Times.Why(value.TrimSpace(raw[colCreated])))
	case !p.hasBody:
		o.explain(p, EmptyBody, colBody, raw, "")
	case !p.publicOK:
		o.explain(p, BadPublic, colPublic, raw, "is not a visibility (true/false, yes/no, 1/0, public/private; see --true-values and --false-values)")
	}
}

// explain rejects p for reason, with what rejects.csv says of the value of
// column col.
func (o *Options) explain(p *parsedRecord, reason Reason, col int, raw []string, why string) {
	p.reason = reason
	if !o.Messages {
		return
	}
	p.column = o.names[col]
	v := value.TrimSpace(raw[col])
	switch {
	case v == "":
		p.detail = "the value is empty"
	case o.Nulls.IsNull(v):
		p.detail = fmt.Sprintf("%q is a null value", v)
	default:
		p.detail = fmt.Sprintf("%s %s", quoteValue(v), why)
	}
}

// maxDetailValue is the most characters of a value a detail quotes.
const maxDetailValue = 200

// quoteValue quotes a value for a detail, cut to maxDetailValue characters.
func quoteValue(v string) string {
	v = value.ValidUTF8(v)
	if n := utf8.RuneCountInString(v); n > maxDetailValue {
		cut := 0
		for i := range v {
			if cut == maxDetailValue {
				v = v[:i] + "…"
				break
			}
			cut++
		}
	}
	return strconv.Quote(v)
}

// malformedDetail says why a record could not be read as a row.
func malformedDetail(err error, got, want int) string {
	var perr *frame.ParseError
	if errors.As(err, &perr) {
		return fmt.Sprintf("line %d, column %d: %v; the record's text is in raw", perr.Line, perr.Column, perr.Err)
	}
	return fmt.Sprintf("the record has %d field(s) but the header has %d; the record's text is in raw", got, want)
}

// checkUTF8 stops the read at the first byte that is not UTF-8, naming the
// line, the column and the bytes (SPEC section 3).
func (o *Options) checkUTF8(fields []string, line int) error {
	for f, v := range fields {
		i := value.FirstInvalidUTF8(v)
		if i < 0 {
			continue
		}
		// The line of the byte: the record's, plus the line breaks before it.
		for _, prev := range fields[:f] {
			line += strings.Count(prev, "\n")
		}
		line += strings.Count(v[:i], "\n")
		column := fmt.Sprintf("field %d", f+1)
		if f < len(o.header) {
			column = fmt.Sprintf("column %s (field %d)", o.header[f], f+1)
		}
		end := min(i+4, len(v))
		return fail.Because(fail.Usage, ErrInvalidUTF8,
			"%s: line %d, %s: the bytes % x are not UTF-8: the file is in another encoding; if a spreadsheet or a Windows program wrote it, try --encoding windows-1252 (or the export's encoding), or keep the rest of the text with --invalid-utf8 replace",
			o.File, line, column, v[i:end])
	}
	return nil
}

// keep copies s into the batch's text, so that it outlives the reader's
// buffer until the batch is applied.
func (b *recordBatch) keep(s string) string {
	if s == "" {
		return ""
	}
	if cap(b.text)-len(b.text) < len(s) {
		b.text = make([]byte, 0, max(2*cap(b.text), len(s), 1<<20))
	}
	start := len(b.text)
	b.text = append(b.text, s...)
	return unsafe.String(&b.text[start], len(s))
}

// emailCache remembers the emails of the last people read, normalized: an
// export repeats a person's email on every message, so most records find
// theirs here instead of lowercasing and checking it again.
type emailCache struct {
	slots [1 << 12]struct {
		raw, norm string
		ok        bool
	}
}

func (c *emailCache) normalize(s string) (string, bool) {
	if c == nil {
		return value.NormalizeEmail(s)
	}
	e := &c.slots[xxhash.Sum64String(s)&(1<<12-1)]
	if e.raw == s && s != "" {
		return e.norm, e.ok
	}
	norm, ok := value.NormalizeEmail(s)
	// s is a view into the reader's buffer: the slot keeps copies.
	e.raw, e.ok = strings.Clone(s), ok
	e.norm = norm
	if norm == s {
		e.norm = e.raw
	}
	return e.norm, e.ok
}
