package workspace

import (
	"github.com/go-gota/gota/dataframe"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/value"
)

// MergedUsersColumns are the columns of merged_users.csv (SPEC section 2).
var MergedUsersColumns = []string{"name", "email", "id", "source", "chat_ids"}

// MergedUsers is merged_users.csv, read and checked, one column each.
type MergedUsers struct {
	Names, Emails, Sources []string
	IDs                    []int64   // destination ids
	ChatIDs                [][]int64 // the chat ids of each user
}

// ReadMergedUsers casts the merged users' frame df, which merge-users
// handed on in this process, or nil: then it reads path. Errors name the
// line of the file.
func ReadMergedUsers(df *dataframe.DataFrame, path string) (*MergedUsers, error) {
	line := func(row int) int { return row + 2 }
	if df == nil {
		read, lines, err := ReadFrame(path, MergedUsersColumns, "merge-users")
		if err != nil {
			return nil, err
		}
		df, line = &read, func(row int) int { return lines[row] }
	}
	ids, bad, err := frame.Cast(*df, "id", value.ParseID)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		raw, _ := frame.Column(*df, "id")
		return nil, fail.Usagef("%s: line %d: id %q is not a valid id (rerun the merge-users step)", path, line(bad[0]), raw[bad[0]])
	}
	lists, bad, err := frame.Cast(*df, "chat_ids", ParseChatIDs)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, fail.Usagef("%s: line %d: chat_ids is not a list of ids (rerun the merge-users step)", path, line(bad[0]))
	}
	m := &MergedUsers{IDs: ids, ChatIDs: lists}
	for _, c := range []struct {
		dst  *[]string
		name string
	}{{&m.Names, "name"}, {&m.Emails, "email"}, {&m.Sources, "source"}} {
		if *c.dst, err = frame.Column(*df, c.name); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Dest maps every chat id to its user's destination id.
func (m *MergedUsers) Dest() map[int64]int64 {
	dest := make(map[int64]int64, len(m.IDs))
	for i, list := range m.ChatIDs {
		for _, c := range list {
			dest[c] = m.IDs[i]
		}
	}
	return dest
}
