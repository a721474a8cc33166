package steps

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-gota/gota/dataframe"
	"github.com/migrate-tool/migrate/frame"
)

// mergedColumns are the columns of merged_users.csv.
var mergedColumns = []string{"name", "email", "id", "source", "chat_ids"}

// Sources of a merged user's destination id.
const (
	SourceTicketPlatform = "ticket_platform"
	SourceChat           = "chat"
	SourcePlaceholder    = "placeholder"
)

// MergeUsers is the merge-users step: the seed's VLOOKUP done as a left join
// on email of the chat users against the ticket platform users (SPEC section 5).
func MergeUsers(ctx context.Context, env *Env) (Counts, error) {
	if env.Opt.ChatIDOffset < 0 {
		return nil, Usagef("--chat-id-offset must be 0 or more, not %d", env.Opt.ChatIDOffset)
	}
	chat, err := loadChatUsers(env)
	if err != nil {
		return nil, err
	}
	tp, err := loadTicketUsers(env)
	if err != nil {
		return nil, err
	}

	// The left join: each chat user's email against the ticket platform's
	// first user with that normalized email.
	right := frame.FromColumns([]string{"email", "tp_id"}, tp.emails, tp.ids)
	right, dropped := frame.DropDuplicates(right, true, "email")
	joined, matched := frame.LeftJoin(chat.df, right, "email", "_tp")

	names := frame.Column(joined, "name")
	emails := frame.Column(joined, "email")
	tpIDs := frame.Column(joined, "tp_id")
	n := len(names)
	ids := make([]string, n)
	sources := make([]string, n)
	destIDs := make([]int64, n)
	bySource := map[string]int{}
	for i := 0; i < n; i++ {
		switch {
		case matched[i]:
			destIDs[i], _ = strconv.ParseInt(tpIDs[i], 10, 64)
			sources[i] = SourceTicketPlatform
		default:
			if chat.ids[i] > math.MaxInt64-env.Opt.ChatIDOffset {
				return nil, Usagef("--chat-id-offset %d pushes chat id %d past the largest possible id (%d): choose a smaller offset",
					env.Opt.ChatIDOffset, chat.ids[i], int64(math.MaxInt64))
			}
			destIDs[i] = chat.ids[i] + env.Opt.ChatIDOffset
			sources[i] = SourceChat
			// chat_platform_users.csv does not say whether a user was ever
			// observed with a name or an email; only such a user has no
			// email and the defaulted name (SPEC section 5).
			if emails[i] == "" && names[i] == "Chat user "+strconv.FormatInt(chat.ids[i], 10) {
				sources[i] = SourcePlaceholder
			}
		}
		ids[i] = strconv.FormatInt(destIDs[i], 10)
		bySource[sources[i]]++
	}
	if err := checkCollisions(names, sources, destIDs, chat.ids, tp); err != nil {
		return nil, err
	}

	df := frame.FromColumns(mergedColumns, names, emails, ids, sources, frame.Column(joined, "chat_ids"))
	env.merged = &df
	if err := writeFrame(filepath.Join(env.Opt.WorkDir, MergedUsersFile), df); err != nil {
		return nil, err
	}
	return Counts{
		{"users", n},
		{"by_source", Counts{
			{SourceTicketPlatform, bySource[SourceTicketPlatform]},
			{SourceChat, bySource[SourceChat]},
			{SourcePlaceholder, bySource[SourcePlaceholder]},
		}},
		{"ticket_platform_users", len(tp.ids)},
		{"warnings", Counts{
			{"ticket_platform_duplicate_email", len(dropped)},
			{"invalid_email", tp.invalidEmails},
		}},
	}, nil
}

// chatUserTable is chat_platform_users.csv, read and checked.
type chatUserTable struct {
	df  dataframe.DataFrame
	ids []int64 // canonical chat ids
}

func loadChatUsers(env *Env) (chatUserTable, error) {
	path := filepath.Join(env.Opt.WorkDir, ChatUsersFile)
	df, line, err := readFrame(env.chatUsers, path, chatUserColumns, "chat-users")
	if err != nil {
		return chatUserTable{}, err
	}
	ids, bad := frame.Cast(df, "id", frame.ParseID)
	if len(bad) > 0 {
		return chatUserTable{}, Usagef("%s: line %d: id %q is not a valid id (rerun the chat-users step)",
			path, line(bad[0]), frame.Column(df, "id")[bad[0]])
	}
	if _, bad := frame.Cast(df, "chat_ids", parseChatIDs); len(bad) > 0 {
		return chatUserTable{}, Usagef("%s: line %d: chat_ids %q is not a list of ids (rerun the chat-users step)",
			path, line(bad[0]), frame.Column(df, "chat_ids")[bad[0]])
	}
	return chatUserTable{df: df, ids: ids}, nil
}

// ticketUserTable is ticket_platform_users.csv, read and checked.
type ticketUserTable struct {
	path          string
	ids           []string // as valid ids, written back canonically
	emails        []string // normalized; "" when null or invalid
	idSet         map[int64]bool
	maxID         int64
	invalidEmails int
}

func loadTicketUsers(env *Env) (ticketUserTable, error) {
	path := env.Opt.TicketUsersPath()
	f, err := os.Open(path)
	if err != nil {
		return ticketUserTable{}, Usagef("cannot read the ticket platform users: %v (run fetch-users with --api-url, or give an export with --ticket-users FILE)", err)
	}
	defer f.Close()
	df, lines, err := frame.ReadCSVLines(f, path, []string{"id", "email"}, frame.ReadOptions{})
	if err != nil {
		return ticketUserTable{}, Usagef("%v", err)
	}
	nulls := frame.NewNulls(env.Opt.NullValues)
	raw := frame.Column(df, "id")
	ids, bad := frame.Cast(df, "id", func(s string) (int64, bool) {
		s = frame.TrimSpace(s)
		if nulls.IsNull(s) {
			return 0, false
		}
		return frame.ParseID(s)
	})
	if len(bad) > 0 {
		return ticketUserTable{}, Usagef("%s: line %d: id %q is not a valid id (a positive whole number): fix or remove that row",
			path, lines[bad[0]], raw[bad[0]])
	}
	t := ticketUserTable{path: path, idSet: make(map[int64]bool, len(ids))}
	t.ids = make([]string, len(ids))
	t.emails = make([]string, len(ids))
	for i, e := range frame.Column(df, "email") {
		t.ids[i] = strconv.FormatInt(ids[i], 10)
		t.idSet[ids[i]] = true
		t.maxID = max(t.maxID, ids[i])
		e = frame.TrimSpace(e)
		if nulls.IsNull(e) {
			continue
		}
		if norm, ok := frame.NormalizeEmail(e); ok {
			t.emails[i] = norm
		} else {
			t.invalidEmails++
		}
	}
	return t, nil
}

// checkCollisions stops the merge when a chat-sourced id is a ticket platform
// id, or two merged users share an id: either would merge different people.
func checkCollisions(names, sources []string, destIDs, canonical []int64, tp ticketUserTable) error {
	count := map[int64]int{}
	for _, id := range destIDs {
		count[id]++
	}
	var lines []string
	n, fromTicketPlatform := 0, 0
	for i, id := range destIDs {
		why := ""
		switch {
		case sources[i] != SourceTicketPlatform && tp.idSet[id]:
			why = "is also a ticket platform user's id"
		case count[id] > 1:
			why = "is shared with another merged user"
		default:
			continue
		}
		n++
		if sources[i] == SourceTicketPlatform {
			fromTicketPlatform++
		}
		if len(lines) < 10 {
			lines = append(lines, fmt.Sprintf("  %q (chat id %d, source %s): id %d %s", names[i], canonical[i], sources[i], id, why))
		}
	}
	if n == 0 {
		return nil
	}
	offset := int64(1)
	for offset <= tp.maxID && offset <= math.MaxInt64/10 {
		offset *= 10
	}
	msg := fmt.Sprintf("%d merged users collide on their destination id; nothing was written. First %d:\n%s\n"+
		"Rerun merge-users with --chat-id-offset %d to move every chat id past the ticket platform's largest id (%d).",
		n, len(lines), strings.Join(lines, "\n"), offset, tp.maxID)
	if fromTicketPlatform > 0 {
		// No offset moves a ticket platform id: the export itself gives
		// one id to two emails.
		msg += fmt.Sprintf("\n%d of them come from the ticket platform, whose export %s gives one id to two emails: no offset clears that; fix that file first.",
			fromTicketPlatform, tp.path)
	}
	return &Error{Code: ExitConflict, Msg: msg}
}
