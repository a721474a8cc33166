package steps

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/migrate-tool/migrate/frame"
)

// Build is the build step: tickets, comments and users into the archive,
// rejects.csv, and the nothing-lost reconciliation (SPEC sections 4 to 7).
func Build(ctx context.Context, env *Env) (Counts, error) {
	o := &env.Opt
	if o.BatchSize < 1 || o.BatchSize > 100 {
		return nil, Usagef("--batch-size must be 1 to 100 (the destination refuses more), not %d", o.BatchSize)
	}
	if o.BodyFormat != "text" && o.BodyFormat != "html" {
		return nil, Usagef("--body-format must be text or html, not %q", o.BodyFormat)
	}
	if o.ExistingUsers != "include" && o.ExistingUsers != "skip" {
		return nil, Usagef("--existing-users must be include or skip, not %q", o.ExistingUsers)
	}
	if o.Layout != "seed" {
		return nil, Usagef("--layout must be seed, not %q", o.Layout)
	}
	if o.Indent < 0 || o.Indent > 16 {
		return nil, Usagef("--indent must be 0 (compact) to 16, not %d", o.Indent)
	}
	if o.CompressionLevel < 1 || o.CompressionLevel > 9 {
		return nil, Usagef("--compression-level must be 1 to 9, not %d", o.CompressionLevel)
	}
	mtime, fixed, err := sourceDateEpoch(env)
	if err != nil {
		return nil, err
	}

	s := env.scan
	if s == nil {
		so, err := newScanOptions(env, true)
		if err != nil {
			return nil, err
		}
		if s, err = scanChat(ctx, so); err != nil {
			return nil, err
		}
	}
	merged, err := loadMerged(env)
	if err != nil {
		return nil, err
	}
	dest, err := destinationIDs(merged, s, env)
	if err != nil {
		return nil, err
	}

	// Everything the archive holds, as columns.
	a := &archiveData{}
	for t := range s.Tickets.ID {
		if !s.Tickets.HasFields[t] {
			continue
		}
		a.tickets.id = append(a.tickets.id, s.Tickets.ID[t])
		a.tickets.created = append(a.tickets.created, s.Tickets.Created[t])
		a.tickets.requester = append(a.tickets.requester, dest[s.Tickets.Requester[t]])
	}
	c := &s.Comments
	a.comments.created, a.comments.ticket, a.comments.id = c.Created, c.Ticket, c.ID
	a.comments.public, a.comments.body = c.Public, c.Body
	a.comments.author = make([]int64, len(c.Author))
	for i, id := range c.Author {
		a.comments.author[i] = dest[id]
	}
	for i, name := range merged.names {
		if o.ExistingUsers == "skip" && merged.sources[i] == SourceTicketPlatform {
			continue
		}
		a.users.name = append(a.users.name, name)
		a.users.email = append(a.users.email, merged.emails[i])
		a.users.id = append(a.users.id, merged.ids[i])
	}
	if !fixed {
		mtime = a.newest()
	}

	// Nothing is lost silently: check before anything is written.
	written := len(a.comments.id)
	if s.Records != written+s.ExactDuplicates+len(s.rejects) {
		return nil, Failf("internal error: %d records read but %d comments + %d exact duplicates + %d rejected; nothing was written, please report this",
			s.Records, written, s.ExactDuplicates, len(s.rejects))
	}

	if err := writeRejects(filepath.Join(o.WorkDir, RejectsFile), s); err != nil {
		return nil, err
	}
	files, size, err := writeArchive(o.ArchivePath(), a, archiveOptions{
		batch: o.BatchSize, html: o.BodyFormat == "html", indent: o.Indent,
		level: o.CompressionLevel, mtime: mtime, progress: env.Progress,
	})
	if err != nil {
		return nil, err
	}

	byReason := map[RejectReason]int{}
	for _, r := range s.rejects {
		byReason[r.reason]++
	}
	rejected := Counts{}
	for _, r := range rejectReasons {
		rejected.Add(r.String(), byReason[r])
	}
	return Counts{
		{"records", s.Records},
		{"tickets", len(a.tickets.id)},
		{"comments", written},
		{"users", len(a.users.id)},
		{"exact_duplicates", s.ExactDuplicates},
		{"rejected_records", len(s.rejects)},
		{"rejected", rejected},
		{"rejected_tickets", s.RejectedTickets()},
		{"warnings", Counts{
			{"invalid_utf8", s.InvalidUTF8Body},
			{"public_defaulted", s.PublicDefaulted},
			{"ticket_fields_conflict", s.TicketConflicts},
		}},
		{"archive_files", files},
		{"archive_bytes", size},
	}, nil
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH, the fixed entry time of the archive.
func sourceDateEpoch(env *Env) (int64, bool, error) {
	v := ""
	if env.Getenv != nil {
		v = env.Getenv("SOURCE_DATE_EPOCH")
	}
	if v == "" {
		return 0, false, nil
	}
	t, err := strconv.ParseInt(v, 10, 64)
	if err != nil || t < 0 {
		return 0, false, Usagef("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970: unset it or fix it", v)
	}
	return t, true, nil
}

// mergedTable is merged_users.csv, read and checked once.
type mergedTable struct {
	names, emails, sources []string
	ids                    []int64   // destination ids
	chatIDs                [][]int64 // the chat ids of each user
}

// loadMerged takes the merged users from memory when merge-users ran in this
// process, else from merged_users.csv.
func loadMerged(env *Env) (*mergedTable, error) {
	path := filepath.Join(env.Opt.WorkDir, MergedUsersFile)
	df, line, err := readFrame(env.merged, path, mergedColumns, "merge-users")
	if err != nil {
		return nil, err
	}
	ids, bad := frame.Cast(df, "id", frame.ParseID)
	if len(bad) > 0 {
		return nil, Usagef("%s: line %d: id %q is not a valid id (rerun the merge-users step)", path, line(bad[0]), frame.Column(df, "id")[bad[0]])
	}
	lists, bad := frame.Cast(df, "chat_ids", parseChatIDs)
	if len(bad) > 0 {
		return nil, Usagef("%s: line %d: chat_ids is not a list of ids (rerun the merge-users step)", path, line(bad[0]))
	}
	return &mergedTable{
		names:   frame.Column(df, "name"),
		emails:  frame.Column(df, "email"),
		sources: frame.Column(df, "source"),
		ids:     ids,
		chatIDs: lists,
	}, nil
}

// destinationIDs maps every chat id to its user's destination id, and checks
// that every chat id of the chat data has one.
func destinationIDs(merged *mergedTable, s *Scan, env *Env) (map[int64]int64, error) {
	dest := make(map[int64]int64, len(merged.ids))
	for i, list := range merged.chatIDs {
		for _, c := range list {
			dest[c] = merged.ids[i]
		}
	}
	for _, u := range s.Users {
		for _, c := range u.ChatIDs {
			if _, ok := dest[c]; !ok {
				return nil, Usagef("%s has no user for chat id %d, first seen on line %d of %s: it was made from other chat data; rerun chat-users and merge-users",
					filepath.Join(env.Opt.WorkDir, MergedUsersFile), c, u.firstLine, s.File)
			}
		}
	}
	return dest, nil
}

// writeRejects writes rejects.csv: record, line, reason and the raw values.
// The raw values of records rejected after parsing (conflicting_duplicate,
// ticket_rejected) are read again from the file.
func writeRejects(path string, s *Scan) error {
	if err := refillRejects(s); err != nil {
		return err
	}
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	w := csv.NewWriter(f)
	w.Write(append([]string{"record", "line", "reason"}, s.Header...))
	row := []string{}
	for _, r := range s.rejects {
		row = append(row[:0], strconv.Itoa(r.record), strconv.Itoa(r.line), r.reason.String())
		row = append(row, r.fields...)
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return Failf("cannot write %s: %v", path, err)
	}
	return f.Commit()
}

// refillRejects reads chat_data.csv again for the records rejected only at
// the end (ticket_rejected), whose raw values were not kept.
func refillRejects(s *Scan) error {
	want := map[int]int{}
	for i, r := range s.rejects {
		if r.fields == nil {
			want[r.record] = i
		}
	}
	if len(want) == 0 {
		return nil
	}
	f, err := os.Open(s.File)
	if err != nil {
		return Failf("cannot read %s again for rejects.csv: %v", s.File, err)
	}
	defer f.Close()
	r := frame.NewReader(f)
	r.LazyQuotes = s.lazyQuotes
	if _, _, err := r.Read(); err != nil {
		return Failf("cannot read %s again for rejects.csv: %v", s.File, err)
	}
	for rec := 1; len(want) > 0; rec++ {
		fields, line, err := r.Read()
		if errors.Is(err, io.EOF) {
			return Failf("%s changed while migrate was reading it: rerun build", s.File)
		}
		var perr *frame.ParseError
		if err != nil && !errors.As(err, &perr) {
			return Failf("cannot read %s again for rejects.csv: %v", s.File, err)
		}
		if i, ok := want[rec]; ok {
			s.rejects[i].fields, s.rejects[i].line = fields, line
			delete(want, rec)
		}
	}
	return nil
}
