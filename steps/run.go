package steps

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/report"
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
}

// Step is one stage of the migration.
type Step struct {
	Name string
	// Run does the work and returns the step's counts for report.json. memo
	// holds what earlier steps of this process handed on.
	Run func(ctx context.Context, env *Env, memo *Memo) (report.Counts, error)
}

// Pipeline is every step in the order --steps all runs them.
var Pipeline = []Step{
	{"fetch-users", FetchUsers},
	{"chat-users", ChatUsers},
	{"merge-users", MergeUsers},
	{"build", Build},
	{"verify", Verify},
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
		if all {
			if s.Name == "fetch-users" && !fetchWanted(o) {
				continue
			}
			out = append(out, s)
			continue
		}
		if want[s.Name] {
			out = append(out, s)
		}
	}
	return out, nil
}

func fetchWanted(o *Options) bool {
	if o.TicketUsers != "" {
		if _, err := os.Stat(o.TicketUsers); err == nil {
			return false
		}
	}
	return o.APIURL != ""
}

func stepNames() string {
	var names []string
	for _, s := range Pipeline {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// Run checks the options, then runs steps in order, writing each step's
// counts to report.json as it finishes. It stops at the first error and
// returns the reports of the steps that finished.
func Run(ctx context.Context, env *Env, steps []Step) ([]report.Step, error) {
	if err := env.Opt.Validate(); err != nil {
		return nil, err
	}
	memo := newMemo(steps)
	var reports []report.Step
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return reports, fmt.Errorf("interrupted before %s: %w", s.Name, context.Cause(ctx))
		}
		start := time.Now()
		counts, err := s.Run(ctx, env, memo)
		if counts != nil {
			r := report.Step{Name: s.Name, Seconds: time.Since(start).Seconds(), Counts: counts}
			reports = append(reports, r)
			if werr := report.Write(env.Opt.WorkDir, []report.Step{r}); werr != nil && err == nil {
				err = werr
			}
		}
		if err != nil {
			return reports, fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return reports, nil
}
