package chatscan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/migrate-tool/migrate/internal/report"
)

// TooMany says why build must write no archive (SPEC section 7), or
// returns "": the export holds no record, a full run would write no
// comment, or the rejected records are more than maxRate of those read.
func TooMany(file string, records, comments int, rejects []Reject, maxRate float64, full bool) string {
	switch {
	case records == 0:
		return fmt.Sprintf("%s holds no record, only a header: no archive was written", file)
	case comments == 0 && full:
		return fmt.Sprintf("none of the %s records of %s became a comment: no archive was written (an earlier archive is left as it was)",
			report.Number(records), file)
	case float64(len(rejects))/float64(records) > maxRate:
		// The fraction, not rejects > maxRate*records: 0.29*100 is
		// 28.999999999999996 in floating point, so 29 of 100 at 0.29
		// would stop the run.
		return fmt.Sprintf("%s of %s records were rejected (%.1f%%), more than --max-reject-rate %g allows: no archive was written (an earlier archive is left as it was)",
			report.Number(len(rejects)), report.Number(records), 100*float64(len(rejects))/float64(records), maxRate)
	}
	return ""
}

// Summarize lists the most common reasons among rejects, with an example
// each, and says where the rest is and what to do.
func Summarize(rejects []Reject, path string) string {
	type reason struct {
		r       Reason
		n       int
		example Reject
	}
	var list []*reason
	by := map[Reason]*reason{}
	for _, r := range rejects {
		x := by[r.Reason]
		if x == nil {
			x = &reason{r: r.Reason, example: r}
			by[r.Reason] = x
			list = append(list, x)
		}
		x.n++
	}
	slices.SortStableFunc(list, func(a, b *reason) int { return cmp.Compare(b.n, a.n) })
	var b strings.Builder
	if len(list) > 0 {
		b.WriteString("The most common reasons:\n")
	}
	for i, x := range list {
		if i == 5 {
			break
		}
		where := fmt.Sprintf("line %d", x.example.Line)
		if x.example.Column != "" {
			where += ", " + x.example.Column
		}
		fmt.Fprintf(&b, "  %-22s %10s   e.g. %s: %s\n", x.r, report.Number(x.n), where, x.example.Detail)
	}
	fmt.Fprintf(&b, "Every rejected record is in %s. Fix the export or the flags (--timestamp-format, --encoding, --mapping...) and run build again; --max-reject-rate 1 turns the rate check off.", path)
	return b.String()
}
