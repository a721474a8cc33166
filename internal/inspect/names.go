package inspect

import (
	"strings"

	"github.com/migrate-tool/migrate/internal/mapping"
)

// knownName is a name that an export of some product gives a column.
type knownName struct {
	name, source string
}

// knownNames are, per column of mapping.Names, the names common exports
// give it, tried in this order after the exact seed name. Names are
// compared without case, spaces or punctuation ("Conversation ID" is
// conversation_id).
//
// How sure each one is, honestly:
//   - Intercom: conversation_id, message_id, message_body, message_type,
//     message_created_at, message_author_id, message_author_name,
//     message_author_email, conversation_created_at are the columns of the
//     conversation CSV export as its exporter's help page documents them
//     (message_type is comment, note, open, close, assignment..., dates in
//     UTC as "2017-11-14 21:45:08").
//   - Zendesk Chat: chat_id, msg_id, msg, timestamp, name, sender_type are
//     the fields of its chat history (Chat API and the warehouse
//     connectors' chat_history table), visitor_id and visitor_email those
//     of its visitor; its own dashboard export is JSON, so a CSV with these
//     names is what a connector or a script writes. Not confirmed as a
//     product CSV.
//   - LiveChat: chat_id, thread_id, id, author_id, text, created_at and
//     recipients (all or agents) are the fields of its Agent Chat API
//     events; a CSV named so is an API dump, not a confirmed export.
//   - Freshchat: conversation_id, id, actor_id, actor_type, message_type
//     (normal, private, system) and created_time are the fields of its
//     message API objects; the same caveat.
//   - Crisp: session_id, fingerprint, content, type (text, note, file...),
//     from (user or operator), timestamp, user_id and nickname are the
//     fields of its conversation messages in the REST API; the same
//     caveat. Its session ids are "session_<uuid>", not the numbers SPEC
//     section 3 reads as ids, which inspect then reports.
//   - snake_case: the plain names a database dump or a script writes.
var knownNames = [mapping.NumColumns][]knownName{
	mapping.Conversation: {
		{"conversation_id", "Intercom, Freshchat, snake_case"}, {"chat_id", "Zendesk Chat, LiveChat"},
		{"session_id", "Crisp"}, {"conv_id", "snake_case"}, {"ticket_id", "snake_case"}, {"thread_id", "LiveChat"},
	},
	mapping.Comment: {
		{"message_id", "Intercom, snake_case"}, {"msg_id", "Zendesk Chat"}, {"fingerprint", "Crisp"},
		{"event_id", "LiveChat"}, {"comment_id", "snake_case"}, {"part_id", "snake_case"}, {"id", "LiveChat, Freshchat"},
	},
	mapping.Author: {
		{"message_author_id", "Intercom"}, {"author_id", "LiveChat, snake_case"}, {"actor_id", "Freshchat"},
		{"sender_id", "snake_case"}, {"user_id", "Crisp, snake_case"}, {"from_id", "snake_case"},
	},
	mapping.Name: {
		{"message_author_name", "Intercom"}, {"author_name", "snake_case"}, {"sender_name", "snake_case"},
		{"actor_name", "Freshchat"}, {"nickname", "Crisp"}, {"display_name", "Zendesk Chat"}, {"name", "Zendesk Chat, snake_case"},
	},
	mapping.Email: {
		{"message_author_email", "Intercom"}, {"author_email", "snake_case"}, {"sender_email", "snake_case"},
		{"actor_email", "Freshchat"}, {"visitor_email", "Zendesk Chat"}, {"user_email", "Crisp, snake_case"}, {"email", "snake_case"},
	},
	mapping.Body: {
		{"message_body", "Intercom"}, {"body", "snake_case"}, {"msg", "Zendesk Chat"}, {"text", "LiveChat"},
		{"content", "Crisp"}, {"message", "snake_case"}, {"message_text", "snake_case"}, {"message_content", "snake_case"},
	},
	mapping.Public: {
		{"comment_public", "snake_case"}, {"is_public", "snake_case"}, {"public", "snake_case"}, {"visibility", "snake_case"},
		{"message_type", "Intercom, Freshchat"}, {"recipients", "LiveChat"}, {"type", "Crisp"},
	},
	mapping.Created: {
		{"message_created_at", "Intercom"}, {"created_at", "LiveChat, snake_case"}, {"created_time", "Freshchat"},
		{"sent_at", "snake_case"}, {"timestamp", "Zendesk Chat, Crisp"}, {"comment_created_at", "snake_case"},
		{"message_date", "snake_case"}, {"date", "snake_case"},
	},
	mapping.TicketCreated: {
		{"conversation_created_at", "Intercom, snake_case"}, {"ticket_created_at", "snake_case"},
		{"chat_created_at", "snake_case"}, {"conversation_started_at", "snake_case"}, {"started_at", "snake_case"},
	},
	mapping.Requester: {
		{"requester_id", "snake_case"}, {"ticket_requester_id", "snake_case"}, {"conversation_requester_id", "snake_case"},
		{"customer_id", "snake_case"}, {"visitor_id", "Zendesk Chat"}, {"contact_id", "snake_case"},
	},
}

// visibilityWords are the values that exports write in the columns of
// knownNames[mapping.Public] and what they mean: Intercom's message_type
// (comment, conversation_message; note), Freshchat's (normal; private),
// LiveChat's recipients (all; agents), Crisp's type (text; note). A word
// outside this list is never guessed: inspect reports it.
var visibilityWords = map[string]bool{
	"comment": true, "conversation_message": true, "normal": true, "all": true, "text": true,
	"visible": true, "reply": true, "message": true,
	"note": false, "private_note": false, "internal_note": false, "agents": false, "whisper": false, "hidden": false,
}

// fold is a column name without case, spaces or punctuation.
func fold(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r > 127 {
			b.WriteRune(r)
		}
	}
	return b.String()
}
