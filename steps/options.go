// Package steps holds the stages of the migration: fetch-users, chat-users,
// merge-users, build and verify, one file each, and the runner that chains
// them. Each stage reads files and writes files (see ../shared/SPEC.md
// section 2), so any stage can be rerun alone; run in one process, a later
// stage takes what an earlier one handed it (see Memo) instead of reading
// its file back. The engines the stages drive live in steps/internal.
package steps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/state"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// Options is what the flags set. DefaultOptions gives every flag its
// default; Validate checks them all before the first step runs.
type Options struct {
	// Steps are the stages to run: "all" or step names.
	Steps []string
	// ChatCSV is the chat platform's export, one row per message.
	ChatCSV string
	// WorkDir holds the files passed between steps.
	WorkDir string
	// Out is the archive; empty means WorkDir/backup_tickets.tar.gz.
	Out string
	// TicketUsers, when set, names an existing ticket platform export used
	// instead of WorkDir/ticket_platform_users.csv (and fetch-users is skipped).
	TicketUsers string
	// APIURL is the ticket platform's base URL for fetch-users.
	APIURL string
	// Concurrency is how many pages fetch-users requests at once.
	Concurrency int
	// Retries is how often a failed request is retried.
	Retries int
	// Timeout bounds each HTTP request.
	Timeout time.Duration
	// MaxRetryWait bounds the wait a Retry-After may ask for: a longer one
	// stops fetch-users.
	MaxRetryWait time.Duration

	// ChatIDOffset is added to the id of every user that keeps a chat id.
	ChatIDOffset int64
	// BatchSize is the number of objects per array in one archive file, 1..100.
	BatchSize int
	// BodyFormat is "text" (escape and wrap in <p>) or "html" (as is).
	BodyFormat string
	// ExistingUsers is "include" or "skip" (leave ticket platform users out).
	ExistingUsers string
	// Layout is how arrays are sliced into files; only "seed" exists.
	Layout string
	// Indent pretty-prints the JSON with that many spaces; 0 is compact.
	Indent int
	// Timezone is the IANA zone of timestamps written without one.
	Timezone string
	// NullValues are the tokens read as null, after trimming.
	NullValues []string
	// LazyQuotes reads stray quotes in chat_data.csv as text.
	LazyQuotes bool
	// CompressionLevel is the gzip level of the archive, 1 (fastest) to 9.
	CompressionLevel int
	// MaxRejectRate is the fraction of the records read that may be
	// rejected; above it build writes no archive (exit status 5). 1 turns
	// the check off.
	MaxRejectRate float64
	// Delta makes build continue the newest lineage of runs recorded in
	// migrate.db, writing only what it lacks (SPEC section 12).
	Delta bool
	// InvalidUTF8 is what a byte that is not UTF-8 does in the chat export:
	// "stop" the read (exit status 2), or "replace" it by U+FFFD.
	InvalidUTF8 string
	// Quiet turns progress off.
	Quiet bool

	// How the chat export is read (SPEC sections 3 and 11; see
	// input_options.go). Encoding is "auto" or a WHATWG label; Delimiter
	// "auto", ",", ";", "|" or "tab"; Mapping a mapping file whose values
	// apply where the flag of the same name was not given; Columns the
	// --columns pairs; PublicDefault "", "true" or "false";
	// TimestampFormats strftime patterns; TrueValues and FalseValues words
	// added to the booleans; InspectRows the records inspect samples.
	Encoding, Delimiter, Mapping, Columns, PublicDefault string
	TimestampFormats, TrueValues, FalseValues            []string
	InspectRows                                          int

	// Given tells whether a flag (by its name, without dashes) was given on
	// the command line; a flag not given takes the path the work dir
	// recorded (see recall). nil means every flag was given.
	Given func(flag string) bool

	// location is Timezone, loaded by Validate.
	location *time.Location
	// input is the export's reading, resolved by Validate.
	input inputOptions
}

// DefaultNullValues are the tokens read as null unless --null-values says otherwise.
var DefaultNullValues = []string{"NULL", "null", `\N`}

// DefaultCompressionLevel is the gzip level used unless --compression-level
// says otherwise. Measured on the seed-scale archive (474 MB of JSON) with
// klauspost/compress: level 1 takes 1.24 s for 59 MB, level 2 1.35 s for
// 51 MB, level 6 2.45 s for 44 MB; level 2 buys most of the size for little time.
const DefaultCompressionLevel = 2

// DefaultOptions returns the options with every flag at its default.
func DefaultOptions() Options {
	return Options{
		Steps:            []string{"all"},
		ChatCSV:          "chat_data.csv",
		WorkDir:          "migrate-work",
		Concurrency:      4,
		Retries:          5,
		Timeout:          30 * time.Second,
		MaxRetryWait:     5 * time.Minute,
		BatchSize:        100,
		BodyFormat:       "text",
		ExistingUsers:    "include",
		Layout:           "seed",
		Timezone:         "UTC",
		NullValues:       append([]string(nil), DefaultNullValues...),
		CompressionLevel: DefaultCompressionLevel,
		MaxRejectRate:    0.05,
		InvalidUTF8:      "stop",
		Encoding:         "auto",
		Delimiter:        "auto",
		InspectRows:      10000,
	}
}

// ErrBadOption is wrapped by every *OptionError.
var ErrBadOption = errors.New("bad option")

// OptionError is a flag whose value cannot be used, found by Validate
// before any step runs (exit status 2).
type OptionError struct {
	Flag  string // without dashes: "batch-size"
	Value string
	Want  string // what would be accepted, in words
	Err   error  // the cause, when there is one
}

func (e *OptionError) Error() string {
	msg := fmt.Sprintf("--%s %s: want %s", e.Flag, e.Value, e.Want)
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

func (e *OptionError) Unwrap() []error { return []error{ErrBadOption, e.Err} }

// Validate checks every option, so that a mistake stops the run before any
// step reads data. The first bad option is returned as an *OptionError
// (exit status 2).
func (o *Options) Validate() error {
	bad := func(flag string, value any, want string, err error) error {
		return fail.New(fail.Usage, &OptionError{Flag: flag, Value: fmt.Sprint(value), Want: want, Err: err})
	}
	if err := o.applyMapping(); err != nil {
		return err
	}
	oneOf := func(flag, value string, allowed ...string) error {
		for _, a := range allowed {
			if value == a {
				return nil
			}
		}
		return bad(flag, fmt.Sprintf("%q", value), strings.Join(allowed, " or "), nil)
	}
	switch {
	case o.BatchSize < 1 || o.BatchSize > 100:
		return bad("batch-size", o.BatchSize, "1 to 100 (the destination refuses more)", nil)
	case o.Indent < 0 || o.Indent > 16:
		return bad("indent", o.Indent, "0 (compact) to 16", nil)
	case o.CompressionLevel < 1 || o.CompressionLevel > 9:
		return bad("compression-level", o.CompressionLevel, "1 (fastest) to 9 (smallest)", nil)
	case o.ChatIDOffset < 0:
		return bad("chat-id-offset", o.ChatIDOffset, "0 or more", nil)
	case o.Concurrency < 1 || o.Concurrency > 64:
		return bad("concurrency", o.Concurrency, "1 to 64", nil)
	case o.Retries < 0 || o.Retries > 100:
		return bad("retries", o.Retries, "0 to 100", nil)
	case o.Timeout <= 0:
		return bad("timeout", o.Timeout, "a duration above 0, such as 30s", nil)
	case o.MaxRetryWait <= 0:
		return bad("max-retry-wait", o.MaxRetryWait, "a duration above 0, such as 5m", nil)
	case o.WorkDir == "":
		return bad("work-dir", `""`, "a folder", nil)
	case !(o.MaxRejectRate >= 0 && o.MaxRejectRate <= 1):
		return bad("max-reject-rate", o.MaxRejectRate, "a fraction from 0 to 1 (1 turns the check off)", nil)
	}
	if err := oneOf("invalid-utf8", o.InvalidUTF8, "stop", "replace"); err != nil {
		return err
	}
	if err := oneOf("body-format", o.BodyFormat, "text", "html"); err != nil {
		return err
	}
	if err := oneOf("existing-users", o.ExistingUsers, "include", "skip"); err != nil {
		return err
	}
	if err := oneOf("layout", o.Layout, "seed"); err != nil {
		return err
	}
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil || o.Timezone == "" || o.Timezone == "Local" {
		return bad("timezone", fmt.Sprintf("%q", o.Timezone), "an IANA zone name such as UTC or Europe/Berlin", err)
	}
	o.location = loc
	return o.validateInput()
}

// Location is the zone of timestamps written without one (see Validate).
func (o *Options) Location() *time.Location {
	if o.location == nil {
		return time.UTC
	}
	return o.location
}

// ArchivePath is where build writes and verify reads the archive.
func (o *Options) ArchivePath() string {
	if o.Out != "" {
		return o.Out
	}
	return filepath.Join(o.WorkDir, workspace.ArchiveFile)
}

// TicketUsersPath is the ticket platform export merge-users and verify read.
func (o *Options) TicketUsersPath() string {
	if o.TicketUsers != "" {
		return o.TicketUsers
	}
	return filepath.Join(o.WorkDir, workspace.TicketUsersFile)
}

// reportOptions are the options in effect, as report.json records them.
func (o *Options) reportOptions() report.Counts {
	return append(report.Counts{
		{"chat_csv", o.ChatCSV},
		{"work_dir", o.WorkDir},
		{"out", o.ArchivePath()},
		{"ticket_users", o.TicketUsersPath()},
		{"api_url", o.APIURL},
		{"concurrency", o.Concurrency},
		{"retries", o.Retries},
		{"timeout", o.Timeout.String()},
		{"chat_id_offset", o.ChatIDOffset},
		{"batch_size", o.BatchSize},
		{"body_format", o.BodyFormat},
		{"existing_users", o.ExistingUsers},
		{"layout", o.Layout},
		{"indent", o.Indent},
		{"timezone", o.Timezone},
		{"null_values", o.NullValues},
		{"lazy_quotes", o.LazyQuotes},
		{"invalid_utf8", o.InvalidUTF8},
		{"compression_level", o.CompressionLevel},
		{"max_reject_rate", o.MaxRejectRate},
		{"delta", o.Delta},
	}, o.inputReportOptions()...)
}

// The inputs steps read, for preflight and report.json.

func (o *Options) chatExport() Input {
	return Input{Path: o.ChatCSV, What: "the chat export (--chat-csv)", Regular: true}
}

// ticketUsers is the ticket platform's users: an export the user names,
// or the file fetch-users writes. A named file that does not exist yet is
// fetch-users' output (SPEC section 2: the step is skipped only when the
// file exists).
func (o *Options) ticketUsers() Input {
	in := Input{Path: o.TicketUsersPath(), What: "the ticket platform users (--ticket-users)", MadeBy: "fetch-users"}
	if o.TicketUsers != "" {
		if o.ticketUsersGiven() {
			in.MadeBy = ""
		} else {
			in.Hint = "check the path, or add fetch-users with --api-url to --steps to fetch it"
		}
	} else {
		in.Hint = "give the ticket platform's users with --ticket-users FILE, or fetch them with --api-url URL (MIGRATE_API_USER and MIGRATE_API_PASSWORD set)"
	}
	return in
}

// ticketUsersGiven tells whether --ticket-users names an existing file,
// which fetch-users leaves as it is.
func (o *Options) ticketUsersGiven() bool {
	if o.TicketUsers == "" {
		return false
	}
	_, err := os.Stat(o.TicketUsers)
	return err == nil
}

func (o *Options) workFile(name, writer string) Input {
	return Input{Path: workspace.Path(o.WorkDir, name), What: name, MadeBy: writer}
}

// statePath is migrate.db in the work dir, which build writes and verify
// and history read.
func (o *Options) statePath() string { return workspace.Path(o.WorkDir, state.File) }
