package steps

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/archive"
	"github.com/migrate-tool/migrate/internal/chatscan"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/workspace"
)

var buildStep = Step{
	Name: "build",
	Run:  Build,
	Reads: func(o *Options) []Input {
		return []Input{o.chatExport(), o.workFile(workspace.MergedUsersFile, "merge-users")}
	},
	Writes: func(o *Options) []string {
		return []string{o.ArchivePath(), workspace.Path(o.WorkDir, workspace.RejectsFile), workspace.Path(o.WorkDir, workspace.ReportFile)}
	},
}

// ErrTooManyRejects is wrapped by the error of a build that wrote no
// archive because too much of the export was rejected (exit status 5).
var ErrTooManyRejects = errors.New("too many rejected records")

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
// before it writes anything. rejects.csv, the archive and report.json are
// published as one set, report.json last.
func Build(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error {
	o := &env.Opt
	mtime, fixedTime, err := workspace.SourceDateEpoch(env.Getenv)
	if err != nil {
		return err
	}
	// comments and tickets: the chat export read once, each record cast by
	// the value rules, the first message of each COMMENT_PART_ID kept.
	scan, err := memo.Scan(ctx, env, true)
	if err != nil {
		return err
	}
	rec.AddInput(scan.Export())
	users, err := loadMerged(env, memo, rec)
	if err != nil {
		return err
	}
	dest, err := users.destinationIDs(scan, workspace.Path(o.WorkDir, workspace.MergedUsersFile))
	if err != nil {
		return err
	}
	comments, tickets := scan.Comments, scan.Tickets
	rejects := slices.Clone(scan.Rejects)

	// A ticket without valid fields is not written, nor are its comments.
	keep := make([]bool, comments.Len())
	for i, t := range comments.TicketRow {
		keep[i] = tickets.HasFields[t]
		if !keep[i] {
			rejects = append(rejects, chatscan.Reject{Record: int(comments.Record[i]), Reason: chatscan.TicketRejected,
				Detail: fmt.Sprintf("conversation %d has no record with both a valid %s and a valid %s, so its ticket is not written",
					comments.Ticket[i], scan.Names[8], scan.Names[9])})
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
		return fail.Failf("internal error: %d records read but %d comments + %d exact duplicates + %d rejected; nothing was written, please report this",
			scan.Records, comments.Len(), scan.ExactDuplicates, len(rejects))
	}
	byReason := map[chatscan.Reason]int{}
	for _, r := range rejects {
		byReason[r.Reason]++
	}
	rejected := report.Counts{}
	for _, r := range chatscan.Reasons {
		rejected.Add(r.String(), byReason[r])
	}
	rec.Counts = report.Counts{
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
	}

	// The set: rejects.csv, the archive and report.json, each complete
	// under a temporary name before the first is renamed into place.
	rejectsFile, err := workspace.CreateAtomic(workspace.Path(o.WorkDir, workspace.RejectsFile))
	if err != nil {
		return err
	}
	defer rejectsFile.Abort()
	if err := scan.WriteRejects(rejectsFile, rejects); err != nil {
		return fail.Failf("cannot write %s: %w", rejectsFile.Name(), err)
	}
	if err := rejectsFile.Finish(); err != nil {
		return err
	}
	rec.AddOutput(rejectsFile.File(RoleRejects))
	if stop := tooManyRejects(o, scan.Records, comments.Len(), rejects); stop != "" {
		rec.Counts = append(rec.Counts, report.Count{"archive_written", false})
		if err := publish(ctx, o, rec, rejectsFile); err != nil {
			return err
		}
		return fail.Because(fail.TooManyRejects, ErrTooManyRejects, "%s\n%s", stop, rejectSummary(rejects, workspace.Path(o.WorkDir, workspace.RejectsFile)))
	}

	archiveFile, err := workspace.CreateAtomic(o.ArchivePath())
	if err != nil {
		return err
	}
	defer archiveFile.Abort()
	files, err := archive.Write(ctx, archiveFile, data, archive.Options{
		Batch: o.BatchSize, HTML: o.BodyFormat == "html", Indent: o.Indent,
		Level: o.CompressionLevel, MTime: mtime, Progress: env.Progress,
	})
	if err != nil {
		return err
	}
	if err := archiveFile.Finish(); err != nil {
		return err
	}
	rec.AddOutput(archiveFile.File(RoleArchive))
	rec.Counts = append(rec.Counts,
		report.Count{"archive_written", true},
		report.Count{"archive_files", files},
		report.Count{"archive_bytes", archiveFile.Size()},
	)
	return publish(ctx, o, rec, rejectsFile, archiveFile)
}

// publish renames the finished files into place in order, then writes
// report.json last, unless the run was stopped: then nothing moves.
func publish(ctx context.Context, o *Options, rec *report.Step, files ...*workspace.AtomicFile) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted before the files were published: %w", context.Cause(ctx))
	}
	for _, f := range files {
		if err := f.Commit(); err != nil {
			return err
		}
	}
	rec.Seconds = time.Since(rec.StartedAt).Seconds()
	return report.Write(o.WorkDir, rec)
}

// tooManyRejects says why build must write no archive (SPEC section 7), or
// returns "".
func tooManyRejects(o *Options, records, comments int, rejects []chatscan.Reject) string {
	switch {
	case records == 0:
		return fmt.Sprintf("%s holds no record, only a header: no archive was written", o.ChatCSV)
	case comments == 0:
		return fmt.Sprintf("none of the %s records of %s became a comment: no archive was written (an earlier archive is left as it was)",
			report.Number(records), o.ChatCSV)
	case float64(len(rejects)) > o.MaxRejectRate*float64(records):
		return fmt.Sprintf("%s of %s records were rejected (%.1f%%), more than --max-reject-rate %g allows: no archive was written (an earlier archive is left as it was)",
			report.Number(len(rejects)), report.Number(records), 100*float64(len(rejects))/float64(records), o.MaxRejectRate)
	}
	return ""
}

// rejectSummary lists the most common reasons with an example each.
func rejectSummary(rejects []chatscan.Reject, path string) string {
	type reason struct {
		r       chatscan.Reason
		n       int
		example chatscan.Reject
	}
	var list []*reason
	by := map[chatscan.Reason]*reason{}
	for _, r := range rejects {
		x := by[r.Reason]
		if x == nil {
			x = &reason{r: r.Reason, example: r}
			by[r.Reason] = x
			list = append(list, x)
		}
		x.n++
	}
	slices.SortStableFunc(list, func(a, b *reason) int { return cmp.Compare(b.n, a.n) })
	var b strings.Builder
	if len(list) > 0 {
		b.WriteString("The most common reasons:\n")
	}
	for i, x := range list {
		if i == 5 {
			break
		}
		where := fmt.Sprintf("line %d", x.example.Line)
		if x.example.Column != "" {
			where += ", " + x.example.Column
		}
		fmt.Fprintf(&b, "  %-22s %10s   e.g. %s: %s\n", x.r, report.Number(x.n), where, x.example.Detail)
	}
	fmt.Fprintf(&b, "Every rejected record is in %s. Fix the export or the flags (--timestamp-format, --encoding, --mapping...) and run build again; --max-reject-rate 1 turns the rate check off.", path)
	return b.String()
}

// mergedTable is merged_users.csv, read and checked once.
type mergedTable struct {
	names, emails, sources []string
	ids                    []int64   // destination ids
	chatIDs                [][]int64 // the chat ids of each user
}

// loadMerged takes the merged users from memory when merge-users ran in this
// process, else from merged_users.csv.
func loadMerged(env *Env, memo *Memo, rec *report.Step) (*mergedTable, error) {
	path := workspace.Path(env.Opt.WorkDir, workspace.MergedUsersFile)
	f, err := workspace.Describe(path, RoleMergedUsers)
	if err != nil {
		return nil, fail.Usagef("cannot read %s: %w (run the merge-users step first)", path, errors.Unwrap(err))
	}
	rec.AddInput(f)
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
