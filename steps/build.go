package steps

import (
	"cmp"
	"context"
	"slices"

	"github.com/go-gota/gota/dataframe"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/archive"
	"github.com/migrate-tool/migrate/internal/chatscan"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// Build is the build step, the seed's comment, ticket and user scripts and
// its batch writer in one (SPEC sections 4 to 7):
//
//	comments = pd.read_csv("chat_data.csv").drop_duplicates(subset=["COMMENT_PART_ID"], keep="first")
//	tickets  = pd.read_csv("chat_data.csv").drop_duplicates(subset=["CONVERSATION_ID"], keep="first")
//	users    = pd.read_csv("merged_users.csv")
//	... each renamed, cast, split into files of 100 and packed into a tar.gz
//
// except that nothing is dropped silently: every record read is a comment,
// an exact duplicate or a line of rejects.csv, and the step checks that
// before it writes anything.
func Build(ctx context.Context, env *Env, memo *Memo) (report.Counts, error) {
	o := &env.Opt
	mtime, fixedTime, err := workspace.SourceDateEpoch(env.Getenv)
	if err != nil {
		return nil, err
	}
	// comments and tickets: the chat export read once, each record cast by
	// the value rules, the first message of each COMMENT_PART_ID kept.
	scan, err := memo.Scan(ctx, env, true)
	if err != nil {
		return nil, err
	}
	users, err := loadMerged(env, memo)
	if err != nil {
		return nil, err
	}
	dest, err := users.destinationIDs(scan, workspace.Path(o.WorkDir, workspace.MergedUsersFile))
	if err != nil {
		return nil, err
	}
	comments, tickets := scan.Comments, scan.Tickets
	rejects := slices.Clone(scan.Rejects)

	// A ticket without valid fields is not written, nor are its comments.
	keep := make([]bool, comments.Len())
	for i, t := range comments.TicketRow {
		keep[i] = tickets.HasFields[t]
		if !keep[i] {
			rejects = append(rejects, chatscan.Reject{Record: int(comments.Record[i]), Reason: chatscan.TicketRejected})
		}
	}
	comments.Filter(keep)
	rejectedTickets := tickets.Len()
	tickets.Filter(tickets.HasFields)
	rejectedTickets -= tickets.Len()
	slices.SortStableFunc(rejects, func(a, b chatscan.Reject) int { return cmp.Compare(a.Record, b.Record) })

	// author_id and requester_id: every chat id looked up in the merged
	// users (the VLOOKUP on chat id).
	comments.Author, _ = frame.Map(comments.Author, dest)
	tickets.Requester, _ = frame.Map(tickets.Requester, dest)
	written := archive.Users{}
	for i, name := range users.names {
		if o.ExistingUsers == "skip" && users.sources[i] == workspace.SourceTicketPlatform {
			continue
		}
		written.Name = append(written.Name, name)
		written.Email = append(written.Email, users.emails[i])
		written.ID = append(written.ID, users.ids[i])
	}
	data := &archive.Data{Tickets: &tickets, Comments: &comments, Users: written}
	if !fixedTime {
		mtime = data.Newest()
	}

	// Nothing is lost silently: check before anything is written.
	if scan.Records != comments.Len()+scan.ExactDuplicates+len(rejects) {
		return nil, fail.Failf("internal error: %d records read but %d comments + %d exact duplicates + %d rejected; nothing was written, please report this",
			scan.Records, comments.Len(), scan.ExactDuplicates, len(rejects))
	}

	rejectsFile, err := workspace.CreateAtomic(workspace.Path(o.WorkDir, workspace.RejectsFile))
	if err != nil {
		return nil, err
	}
	defer rejectsFile.Abort()
	if err := scan.WriteRejects(rejectsFile, rejects); err != nil {
		return nil, fail.Failf("cannot write %s: %w", rejectsFile.Name(), err)
	}
	if err := rejectsFile.Commit(); err != nil {
		return nil, err
	}
	files, size, err := archive.Write(o.ArchivePath(), data, archive.Options{
		Batch: o.BatchSize, HTML: o.BodyFormat == "html", Indent: o.Indent,
		Level: o.CompressionLevel, MTime: mtime, Progress: env.Progress,
	})
	if err != nil {
		return nil, err
	}

	byReason := map[chatscan.Reason]int{}
	for _, r := range rejects {
		byReason[r.Reason]++
	}
	rejected := report.Counts{}
	for _, r := range chatscan.Reasons {
		rejected.Add(r.String(), byReason[r])
	}
	return report.Counts{
		{"records", scan.Records},
		{"tickets", tickets.Len()},
		{"comments", comments.Len()},
		{"users", len(written.ID)},
		{"exact_duplicates", scan.ExactDuplicates},
		{"rejected_records", len(rejects)},
		{"rejected", rejected},
		{"rejected_tickets", rejectedTickets},
		{"warnings", report.Counts{
			{"invalid_utf8", scan.InvalidUTF8Body},
			{"public_defaulted", scan.PublicDefaulted},
			{"ticket_fields_conflict", scan.TicketConflicts},
		}},
		{"archive_files", files},
		{"archive_bytes", size},
	}, nil
}

// mergedTable is merged_users.csv, read and checked once.
type mergedTable struct {
	names, emails, sources []string
	ids                    []int64   // destination ids
	chatIDs                [][]int64 // the chat ids of each user
}

// loadMerged takes the merged users from memory when merge-users ran in this
// process, else from merged_users.csv.
func loadMerged(env *Env, memo *Memo) (*mergedTable, error) {
	path := workspace.Path(env.Opt.WorkDir, workspace.MergedUsersFile)
	df, line := dataframe.DataFrame{}, func(row int) int { return row + 2 }
	if memo.merged != nil {
		df = *memo.merged
	} else {
		var lines []int
		var err error
		if df, lines, err = workspace.ReadFrame(path, MergedUsersColumns, "merge-users"); err != nil {
			return nil, err
		}
		line = func(row int) int { return lines[row] }
	}
	ids, bad, err := frame.Cast(df, "id", value.ParseID)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		raw, _ := frame.Column(df, "id")
		return nil, fail.Usagef("%s: line %d: id %q is not a valid id (rerun the merge-users step)", path, line(bad[0]), raw[bad[0]])
	}
	lists, bad, err := frame.Cast(df, "chat_ids", workspace.ParseChatIDs)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, fail.Usagef("%s: line %d: chat_ids is not a list of ids (rerun the merge-users step)", path, line(bad[0]))
	}
	t := &mergedTable{ids: ids, chatIDs: lists}
	for _, c := range []struct {
		dst  *[]string
		name string
	}{{&t.names, "name"}, {&t.emails, "email"}, {&t.sources, "source"}} {
		if *c.dst, err = frame.Column(df, c.name); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// destinationIDs maps every chat id to its user's destination id, and checks
// that every chat id of the chat export has one.
func (m *mergedTable) destinationIDs(s *chatscan.Result, path string) (map[int64]int64, error) {
	dest := make(map[int64]int64, len(m.ids))
	for i, list := range m.chatIDs {
		for _, c := range list {
			dest[c] = m.ids[i]
		}
	}
	for _, u := range s.Users {
		for _, c := range u.ChatIDs {
			if _, ok := dest[c]; !ok {
				return nil, fail.Usagef("%s has no user for chat id %d, first seen on line %d of %s: it was made from other chat data; rerun chat-users and merge-users",
					path, c, u.FirstLine, s.File)
			}
		}
	}
	return dest, nil
}
