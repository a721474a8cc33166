// Package chatscan reads the chat export once (SPEC sections 3 to 5): it
// parses every record by the value rules, links the chat users that share an
// email, and, when build needs them, collects the tickets, the comments
// (the first of each COMMENT_PART_ID) and the rejected records.
//
// The read is a pipeline of two goroutines: one reads and parses the
// records (CSV, ids, timestamps, emails, text), the other links users and
// collects comments and tickets; batches of parsed records pass between
// them, so both cores work and no record allocates.
package chatscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/input"
	"github.com/migrate-tool/migrate/internal/mapping"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// Columns are the columns of the chat export (SPEC section 3), by their
// names in the seed's export.
var Columns = mapping.Names[:]

// Indexes into Columns.
const (
	colConversation  = mapping.Conversation
	colComment       = mapping.Comment
	colAuthor        = mapping.Author
	colName          = mapping.Name
	colEmail         = mapping.Email
	colBody          = mapping.Body
	colPublic        = mapping.Public
	colCreated       = mapping.Created
	colTicketCreated = mapping.TicketCreated
	colRequester     = mapping.Requester
	numColumns       = mapping.NumColumns
)

// Options configure one read of the chat export.
type Options struct {
	// File is the chat export.
	File string
	// Input says how to read it: encoding and delimiter, "auto" to detect.
	Input input.Options
	// Columns are the names the export gives the columns (--mapping,
	// --columns); a column not mapped is found by its seed name.
	Columns mapping.Columns
	// PublicDefault is every comment's public when the export has no
	// COMMENT_PUBLIC column; without it such an export stops build.
	PublicDefault *bool
	// Bools reads COMMENT_PUBLIC, with the words --true-values and
	// --false-values add.
	Bools value.Bools
	// Messages asks for the comments, tickets and rejects too (build);
	// without it only the users are collected (chat-users).
	Messages bool
	// LazyQuotes reads stray quotes as text.
	LazyQuotes bool
	// Nulls are the tokens read as null.
	Nulls value.Nulls
	// Times parses timestamps.
	Times *value.TimeParser
	// ReplaceInvalidUTF8 reads bytes that are not UTF-8 as U+FFFD (SPEC
	// section 3) instead of stopping at the first (ErrInvalidUTF8).
	ReplaceInvalidUTF8 bool
	// Progress, when set, shows the bytes read.
	Progress *progress.Reporter
	// SpillDir is where the message bodies wait for build, outside memory
	// (see frame.Spill): the work dir.
	SpillDir string

	// header and names are the header as read and the name of each of
	// Columns in it, for messages; absent the columns the export lacks;
	// derive is set when a ticket field is derived from the messages.
	header []string
	names  [numColumns]string
	absent [numColumns]bool
	derive bool
	// emails caches normalized emails for the parsing goroutine.
	emails *emailCache
}

// ErrInvalidUTF8 is wrapped by the error of a read stopped by a byte that is
// not UTF-8.
var ErrInvalidUTF8 = errors.New("invalid UTF-8")

// Result is what one read of the chat export yields.
type Result struct {
	File   string
	Header []string // the input header as read, for rejects.csv
	// Names are the names of Columns in the header (the mapped names); an
	// absent column keeps its seed name.
	Names [numColumns]string
	// Absent tells which columns the export lacks (not in the header and
	// not mapped): SPEC section 3 derives them.
	Absent [numColumns]bool
	// Format is how the export was read: compression, encoding, delimiter.
	Format  input.Format
	Records int // records read (well-formed or not)

	// Users, in order of first observation.
	Users []User
	// Warnings found while reading users.
	InvalidEmail, InvalidUTF8Name, NameDefaulted int

	// What build needs; empty unless Messages was asked for. Comments
	// holds the first valid message of each COMMENT_PART_ID; Rejects the
	// records rejected so far, in record order.
	Comments        frame.Comments
	Tickets         frame.Tickets
	Rejects         []Reject
	ExactDuplicates int
	InvalidUTF8Body int
	PublicDefaulted int
	TicketConflicts int

	lazyQuotes  bool
	checkpoints []checkpoint // the first record of each batch, in order
	messages    bool
	file        workspace.File
	// err is the first error apply met (a full disk under the spill).
	err error
}

// DefaultedPublic tells whether every comment's public came from
// PublicDefault, the export having no COMMENT_PUBLIC column.
func (s *Result) DefaultedPublic() bool { return s.Absent[colPublic] }

// Scan reads the chat export once.
func Scan(ctx context.Context, o Options) (_ *Result, err error) {
	src, err := input.Open(o.File, o.Input)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var size int64
	if st, err := os.Stat(o.File); err == nil {
		size = st.Size()
	}
	r := frame.NewReader(src.Text)
	r.Comma = src.Delimiter
	r.LazyQuotes = o.LazyQuotes
	r.ReuseRecord = true
	// A legacy encoding or UTF-16 was decoded into valid UTF-8.
	checkUTF8 := !o.ReplaceInvalidUTF8 && src.Encoding == "utf-8"

	header, headerLine, err := r.Read()
	if err == io.EOF {
		return nil, fail.Usagef("%s: the file is empty: expected a header row with %s", o.File, strings.Join(Columns, ", "))
	}
	if err != nil {
		return nil, csvError(o.File, err)
	}
	header = cloneFields(header)
	if checkUTF8 {
		if err := o.checkUTF8(header, headerLine); err != nil {
			return nil, err
		}
	}
	cols, err := mapping.Resolve(header, o.Columns)
	if err != nil {
		return nil, fail.Usagef("%s: line %d: %w (%s)", o.File, headerLine, err, headerHint(src.Format, len(header), o.Columns.Set()))
	}
	idx := cols.Index
	o.header, o.names = header, cols.Names
	for i, j := range idx {
		o.absent[i] = j < 0
	}
	o.derive = o.absent[colTicketCreated] || o.absent[colRequester]
	if o.absent[colPublic] && o.Messages && o.PublicDefault == nil {
		return nil, fail.Usagef("%s: line %d: the export has no COMMENT_PUBLIC column: give --public-default true or false (or public_default in the mapping) to say whether its comments are public; visibility is never guessed", o.File, headerLine)
	}
	r.KeepRaw = o.Messages
	r.CheckUTF8 = checkUTF8

	s := &Result{File: o.File, Header: header, Names: o.names, Absent: o.absent, Format: src.Format,
		lazyQuotes: o.LazyQuotes, messages: o.Messages}
	u := newUserGraph()
	var m *messageSet
	if o.Messages {
		if m, err = newMessageSet(s, o.SpillDir); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				s.Close()
			}
		}()
	}
	var task *progress.Task
	if o.Progress != nil {
		task = o.Progress.Start("reading "+o.File, "MB", size>>20)
	}

	// The export's SHA-256 for report.json, read on its own while the
	// records are parsed: the file is in the page cache by then.
	hashed := make(chan workspace.File, 1)
	hctx, stopHash := context.WithCancel(ctx)
	defer stopHash()
	go func() {
		size, sum, err := workspace.HashFile(o.File, hctx.Err)
		if err != nil {
			size, sum = -1, ""
		}
		hashed <- workspace.File{Role: "chat_export", Path: o.File, Size: size, SHA256: sum}
	}()

	batches := make(chan *recordBatch, 4)
	free := make(chan *recordBatch, 4)
	stop := make(chan struct{})
	defer close(stop)
	offset := r.InputOffset
	if src.Consumed() >= 0 {
		// Compressed or decoded: progress counts the file's bytes.
		offset = src.Consumed
	}
	o.emails = &emailCache{}
	go o.parse(ctx, r, idx, len(header), checkUTF8, offset, batches, free, stop)

	var lastMB int64
	for b := range batches {
		if b.err != nil {
			return nil, b.err
		}
		if len(b.recs) > 0 {
			s.checkpoints = append(s.checkpoints, b.start)
		}
		for i := range b.recs {
			s.apply(&o, u, m, &b.recs[i])
		}
		if m != nil && b.offset > 0 && size > 0 {
			// The whole export's records, as the first batch's bytes tell.
			m.size(s, int(float64(s.Records)*float64(size)/float64(b.offset)*1.05)+batchRecords)
		}
		if task != nil {
			task.Add(b.offset>>20 - lastMB)
			lastMB = b.offset >> 20
		}
		select {
		case free <- b:
		default:
		}
	}
	if task != nil {
		task.Done()
	}
	if s.err != nil {
		return nil, s.err
	}
	s.Users, s.NameDefaulted = u.users()
	if o.Messages {
		if err := m.finish(s, o); err != nil {
			return nil, err
		}
	}
	s.file = <-hashed
	if s.file.Size < 0 {
		return nil, fail.Failf("cannot read %s: it changed or vanished while migrate read it", o.File)
	}
	return s, nil
}

// Export describes the export that was read, for report.json.
func (s *Result) Export() workspace.File { return s.file }

// apply adds one parsed record to the users, tickets, comments and rejects.
func (s *Result) apply(o *Options, u *userGraph, m *messageSet, p *parsedRecord) {
	s.Records++
	if p.malformed {
		if o.Messages {
			s.Rejects = append(s.Rejects, Reject{Record: p.rec, Line: p.line, Reason: MalformedRow, Detail: p.detail, Raw: p.raw})
		}
		return
	}
	// Users (SPEC section 5): every well-formed record observes its author
	// and its requester, whatever becomes of its comment. Warnings count in
	// every well-formed record.
	if p.nameInvalid {
		s.InvalidUTF8Name++
	}
	if p.emailInvalid {
		s.InvalidEmail++
	}
	seq := int64(p.rec) * 2
	if p.authorOK {
		u.observe(p.author, seq, p.line, p.name, p.hasName, p.email, p.hasEmail)
	}
	if p.requesterOK {
		u.observe(p.requester, seq+1, p.line, "", false, "", false)
	}
	if !o.Messages {
		return
	}
	if p.bodyInvalid {
		s.InvalidUTF8Body++
	}
	if p.publicNull {
		s.PublicDefaulted++
	}

	// Tickets: every well-formed record with a valid conversation id.
	ticket := int32(-1)
	if p.conversationOK {
		ticket = m.ticket(s, p.conversation)
		switch {
		case o.derive:
			m.deriveFields(s, o, ticket, p)
		case p.requesterOK && p.ticketCreatedOK:
			m.ticketFields(s, ticket, p.ticketCreated, p.requester)
		}
	}

	// The comment, checked in SPEC order by parse; duplicates here.
	if p.reason != 0 {
		s.Rejects = append(s.Rejects, Reject{Record: p.rec, Line: p.line, Reason: p.reason,
			Column: p.column, Detail: p.detail, Fields: p.fields})
		return
	}
	if err := m.comment(s, p.rec, p.comment, ticket, p.author, p.created, p.public, p.body); err != nil && s.err == nil {
		s.err = fail.Failf("cannot write the message bodies aside: %w", err)
	}
}

// headerHint says what to change when the header does not resolve.
func headerHint(f input.Format, fields int, mapped bool) string {
	switch {
	case fields == 1:
		return fmt.Sprintf("the header is one field when split at %q: if the export is separated by another delimiter, give it with --delimiter", input.DelimiterName(f.Delimiter))
	case mapped:
		return "name each required column once in the header, or map it to the export's name with --mapping or --columns"
	}
	return "the header must name every required column once; an export that names them otherwise needs --mapping or --columns (migrate --steps inspect proposes one)"
}

func cloneFields(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = strings.Clone(f)
	}
	return out
}

// Messages tells whether the read kept the comments, tickets and rejects.
func (s *Result) Messages() bool { return s.messages }

// Close drops the spilled message bodies.
func (s *Result) Close() {
	if s.Comments.Bodies != nil {
		s.Comments.Bodies.Close()
	}
}
