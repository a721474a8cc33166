package workspace

import (
	"errors"
	"math"
	"os"
	"slices"
	"strconv"

	"github.com/go-gota/gota/dataframe"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/value"
)

// TicketUsers is ticket_platform_users.csv (SPEC section 2), read and
// checked: merge-users joins on it, verify looks ids up in it.
type TicketUsers struct {
	Path string
	// Frame has the columns id (a valid id, written canonically) and email
	// (normalized; "" when null or invalid), in file order.
	Frame dataframe.DataFrame
	// IDs are the ids in file order.
	IDs []int64
	// MaxID is the largest id, 0 when there is none.
	MaxID int64
	// InvalidEmails counts emails that are neither null nor valid.
	InvalidEmails int
}

// ErrNoTicketUsers is wrapped by ReadTicketUsers's error when the file does
// not exist.
var ErrNoTicketUsers = errors.New("no ticket platform users file")

// ReadTicketUsers reads path with the null tokens nulls. A missing file
// wraps ErrNoTicketUsers; a missing column or a row whose id is not a valid
// id is bad input naming the line (exit status 2).
func ReadTicketUsers(path string, nulls value.Nulls) (*TicketUsers, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fail.Usagef("cannot read the ticket platform users %s: %w (run fetch-users with --api-url, or give an export with --ticket-users FILE)", path, ErrNoTicketUsers)
	}
	if err != nil {
		return nil, fail.Usagef("cannot read the ticket platform users: %w", err)
	}
	defer f.Close()
	df, lines, err := frame.ReadCSVLines(f, path, []string{"id", "email"}, frame.ReadOptions{})
	if err != nil {
		return nil, fail.Usagef("%w", err)
	}
	raw, err := frame.Column(df, "id")
	if err != nil {
		return nil, err
	}
	ids, bad, err := frame.Cast(df, "id", func(s string) (int64, bool) {
		s = value.TrimSpace(s)
		if nulls.IsNull(s) {
			return 0, false
		}
		return value.ParseID(s)
	})
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, fail.Usagef("%s: line %d: id %q is not a valid id (digits, greater than 0, at most %d): fix or remove that row, or fetch the users again (--steps fetch-users)",
			path, lines[bad[0]], raw[bad[0]], int64(math.MaxInt64))
	}
	emails, err := frame.Column(df, "email")
	if err != nil {
		return nil, err
	}
	t := &TicketUsers{Path: path, IDs: ids}
	canonical := make([]string, len(ids))
	for i, e := range emails {
		canonical[i] = strconv.FormatInt(ids[i], 10)
		t.MaxID = max(t.MaxID, ids[i])
		emails[i] = ""
		e = value.TrimSpace(e)
		if nulls.IsNull(e) {
			continue
		}
		if norm, ok := value.NormalizeEmail(e); ok {
			emails[i] = norm
		} else {
			t.InvalidEmails++
		}
	}
	t.Frame = frame.FromColumns([]string{"id", "email"}, canonical, emails)
	return t, t.Frame.Err
}

// SortedIDs returns the ids sorted, for lookups.
func (t *TicketUsers) SortedIDs() []int64 {
	ids := slices.Clone(t.IDs)
	slices.Sort(ids)
	return ids
}
