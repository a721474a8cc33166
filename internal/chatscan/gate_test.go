package chatscan

import (
	"strings"
	"testing"
)

func TestTooMany(t *testing.T) {
	rejects := func(n int) []Reject { return make([]Reject, n) }
	for _, tc := range []struct {
		name              string
		records, comments int
		rejects           int
		rate              float64
		full              bool
		want              string // a piece of the message, "" for none
	}{
		{"no record", 0, 0, 0, 0.05, false, "holds no record"},
		{"no comment in a full run", 10, 0, 0, 0.05, true, "none of the 10 records"},
		{"no comment in a delta run", 10, 0, 0, 0.05, false, ""},
		{"under the rate", 100, 96, 4, 0.05, false, ""},
		{"at the rate", 100, 95, 5, 0.05, false, ""},
		{"over the rate", 100, 94, 6, 0.05, false, "6 of 100 records were rejected (6.0%)"},
		// 0.29*100 is 28.999999999999996: the product would stop this run.
		{"at a rate the product rounds down", 100, 71, 29, 0.29, false, ""},
		{"at 0.07 of 100", 100, 93, 7, 0.07, false, ""},
		{"at 0.57 of 100", 100, 43, 57, 0.57, false, ""},
		{"every record at rate 1", 100, 0, 100, 1, false, ""},
		{"one over at rate 0", 100, 99, 1, 0, false, "1 of 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := TooMany("chat.csv", tc.records, tc.comments, rejects(tc.rejects), tc.rate, tc.full)
			switch {
			case tc.want == "" && got != "":
				t.Errorf("TooMany = %q, want none", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("TooMany = %q, want it to say %q", got, tc.want)
			}
		})
	}
}
