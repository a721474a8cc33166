package steps

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/pacer"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/ticketapi"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// FetchDir is the folder under the work dir that keeps the pages fetched so
// far until fetch-users completes, so that a rerun after a failure fetches
// only the pages it lacks.
const FetchDir = ".fetch-users"

// Credentials come from these environment variables, never from a flag, so
// that the password is not in the process's arguments.
const (
	EnvAPIUser     = "MIGRATE_API_USER"
	EnvAPIPassword = "MIGRATE_API_PASSWORD"
)

// FetchUsers is the fetch-users step (SPEC section 8), the seed's
//
//	for i in {1..567}; do
//	    curl .../api/v1/users.json?page=$i -u user:password | jq '.users[] | [.id, .email] | @csv' >> ticket_platform_users.csv
//	done
//
// done right: every page read (ticketapi.Fetch), the users written to
// ticket_platform_users.csv (or to --ticket-users FILE when that names a
// file that does not exist yet) only once all of them are in.
//
// It is skipped, with a note, when --ticket-users names an existing export:
// fetching would overwrite the file the user asked to use. The counts are
// pages (the empty page that ends the paging included), users, retries and
// warnings.
func FetchUsers(ctx context.Context, env *Env, _ *Memo) (report.Counts, error) {
	opt := &env.Opt
	if t := opt.TicketUsers; t != "" {
		if _, err := os.Stat(t); err == nil {
			if !opt.Quiet && env.Stderr != nil {
				fmt.Fprintf(env.Stderr, "fetch-users: skipped, %s already holds the ticket platform users (remove it to fetch them again)\n", t)
			}
			return nil, nil
		}
	}
	cfg, err := fetchConfig(env)
	if err != nil {
		return nil, err
	}
	res, err := ticketapi.Fetch(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := writeTicketUsers(opt.TicketUsersPath(), res.Users); err != nil {
		return nil, err
	}
	if err := res.Discard(); err != nil {
		return nil, err
	}
	return report.Counts{
		{"pages", res.Pages},
		{"users", len(res.Users)},
		{"retries", res.Retries},
		{"warnings", report.Counts{
			{"invalid_email", res.Warnings.InvalidEmail},
			{"ticket_platform_count_mismatch", res.Warnings.CountMismatch},
			{"ticket_platform_count_ignored", res.Warnings.CountIgnored},
		}},
	}, nil
}

// fetchConfig is what ticketapi.Fetch needs from the options and the
// environment; the credentials must both be set.
func fetchConfig(env *Env) (ticketapi.Config, error) {
	opt := &env.Opt
	getenv := env.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg := ticketapi.Config{
		BaseURL:      opt.APIURL,
		User:         getenv(EnvAPIUser),
		Password:     getenv(EnvAPIPassword),
		Concurrency:  opt.Concurrency,
		Retries:      opt.Retries,
		Timeout:      opt.Timeout,
		MaxRetryWait: opt.MaxRetryWait,
		Dir:          filepath.Join(opt.WorkDir, FetchDir),
		Sleep:        env.Sleep,
		Progress:     env.Progress,
		Warnings:     env.Stderr,
	}
	if !opt.Quiet {
		cfg.Notes = env.Stderr
	}
	if opt.APIURL == "" {
		return cfg, fail.Usagef("no ticket platform address: give --api-url URL, or an existing export with --ticket-users FILE")
	}
	var missing []string
	if cfg.User == "" {
		missing = append(missing, EnvAPIUser)
	}
	if cfg.Password == "" {
		missing = append(missing, EnvAPIPassword)
	}
	if len(missing) > 0 {
		return cfg, fail.Usagef("the ticket platform's credentials are not in the environment (%s not set): export %s and %s (never on the command line), or give an existing export with --ticket-users FILE",
			strings.Join(missing, " and "), EnvAPIUser, EnvAPIPassword)
	}
	if c := env.HTTPClient; c != nil && c.Transport != nil {
		t, ok := c.Transport.(*http.Transport)
		if !ok {
			return cfg, fail.Failf("fetch-users needs Env.HTTPClient's transport to be an *http.Transport, so that it can hold it to the connection rules; got %T", c.Transport)
		}
		cfg.Transport = t
	}
	return cfg, nil
}

// writeTicketUsers writes ticket_platform_users.csv (SPEC section 2): id,email
// in API order, the email as the API gave it, empty when null or invalid.
// It appears under its name only once complete.
func writeTicketUsers(path string, users []ticketapi.User) error {
	a, err := workspace.CreateAtomic(path)
	if err != nil {
		return err
	}
	defer a.Abort()
	w := csv.NewWriter(a)
	w.Write([]string{"id", "email"})
	for _, u := range users {
		w.Write([]string{strconv.FormatInt(u.ID, 10), u.Email})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fail.Failf("cannot write %s: %w", path, err)
	}
	return a.Commit()
}

// SleepContext waits d, or less when ctx is done: the real Env.Sleep.
func SleepContext(ctx context.Context, d time.Duration) error {
	return pacer.Sleep(ctx, d)
}

var fetchUsersStep = Step{
	Name: "fetch-users",
	Run: func(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error {
		counts, err := FetchUsers(ctx, env, memo)
		rec.Counts = counts
		if err == nil && counts != nil {
			if f, err := workspace.Describe(env.Opt.TicketUsersPath(), RoleTicketUsers); err == nil {
				rec.AddOutput(f)
			}
		}
		return err
	},
	Writes: func(o *Options) []string {
		if o.ticketUsersGiven() {
			return nil // skipped: the named export is read, not replaced
		}
		return []string{o.TicketUsersPath()}
	},
}
