package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/archive"
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

// checkState stops a build, before any step runs, whose migrate.db it
// cannot use (not a migrate database, or a newer one's: exit status 2), and
// makes --delta bad usage when the work dir holds no successful build to
// continue.
func checkState(o *Options) error {
	if err := state.Check(o.statePath()); err != nil {
		return err
	}
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
	if _, err := db.Newest(); errors.Is(err, state.ErrNoRun) {
		return fail.Because(fail.Usage, state.ErrNoRun, "--delta continues the runs recorded in %s, but it records none: run a full build first (without --delta)", db.Path())
	} else if err != nil {
		return err
	}
	return nil
}

// warnUnrecorded warns when report.json records an archive that no run in
// db wrote: a build killed after it published its set and before it
// recorded itself (the set is published first, SPEC section 12). Whether
// that archive was imported only a person knows; a delta run does not
// know of it.
func warnUnrecorded(env *Env, db *state.DB) {
	objects, err := report.Read(workspace.Path(env.Opt.WorkDir, workspace.ReportFile))
	if err != nil || objects["build"] == nil {
		return
	}
	var build struct {
		Outputs map[string]report.File `json:"outputs"`
	}
	if json.Unmarshal(objects["build"], &build) != nil {
		return
	}
	archive, ok := build.Outputs[RoleArchive]
	if !ok || archive.SHA256 == "" {
		return
	}
	runs, err := db.Runs()
	if err != nil {
		return
	}
	for _, r := range runs {
		if r.Archive.SHA256 == archive.SHA256 {
			return
		}
	}
	env.warn("%s (SHA-256 %.12s…) was published by a build that %s does not record: it was stopped between publishing and recording. If that archive was imported, this run writes its objects again, unless it is that same build rerun (same export and flags: the same archive, now recorded)",
		archive.Path, archive.SHA256, db.Path())
}

// commentOptions are the options that change a comment's JSON, and so the
// hash a delta run compares with the one its lineage recorded.
var commentOptions = []struct{ key, flag string }{
	{"body_format", "--body-format"}, {"invalid_utf8", "--invalid-utf8"}, {"timezone", "--timezone"},
	{"timestamp_formats", "--timestamp-format"}, {"true_values", "--true-values"},
	{"false_values", "--false-values"}, {"public_default", "--public-default"},
}

// warnChangedOptions warns a delta run whose options write comments
// otherwise than the newest run recorded did: every message already
// migrated would compare as changed (changed_after_migration), and the run
// would stop on the reject rate with no word of why.
func warnChangedOptions(env *Env, db *state.DB) {
	newest, err := db.Newest()
	if err != nil {
		return
	}
	var then map[string]json.RawMessage
	if json.Unmarshal(newest.Options, &then) != nil {
		return
	}
	now := map[string]any{}
	for _, c := range env.Opt.reportOptions() {
		now[c.Key] = c.Value
	}
	var changed []string
	for _, k := range commentOptions {
		v, ok := now[k.key]
		var raw []byte
		if ok {
			raw, _ = json.Marshal(v)
		}
		if old, had := then[k.key]; had != ok || had && !bytes.Equal(bytes.TrimSpace(old), raw) {
			was := "not given"
			if had {
				was = string(old)
			}
			is := "not given"
			if ok {
				is = string(raw)
			}
			changed = append(changed, fmt.Sprintf("%s %s (run %d: %s)", k.flag, is, newest.ID, was))
		}
	}
	if len(changed) > 0 {
		env.warn("this delta run writes comments with other options than run %d did: %s. Messages already migrated will compare as changed (changed_after_migration); give the options of run %d to add only what is new",
			newest.ID, strings.Join(changed, ", "), newest.ID)
	}
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
	dest  map[int64]int64
	users []int64
	write []bool
	// existing marks, in a delta run, the users that keep a ticket platform
	// id their lineage mapped without writing it (--existing-users skip).
	existing []bool
	splits   []delta.Split
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
	return &buildIDs{dest: x.Dest, users: x.IDs, write: x.Write, existing: x.Existing, splits: x.Splits}, nil
}

// recording is a build's run being recorded in migrate.db: one
// transaction that a goroutine fills while the archive is written (the
// users, the tickets, created.csv under a temporary name, then the comments
// as the archive's files are encoded and their hashes known), that finish
// completes, and that commit makes durable only once the set is published.
// A failed, stopped or killed build leaves it uncommitted: it records
// nothing.
type recording struct {
	db      *state.DB
	r       *state.Recording
	run     *state.Run
	created *state.Created
	list    *workspace.AtomicFile // runs/<id>/created.csv

	encoded atomic.Int64  // archive files encoded so far
	wake    chan struct{} // a file was encoded
	stop    chan struct{} // closed by abort
	done    chan error    // the goroutine's result; nil once received
}

// commentFilesPerInsert is how many archive files' comments the goroutine
// waits for before it records them: fewer, larger statements.
const commentFilesPerInsert = 256

// startRecording opens migrate.db (db when the build already has it) and
// begins recording the run in the background. Pass its Encoded to
// archive.Write.
func startRecording(db *state.DB, o *Options, rec *report.Step, lineage *state.Lineage, users *workspace.MergedUsers, ids *buildIDs, created *state.Created) *recording {
	x := &recording{db: db, created: created, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan error, 1)}
	x.run = &state.Run{Kind: state.Full, StartedAt: rec.StartedAt, FinishedAt: time.Now(), Version: rec.Version}
	x.run.Options, _ = json.Marshal(rec.Options)
	if lineage != nil {
		x.run.Kind, x.run.Lineage = state.Delta, lineage.ID
	}
	for _, f := range rec.Inputs {
		if f.Role == RoleChatExport {
			x.run.ChatExport = state.FileRef{Path: f.Path, Size: f.Size, SHA256: f.SHA256}
		}
	}
	go func() {
		x.done <- x.record(o, users, ids)
	}()
	return x
}

// Encoded tells the recording that the first n archive files are encoded.
func (x *recording) Encoded(n int) {
	x.encoded.Store(int64(n))
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// errStopped ends the goroutine of a recording that abort dropped.
var errStopped = errors.New("the build stopped")

// record is the goroutine's work.
func (x *recording) record(o *Options, users *workspace.MergedUsers, ids *buildIDs) error {
	if x.db == nil {
		db, err := state.Open(o.statePath())
		if err != nil {
			return err
		}
		x.db = db
	}
	r, err := x.db.Begin(x.run)
	if err != nil {
		return err
	}
	x.r = r
	wrote := make(map[int64]bool, len(x.created.UserIDs))
	for _, id := range x.created.UserIDs {
		wrote[id] = true
	}
	mapped := make([]state.User, len(users.IDs))
	for i := range mapped {
		mapped[i] = state.User{ID: ids.users[i], Email: users.Emails[i], Name: users.Names[i], Source: users.Sources[i],
			ChatIDs: users.ChatIDs[i], Written: wrote[ids.users[i]]}
	}
	if err := r.RecordMapped(mapped, ids.dest, x.created); err != nil {
		return err
	}
	if x.list, err = workspace.CreateAtomic(filepath.Join(o.WorkDir, "runs", strconv.FormatInt(x.run.ID, 10), "created.csv")); err != nil {
		return err
	}
	if err := x.created.WriteCSV(x.list); err != nil {
		return fail.Failf("cannot write %s: %w", x.list.Name(), err)
	}
	if err := x.list.Finish(); err != nil {
		return err
	}

	// The comments, as their files are encoded: comment file k is in
	// archive file k.
	c, batch := x.created, x.created.Batch
	total := frame.NumChunks(len(c.CommentIDs), batch)
	for recorded := 0; recorded < total; {
		ready := min(int(x.encoded.Load()), total)
		if ready-recorded < commentFilesPerInsert && ready < total {
			select {
			case <-x.wake:
				continue
			case <-x.stop:
				return errStopped
			}
		}
		lo, hi := recorded*batch, min(ready*batch, len(c.CommentIDs))
		if err := r.CommentFiles(recorded+1, batch, c.CommentIDs[lo:hi], c.CommentTicket[lo:hi], c.CommentHashes[lo:hi]); err != nil {
			return err
		}
		recorded = ready
	}
	return nil
}

// finish waits for the goroutine, then records what is known only now:
// when the run finished, its archive and its counts. All that is left to
// do after the set is published is commit.
func (x *recording) finish(rec *report.Step) error {
	err := <-x.done
	x.done = nil
	if err != nil {
		return err
	}
	var archive state.FileRef
	for _, f := range rec.Outputs {
		if f.Role == RoleArchive {
			archive = state.FileRef{Path: f.Path, Size: f.Size, SHA256: f.SHA256}
		}
	}
	counts, _ := json.Marshal(rec.Counts)
	return x.r.Finish(time.Now(), archive, counts)
}

// commit puts created.csv in place, then records the run for good: a
// build killed in between leaves a created.csv that no run claims, which
// the next run given that id replaces, rather than a recorded run without
// its list.
func (x *recording) commit() error {
	err := x.list.Commit()
	if err == nil {
		err = x.r.Commit()
	}
	if err != nil {
		return fail.Failf("the archive, rejects.csv and report.json were published, but %s could not record the run, so a later build --delta would not know of it: run build again before importing the archive: %w", x.db.Path(), err)
	}
	return nil
}

// abort drops whatever was not committed, and closes migrate.db when the
// recording opened it.
func (x *recording) abort(opened bool) {
	close(x.stop)
	if x.done != nil {
		<-x.done
	}
	if x.r != nil {
		x.r.Rollback()
	}
	if x.list != nil {
		x.list.Abort()
		os.Remove(filepath.Dir(x.list.Name())) // only when empty: a folder a committed run left stays
	}
	if opened && x.db != nil {
		x.db.Close()
	}
}

// hashRows returns the hashes of the comments at rows as the archive would
// write them (archive.HashComments), in two halves at once: a delta run
// hashes every comment its lineage wrote, and nothing else runs meanwhile.
func hashRows(comments *frame.Comments, rows []int32, o archive.Options) ([]uint64, error) {
	half := len(rows) / 2
	hashes := make([]uint64, len(rows))
	var errs [2]error
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = archive.HashComments(comments, rows[:half], o, hashes[:half]) })
	wg.Go(func() { errs[1] = archive.HashComments(comments, rows[half:], o, hashes[half:]) })
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return hashes, nil
}
