package chatscan

import (
	"errors"
	"strconv"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
)

// Reason says why a record of the chat export did not become a comment
// (SPEC sections 4 and 12), in the order the checks run.
type Reason uint8

const (
	MalformedRow Reason = iota + 1
	BadConversationID
	BadCommentID
	BadAuthorID
	BadCreatedAt
	EmptyBody
	BadPublic
	ConflictingDuplicate
	TicketRejected
	// A delta run's reasons (SPEC section 12), after ticket_rejected.
	ChangedAfterMigration
	TicketAlreadyMigrated
)

// Reasons lists every reason in report order.
var Reasons = []Reason{MalformedRow, BadConversationID, BadCommentID, BadAuthorID,
	BadCreatedAt, EmptyBody, BadPublic, ConflictingDuplicate, TicketRejected,
	ChangedAfterMigration, TicketAlreadyMigrated}

func (r Reason) String() string {
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
	case ChangedAfterMigration:
		return "changed_after_migration"
	case TicketAlreadyMigrated:
		return "ticket_already_migrated"
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Reject is one rejected record, a row of rejects.csv (SPEC section 7).
type Reject struct {
	Record int
	Line   int
	Reason Reason
	// Column is the export column the reason is about, as the header names
	// it; empty for malformed_row and ticket_rejected.
	Column string
	// Detail says what was wrong, for a person.
	Detail string
	// Fields are the record's raw values. They are nil for a malformed
	// record, and for a record rejected only after it was parsed
	// (conflicting_duplicate, ticket_rejected...): the values of those are
	// read again from the export when rejects.csv is written, so that valid
	// records need not keep theirs.
	Fields []string
	// Raw is the whole text of a malformed record, as read.
	Raw string
}

// csvError turns a reader error into a message naming the file and position.
func csvError(file string, err error) error {
	var perr *frame.ParseError
	if errors.As(err, &perr) {
		if errors.Is(err, frame.ErrOpenQuote) {
			return fail.Because(fail.Usage, err, "%s: line %d, column %d: this quote is never closed (the record starting on line %d runs to the end of the file at line %d): close the quote, or double it to \"\" if it is text",
				file, perr.QuoteLine, perr.QuoteColumn, perr.StartLine, perr.Line)
		}
		return fail.Because(fail.Usage, err, "%s: line %d, column %d: %v", file, perr.Line, perr.Column, perr.Err)
	}
	var ferr *fail.Error
	if errors.As(err, &ferr) {
		// Already for the user, such as damaged compressed data.
		return err
	}
	return fail.Failf("cannot read %s: %w", file, err)
}
