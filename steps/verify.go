package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/state"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/verify"
	"github.com/migrate-tool/migrate/internal/workspace"
)

var verifyStep = Step{
	Name: "verify",
	Run:  Verify,
	Reads: func(o *Options) []Input {
		tp := o.ticketUsers()
		// The work dir's file if present; a file the user names must be there.
		tp.Optional = o.TicketUsers == ""
		return []Input{{Path: o.ArchivePath(), What: "the archive (--out)", MadeBy: "build"}, tp}
	},
}

// Verify is the verify step (SPEC section 9): it reads the archive back, as
// the destination would, and lists every way it breaks the contract,
//
//	backup_tickets_3.json: data.tickets.comments[17].author_id: 999 names no user in the archive or in ticket_platform_users.csv
//
// at most verify.MaxPrinted lines, then how many more. The authors and
// requesters may be users of the ticket platform, so its export is read
// too (without one, only the archive's users count), and users that earlier
// runs of the archive's lineage wrote, from migrate.db. When report.json
// records the archive, its size and SHA-256 must match: a set left
// half-published by a crash is a violation. Violations make the error exit
// status fail.Violations; a missing or unreadable archive or ticket platform
// export is bad input (fail.Usage).
func Verify(ctx context.Context, env *Env, _ *Memo, rec *report.Step) error {
	o := &env.Opt
	archive := o.ArchivePath()
	cfg := verify.Config{
		Name:        archive,
		Out:         env.Stdout,
		Now:         env.Now,
		TicketUsers: o.TicketUsersPath(),
	}
	tp, err := workspace.ReadTicketUsers(cfg.TicketUsers, value.NewNulls(o.NullValues))
	switch {
	case errors.Is(err, workspace.ErrNoTicketUsers):
		cfg.TicketUsersMissing = true
	case err != nil:
		return err
	default:
		cfg.TicketUserIDs = tp.SortedIDs()
		if f, err := workspace.Describe(tp.Path, RoleTicketUsers); err == nil {
			rec.AddInput(f)
		}
	}
	epoch, epochSet, err := workspace.SourceDateEpoch(env.Getenv)
	if err != nil {
		return err
	}
	if epochSet {
		cfg.SourceDateEpoch = time.Unix(epoch, 0)
	}

	f, size, err := openArchive(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	// The archive's checksum first (it is small beside the JSON it holds):
	// it names the run that wrote the archive, whose lineage's users count.
	read, sum, err := workspace.HashFile(archive, func() error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot read the archive %s: %w", archive, err)
	}
	rec.AddInput(workspace.File{Role: RoleArchive, Path: archive, Size: read, SHA256: sum})
	if known, where := lineageUsers(o, sum); known != nil {
		cfg.KnownUser, cfg.KnownUsers = func(id int64) bool { return known[id] }, where
	}

	task := env.Progress.Start("verify", "bytes", size)
	defer task.Done()
	cfg.Progress = task.Add
	res, err := verify.Archive(ctx, f, cfg)
	switch {
	case errors.Is(err, verify.ErrNotGzip):
		return fail.Usagef("%w: run the build step to write it, or name the right file with --out", err)
	case err != nil && ctx.Err() != nil:
		// It wraps context.Cause(ctx): a signal keeps its exit status.
		return err
	case err != nil:
		return fail.Failf("%w", err)
	}
	violations := res.Violations
	if line := checkPublished(o, archive, read, sum); line != "" {
		fmt.Fprintln(env.Stdout, line)
		violations++
	}

	rec.Counts = report.Counts{{"violations", violations}}
	if violations == 0 {
		return nil
	}
	noun := "violations"
	if violations == 1 {
		noun = "violation"
	}
	msg := fmt.Sprintf("%s %s in %s", report.Number(violations), noun, archive)
	if res.Partial {
		msg += " (references not checked: part of the archive could not be read)"
	}
	return &fail.Error{Code: fail.Violations, Err: errors.New(msg)}
}

// checkPublished compares the archive with what report.json in the work
// dir recorded of it, when it recorded this archive: a build killed between
// its renames leaves an archive that is not the one its report describes.
func checkPublished(o *Options, archive string, size int64, sum string) string {
	reportPath := workspace.Path(o.WorkDir, workspace.ReportFile)
	rec, ok := report.Output(reportPath, "build", RoleArchive)
	if !ok || !sameFile(rec.Path, archive) || rec.SHA256 == "" {
		return ""
	}
	if rec.Size == size && rec.SHA256 == sum {
		return ""
	}
	return fmt.Sprintf("%s: %d bytes, SHA-256 %s, but %s recorded %d bytes, SHA-256 %s: the set of files a build publishes is incomplete (a build stopped while publishing it?); run build again",
		strconv.Quote(archive), size, sum, reportPath, rec.Size, rec.SHA256)
}

// lineageUsers returns the users that earlier runs of the archive's lineage
// wrote, when migrate.db in the work dir recorded the run that wrote this
// archive (its SHA-256 is sum); nil otherwise.
func lineageUsers(o *Options, sum string) (map[int64]bool, string) {
	if _, err := os.Stat(o.statePath()); err != nil {
		return nil, ""
	}
	db, err := state.Open(o.statePath())
	if err != nil {
		return nil, ""
	}
	defer db.Close()
	runs, err := db.Runs()
	if err != nil {
		return nil, ""
	}
	for _, r := range runs {
		if r.Archive.SHA256 != sum {
			continue
		}
		users, err := db.UsersBefore(r.Lineage, r.ID)
		if err != nil || len(users) == 0 {
			return nil, ""
		}
		return users, fmt.Sprintf("written by earlier runs of lineage %d in %s", r.Lineage, o.statePath())
	}
	return nil, ""
}

// openArchive opens the archive and returns its size. It must be a file:
// a folder, a named pipe or a device given with --out is bad usage, said
// before anything is read (opening a named pipe would wait for a writer).
func openArchive(path string) (*os.File, int64, error) {
	st, err := os.Stat(path)
	if err == nil && !st.Mode().IsRegular() {
		what := "not a regular file"
		switch mode := st.Mode(); {
		case mode.IsDir():
			what = "a directory"
		case mode&os.ModeNamedPipe != 0:
			what = "a named pipe"
		case mode&os.ModeDevice != 0:
			what = "a device"
		}
		return nil, 0, fail.Usagef("the archive %s is %s, not a file: name the archive file with --out", path, what)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fail.Usagef("cannot read the archive %s: %w; run the build step first (--steps build) or name the archive with --out", path, errors.Unwrap(err))
	}
	size := int64(-1) // unknown
	if st != nil {
		size = st.Size()
	}
	return f, size, nil
}
