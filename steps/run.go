package steps

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// Env is what a step needs besides its options: where to print, the clock
// and the environment.
type Env struct {
	Opt    Options
	Stdout io.Writer
	Stderr io.Writer
	// Now is the moment the run started; timestamps after it are invalid.
	Now time.Time
	// Getenv reads the environment (credentials, SOURCE_DATE_EPOCH).
	Getenv func(string) string
	// HTTPClient is used by fetch-users; nil means a default client.
	HTTPClient *http.Client
	// Sleep waits between retries; nil means a real, context-aware sleep.
	// Tests inject one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Progress reports long work on Stderr.
	Progress *progress.Reporter
	// Args are the command line, recorded in the work dir's lock.
	Args []string
	// Version is the program's version, recorded in report.json.
	Version string
}

// Step is one stage of the migration.
type Step struct {
	Name string
	// Run does the work. It records its counts and the files it read and
	// wrote in rec, which the runner writes to report.json unless the step
	// did (rec.Written); memo holds what earlier steps of this process
	// handed on.
	Run func(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error
	// Reads lists the files the step reads, for the checks made before
	// the first step runs.
	Reads func(o *Options) []Input
	// Writes lists the files the step writes.
	Writes func(o *Options) []string
	// Check, when set, checks what else the step needs before any step
	// runs (the earlier runs --delta continues).
	Check func(o *Options) error
	// Alone is set for the steps that --steps all never runs.
	Alone bool
}

// Input is a file a step reads.
type Input struct {
	Path string
	// What names the file for a person: "the chat export (--chat-csv)".
	What string
	// MadeBy is the step that writes it, "" when only the user gives it.
	MadeBy string
	// Optional inputs may be missing.
	Optional bool
	// Hint, when set, says what to do when the file is missing.
	Hint string
	// Regular inputs are read more than once: a pipe is refused.
	Regular bool
}

// Pipeline is every step, in the order they run; --steps all runs those
// that are not Alone.
var Pipeline = []Step{
	fetchUsersStep,
	chatUsersStep,
	mergeUsersStep,
	buildStep,
	verifyStep,
	inspectStep,
	historyStep,
}

// Select resolves a --steps value ("all" or a comma list) to steps in
// pipeline order. With "all", fetch-users runs only when an API URL is given
// and no existing export is named with --ticket-users.
func Select(list []string, o *Options) ([]Step, error) {
	want := map[string]bool{}
	all := false
	for _, name := range list {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if name == "all" {
			all = true
			continue
		}
		known := false
		for _, s := range Pipeline {
			known = known || s.Name == name
		}
		if !known {
			return nil, fail.Usagef("unknown step %q: use all or a comma list of %s", name, stepNames())
		}
		want[name] = true
	}
	if !all && len(want) == 0 {
		return nil, fail.Usagef("--steps is empty: use all or a comma list of %s", stepNames())
	}
	var out []Step
	for _, s := range Pipeline {
		switch {
		case want[s.Name]:
			out = append(out, s)
		case !all || s.Alone:
		case s.Name == fetchUsersStep.Name && !fetchWanted(o):
		default:
			out = append(out, s)
		}
	}
	return out, nil
}

func fetchWanted(o *Options) bool {
	return !o.ticketUsersGiven() && o.APIURL != ""
}

func stepNames() string {
	var names []string
	for _, s := range Pipeline {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// Run checks the options, takes the work dir, checks every input and
// output, then runs steps in order, writing each step's object of
// report.json as it finishes. It stops at the first error and returns the
// reports of the steps that ran.
func Run(ctx context.Context, env *Env, steps []Step) ([]*report.Step, error) {
	o := &env.Opt
	if err := o.Validate(); err != nil {
		return nil, err
	}
	// SOURCE_DATE_EPOCH is checked with the flags when a step reads it, so
	// that a bad value stops the run before chat-users writes anything.
	for _, s := range steps {
		if s.Name == buildStep.Name || s.Name == verifyStep.Name {
			if _, _, err := workspace.SourceDateEpoch(env.Getenv); err != nil {
				return nil, err
			}
			break
		}
	}
	unlock, err := workspace.Lock(o.WorkDir, env.Args)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := o.recall(steps, env.Stderr); err != nil {
		return nil, err
	}
	if err := preflight(o, steps); err != nil {
		return nil, err
	}
	memo := newMemo(steps)
	defer memo.Close()
	var reports []*report.Step
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return reports, fmt.Errorf("interrupted before %s: %w", s.Name, context.Cause(ctx))
		}
		rec := &report.Step{Name: s.Name, StartedAt: time.Now(), Version: env.Version, Options: o.reportOptions()}
		err := s.Run(ctx, env, memo, rec)
		memo.done(s.Name)
		rec.Seconds = time.Since(rec.StartedAt).Seconds()
		if rec.Counts != nil {
			reports = append(reports, rec)
			if !rec.Written && ctx.Err() == nil {
				if werr := report.Write(o.WorkDir, rec); werr != nil && err == nil {
					err = werr
				}
			}
		}
		if err != nil {
			return reports, fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return reports, nil
}

// warn prints a warning for a person on stderr.
func (env *Env) warn(format string, args ...any) {
	if env.Stderr != nil {
		fmt.Fprintf(env.Stderr, "warning: "+format+"\n", args...)
	}
}
