package steps

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/archive"
	"github.com/migrate-tool/migrate/internal/chatscan"
	"github.com/migrate-tool/migrate/internal/delta"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/state"
	"github.com/migrate-tool/migrate/internal/workspace"
)

var buildStep = Step{
	Name: "build",
	Run:  Build,
	Reads: func(o *Options) []Input {
		// migrate.db is checked by checkState; listed here, no output
		// may name it.
		return []Input{o.chatExport(), o.workFile(workspace.MergedUsersFile, "merge-users"),
			{Path: o.statePath(), What: "the record of earlier runs", Optional: true}}
	},
	Writes: func(o *Options) []string {
		return []string{o.ArchivePath(), workspace.Path(o.WorkDir, workspace.RejectsFile), workspace.Path(o.WorkDir, workspace.ReportFile)}
	},
	Check: checkState,
}

// ErrTooManyRejects is wrapped by the error of a build that wrote no
// archive because too much of the export was rejected (exit status 5).
var ErrTooManyRejects = errors.New("too many rejected records")

// Build is the build step, the seed's comment, ticket and user scripts and
// its batch writer in one (SPEC sections 4 to 7 and 12):
//
//	comments = pd.read_csv("chat_data.csv").drop_duplicates(subset=["COMMENT_PART_ID"], keep="first")
//	tickets  = pd.read_csv("chat_data.csv").drop_duplicates(subset=["CONVERSATION_ID"], keep="first")
//	users    = pd.read_csv("merged_users.csv")
//	... each renamed, cast, split into files of 100 and packed into a tar.gz
//
// except that nothing is dropped silently: every record read is a comment,
// an exact duplicate, already migrated or a line of rejects.csv, and the
// step checks that before it writes anything. rejects.csv, the archive and
// report.json are published as one set, report.json last; then migrate.db
// records the run. With --delta it writes only what the newest lineage of
// runs did not.
func Build(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error {
	o := &env.Opt
	mtime, fixedTime, err := workspace.SourceDateEpoch(env.Getenv)
	if err != nil {
		return err
	}
	// A delta run reads what its lineage wrote from migrate.db while the
	// export is read; a full run opens migrate.db only to record itself.
	var db *state.DB
	var lineage *state.Lineage
	loaded := make(chan error, 1)
	if o.Delta {
		if db, err = state.Open(o.statePath()); err != nil {
			return err
		}
		defer db.Close()
		warnUnrecorded(env, db)
		warnChangedOptions(env, db)
		go func() {
			var err error
			lineage, err = newestLineage(db)
			loaded <- err
		}()
	} else {
		loaded <- nil
	}

	// comments and tickets: the chat export read once, each record cast by
	// the value rules, the first message of each COMMENT_PART_ID kept.
	scan, err := memo.Scan(ctx, env, true)
	if err != nil {
		return err // without waiting for the lineage: a stop is quick
	}
	if err := <-loaded; err != nil {
		return err
	}
	rec.AddInput(scan.Export())
	mergedPath := workspace.Path(o.WorkDir, workspace.MergedUsersFile)
	users, err := workspace.ReadMergedUsers(memo.merged, mergedPath)
	if err != nil {
		return err
	}
	if f, err := workspace.Describe(mergedPath, RoleMergedUsers); err == nil {
		rec.AddInput(f)
	}
	ids, err := destinationIDs(users, scan, lineage, o, mergedPath)
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
	tickets.Filter(slices.Clone(tickets.HasFields)) // a copy: Filter overwrites the column it reads
	rejectedTickets -= tickets.Len()

	// author_id and requester_id: every chat id looked up in the merged
	// users (the VLOOKUP on chat id).
	frame.Replace(comments.Author, ids.dest)
	frame.Replace(tickets.Requester, ids.dest)
	archiveOptions := archive.Options{
		Batch: o.BatchSize, HTML: o.BodyFormat == "html", Indent: o.Indent,
		Level: o.CompressionLevel, Progress: env.Progress,
	}

	// A delta run writes what its lineage lacks.
	alreadyMigrated := 0
	if lineage != nil {
		m, err := delta.Filter(&comments, &tickets, lineage, func(rows []int32) ([]uint64, error) {
			return hashRows(&comments, rows, archiveOptions)
		}, scan.Names)
		if err != nil {
			return err
		}
		alreadyMigrated = m.AlreadyMigrated
		rejects = append(rejects, m.Rejects...)
	}
	slices.SortStableFunc(rejects, func(a, b chatscan.Reject) int { return cmp.Compare(a.Record, b.Record) })

	written := archive.Users{}
	var writtenIDs []int64
	for i, name := range users.Names {
		existing := users.Sources[i] == workspace.SourceTicketPlatform || ids.existing != nil && ids.existing[i]
		if !ids.write[i] || o.ExistingUsers == "skip" && existing {
			continue
		}
		written.Name = append(written.Name, name)
		written.Email = append(written.Email, users.Emails[i])
		written.ID = append(written.ID, ids.users[i])
		writtenIDs = append(writtenIDs, ids.users[i])
	}
	// The bodies' hashes served the duplicates; their column now takes the
	// hash of each comment's JSON, for migrate.db.
	data := &archive.Data{Tickets: &tickets, Comments: &comments, Users: written, CommentHashes: comments.BodyHash[:comments.Len()]}
	if !fixedTime {
		mtime = data.Newest()
	}
	archiveOptions.MTime = mtime

	// Nothing is lost silently: check before anything is written.
	if scan.Records != comments.Len()+scan.ExactDuplicates+alreadyMigrated+len(rejects) {
		return fail.Failf("internal error: %d records read but %d comments + %d exact duplicates + %d already migrated + %d rejected; nothing was written, please report this",
			scan.Records, comments.Len(), scan.ExactDuplicates, alreadyMigrated, len(rejects))
	}
	rec.Counts = buildCounts(scan, tickets.Len(), comments.Len(), len(written.ID), alreadyMigrated, rejects, rejectedTickets, ids.splits, lineage)

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
	if stop := chatscan.TooMany(o.ChatCSV, scan.Records, comments.Len(), rejects, o.MaxRejectRate, lineage == nil); stop != "" {
		rec.Counts = append(rec.Counts, report.Count{"archive_written", false})
		if err := publish(ctx, o, rec, rejectsFile); err != nil {
			return err
		}
		return fail.Because(fail.TooManyRejects, ErrTooManyRejects, "%s\n%s", stop, chatscan.Summarize(rejects, rejectsFile.Name()))
	}

	// The run in migrate.db, in one transaction that is filled while the
	// archive is written and committed once the set is published, with the
	// list of what its archive created beside it.
	created := &state.Created{Batch: o.BatchSize, CommentIDs: comments.ID, CommentTicket: comments.Ticket,
		CommentHashes: data.CommentHashes, UserIDs: writtenIDs}
	created.Tickets = make([]state.Ticket, tickets.Len())
	for i, id := range tickets.ID {
		created.Tickets[i] = state.Ticket{ID: id, Requester: tickets.Requester[i], Created: tickets.Created[i]}
	}
	recording := startRecording(db, o, rec, lineage, users, ids, created)
	defer recording.abort(db == nil)
	archiveOptions.Encoded = recording.Encoded

	archiveFile, err := workspace.CreateAtomic(o.ArchivePath())
	if err != nil {
		return err
	}
	defer archiveFile.Abort()
	files, err := archive.Write(ctx, archiveFile, data, archiveOptions)
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
	if err := recording.finish(rec); err != nil {
		return err
	}
	if err := publish(ctx, o, rec, rejectsFile, archiveFile); err != nil {
		return err
	}
	return recording.commit()
}

// buildCounts are build's numbers for report.json (SPEC section 7).
func buildCounts(scan *chatscan.Result, tickets, comments, users, alreadyMigrated int, rejects []chatscan.Reject,
	rejectedTickets int, splits []delta.Split, lineage *state.Lineage) report.Counts {
	byReason := map[chatscan.Reason]int{}
	for _, r := range rejects {
		byReason[r.Reason]++
	}
	rejected := report.Counts{}
	for _, r := range chatscan.Reasons {
		rejected.Add(r.String(), byReason[r])
	}
	kind := report.Counts{{"kind", state.Full}}
	if lineage != nil {
		kind = report.Counts{{"kind", state.Delta}, {"lineage", lineage.ID}}
	}
	counts := append(kind, report.Counts{
		{"records", scan.Records},
		{"tickets", tickets},
		{"comments", comments},
		{"users", users},
		{"exact_duplicates", scan.ExactDuplicates},
		{"already_migrated", alreadyMigrated},
		{"rejected_records", len(rejects)},
		{"rejected", rejected},
		{"rejected_tickets", rejectedTickets},
		{"warnings", report.Counts{
			{"invalid_utf8", scan.InvalidUTF8Body},
			{"public_defaulted", scan.PublicDefaulted},
			{"ticket_fields_conflict", scan.TicketConflicts},
			{"identity_split", len(splits)},
		}},
	}...)
	if len(splits) > 0 {
		counts = append(counts, report.Count{"identity_splits", splits})
	}
	return counts
}

// publish puts the finished files and report.json in place as one set
// (SPEC section 2): report.json is complete under its temporary name before
// the first file is renamed, and renamed last. A stopped run moves nothing.
func publish(ctx context.Context, o *Options, rec *report.Step, files ...*workspace.AtomicFile) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted before the files were published: %w", context.Cause(ctx))
	}
	rec.Seconds = rec.Elapsed()
	staged, err := report.Stage(o.WorkDir, rec)
	if err != nil {
		return err
	}
	defer staged.Abort()
	for _, f := range files {
		if err := f.Commit(); err != nil {
			return err
		}
	}
	return staged.Commit()
}
