package steps

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/migrate-tool/migrate/internal/chatscan"
	"github.com/migrate-tool/migrate/internal/delta"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/state"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// What build does with migrate.db (SPEC section 12): the ids of a delta
// run, and the record of every successful run.

// statePath is migrate.db in the work dir.
func (o *Options) statePath() string { return workspace.Path(o.WorkDir, state.File) }

// checkDelta makes --delta bad usage, before any step runs, when the work
// dir holds no successful build to continue.
func checkDelta(o *Options) error {
	if !o.Delta {
		return nil
	}
	if _, err := os.Stat(o.statePath()); err != nil {
		return fail.Because(fail.Usage, state.ErrNoRun, "--delta continues the runs recorded in %s, but there is none: run a full build first (without --delta)", o.statePath())
	}
	db, err := state.Open(o.statePath())
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := newestLineage(db); err != nil {
		return err
	}
	return nil
}

// newestLineage loads what the newest lineage of runs wrote.
func newestLineage(db *state.DB) (*state.Lineage, error) {
	newest, err := db.Newest()
	if errors.Is(err, state.ErrNoRun) {
		return nil, fail.Because(fail.Usage, state.ErrNoRun, "--delta continues the runs recorded in %s, but it records none: run a full build first (without --delta)", db.Path())
	}
	if err != nil {
		return nil, err
	}
	return db.Lineage(newest.Lineage)
}

// buildIDs are the destination ids of a build: of every chat id, and of
// each merged user, whether the run writes it, and the identity splits.
type buildIDs struct {
	dest   map[int64]int64
	users  []int64
	write  []bool
	splits []delta.Split
}

// destinationIDs maps every chat id of the export to its user's destination
// id: the merged users' ids, kept as its lineage wrote them in a delta run.
// A chat id of the export that no merged user holds means merged_users.csv
// was made from other data.
func destinationIDs(users *workspace.MergedUsers, scan *chatscan.Result, lineage *state.Lineage, o *Options, path string) (*buildIDs, error) {
	ids := &buildIDs{dest: users.Dest(), users: users.IDs, write: make([]bool, len(users.IDs))}
	for i := range ids.write {
		ids.write[i] = true
	}
	for _, u := range scan.Users {
		for k, c := range u.ChatIDs {
			if _, ok := ids.dest[c]; !ok {
				return nil, fail.Usagef("%s has no user for chat id %d, first seen on line %d of %s: it was made from other chat data; rerun chat-users and merge-users",
					path, c, u.Lines[k], scan.File)
			}
		}
	}
	if lineage == nil {
		return ids, nil
	}
	tpIDs := map[int64]bool{}
	if tp, err := workspace.ReadTicketUsers(o.TicketUsersPath(), value.NewNulls(o.NullValues)); err == nil {
		for _, id := range tp.IDs {
			tpIDs[id] = true
		}
	}
	list := make([]delta.User, len(users.IDs))
	for i := range list {
		list[i] = delta.User{Name: users.Names[i], Email: users.Emails[i], Source: users.Sources[i], ID: users.IDs[i], ChatIDs: users.ChatIDs[i]}
	}
	x, err := delta.Users(list, lineage, tpIDs, workspace.SourceTicketPlatform)
	if err != nil {
		return nil, err
	}
	return &buildIDs{dest: x.Dest, users: x.IDs, write: x.Write, splits: x.Splits}, nil
}

// recordRun records a published build in migrate.db, in one transaction,
// and writes runs/<run id>/created.csv beside it.
func recordRun(db *state.DB, o *Options, rec *report.Step, lineage *state.Lineage, users *workspace.MergedUsers, ids *buildIDs, created *state.Created) error {
	options, _ := json.Marshal(rec.Options)
	counts, _ := json.Marshal(rec.Counts)
	run := &state.Run{Kind: state.Full, StartedAt: rec.StartedAt, FinishedAt: time.Now(), Version: rec.Version,
		Options: options, Counts: counts}
	if lineage != nil {
		run.Kind, run.Lineage = state.Delta, lineage.ID
	}
	for _, f := range append(rec.Inputs, rec.Outputs...) {
		switch f.Role {
		case RoleChatExport:
			run.ChatExport = state.FileRef{Path: f.Path, Size: f.Size, SHA256: f.SHA256}
		case RoleArchive:
			run.Archive = state.FileRef{Path: f.Path, Size: f.Size, SHA256: f.SHA256}
		}
	}
	r, err := db.Begin(run)
	if err != nil {
		return err
	}
	defer r.Rollback()
	wrote := make(map[int64]bool, len(created.UserIDs))
	for _, id := range created.UserIDs {
		wrote[id] = true
	}
	mapped := make([]state.User, len(users.IDs))
	for i := range mapped {
		mapped[i] = state.User{ID: ids.users[i], Email: users.Emails[i], Name: users.Names[i], Source: users.Sources[i],
			ChatIDs: users.ChatIDs[i], Written: wrote[ids.users[i]]}
	}
	if err := r.Record(mapped, created); err != nil {
		return err
	}
	list, err := workspace.CreateAtomic(filepath.Join(o.WorkDir, "runs", strconv.FormatInt(run.ID, 10), "created.csv"))
	if err != nil {
		return err
	}
	defer list.Abort()
	if err := created.WriteCSV(list); err != nil {
		return fail.Failf("cannot write %s: %w", list.Name(), err)
	}
	if err := list.Finish(); err != nil {
		return err
	}
	if err := r.Commit(); err != nil {
		return err
	}
	return list.Commit()
}
