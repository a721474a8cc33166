package steps

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/migrate-tool/migrate/internal/report"
)

// PrintSummary writes the counts of the steps that ran as a table.
func PrintSummary(w io.Writer, reports []report.Step) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "step\tcount\tvalue\t\n")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t\n", r.Name, "seconds", r.Seconds)
		printCounts(tw, r.Name, "", r.Counts)
	}
	tw.Flush()
}

func printCounts(w io.Writer, step, prefix string, c report.Counts) {
	for _, kv := range c {
		switch v := kv.Value.(type) {
		case report.Counts:
			printCounts(w, step, prefix+kv.Key+".", v)
		default:
			fmt.Fprintf(w, "%s\t%s\t%v\t\n", step, prefix+kv.Key, v)
		}
	}
}
