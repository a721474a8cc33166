package chatscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/value"
)

// parsedRecord is one record with its values read by the rules of SPEC
// section 3; what is done with them is decided by apply.
type parsedRecord struct {
	rec, line int
	fields    []string // raw fields of a record rejected while parsing, for rejects.csv
	malformed bool
	reason    Reason // the first check of SPEC section 4 that failed, if any

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
	err    error
}

const batchRecords = 4096

// parse reads records and sends them in batches; a fatal error ends the
// stream with a batch that carries it.
func (o Options) parse(ctx context.Context, r *frame.Reader, idx []int, nfields int, out chan<- *recordBatch, free <-chan *recordBatch, stop <-chan struct{}) {
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
		fields, line, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil && (!errors.As(err, &perr) || errors.Is(err, frame.ErrOpenQuote)) {
			send(&recordBatch{err: csvError(o.File, err)})
			return
		}
		// The fields are views into the reader's buffer, valid until the
		// next Read: what apply needs is copied into the batch.
		b.recs = append(b.recs, parsedRecord{rec: rec, line: line})
		p := &b.recs[len(b.recs)-1]
		if err != nil || len(fields) != nfields {
			p.malformed, p.reason = true, MalformedRow
		} else {
			for i, j := range idx {
				raw[i] = fields[j]
			}
			o.parseValues(p, raw)
			p.name, p.email, p.body = b.keep(p.name), b.keep(p.email), b.keep(p.body)
		}
		if p.reason != 0 && o.Messages {
			p.fields = cloneFields(fields)
		}
		if len(b.recs) == batchRecords {
			if err := ctx.Err(); err != nil {
				send(&recordBatch{err: fmt.Errorf("interrupted while reading %s: %w", o.File, context.Cause(ctx))})
				return
			}
			b.offset = r.InputOffset()
			if !send(b) {
				return
			}
			b = next()
		}
	}
	b.offset = r.InputOffset()
	send(b)
}

// parseValues reads the values of one well-formed record.
func (o Options) parseValues(p *parsedRecord, raw []string) {
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
		p.email, p.hasEmail = value.NormalizeEmail(v)
		p.emailInvalid = !p.hasEmail
	}
	if !o.Messages {
		return
	}
	if v := value.TrimSpace(raw[colBody]); !nulls.IsNull(v) {
		p.body, p.bodyInvalid = value.CleanText(raw[colBody])
		p.hasBody = true
	}
	if v := value.TrimSpace(raw[colPublic]); nulls.IsNull(v) {
		p.publicNull, p.publicOK = true, true
	} else {
		p.public, p.publicOK = value.ParseBool(v)
	}
	p.created, p.createdOK = timestamp(colCreated)
	if p.conversationOK && p.requesterOK {
		p.ticketCreated, p.ticketCreatedOK = timestamp(colTicketCreated)
	}
	switch {
	case !p.conversationOK:
		p.reason = BadConversationID
	case !p.commentOK:
		p.reason = BadCommentID
	case !p.authorOK:
		p.reason = BadAuthorID
	case !p.createdOK:
		p.reason = BadCreatedAt
	case !p.hasBody:
		p.reason = EmptyBody
	case !p.publicOK:
		p.reason = BadPublic
	}
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
