// Command migrate carries a support team's chat history and ticket platform
// users into one bulk-import archive for the destination help desk.
//
// See README.md for the job and ../shared/SPEC.md for the contract.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/steps"
	"github.com/spf13/pflag"
)

func main() {
	tuneGC()
	ctx, cancel := context.WithCancelCause(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-signals
		cause := fail.Signal(signalName(s))
		fmt.Fprintf(os.Stderr, "migrate: %v: stopping (press Ctrl-C again to stop at once)\n", cause)
		cancel(cause)
		<-signals
		os.Exit(fail.Code(cause))
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	if errors.Is(err, pflag.ErrHelp) {
		os.Exit(0)
	}
	code := fail.Code(err)
	if err != nil && ctx.Err() != nil {
		// Stopped by a signal: whatever error surfaced, the status says
		// which signal it was.
		code = fail.Code(context.Cause(ctx))
		err = fmt.Errorf("%w; nothing of the interrupted step was published", context.Cause(ctx))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
	}
	os.Exit(code)
}

// tuneGC trades a little CPU for memory, unless GOGC or GOMEMLIMIT say
// otherwise: the frames of millions of rows are pointer-free, so collecting
// at half the live heap (GOGC=50) costs little, and keeps the peak at 1.5
// times the live heap instead of twice (measured on 25M rows: 2.8 GB
// instead of 3.65 GB, the same time). The soft limit of 35% of the machine's
// memory makes the collector work harder only when the heap nears it.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		var si syscall.Sysinfo_t
		if syscall.Sysinfo(&si) == nil && si.Totalram > 0 {
			total := int64(si.Totalram) * int64(si.Unit)
			debug.SetMemoryLimit(total * 35 / 100)
		}
	}
}

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// revision is the VCS revision, set by make build with -ldflags when the
// Go toolchain does not stamp it.
var revision = ""

// version is the module version and VCS revision (SPEC section 10).
func version() string {
	v, rev, modified := "(devel)", revision, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	if modified {
		rev += " (modified)"
	}
	return fmt.Sprintf("migrate %s, revision %s", v, rev)
}

const usageHead = `migrate carries the chat platform's history and the ticket platform's users
into one bulk-import archive (backup_tickets.tar.gz) for the destination.

Usage:
  migrate -steps all [flags]
  migrate --steps chat-users,merge-users,build [flags]
  migrate --demo

Steps, in order: fetch-users, chat-users, merge-users, build, verify.
"all" runs every step (fetch-users only with --api-url and no --ticket-users).
"inspect" reads the first records of an export from another tool and writes
<work-dir>/mapping.yaml, a proposed --mapping (see README: Exports from other tools).
"history", never part of "all", prints the builds recorded in <work-dir>/migrate.db.

Example: the whole job on an export and the ticket platform's API
  export MIGRATE_API_USER=me MIGRATE_API_PASSWORD=...   # never on the command line
  migrate -steps all --chat-csv chat_data.csv --api-url https://tickets.example.com \
          --work-dir work --out backup_tickets.tar.gz

Example: a later export, adding only what the first archive lacks (same ids)
  migrate --steps chat-users,merge-users,build --delta --chat-csv export-2.csv --work-dir work

Example: rebuild only the archive with other options, reusing work/
  migrate --steps build,verify --work-dir work --batch-size 50 --existing-users skip

Exit status: 0 done; 1 failure while running; 2 bad usage or unreadable input;
3 an identity conflict that needs a decision; 4 verify found violations;
5 too many rejects, no archive written; 130 and 143 stopped by SIGINT, SIGTERM.

Flags:
`

// run is the whole program behind main; end-to-end tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	opt := steps.DefaultOptions()
	fs := pflag.NewFlagSet("migrate", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	var stepList string
	var demo, showVersion bool
	fs.StringVar(&stepList, "steps", "all", "steps to run: all, or a comma list of fetch-users,chat-users,merge-users,build,verify; or inspect alone")
	fs.StringVar(&opt.ChatCSV, "chat-csv", opt.ChatCSV, "the chat platform's export, one row per message")
	fs.StringVar(&opt.WorkDir, "work-dir", opt.WorkDir, "folder for the files passed between steps, rejects.csv and report.json")
	fs.StringVar(&opt.Out, "out", "", "the archive to write (build) or check (verify) (default <work-dir>/backup_tickets.tar.gz)")
	fs.StringVar(&opt.TicketUsers, "ticket-users", "", "an existing ticket platform export (id,email) to use instead of fetching it")
	fs.StringVar(&opt.APIURL, "api-url", "", "the ticket platform's base URL, for fetch-users (credentials from MIGRATE_API_USER and MIGRATE_API_PASSWORD)")
	fs.IntVar(&opt.Concurrency, "concurrency", opt.Concurrency, "fetch-users: pages requested at once when the total is known")
	fs.IntVar(&opt.Retries, "retries", opt.Retries, "fetch-users: retries of a request after a network error, 5xx or 429")
	fs.DurationVar(&opt.Timeout, "timeout", opt.Timeout, "fetch-users: time limit of each request")
	fs.DurationVar(&opt.MaxRetryWait, "max-retry-wait", opt.MaxRetryWait, "fetch-users: the longest Retry-After to obey; a longer one stops the step")
	fs.Int64Var(&opt.ChatIDOffset, "chat-id-offset", 0, "merge-users: added to the id of every user that keeps a chat id")
	fs.IntVar(&opt.BatchSize, "batch-size", opt.BatchSize, "build: objects per array in one archive file, 1 to 100")
	fs.StringVar(&opt.BodyFormat, "body-format", opt.BodyFormat, "build: text (escape HTML, lines joined by <br> in <p>) or html (BODY as it is)")
	fs.StringVar(&opt.ExistingUsers, "existing-users", opt.ExistingUsers, "build: include or skip the users that already exist in the destination (source ticket_platform)")
	fs.StringVar(&opt.Layout, "layout", opt.Layout, "build: how arrays are sliced into files; seed is the original scripts' layout")
	fs.IntVar(&opt.Indent, "indent", 0, "build: pretty-print the JSON with this many spaces (0: compact)")
	fs.Float64Var(&opt.MaxRejectRate, "max-reject-rate", opt.MaxRejectRate, "build: the share of records that may be rejected before no archive is written (exit 5); 1 turns the check off")
	fs.BoolVar(&opt.Delta, "delta", false, "build: continue the newest lineage of runs in <work-dir>/migrate.db, writing only what it lacks")
	fs.StringVar(&opt.Timezone, "timezone", opt.Timezone, "IANA zone of timestamps written without one")
	nulls := fs.String("null-values", strings.Join(opt.NullValues, ","), "comma-separated tokens read as null (an empty field always is)")
	fs.BoolVar(&opt.LazyQuotes, "lazy-quotes", false, "read stray quotes in the chat export as text instead of rejecting the row")
	fs.StringVar(&opt.InvalidUTF8, "invalid-utf8", opt.InvalidUTF8, "stop at a byte of the chat export that is not UTF-8, or replace each by U+FFFD")
	fs.StringVar(&opt.Encoding, "encoding", opt.Encoding, "the chat export's encoding: auto (UTF-8, or UTF-16 by its BOM) or a WHATWG label such as windows-1252, iso-8859-15, shift_jis, utf-16le")
	fs.StringVar(&opt.Delimiter, "delimiter", opt.Delimiter, `the chat export's delimiter: auto (of , ; | and tab, the one that splits the header most), ",", ";", "|" or tab`)
	fs.StringVar(&opt.Mapping, "mapping", "", "a mapping file (YAML) for an export that names its columns or values otherwise; --steps inspect proposes one")
	fs.StringVar(&opt.Columns, "columns", "", "column names of the export, as SEED_NAME=export_name pairs (BODY=message_body,AUTHOR_ID=user_id); wins over --mapping pair by pair")
	fs.StringArrayVar(&opt.TimestampFormats, "timestamp-format", nil, "a strftime pattern (Python strptime meanings) for timestamps, such as \"%m/%d/%Y %I:%M %p\"; repeatable, tried in order before the built-in forms")
	trueValues := fs.String("true-values", "", "comma-separated words that also mean a public comment (COMMENT_PUBLIC), in any case")
	falseValues := fs.String("false-values", "", "comma-separated words that also mean a private comment (COMMENT_PUBLIC), in any case")
	fs.StringVar(&opt.PublicDefault, "public-default", "", "true or false: every comment's public when the export has no COMMENT_PUBLIC column")
	fs.IntVar(&opt.InspectRows, "inspect-rows", opt.InspectRows, "inspect: how many records of the export to sample")
	fs.IntVar(&opt.CompressionLevel, "compression-level", opt.CompressionLevel, "build: gzip level, 1 (fastest) to 9 (smallest)")
	fs.BoolVar(&opt.Quiet, "quiet", false, "no progress on stderr")
	fs.BoolVar(&demo, "demo", false, "run every step on the bundled sample against a fake ticket platform API on 127.0.0.1, into ./demo-out")
	fs.BoolVar(&showVersion, "version", false, "print the version and VCS revision")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for make bench)")
	fs.MarkHidden("cpuprofile")
	memProfile := fs.String("memprofile", "", "write an allocation profile to this file at the end")
	fs.MarkHidden("memprofile")
	fs.Usage = func() {
		fmt.Fprint(stdout, usageHead)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	if err := fs.Parse(longFlags(fs, args)); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return fail.Usagef("%v (see migrate --help)", err)
	}
	if fs.NArg() > 0 {
		return fail.Usagef("unexpected argument %q: every input is given with a flag (see migrate --help)", fs.Arg(0))
	}
	if showVersion {
		fmt.Fprintln(stdout, version())
		return nil
	}
	if demo {
		return runDemo(ctx, stdout, stderr, opt.Quiet)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fail.Failf("cannot write the CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail.Failf("cannot start the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	opt.NullValues = strings.Split(*nulls, ",")
	opt.TrueValues, opt.FalseValues = splitWords(*trueValues), splitWords(*falseValues)
	opt.Steps = strings.Split(stepList, ",")
	opt.Given = func(name string) bool { return fs.Changed(name) }
	return runSteps(ctx, &steps.Env{
		Opt:      opt,
		Stdout:   stdout,
		Stderr:   stderr,
		Now:      time.Now(),
		Getenv:   getenv,
		Progress: progress.New(stderr, opt.Quiet),
		Args:     args,
		Version:  version(),
	})
}

// splitWords splits a comma-separated list, dropping empty words.
func splitWords(s string) []string {
	var words []string
	for _, w := range strings.Split(s, ",") {
		if w = strings.TrimSpace(w); w != "" {
			words = append(words, w)
		}
	}
	return words
}

// runSteps runs the steps env.Opt.Steps names and prints the summary of those
// that finished, even when a later one failed.
func runSteps(ctx context.Context, env *steps.Env) error {
	selected, err := steps.Select(env.Opt.Steps, &env.Opt)
	if err != nil {
		return err
	}
	reports, err := steps.Run(ctx, env, selected)
	if len(reports) > 0 {
		steps.PrintSummary(env.Stdout, reports)
	}
	return err
}

// longFlags lets a long flag be written with one dash, as in `migrate -steps
// all`: pflag would read -steps as the shorthands s, t, e, p, s.
func longFlags(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if fs.Lookup(name) != nil {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}
