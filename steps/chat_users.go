package steps

import (
	"context"
	"strconv"

	"github.com/go-gota/gota/dataframe"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/chatscan"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/workspace"
)

var chatUsersStep = Step{
	Name: "chat-users",
	Run:  ChatUsers,
	Reads: func(o *Options) []Input {
		return []Input{o.chatExport()}
	},
	Writes: func(o *Options) []string {
		return []string{workspace.Path(o.WorkDir, workspace.ChatUsersFile)}
	},
}

// ChatUsersColumns are the columns of chat_platform_users.csv (SPEC section 2).
var ChatUsersColumns = []string{"name", "email", "id", "chat_ids", "source"}

// ChatUsers is the chat-users step, the seed's
//
//	users = pd.read_csv("chat_data.csv", usecols=["NAME", "EMAIL", "AUTHOR_ID"])
//	users = users.dropna(how="any").drop_duplicates(subset=["email"], keep="first")
//	users.to_csv("chat_platform_users.csv", index=False)
//
// done right (SPEC section 5): one row per person, the chat ids that share
// an email linked into one user, nobody dropped for a missing name or email.
func ChatUsers(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error {
	scan, err := memo.Scan(ctx, env, false)
	if err != nil {
		return err
	}
	rec.AddInput(scan.Export())
	users := chatUsersFrame(scan.Users)
	path := workspace.Path(env.Opt.WorkDir, workspace.ChatUsersFile)
	out, err := workspace.WriteFrame(path, users)
	if err != nil {
		return err
	}
	rec.AddOutput(out.As(RoleChatUsers))
	memo.chatUsers = &users
	rec.Counts = report.Counts{
		{"records", scan.Records},
		{"users", len(scan.Users)},
		{"warnings", report.Counts{
			{"invalid_email", scan.InvalidEmail},
			{"invalid_utf8", scan.InvalidUTF8Name},
			{"name_defaulted", scan.NameDefaulted},
		}},
	}
	return nil
}

// chatUsersFrame is the users as the frame written to chat_platform_users.csv.
func chatUsersFrame(users []chatscan.User) dataframe.DataFrame {
	names := make([]string, len(users))
	emails := make([]string, len(users))
	ids := make([]string, len(users))
	chatIDs := make([]string, len(users))
	sources := make([]string, len(users))
	for i, u := range users {
		names[i], emails[i], ids[i] = u.Name, u.Email, strconv.FormatInt(u.ID, 10)
		chatIDs[i] = workspace.FormatChatIDs(u.ChatIDs)
		sources[i] = workspace.SourceChat
		if u.Placeholder {
			sources[i] = workspace.SourcePlaceholder
		}
	}
	return frame.FromColumns(ChatUsersColumns, names, emails, ids, chatIDs, sources)
}
