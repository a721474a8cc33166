package steps

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-gota/gota/dataframe"
	"github.com/migrate-tool/migrate/frame"
)

// chatUserColumns are the columns of chat_platform_users.csv.
var chatUserColumns = []string{"name", "email", "id", "chat_ids"}

// ChatUsers is the chat-users step: it reads chat_data.csv and writes one row
// per chat user to chat_platform_users.csv (SPEC section 5).
func ChatUsers(ctx context.Context, env *Env) (Counts, error) {
	o, err := newScanOptions(env, env.buildFollows)
	if err != nil {
		return nil, err
	}
	s, err := scanChat(ctx, o)
	if err != nil {
		return nil, err
	}
	if o.messages {
		env.scan = s
	}
	df := chatUsersFrame(s.Users)
	env.chatUsers = &df
	if err := writeFrame(filepath.Join(env.Opt.WorkDir, ChatUsersFile), df); err != nil {
		return nil, err
	}
	return Counts{
		{"records", s.Records},
		{"users", len(s.Users)},
		{"warnings", Counts{
			{"invalid_email", s.InvalidEmail},
			{"invalid_utf8", s.InvalidUTF8Name},
			{"name_defaulted", s.NameDefaulted},
		}},
	}, nil
}

// chatUsersFrame is the users as the DataFrame written to chat_platform_users.csv.
func chatUsersFrame(users []ChatUser) dataframe.DataFrame {
	names := make([]string, len(users))
	emails := make([]string, len(users))
	ids := make([]string, len(users))
	chatIDs := make([]string, len(users))
	var b strings.Builder
	for i, u := range users {
		names[i], emails[i], ids[i] = u.Name, u.Email, strconv.FormatInt(u.ID, 10)
		b.Reset()
		for k, id := range u.ChatIDs {
			if k > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatInt(id, 10))
		}
		chatIDs[i] = b.String()
	}
	return frame.FromColumns(chatUserColumns, names, emails, ids, chatIDs)
}

// writeFrame writes a DataFrame as CSV under its final name atomically.
func writeFrame(path string, df dataframe.DataFrame) error {
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := frame.WriteCSV(f, df); err != nil {
		return Failf("cannot write %s: %v", path, err)
	}
	return f.Commit()
}

// readFrame is a table that one step writes and a later one reads: the
// DataFrame held in memory when the writing step ran in this process, else
// the file. line gives the file line of a row, for error messages.
func readFrame(mem *dataframe.DataFrame, path string, cols []string, writer string) (df dataframe.DataFrame, line func(row int) int, err error) {
	if mem != nil {
		// Rows written from memory are one line each, after the header.
		return *mem, func(row int) int { return row + 2 }, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return df, nil, Usagef("cannot read %s: %v (run the %s step first)", filepath.Base(path), err, writer)
	}
	defer f.Close()
	df, lines, err := frame.ReadCSVLines(f, path, cols, frame.ReadOptions{})
	if err != nil {
		return df, nil, Usagef("%v (rerun the %s step)", err, writer)
	}
	return df, func(row int) int { return lines[row] }, nil
}

// parseChatIDs reads the space-separated chat_ids column.
func parseChatIDs(s string) ([]int64, bool) {
	parts := strings.Fields(s)
	if len(parts) == 0 {
		return nil, false
	}
	ids := make([]int64, len(parts))
	for i, p := range parts {
		id, ok := frame.ParseID(p)
		if !ok {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}
