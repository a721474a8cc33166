package inspect

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/internal/mapping"
	"github.com/migrate-tool/migrate/internal/value"
)

// TestProposeLayouts checks the timestamp forms inspect proposes and the
// order of day and month it says it chose (SPEC section 11).
func TestProposeLayouts(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		values  []string
		formats []string
		note    string // a substring of the note, "" for none
	}{
		{"month first: a number above 12 second", []string{"12/31/2021 10:00 PM", "1/2/2022 9:00 AM"}, []string{"%m/%d/%Y %I:%M %p"}, "month first, since a number above 12 stands second"},
		{"day first: a number above 12 first", []string{"01/02/2022 10:00", "31/12/2021 22:00"}, []string{"%d/%m/%Y %H:%M"}, "day first, since a number above 12 stands first"},
		{"ambiguous: month first assumed", []string{"01/02/2022 10:00", "03/04/2022 11:30"}, []string{"%m/%d/%Y %H:%M"}, `month first is assumed; if the export writes the day first, use "%d/%m/%Y %H:%M"`},
		{"dotted dates with seconds", []string{"31.12.2021 22:00:05"}, []string{"%d.%m.%Y %H:%M:%S"}, "day first"},
		{"two-digit years", []string{"12/31/21"}, []string{"%m/%d/%y"}, "month first"},
		{"named months", []string{"Dec 31, 2021 10:00 PM", "Jan 2, 2022 9:05 AM"}, []string{"%b %d, %Y %I:%M %p"}, ""},
		{"RFC 1123", []string{"Fri, 31 Dec 2021 22:00:00 GMT"}, []string{"%a, %d %b %Y %H:%M:%S %Z"}, ""},
		{"already read by SPEC's forms", []string{"2021-12-31 22:00:00+00", "1640988000"}, nil, ""},
		{"nothing reads it", []string{"yesterday"}, nil, ""},
		{"two forms in one column", []string{"12/31/2021 10:00 PM", "31.12.2021 22:00"}, []string{"%m/%d/%Y %I:%M %p", "%d.%m.%Y %H:%M"}, "day first, since a number above 12 stands first"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &Proposal{}
			p.proposeLayouts(tt.values, &value.TimeParser{Now: now})
			if !slices.Equal(p.TimestampFormats, tt.formats) {
				t.Errorf("formats %q, want %q", p.TimestampFormats, tt.formats)
			}
			notes := strings.Join(p.FormatNotes, "\n")
			if tt.note != "" && !strings.Contains(notes, tt.note) || tt.note == "" && strings.Contains(notes, "first") {
				t.Errorf("notes %q, want %q", notes, tt.note)
			}
		})
	}
}

func TestProposeWords(t *testing.T) {
	p := &Proposal{TrueValues: []string{"shown"}}
	p.proposeWords([]string{"comment", "Note", "true", "assignment", "comment", "shown", "agents"})
	if !slices.Equal(p.TrueValues, []string{"shown", "comment"}) || !slices.Equal(p.FalseValues, []string{"note", "agents"}) {
		t.Errorf("true %q, false %q", p.TrueValues, p.FalseValues)
	}
}

func TestMatch(t *testing.T) {
	var given mapping.Columns
	given[mapping.Body] = "Text"
	p := &Proposal{}
	header := []string{"Conversation ID", "message_id", "text", "msg", "author_id", "user_id", "created_at", "type"}
	p.Header = header
	p.match(header, given)
	want := map[int]string{
		mapping.Conversation: "Conversation ID", mapping.Comment: "message_id", mapping.Body: "text",
		mapping.Author: "author_id", mapping.Created: "created_at", mapping.Public: "type",
		mapping.Requester: "", mapping.Email: "",
	}
	for i, export := range want {
		if p.Columns[i].Export != export {
			t.Errorf("%s matched %q, want %q", mapping.Names[i], p.Columns[i].Export, export)
		}
	}
	if p.Columns[mapping.Body].By != "mapping" || p.Columns[mapping.Conversation].By != "seed name" {
		t.Errorf("found by %q and %q", p.Columns[mapping.Body].By, p.Columns[mapping.Conversation].By)
	}
}

// A name that stands twice in the header serves no column: the run could
// not tell which to read, so inspect must not propose it (SPEC section 11:
// the proposal gives the run it describes).
func TestMatchRepeatedNames(t *testing.T) {
	tests := []struct {
		name    string
		header  []string
		given   map[int]string
		column  int
		export  string // what the column matches
		problem string // a piece of the problem named, "" for none
	}{
		{"an alias twice", []string{"conversation_id", "id", "author_id", "body", "created_at", "is_public", "id"},
			nil, mapping.Comment, "", `COMMENT_PART_ID: the header holds "id" more than once`},
		{"the seed name twice, cases differ", []string{"conversation_id", "CONVERSATION_ID", "message_id", "author_id", "body", "created_at"},
			nil, mapping.Conversation, "", `CONVERSATION_ID: the header holds "conversation_id" more than once`},
		{"the seed name twice, padded", []string{" BODY", "BODY ", "conversation_id", "message_id", "author_id", "created_at"},
			nil, mapping.Body, "", `BODY: the header holds " BODY" more than once`},
		{"the seed name twice, an alias once: the alias serves", []string{"BODY", "body", "conversation_id", "message_id", "author_id", "text", "created_at"},
			nil, mapping.Body, "text", ""},
		{"a mapped name twice", []string{"conversation_id", "message_id", "author_id", "txt", "Txt", "created_at"},
			map[int]string{mapping.Body: "txt"}, mapping.Body, "", `BODY: the header holds "txt" more than once`},
		{"an optional alias twice: the column is absent", []string{"conversation_id", "message_id", "author_id", "body", "created_at", "author_name", "author_name"},
			nil, mapping.Name, "", ""},
		{"the optional seed name twice: the run would stop", []string{"conversation_id", "message_id", "author_id", "body", "created_at", "name", "Name"},
			nil, mapping.Name, "", `NAME: the header holds "name" more than once`},
		{"a repeated column nobody reads", []string{"conversation_id", "message_id", "author_id", "body", "created_at", "x", "x"},
			nil, mapping.Body, "body", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var given mapping.Columns
			for i, name := range tt.given {
				given[i] = name
			}
			p := &Proposal{Header: tt.header, PublicDefault: new(bool)}
			p.match(tt.header, given)
			p.check()
			if got := p.Columns[tt.column].Export; got != tt.export {
				t.Errorf("%s matched %q, want %q", mapping.Names[tt.column], got, tt.export)
			}
			problems := strings.Join(p.Problems, "\n")
			if tt.problem == "" && strings.Contains(problems, "more than once") || tt.problem != "" && !strings.Contains(problems, tt.problem) {
				t.Errorf("problems:\n%s\nwant one holding %q", problems, tt.problem)
			}
		})
	}
}
