package steps

import (
	"context"
	"strings"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/input"
	"github.com/migrate-tool/migrate/internal/inspect"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// MappingFile is the mapping inspect proposes, in the work dir.
const MappingFile = "mapping.yaml"

var inspectStep = Step{
	Name: "inspect",
	Run:  Inspect,
	Reads: func(o *Options) []Input {
		in := []Input{o.chatExport()}
		if o.Mapping != "" {
			in = append(in, Input{Path: o.Mapping, What: "the mapping (--mapping)"})
		}
		return in
	},
	Writes: func(o *Options) []string {
		return []string{workspace.Path(o.WorkDir, MappingFile)}
	},
	Alone: true,
}

// Inspect is the inspect step (SPEC section 11), what a person does by hand
// with a foreign export before the seed's scripts can read it:
//
//	head -n 10000 export.csv   # which columns, which encoding, which dates?
//
// It reads the first --inspect-rows records of --chat-csv, proposes a
// mapping, writes it to mapping.yaml in the work dir and prints it as a
// table. It writes nothing else (not even report.json). The proposal is
// incomplete, and the step exits with status 2, when a required column is
// missing or less than 99% of a matched column's values parse.
func Inspect(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error {
	o := &env.Opt
	prop, err := inspect.Run(ctx, inspect.Options{
		File:             o.ChatCSV,
		Rows:             o.InspectRows,
		Input:            input.Options{Encoding: o.Encoding, Delimiter: o.Delimiter},
		Columns:          o.input.columns,
		NullValues:       o.NullValues,
		Timezone:         o.Timezone,
		Times:            &value.TimeParser{Loc: o.Location(), Now: env.Now, Layouts: o.input.layouts},
		TimestampFormats: o.TimestampFormats,
		TrueValues:       o.TrueValues,
		FalseValues:      o.FalseValues,
		PublicDefault:    o.input.publicDefault,
		LazyQuotes:       o.LazyQuotes,

		ReplaceInvalidUTF8: o.InvalidUTF8 == "replace",
	})
	if err != nil {
		return err
	}
	path := workspace.Path(o.WorkDir, MappingFile)
	if err := workspace.WriteFile(path, prop.YAML()); err != nil {
		return err
	}
	prop.WriteTable(env.Stdout, path)
	if len(prop.Problems) > 0 {
		return fail.Usagef("the proposed mapping is incomplete: %s; %s holds it for you to edit", strings.Join(prop.Problems, "; "), path)
	}
	return nil
}
