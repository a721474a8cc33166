package frame

import (
	"reflect"
	"testing"
)

// TestFilterByItsOwnColumn filters tickets by their HasFields column, as
// build does: the columns after it must be filtered by the same rows.
func TestFilterByItsOwnColumn(t *testing.T) {
	var ts Tickets
	for id := int64(1); id <= 6; id++ {
		row := ts.Append(id)
		ts.HasFields[row] = id%2 == 0
		ts.Conflict[row] = id == 4
	}
	ts.Filter(ts.HasFields)
	if want := []int64{2, 4, 6}; !reflect.DeepEqual(ts.ID, want) {
		t.Errorf("ids %v, want %v", ts.ID, want)
	}
	if want := []bool{false, true, false}; !reflect.DeepEqual(ts.Conflict, want) {
		t.Errorf("conflicts %v, want %v: filtered by a keep that changed under it", ts.Conflict, want)
	}
	if len(ts.HasFields) != 3 || len(ts.Created) != 3 {
		t.Errorf("columns of %d and %d rows, want 3", len(ts.HasFields), len(ts.Created))
	}
}
