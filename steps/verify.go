package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/verify"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// Verify is the verify step (SPEC section 9): it reads the archive back, as
// the destination would, and lists every way it breaks the contract,
//
//	backup_tickets_3.json: data.tickets.comments[17].author_id: 999 names no user in the archive or in ticket_platform_users.csv
//
// at most verify.MaxPrinted lines, then how many more. The authors and
// requesters may be users of the ticket platform, so its export is read
// too; without one, only the archive's users count. Violations make the
// error exit status fail.Violations; a missing or unreadable archive or
// ticket platform export is bad input (fail.Usage).
func Verify(ctx context.Context, env *Env, _ *Memo) (report.Counts, error) {
	archive := env.Opt.ArchivePath()
	cfg := verify.Config{
		Name:        archive,
		Out:         env.Stdout,
		Now:         env.Now,
		TicketUsers: env.Opt.TicketUsersPath(),
	}
	tp, err := workspace.ReadTicketUsers(cfg.TicketUsers, value.NewNulls(env.Opt.NullValues))
	switch {
	case errors.Is(err, workspace.ErrNoTicketUsers):
		cfg.TicketUsersMissing = true
	case err != nil:
		return nil, err
	default:
		cfg.TicketUserIDs = tp.SortedIDs()
	}
	epoch, epochSet, err := workspace.SourceDateEpoch(env.Getenv)
	if err != nil {
		return nil, err
	}
	if epochSet {
		cfg.SourceDateEpoch = time.Unix(epoch, 0)
	}

	f, size, err := openArchive(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	task := env.Progress.Start("verify", "bytes", size)
	defer task.Done()
	cfg.Progress = task.Add
	res, err := verify.Archive(ctx, f, cfg)
	switch {
	case errors.Is(err, verify.ErrNotGzip):
		return nil, fail.Usagef("%w: run the build step to write it, or name the right file with --out", err)
	case err != nil && ctx.Err() != nil:
		// It wraps context.Cause(ctx): a signal keeps its exit status.
		return nil, err
	case err != nil:
		return nil, fail.Failf("%w", err)
	}

	counts := report.Counts{{"violations", res.Violations}}
	if res.Violations == 0 {
		return counts, nil
	}
	noun := "violations"
	if res.Violations == 1 {
		noun = "violation"
	}
	msg := fmt.Sprintf("%d %s in %s", res.Violations, noun, archive)
	if res.Partial {
		msg += " (references not checked: part of the archive could not be read)"
	}
	return counts, &fail.Error{Code: fail.Violations, Err: errors.New(msg)}
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

var verifyStep = Step{
	Name: "verify",
	Run: func(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error {
		counts, err := Verify(ctx, env, memo)
		rec.Counts = counts
		return err
	},
	Reads: func(o *Options) []Input {
		tp := o.ticketUsers()
		tp.Optional = true
		return []Input{{Path: o.ArchivePath(), What: "the archive (--out)", MadeBy: "build"}, tp}
	},
}
