package chatscan

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestRefillFromACheckpoint: the records a delta run rejects are read
// again from the last checkpoint before them, with the same fields and
// lines as a read from the first line; multi-line bodies and empty lines
// before them included.
func TestRefillFromACheckpoint(t *testing.T) {
	var rows strings.Builder
	for i := 1; i <= 3*batchRecords+100; i++ {
		body := fmt.Sprintf("body %d", i)
		if i%7 == 0 {
			body = fmt.Sprintf("\"body %d\nsecond line, \"\"quoted\"\"\"", i)
		}
		if i%1000 == 0 {
			rows.WriteString("\n") // an empty line: not a record
		}
		fmt.Fprintf(&rows, "%d,%d,5,Ann,ann@x.test,%s,true,2021-01-01T00:00:00Z,2021-01-01T00:00:00Z,5\n", i/10+1, i, body)
	}
	s := scanString(t, rows.String())
	if len(s.checkpoints) < 3 {
		t.Fatalf("%d checkpoints, want one a batch", len(s.checkpoints))
	}
	wanted := []int{2*batchRecords + 5, 2*batchRecords + 7, 3*batchRecords + 99}
	read := func(checkpoints []checkpoint) []Reject {
		s.checkpoints = checkpoints
		rejects := make([]Reject, len(wanted))
		for i, rec := range wanted {
			rejects[i] = Reject{Record: rec, Reason: TicketAlreadyMigrated}
		}
		if err := s.refill(rejects); err != nil {
			t.Fatal(err)
		}
		return rejects
	}
	all := s.checkpoints
	fromStart, fromCheckpoint := read(nil), read(all)
	if !reflect.DeepEqual(fromStart, fromCheckpoint) {
		t.Errorf("from a checkpoint:\n%+v\nfrom the first line:\n%+v", fromCheckpoint, fromStart)
	}
	for i, r := range fromStart {
		if r.Fields[1] != fmt.Sprint(wanted[i]) || r.Line < wanted[i] {
			t.Errorf("record %d read as %q at line %d", wanted[i], r.Fields, r.Line)
		}
	}
}
