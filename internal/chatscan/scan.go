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
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// Columns are the columns of the chat export (SPEC section 3), by their
// names in the seed's export.
var Columns = []string{
	"CONVERSATION_ID", "COMMENT_PART_ID", "AUTHOR_ID", "NAME", "EMAIL", "BODY",
	"COMMENT_PUBLIC", "COMMENT_CREATED_AT", "TICKET_CREATED_AT", "TICKET_REQUESTER_ID",
}

// Indexes into Columns.
const (
	colConversation = iota
	colComment
	colAuthor
	colName
	colEmail
	colBody
	colPublic
	colCreated
	colTicketCreated
	colRequester
	numColumns
)

// Options configure one read of the chat export.
type Options struct {
	// File is the chat export.
	File string
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

	// header and names are the header as read and the name of each of
	// Columns in it, for messages.
	header []string
	names  [numColumns]string
}

// ErrInvalidUTF8 is wrapped by the error of a read stopped by a byte that is
// not UTF-8.
var ErrInvalidUTF8 = errors.New("invalid UTF-8")

// Result is what one read of the chat export yields.
type Result struct {
	File   string
	Header []string // the input header as read, for rejects.csv
	// Names are the names of Columns in the header (the mapped names).
	Names   [numColumns]string
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
}

// Scan reads the chat export once.
func Scan(ctx context.Context, o Options) (*Result, error) {
	f, err := os.Open(o.File)
	if err != nil {
		return nil, fail.Usagef("cannot read the chat export: %w (give its path with --chat-csv)", err)
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	r := frame.NewReader(f)
	r.LazyQuotes = o.LazyQuotes
	r.ReuseRecord = true

	header, headerLine, err := r.Read()
	if err == io.EOF {
		return nil, fail.Usagef("%s: the file is empty: expected a header row with %s", o.File, strings.Join(Columns, ", "))
	}
	if err != nil {
		return nil, csvError(o.File, err)
	}
	header = cloneFields(header)
	if !o.ReplaceInvalidUTF8 {
		if err := o.checkUTF8(header, headerLine); err != nil {
			return nil, err
		}
	}
	idx, err := frame.MatchHeader(header, Columns)
	if err != nil {
		return nil, fail.Usagef("%s: line %d: %w (the header must name every required column once)", o.File, headerLine, err)
	}
	o.header = header
	for i, j := range idx {
		o.names[i] = header[j]
	}
	r.KeepRaw = o.Messages

	s := &Result{File: o.File, Header: header, Names: o.names, lazyQuotes: o.LazyQuotes, messages: o.Messages}
	u := newUserGraph()
	var m *messageSet
	if o.Messages {
		m = newMessageSet(s, size)
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
	go o.parse(ctx, r, idx, len(header), batches, free, stop)

	var lastMB int64
	for b := range batches {
		if b.err != nil {
			return nil, b.err
		}
		if len(b.recs) > 0 {
			s.checkpoints = append(s.checkpoints, b.start)
		}
		for i := range b.recs {
			s.apply(o, u, m, &b.recs[i])
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
	s.Users, s.NameDefaulted = u.users()
	if o.Messages {
		m.finish(s)
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
func (s *Result) apply(o Options, u *userGraph, m *messageSet, p *parsedRecord) {
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
		if p.requesterOK && p.ticketCreatedOK {
			m.ticketFields(s, ticket, p.ticketCreated, p.requester)
		}
	}

	// The comment, checked in SPEC order by parse; duplicates here.
	if p.reason != 0 {
		s.Rejects = append(s.Rejects, Reject{Record: p.rec, Line: p.line, Reason: p.reason,
			Column: p.column, Detail: p.detail, Fields: p.fields})
		return
	}
	if first, differs := m.comment(s, p.rec, p.comment, ticket, p.author, p.created, p.public, p.body); differs >= 0 {
		s.Rejects = append(s.Rejects, Reject{Record: p.rec, Line: p.line, Reason: ConflictingDuplicate,
			Column: s.Names[differs],
			Detail: fmt.Sprintf("COMMENT_PART_ID %d was first read in record %d, whose %s differs", p.comment, first, s.Names[differs])})
	}
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
