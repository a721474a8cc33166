// Package steps holds the stages of the migration: fetch-users, chat-users,
// merge-users, build and verify. Each stage reads files and writes files (see
// ../shared/SPEC.md section 2), so any stage can be rerun alone; run in one
// process, a later stage reuses what an earlier one holds in memory.
package steps

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/go-gota/gota/dataframe"
)

// Options is what the flags set. The zero value is not useful: main fills it
// from the flags, tests from DefaultOptions.
type Options struct {
	// Steps are the stages to run, in pipeline order.
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
	// Quiet turns progress off.
	Quiet bool
}

// DefaultNullValues are the tokens read as null unless --null-values says otherwise.
var DefaultNullValues = []string{"NULL", "null", `\N`}

// DefaultOptions returns the options with every flag at its default.
func DefaultOptions() Options {
	return Options{
		Steps:            []string{"all"},
		ChatCSV:          "chat_data.csv",
		WorkDir:          "migrate-work",
		Concurrency:      4,
		Retries:          5,
		Timeout:          30 * time.Second,
		BatchSize:        100,
		BodyFormat:       "text",
		ExistingUsers:    "include",
		Layout:           "seed",
		Timezone:         "UTC",
		NullValues:       append([]string(nil), DefaultNullValues...),
		CompressionLevel: DefaultCompressionLevel,
	}
}

// DefaultCompressionLevel is the gzip level used unless --compression-level
// says otherwise. Measured on the seed-scale archive (474 MB of JSON) with
// klauspost/compress: level 1 takes 1.24 s for 59 MB, level 2 1.35 s for
// 51 MB, level 6 2.45 s for 44 MB; level 2 buys most of the size for little time.
const DefaultCompressionLevel = 2

// File names inside the work dir (SPEC section 2).
const (
	TicketUsersFile = "ticket_platform_users.csv"
	ChatUsersFile   = "chat_platform_users.csv"
	MergedUsersFile = "merged_users.csv"
	RejectsFile     = "rejects.csv"
	ReportFile      = "report.json"
	ArchiveFile     = "backup_tickets.tar.gz"
)

// ArchivePath is where build writes and verify reads the archive.
func (o *Options) ArchivePath() string {
	if o.Out != "" {
		return o.Out
	}
	return filepath.Join(o.WorkDir, ArchiveFile)
}

// TicketUsersPath is the ticket platform export merge-users and verify read.
func (o *Options) TicketUsersPath() string {
	if o.TicketUsers != "" {
		return o.TicketUsers
	}
	return filepath.Join(o.WorkDir, TicketUsersFile)
}

// Env is what a step needs besides its options: where to print, the clock,
// the environment, and what earlier steps of this run left in memory.
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
	Progress *Progress

	// State carried between steps of one process.
	buildFollows bool // build runs later in this process: keep the messages
	scan         *Scan
	chatUsers    *dataframe.DataFrame
	merged       *dataframe.DataFrame
}
