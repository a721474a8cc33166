package steps

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/migrate-tool/migrate/frame"
)

// chatColumns are the required columns of chat_data.csv (SPEC section 3).
var chatColumns = []string{
	"CONVERSATION_ID", "COMMENT_PART_ID", "AUTHOR_ID", "NAME", "EMAIL", "BODY",
	"COMMENT_PUBLIC", "COMMENT_CREATED_AT", "TICKET_CREATED_AT", "TICKET_REQUESTER_ID",
}

// Indexes into chatColumns.
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
)

// RejectReason says why a record of chat_data.csv did not become a comment
// (SPEC section 4), in the order the checks run.
type RejectReason uint8

const (
	MalformedRow RejectReason = iota + 1
	BadConversationID
	BadCommentID
	BadAuthorID
	BadCreatedAt
	EmptyBody
	BadPublic
	ConflictingDuplicate
	TicketRejected
)

// rejectReasons lists every reason in report order.
var rejectReasons = []RejectReason{MalformedRow, BadConversationID, BadCommentID, BadAuthorID,
	BadCreatedAt, EmptyBody, BadPublic, ConflictingDuplicate, TicketRejected}

func (r RejectReason) String() string {
	switch r {
	case MalformedRow:
		return "malformed_row"
	case BadConversationID:
		return "bad_conversation_id"
	case BadCommentID:
		return "bad_comment_id"
	case BadAuthorID:
		return "bad_author_id"
	case BadCreatedAt:
		return "bad_created_at"
	case EmptyBody:
		return "empty_body"
	case BadPublic:
		return "bad_public"
	case ConflictingDuplicate:
		return "conflicting_duplicate"
	case TicketRejected:
		return "ticket_rejected"
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// reject is one rejected record. fields is nil for records rejected only
// after they were parsed (conflicting_duplicate, ticket_rejected): their raw
// values are read again from the file when rejects.csv is written, so that
// valid records need not keep theirs.
type reject struct {
	record int
	line   int
	reason RejectReason
	fields []string
}

// Scan is what one read of chat_data.csv yields: the chat users and, when
// asked for, the comments, tickets and rejects that build writes.
type Scan struct {
	File    string
	Header  []string // the input header as read, for rejects.csv
	Records int      // records read (well-formed or not)

	// Users, in order of first observation.
	Users []ChatUser
	// Warnings found while reading users.
	InvalidEmail, InvalidUTF8Name, NameDefaulted int

	// What build needs; empty unless messages were asked for.
	Comments        Comments
	Tickets         Tickets
	rejects         []reject
	ExactDuplicates int
	InvalidUTF8Body int
	PublicDefaulted int
	TicketConflicts int
	lazyQuotes      bool
}

// ChatUser is one person of the chat platform: the chat ids linked by email.
type ChatUser struct {
	Name      string
	Email     string // normalized; "" when none was observed
	ID        int64  // canonical chat id: the one observed first
	ChatIDs   []int64
	firstLine int
}

// Comments are the kept valid messages in record order, one column per field.
type Comments struct {
	ID, Ticket, Author, Created []int64
	Public                      []bool
	Body                        []string // cleaned BODY, not yet HTML
	Record                      []int32
	ticketIndex                 []int32
}

// Tickets are the conversations in order of first appearance.
type Tickets struct {
	ID, Created, Requester []int64
	HasFields              []bool
	conflict               []bool
}

// scanOptions configure one read of chat_data.csv.
type scanOptions struct {
	file     string
	messages bool // also collect comments, tickets and rejects
	lazy     bool
	nulls    frame.Nulls
	times    *frame.TimeParser
	progress *Progress
}

func newScanOptions(env *Env, messages bool) (scanOptions, error) {
	loc, err := time.LoadLocation(env.Opt.Timezone)
	if err != nil {
		return scanOptions{}, Usagef("--timezone %q is not an IANA zone name (such as UTC or Europe/Berlin): %v", env.Opt.Timezone, err)
	}
	return scanOptions{
		file:     env.Opt.ChatCSV,
		messages: messages,
		lazy:     env.Opt.LazyQuotes,
		nulls:    frame.NewNulls(env.Opt.NullValues),
		times:    &frame.TimeParser{Loc: loc, Now: env.Now},
		progress: env.Progress,
	}, nil
}

// scanChat reads chat_data.csv once. One goroutine reads and parses the
// records (CSV, ids, timestamps, emails, text), another links users and
// collects comments and tickets; batches of parsed records pass between them.
func scanChat(ctx context.Context, o scanOptions) (*Scan, error) {
	f, err := os.Open(o.file)
	if err != nil {
		return nil, Usagef("cannot read the chat export: %v (give its path with --chat-csv)", err)
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	r := frame.NewReader(f)
	r.LazyQuotes = o.lazy
	r.ReuseRecord = true

	header, headerLine, err := r.Read()
	if err == io.EOF {
		return nil, Usagef("%s: the file is empty: expected a header row with %s", o.file, strings.Join(chatColumns, ", "))
	}
	if err != nil {
		return nil, csvError(o.file, err)
	}
	header = cloneFields(header)
	idx, err := frame.MatchHeader(header, chatColumns)
	if err != nil {
		return nil, Usagef("%s: line %d: %v (the header must name every required column once)", o.file, headerLine, err)
	}

	s := &Scan{File: o.file, Header: header, lazyQuotes: o.lazy}
	u := newUserGraph()
	var m *messageSet
	if o.messages {
		m = newMessageSet(s, size)
	}
	var task *Task
	if o.progress != nil {
		task = o.progress.Start("reading "+o.file, "MB", size>>20)
	}

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
	if o.messages {
		m.finish(s)
	}
	return s, nil
}

// parsedRecord is one record with its values read by the rules of SPEC
// section 3; what is done with them is decided by apply.
type parsedRecord struct {
	rec, line int
	fields    []string // raw fields of a record rejected while parsing, for rejects.csv
	malformed bool
	reason    RejectReason // the first check of SPEC section 4 that failed, if any

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
func (o scanOptions) parse(ctx context.Context, r *frame.Reader, idx []int, nfields int, out chan<- *recordBatch, free <-chan *recordBatch, stop <-chan struct{}) {
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
	raw := make([]string, len(chatColumns))
	var perr *frame.ParseError // outside the loop: errors.As makes it escape
	for rec := 1; ; rec++ {
		fields, line, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil && (!errors.As(err, &perr) || errors.Is(err, frame.ErrOpenQuote)) {
			send(&recordBatch{err: csvError(o.file, err)})
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
		if p.reason != 0 && o.messages {
			p.fields = cloneFields(fields)
		}
		if len(b.recs) == batchRecords {
			if err := ctx.Err(); err != nil {
				send(&recordBatch{err: Failf("interrupted while reading %s", o.file)})
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
func (o scanOptions) parseValues(p *parsedRecord, raw []string) {
	nulls := o.nulls
	id := func(col int) (int64, bool) {
		v := frame.TrimSpace(raw[col])
		if nulls.IsNull(v) {
			return 0, false
		}
		return frame.ParseID(v)
	}
	timestamp := func(col int) (int64, bool) {
		v := frame.TrimSpace(raw[col])
		if nulls.IsNull(v) {
			return 0, false
		}
		return o.times.Parse(v)
	}
	p.conversation, p.conversationOK = id(colConversation)
	p.comment, p.commentOK = id(colComment)
	p.author, p.authorOK = id(colAuthor)
	p.requester, p.requesterOK = id(colRequester)
	if v := frame.TrimSpace(raw[colName]); !nulls.IsNull(v) {
		p.name, p.nameInvalid = frame.CleanText(raw[colName])
		p.hasName = true
	}
	if v := frame.TrimSpace(raw[colEmail]); !nulls.IsNull(v) {
		p.email, p.hasEmail = frame.NormalizeEmail(v)
		p.emailInvalid = !p.hasEmail
	}
	if !o.messages {
		return
	}
	if v := frame.TrimSpace(raw[colBody]); !nulls.IsNull(v) {
		p.body, p.bodyInvalid = frame.CleanText(raw[colBody])
		p.hasBody = true
	}
	if v := frame.TrimSpace(raw[colPublic]); nulls.IsNull(v) {
		p.publicNull, p.publicOK = true, true
	} else {
		p.public, p.publicOK = frame.ParseBool(v)
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

// apply adds one parsed record to the users, tickets, comments and rejects.
func (s *Scan) apply(o scanOptions, u *userGraph, m *messageSet, p *parsedRecord) {
	s.Records++
	if p.malformed {
		if o.messages {
			s.rejects = append(s.rejects, reject{p.rec, p.line, MalformedRow, p.fields})
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
	if !o.messages {
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
	switch {
	case p.reason != 0:
		s.rejects = append(s.rejects, reject{p.rec, p.line, p.reason, p.fields})
	case !m.comment(s, p.rec, p.comment, ticket, p.author, p.created, p.public, p.body):
		s.rejects = append(s.rejects, reject{record: p.rec, line: p.line, reason: ConflictingDuplicate})
	}
}

func cloneFields(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = strings.Clone(f)
	}
	return out
}

// csvError turns a reader error into a message naming the file and position.
func csvError(file string, err error) error {
	var perr *frame.ParseError
	if errors.As(err, &perr) {
		if errors.Is(err, frame.ErrOpenQuote) {
			return Usagef("%s: line %d, column %d: this quote is never closed (the record starting on line %d runs to the end of the file at line %d): close the quote, or double it to \"\" if it is text",
				file, perr.QuoteLine, perr.QuoteColumn, perr.StartLine, perr.Line)
		}
		return Usagef("%s: line %d, column %d: %v", file, perr.Line, perr.Column, perr.Err)
	}
	return Failf("cannot read %s: %v", file, err)
}

// userGraph links chat ids that share an email (union-find) and remembers,
// per chat id, the first observation, name and email in record order.
type userGraph struct {
	nodes   []chatNode
	byID    map[int64]int32
	byEmail map[string]int32
}

type chatNode struct {
	id       int64
	parent   int32
	firstSeq int64
	line     int
	nameSeq  int64
	name     string
	emailSeq int64
	email    string
}

func newUserGraph() *userGraph {
	return &userGraph{byID: map[int64]int32{}, byEmail: map[string]int32{}}
}

func (g *userGraph) observe(id, seq int64, line int, name string, hasName bool, email string, hasEmail bool) {
	i, ok := g.byID[id]
	if !ok {
		i = int32(len(g.nodes))
		g.nodes = append(g.nodes, chatNode{id: id, parent: i, firstSeq: seq, line: line, nameSeq: -1, emailSeq: -1})
		g.byID[id] = i
	}
	n := &g.nodes[i]
	if hasName && n.nameSeq < 0 {
		n.name, n.nameSeq = strings.Clone(name), seq
	}
	if !hasEmail {
		return
	}
	if n.emailSeq < 0 {
		n.email, n.emailSeq = strings.Clone(email), seq
	}
	if j, ok := g.byEmail[email]; ok {
		g.union(i, j)
	} else {
		g.byEmail[strings.Clone(email)] = i
	}
}

func (g *userGraph) find(i int32) int32 {
	for g.nodes[i].parent != i {
		g.nodes[i].parent = g.nodes[g.nodes[i].parent].parent
		i = g.nodes[i].parent
	}
	return i
}

func (g *userGraph) union(a, b int32) {
	ra, rb := g.find(a), g.find(b)
	if ra == rb {
		return
	}
	// The root is the node observed first, so that it is the canonical id.
	if g.nodes[rb].firstSeq < g.nodes[ra].firstSeq {
		ra, rb = rb, ra
	}
	g.nodes[rb].parent = ra
}

// users returns the connected components as chat users, ordered by first
// observation, and how many got a defaulted name.
func (g *userGraph) users() ([]ChatUser, int) {
	type acc struct {
		root              int32
		nameSeq, emailSeq int64
		name, email       string
		ids               []int64
	}
	byRoot := map[int32]*acc{}
	var order []*acc
	for i := range g.nodes {
		r := g.find(int32(i))
		a := byRoot[r]
		if a == nil {
			a = &acc{root: r, nameSeq: -1, emailSeq: -1}
			byRoot[r] = a
			order = append(order, a)
		}
		n := &g.nodes[i]
		a.ids = append(a.ids, n.id)
		if n.nameSeq >= 0 && (a.nameSeq < 0 || n.nameSeq < a.nameSeq) {
			a.name, a.nameSeq = n.name, n.nameSeq
		}
		if n.emailSeq >= 0 && (a.emailSeq < 0 || n.emailSeq < a.emailSeq) {
			a.email, a.emailSeq = n.email, n.emailSeq
		}
	}
	// Nodes are created in order of first observation, and a root is the
	// first-observed node of its component, so sorting by root's firstSeq
	// orders users by first observation.
	slices.SortFunc(order, func(x, y *acc) int {
		return compareInt64(g.nodes[x.root].firstSeq, g.nodes[y.root].firstSeq)
	})
	users := make([]ChatUser, len(order))
	defaulted := 0
	for k, a := range order {
		root := &g.nodes[a.root]
		slices.Sort(a.ids)
		u := ChatUser{Email: a.email, ID: root.id, ChatIDs: a.ids, firstLine: root.line}
		switch {
		case a.nameSeq >= 0:
			u.Name = a.name
		case a.email != "":
			u.Name = a.email[:strings.IndexByte(a.email, '@')]
		default:
			u.Name = "Chat user " + strconv.FormatInt(root.id, 10)
			defaulted++
		}
		users[k] = u
	}
	return users, defaulted
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// messageSet collects comments and tickets during a scan.
type messageSet struct {
	byComment *idTable
	byTicket  *idTable
	bodies    arena
}

// newMessageSet sizes its tables and the comment columns from the file size
// (a message row is about 200 bytes), so that millions of rows are not
// copied again and again as the slices grow.
func newMessageSet(s *Scan, fileSize int64) *messageSet {
	hint := int(fileSize / 256)
	c := &s.Comments
	c.ID, c.Ticket, c.Author, c.Created = make([]int64, 0, hint), make([]int64, 0, hint), make([]int64, 0, hint), make([]int64, 0, hint)
	c.Public, c.Body, c.Record, c.ticketIndex = make([]bool, 0, hint), make([]string, 0, hint), make([]int32, 0, hint), make([]int32, 0, hint)
	return &messageSet{byComment: newIDTable(hint), byTicket: newIDTable(hint / 8)}
}

func (m *messageSet) ticket(s *Scan, conversation int64) int32 {
	if t, ok := m.byTicket.get(conversation); ok {
		return t
	}
	t := int32(len(s.Tickets.ID))
	m.byTicket.put(conversation, t)
	s.Tickets.ID = append(s.Tickets.ID, conversation)
	s.Tickets.Created = append(s.Tickets.Created, 0)
	s.Tickets.Requester = append(s.Tickets.Requester, 0)
	s.Tickets.HasFields = append(s.Tickets.HasFields, false)
	s.Tickets.conflict = append(s.Tickets.conflict, false)
	return t
}

func (m *messageSet) ticketFields(s *Scan, t int32, created, requester int64) {
	ts := &s.Tickets
	if !ts.HasFields[t] {
		ts.HasFields[t], ts.Created[t], ts.Requester[t] = true, created, requester
		return
	}
	if (ts.Created[t] != created || ts.Requester[t] != requester) && !ts.conflict[t] {
		ts.conflict[t] = true
		s.TicketConflicts++
	}
}

// comment keeps a valid message, drops it as an exact duplicate, or reports
// a conflicting duplicate (false).
func (m *messageSet) comment(s *Scan, rec int, id int64, ticket int32, author, created int64, public bool, body string) bool {
	c := &s.Comments
	if k, ok := m.byComment.get(id); ok {
		if c.Ticket[k] == s.Tickets.ID[ticket] && c.Author[k] == author && c.Created[k] == created &&
			c.Public[k] == public && c.Body[k] == body {
			s.ExactDuplicates++
			return true
		}
		return false
	}
	m.byComment.put(id, int32(len(c.ID)))
	c.ID = append(c.ID, id)
	c.Ticket = append(c.Ticket, s.Tickets.ID[ticket])
	c.ticketIndex = append(c.ticketIndex, ticket)
	c.Author = append(c.Author, author)
	c.Created = append(c.Created, created)
	c.Public = append(c.Public, public)
	c.Body = append(c.Body, m.bodies.keep(body))
	c.Record = append(c.Record, int32(rec))
	return true
}

// finish rejects the kept messages of rejected tickets and drops the id tables.
func (m *messageSet) finish(s *Scan) {
	c := &s.Comments
	keep := 0
	for i := range c.ID {
		if !s.Tickets.HasFields[c.ticketIndex[i]] {
			s.rejects = append(s.rejects, reject{record: int(c.Record[i]), reason: TicketRejected})
			continue
		}
		c.ID[keep], c.Ticket[keep], c.Author[keep] = c.ID[i], c.Ticket[i], c.Author[i]
		c.Created[keep], c.Public[keep], c.Body[keep] = c.Created[i], c.Public[i], c.Body[i]
		c.Record[keep], c.ticketIndex[keep] = c.Record[i], c.ticketIndex[i]
		keep++
	}
	c.ID, c.Ticket, c.Author, c.Created = c.ID[:keep], c.Ticket[:keep], c.Author[:keep], c.Created[:keep]
	c.Public, c.Body, c.Record, c.ticketIndex = c.Public[:keep], c.Body[:keep], c.Record[:keep], c.ticketIndex[:keep]
	slices.SortStableFunc(s.rejects, func(a, b reject) int { return a.record - b.record })
	m.byComment, m.byTicket = nil, nil
}

// RejectedTickets counts the conversations without valid ticket fields.
func (s *Scan) RejectedTickets() int {
	n := 0
	for _, ok := range s.Tickets.HasFields {
		if !ok {
			n++
		}
	}
	return n
}

// arena keeps message bodies in large chunks instead of one allocation per
// row; chunks are never written again once a string points into them.
type arena struct{ cur []byte }

const arenaChunk = 8 << 20

func (a *arena) keep(s string) string {
	if len(s) == 0 {
		return ""
	}
	if cap(a.cur)-len(a.cur) < len(s) {
		a.cur = make([]byte, 0, max(arenaChunk, len(s)))
	}
	start := len(a.cur)
	a.cur = append(a.cur, s...)
	return unsafe.String(&a.cur[start], len(s))
}
