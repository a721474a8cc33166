package steps

import (
	"fmt"
	"io"
	"strings"

	"github.com/migrate-tool/migrate/internal/report"
)

// PrintSummary writes, for a person, what each step that ran did, in words:
// the reconciliation, where the archive is and how big, and the warnings
// that occurred (SPEC section 7). report.json keeps every number for
// programs.
func PrintSummary(w io.Writer, reports []*report.Step) {
	var warnings []string
	for _, r := range reports {
		lines := stepSummary(r)
		if lines == nil {
			continue
		}
		lines[0] += fmt.Sprintf(" (%s)", seconds(r.Seconds))
		for i, line := range lines {
			name := r.Name
			if i > 0 {
				name = ""
			}
			fmt.Fprintf(w, "%-12s %s\n", name, line)
		}
		if ws, ok := r.Counts.Get("warnings"); ok {
			for _, kv := range ws.(report.Counts) {
				if k := countOf(kv.Value); k > 0 {
					warnings = append(warnings, fmt.Sprintf("%s: %s", r.Name, warningWords(kv.Key, k)))
				}
			}
		}
	}
	for i, line := range warnings {
		name := "warnings"
		if i > 0 {
			name = ""
		}
		fmt.Fprintf(w, "%-12s %s\n", name, line)
	}
}

// stepSummary is what a step did, in words, one line or more.
func stepSummary(r *report.Step) []string {
	n := report.Number[int64]
	c := r.Counts
	switch r.Name {
	case "fetch-users":
		line := fmt.Sprintf("fetched %s in %s", plural(c.Int("users"), "ticket platform user"), plural(c.Int("pages"), "page"))
		if k := c.Int("retries"); k > 0 {
			line += fmt.Sprintf(", %s", plural(k, "retried request"))
		}
		return []string{line}
	case "chat-users":
		return []string{fmt.Sprintf("read %s: %s", plural(c.Int("records"), "record"), plural(c.Int("users"), "chat user"))}
	case "merge-users":
		return []string{fmt.Sprintf("%s: %s the ticket platform's id, %s their chat id, %s seen only as requesters",
			plural(c.Int("users"), "user"), n(c.Int("by_source.ticket_platform"))+" take",
			n(c.Int("by_source.chat"))+" keep", n(c.Int("by_source.placeholder")))}
	case "build":
		return buildSummary(r)
	case "verify":
		if v := c.Int("violations"); v > 0 {
			return []string{fmt.Sprintf("%s (listed above)", plural(v, "violation"))}
		}
		return []string{"the archive keeps every rule: no violation"}
	}
	return nil
}

// buildSummary is build's lines: what was written, where, and the
// reconciliation of the records read.
func buildSummary(r *report.Step) []string {
	n := report.Number[int64]
	c := r.Counts
	var rejects, archive string
	for _, f := range r.Outputs {
		switch f.Role {
		case RoleRejects:
			rejects = f.Path
		case RoleArchive:
			archive = f.Path
		}
	}
	recon := fmt.Sprintf("%s = %s + %s", plural(c.Int("records"), "record"), plural(c.Int("comments"), "comment"),
		plural(c.Int("exact_duplicates"), "exact duplicate"))
	if k := c.Int("already_migrated"); k > 0 {
		recon += fmt.Sprintf(" + %s already migrated", n(k))
	}
	recon += fmt.Sprintf(" + %s rejected (see %s)", n(c.Int("rejected_records")), rejects)
	lines := []string{recon}
	if kind, _ := c.Get("kind"); kind == "delta" {
		line := fmt.Sprintf("a delta run: %s already migrated", n(c.Int("already_migrated")))
		if k := c.Int("rejected.changed_after_migration"); k > 0 {
			line += fmt.Sprintf("; %s changed since (the destination keeps its version)", plural(k, "message"))
		}
		if k := c.Int("rejected.ticket_already_migrated"); k > 0 {
			line += fmt.Sprintf("; %s on tickets already migrated (add them through the destination's API)", plural(k, "new message"))
		}
		lines = append(lines, line)
	}
	if written, _ := c.Get("archive_written"); written != true {
		return append([]string{"no archive was written"}, lines...)
	}
	return append([]string{
		fmt.Sprintf("%s, %s and %s written to %s (%s, %s)", plural(c.Int("tickets"), "ticket"), plural(c.Int("comments"), "comment"),
			plural(c.Int("users"), "user"), archive, plural(c.Int("archive_files"), "file"), megabytes(c.Int("archive_bytes"))),
	}, lines...)
}

// plural is n with thousands separators and noun, plural unless n is 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return report.Number(n) + " " + noun + "s"
}

func countOf(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	}
	return 0
}

// warningWords says what a warning counted, for a person.
func warningWords(key string, k int64) string {
	n := report.Number(k)
	switch key {
	case "invalid_email":
		return plural(k, "invalid email") + ", read as no email"
	case "invalid_utf8":
		return plural(k, "text") + " with bytes that are not UTF-8, each byte replaced by U+FFFD"
	case "name_defaulted":
		return plural(k, "user") + " without a name or an email, named \"Chat user <id>\""
	case "ticket_platform_duplicate_email":
		return plural(k, "repeated email") + " in the ticket platform's users (the first user wins)"
	case "ticket_platform_empty":
		return "the ticket platform's file holds no user"
	case "no_email_match":
		return "no chat user matches a ticket platform user by email (the wrong file or column?)"
	case "public_defaulted":
		return plural(k, "message") + " without a visibility, written as private"
	case "ticket_fields_conflict":
		return plural(k, "conversation") + " whose ticket fields disagree (the first record wins)"
	case "identity_split":
		return plural(k, "person") + " with two destination ids from earlier runs (listed in report.json)"
	case "ticket_platform_count_mismatch":
		return "the API's count differs from the users received"
	}
	return n + " " + strings.ReplaceAll(key, "_", " ")
}

func seconds(s float64) string {
	if s < 10 {
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%.0f s", s)
}

func megabytes(b int64) string {
	if b < 1e6 {
		return fmt.Sprintf("%.1f KB", float64(b)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(b)/1e6)
}
