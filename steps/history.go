package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/state"
)

var historyStep = Step{
	Name: "history",
	Run:  History,
	Reads: func(o *Options) []Input {
		return []Input{{Path: o.statePath(), What: "the record of earlier runs", MadeBy: "build"}}
	},
	Alone: true,
}

// History is the history step: the runs recorded in migrate.db, newest
// first, in words a person reads (SPEC section 12).
func History(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error {
	db, err := state.Open(env.Opt.statePath())
	if err != nil {
		return err
	}
	defer db.Close()
	runs, err := db.Runs()
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		fmt.Fprintf(env.Stdout, "%s records no successful build yet.\n", db.Path())
		return nil
	}
	for _, r := range runs {
		fmt.Fprintln(env.Stdout, describeRun(r, env.Opt.WorkDir))
	}
	return nil
}

// describeRun says what a run did, in a few lines.
func describeRun(r state.Run, workDir string) string {
	var c struct {
		Records         int64 `json:"records"`
		Tickets         int64 `json:"tickets"`
		Comments        int64 `json:"comments"`
		Users           int64 `json:"users"`
		ExactDuplicates int64 `json:"exact_duplicates"`
		AlreadyMigrated int64 `json:"already_migrated"`
		Rejected        int64 `json:"rejected_records"`
		Warnings        struct {
			IdentitySplit int64 `json:"identity_split"`
		} `json:"warnings"`
	}
	if err := json.Unmarshal(r.Counts, &c); err != nil {
		return fmt.Sprintf("run %d: %v", r.ID, fail.Failf("its counts cannot be read: %w", err))
	}
	kind := "a full run, which began a new lineage"
	if r.Kind == state.Delta {
		kind = fmt.Sprintf("a delta run, continuing the lineage of run %d", r.Lineage)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "run %d, %s UTC: %s\n", r.ID, r.StartedAt.UTC().Format("2006-01-02 15:04"), kind)
	fmt.Fprintf(&b, "  read %s (%s): %s\n", r.ChatExport.Path, megabytes(r.ChatExport.Size), plural(c.Records, "record"))
	fmt.Fprintf(&b, "  wrote %s, %s and %s to %s (%s, SHA-256 %.12s…)\n",
		plural(c.Tickets, "new ticket"), plural(c.Comments, "new comment"), plural(c.Users, "new user"),
		r.Archive.Path, megabytes(r.Archive.Size), r.Archive.SHA256)
	line := fmt.Sprintf("  %s already migrated, %s dropped as exact duplicates, %s rejected",
		report.Number(c.AlreadyMigrated), report.Number(c.ExactDuplicates), report.Number(c.Rejected))
	if c.Warnings.IdentitySplit > 0 {
		line += fmt.Sprintf("; %s", plural(c.Warnings.IdentitySplit, "identity split"))
	}
	b.WriteString(line + "\n")
	fmt.Fprintf(&b, "  to undo it in the destination, delete what %s lists\n", filepath.Join(workDir, "runs", fmt.Sprint(r.ID), "created.csv"))
	return b.String()
}
