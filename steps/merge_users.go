package steps

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-gota/gota/dataframe"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/workspace"
)

var mergeUsersStep = Step{
	Name: "merge-users",
	Run:  MergeUsers,
	Reads: func(o *Options) []Input {
		return []Input{o.workFile(workspace.ChatUsersFile, "chat-users"), o.ticketUsers()}
	},
	Writes: func(o *Options) []string {
		return []string{workspace.Path(o.WorkDir, workspace.MergedUsersFile)}
	},
}

// MergeUsers is the merge-users step, the seed's spreadsheet formula
//
//	id = IFNA(VLOOKUP(email, ticket_platform_users, id), chat_platform_users.id)
//
// done as a left join on email (SPEC section 5): a chat user whose email a
// ticket platform user has takes that user's id; every other keeps its
// canonical chat id plus --chat-id-offset. Two people never share an id:
// a collision stops the step before anything is written.
func MergeUsers(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error {
	chat, err := loadChatUsers(env, memo)
	if err != nil {
		return err
	}
	tp, err := workspace.ReadTicketUsers(env.Opt.TicketUsersPath(), value.NewNulls(env.Opt.NullValues))
	if err != nil {
		return err
	}
	for _, in := range []struct{ path, role string }{
		{workspace.Path(env.Opt.WorkDir, workspace.ChatUsersFile), RoleChatUsers},
		{tp.Path, RoleTicketUsers},
	} {
		f, err := workspace.Describe(in.path, in.role)
		if err != nil {
			return fail.Failf("cannot read %s: %w", in.path, err)
		}
		rec.AddInput(f)
	}

	// The lookup table: each valid email once, its first user winning.
	lookup, _, err := frame.DropNA(tp.Frame, func(s string) bool { return s == "" }, "email")
	if err != nil {
		return err
	}
	lookup, repeated, err := frame.DropDuplicates(lookup, "email")
	if err != nil {
		return err
	}
	lookup, err = frame.Rename(lookup, map[string]string{"id": "ticket_platform_id"})
	if err != nil {
		return err
	}
	joined, err := frame.LeftJoin(chat.df, lookup, "email", "_ticket_platform")
	if err != nil {
		return err
	}

	// IFNA: the ticket platform's id where the email matched, else the
	// canonical chat id plus the offset.
	found, err := frame.Column(joined, frame.Indicator)
	if err != nil {
		return err
	}
	tpIDs, _, err := frame.Cast(joined, "ticket_platform_id", value.ParseID)
	if err != nil {
		return err
	}
	sources, err := frame.Column(joined, "source")
	if err != nil {
		return err
	}
	offset := env.Opt.ChatIDOffset
	destIDs := make([]int64, len(found))
	ids := make([]string, len(found))
	bySource := map[string]int{}
	for i, how := range found {
		if how == frame.Both {
			destIDs[i], sources[i] = tpIDs[i], workspace.SourceTicketPlatform
		} else {
			if chat.ids[i] > math.MaxInt64-offset {
				return fail.Usagef("--chat-id-offset %d pushes chat id %d past the largest possible id (%d): choose a smaller offset",
					offset, chat.ids[i], int64(math.MaxInt64))
			}
			destIDs[i] = chat.ids[i] + offset
		}
		ids[i] = strconv.FormatInt(destIDs[i], 10)
		bySource[sources[i]]++
	}
	names, err := frame.Column(joined, "name")
	if err != nil {
		return err
	}
	if err := checkCollisions(names, sources, destIDs, chat.ids, tp); err != nil {
		return err
	}

	merged, err := frame.Assign(joined, "id", ids)
	if err == nil {
		merged, err = frame.Assign(merged, "source", sources)
	}
	if err == nil {
		merged, err = frame.Select(merged, workspace.MergedUsersColumns...)
	}
	if err != nil {
		return err
	}
	out, err := workspace.WriteFrame(workspace.Path(env.Opt.WorkDir, workspace.MergedUsersFile), merged)
	if err != nil {
		return err
	}
	rec.AddOutput(out.As(RoleMergedUsers))
	memo.merged = &merged
	warnings := report.Counts{
		{"ticket_platform_duplicate_email", len(repeated)},
		{"invalid_email", tp.InvalidEmails},
	}
	// A ticket platform file with no user, or no match at all between two
	// sizable sides, is usually the wrong file or the wrong email column.
	noUsers, noMatch := 0, 0
	switch {
	case len(tp.IDs) == 0:
		noUsers = 1
		env.warn("merge-users: %s holds no user: every chat user keeps a chat id; check that it is the ticket platform's export", tp.Path)
	case bySource[workspace.SourceTicketPlatform] == 0 && len(tp.IDs) >= 100 && len(ids) >= 100:
		noMatch = 1
		env.warn("merge-users: none of the %d chat users matches any of the %d ticket platform users by email: check that %s is the right file and its email column holds emails", len(ids), len(tp.IDs), tp.Path)
	}
	warnings = append(warnings, report.Count{"ticket_platform_empty", noUsers}, report.Count{"no_email_match", noMatch})
	rec.Counts = report.Counts{
		{"users", len(ids)},
		{"by_source", report.Counts{
			{workspace.SourceTicketPlatform, bySource[workspace.SourceTicketPlatform]},
			{workspace.SourceChat, bySource[workspace.SourceChat]},
			{workspace.SourcePlaceholder, bySource[workspace.SourcePlaceholder]},
		}},
		{"ticket_platform_users", len(tp.IDs)},
		{"warnings", warnings},
	}
	return nil
}

// chatUserTable is chat_platform_users.csv, read and checked.
type chatUserTable struct {
	df  dataframe.DataFrame
	ids []int64 // canonical chat ids
}

// loadChatUsers takes the chat users from memory when chat-users ran in this
// process, else from chat_platform_users.csv.
func loadChatUsers(env *Env, memo *Memo) (chatUserTable, error) {
	path := workspace.Path(env.Opt.WorkDir, workspace.ChatUsersFile)
	df, line := dataframe.DataFrame{}, func(row int) int { return row + 2 }
	if memo.chatUsers != nil {
		df = *memo.chatUsers
	} else {
		var lines []int
		var err error
		if df, lines, err = workspace.ReadFrame(path, ChatUsersColumns, "chat-users"); err != nil {
			return chatUserTable{}, err
		}
		line = func(row int) int { return lines[row] }
	}
	badRow := func(col string, row int, want string) error {
		raw, _ := frame.Column(df, col)
		return fail.Usagef("%s: line %d: %s %q is not %s (rerun the chat-users step)", path, line(row), col, raw[row], want)
	}
	ids, bad, err := frame.Cast(df, "id", value.ParseID)
	if err != nil {
		return chatUserTable{}, err
	}
	if len(bad) > 0 {
		return chatUserTable{}, badRow("id", bad[0], "a valid id")
	}
	if _, bad, err = frame.Cast(df, "chat_ids", workspace.ParseChatIDs); err != nil {
		return chatUserTable{}, err
	} else if len(bad) > 0 {
		return chatUserTable{}, badRow("chat_ids", bad[0], "a list of ids")
	}
	if _, bad, err = frame.Cast(df, "source", func(s string) (bool, bool) {
		return s == workspace.SourcePlaceholder, s == workspace.SourceChat || s == workspace.SourcePlaceholder
	}); err != nil {
		return chatUserTable{}, err
	} else if len(bad) > 0 {
		return chatUserTable{}, badRow("source", bad[0], "chat or placeholder")
	}
	return chatUserTable{df: df, ids: ids}, nil
}

// checkCollisions stops the merge when a chat-sourced id is a ticket platform
// id, or two merged users share an id: either would merge different people.
func checkCollisions(names, sources []string, destIDs, canonical []int64, tp *workspace.TicketUsers) error {
	count := map[int64]int{}
	for _, id := range destIDs {
		count[id]++
	}
	tpIDs := make(map[int64]bool, len(tp.IDs))
	for _, id := range tp.IDs {
		tpIDs[id] = true
	}
	var lines []string
	n, fromTicketPlatform := 0, 0
	for i, id := range destIDs {
		why := ""
		switch {
		case sources[i] != workspace.SourceTicketPlatform && tpIDs[id]:
			why = "is also a ticket platform user's id"
		case count[id] > 1:
			why = "is shared with another merged user"
		default:
			continue
		}
		n++
		if sources[i] == workspace.SourceTicketPlatform {
			fromTicketPlatform++
		}
		if len(lines) < 10 {
			lines = append(lines, fmt.Sprintf("  %q (chat id %d, source %s): id %d %s", names[i], canonical[i], sources[i], id, why))
		}
	}
	if n == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d merged users collide on their destination id; nothing was written. First %d:\n%s\n"+
		"Rerun merge-users with --chat-id-offset %d to move every chat id past the ticket platform's largest id (%d).",
		n, len(lines), strings.Join(lines, "\n"), clearingOffset(tp.MaxID), tp.MaxID)
	if fromTicketPlatform > 0 {
		// No offset moves a ticket platform id: the export itself gives
		// one id to two emails.
		msg += fmt.Sprintf("\n%d of them come from the ticket platform, whose export %s gives one id to two emails: no offset clears that; fix that file first.",
			fromTicketPlatform, tp.Path)
	}
	return fail.Conflictf("%s", msg)
}

// clearingOffset is the smallest power of ten greater than maxID (SPEC
// section 5), or the largest power of ten an int64 holds.
func clearingOffset(maxID int64) int64 {
	offset := int64(1)
	for offset <= maxID && offset <= math.MaxInt64/10 {
		offset *= 10
	}
	return offset
}
