package steps

import (
	"context"
	"fmt"
	"runtime"

	"github.com/go-gota/gota/dataframe"
	"github.com/migrate-tool/migrate/internal/chatscan"
	"github.com/migrate-tool/migrate/internal/input"
	"github.com/migrate-tool/migrate/internal/mapping"
	"github.com/migrate-tool/migrate/internal/value"
)

// Memo is what one step hands the next in one process, so that a later
// step need not read back the file an earlier one wrote: the read of the
// chat export, and the users tables. The runner makes one per run from the
// selected steps; a step run alone finds it empty and reads files.
type Memo struct {
	// keepMessages is set when build is selected: the one read of the chat
	// export then keeps the comments and tickets too, for build to reuse.
	keepMessages bool

	scan      *chatscan.Result
	chatUsers *dataframe.DataFrame
	merged    *dataframe.DataFrame

	// readers counts, for the read of the export, the selected steps that
	// have yet to run and read it: when none is left, the memo lets it go
	// (at 100M rows it holds 6 GB that verify does not need).
	readers int
}

// scanReaders are the steps that read the chat export.
var scanReaders = map[string]bool{"chat-users": true, "build": true}

func newMemo(selected []Step) *Memo {
	m := &Memo{}
	for _, s := range selected {
		m.keepMessages = m.keepMessages || s.Name == "build"
		if scanReaders[s.Name] {
			m.readers++
		}
	}
	return m
}

// done tells the memo that step ran.
func (m *Memo) done(step string) {
	if !scanReaders[step] {
		return
	}
	if m.readers--; m.readers <= 0 && m.scan != nil {
		m.scan.Close()
		m.scan = nil
		runtime.GC()
	}
}

// Scan returns the read of the chat export, reading it once: with messages
// when build needs them (asked for here, or selected in this run).
func (m *Memo) Scan(ctx context.Context, env *Env, messages bool) (*chatscan.Result, error) {
	if m.scan != nil && (m.scan.Messages() || !messages) {
		return m.scan, nil
	}
	o := &env.Opt
	res, err := chatscan.Scan(ctx, chatscan.Options{
		File:               o.ChatCSV,
		Input:              input.Options{Encoding: o.Encoding, Delimiter: o.Delimiter},
		Columns:            o.input.columns,
		PublicDefault:      o.input.publicDefault,
		Bools:              o.input.bools,
		Messages:           messages || m.keepMessages,
		LazyQuotes:         o.LazyQuotes,
		ReplaceInvalidUTF8: o.InvalidUTF8 == "replace",
		Nulls:              value.NewNulls(o.NullValues),
		Times:              &value.TimeParser{Loc: o.Location(), Now: env.Now, Layouts: o.input.layouts},
		Progress:           env.Progress,
		SpillDir:           o.WorkDir,
	})
	if err != nil {
		return nil, err
	}
	m.scan = res
	env.noteFormat(res)
	return res, nil
}

// noteFormat says how the export was read when --delimiter auto chose
// another delimiter than ",", and warns when it has no EMAIL column.
func (env *Env) noteFormat(res *chatscan.Result) {
	if res.Format.DelimiterGuessed && res.Format.Delimiter != ',' && !env.Opt.Quiet && env.Stderr != nil {
		fmt.Fprintf(env.Stderr, "reading %s as %s (--delimiter auto chose %q)\n", res.File, res.Format, input.DelimiterName(res.Format.Delimiter))
	}
	if res.Absent[mapping.Email] {
		env.warn("%s has no EMAIL column: every EMAIL is null, so no chat user can match a ticket platform user (map the column with --columns EMAIL=...)", res.File)
	}
}

// Close lets go of what the memo holds: the spilled message bodies.
func (m *Memo) Close() {
	if m.scan != nil {
		m.scan.Close()
	}
}
