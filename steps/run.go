package steps

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// Step is one stage of the migration.
type Step struct {
	Name string
	// Run does the work and returns the step's counts for report.json.
	Run func(ctx context.Context, env *Env) (Counts, error)
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
			return nil, Usagef("unknown step %q: use all or a comma list of %s", name, stepNames())
		}
		want[name] = true
	}
	if !all && len(want) == 0 {
		return nil, Usagef("--steps is empty: use all or a comma list of %s", stepNames())
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

// Run runs steps in order, writing each step's counts to report.json as it
// finishes. It stops at the first error and returns the reports of the steps
// that finished.
func Run(ctx context.Context, env *Env, steps []Step) ([]StepReport, error) {
	var reports []StepReport
	for _, s := range steps {
		env.buildFollows = env.buildFollows || s.Name == "build"
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return reports, Failf("interrupted before %s", s.Name)
		}
		start := time.Now()
		counts, err := s.Run(ctx, env)
		if counts != nil {
			r := StepReport{Step: s.Name, Seconds: time.Since(start).Seconds(), Counts: counts}
			reports = append(reports, r)
			if werr := WriteReport(env.Opt.WorkDir, []StepReport{r}); werr != nil && err == nil {
				err = werr
			}
		}
		if err != nil {
			return reports, fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	return reports, nil
}
