package steps

import (
	"fmt"
	"io"

	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// Roles of files in report.json: what a step read or wrote.
const (
	RoleChatExport  = "chat_export"
	RoleTicketUsers = "ticket_users"
	RoleChatUsers   = "chat_users"
	RoleMergedUsers = "merged_users"
	RoleArchive     = "archive"
	RoleRejects     = "rejects"
)

// recall takes the paths a run in this work dir recorded in report.json for
// the flags not given (SPEC section 2: the work dir remembers its inputs),
// and says so on w. A flag given wins.
func (o *Options) recall(steps []Step, w io.Writer) error {
	if o.Given == nil {
		return nil
	}
	path := workspace.Path(o.WorkDir, workspace.ReportFile)
	selected := map[string]bool{}
	for _, s := range steps {
		selected[s.Name] = true
	}
	for _, r := range []struct {
		flag, role string
		dst        *string
		work       string   // the work dir's own file, which needs no recall
		users      []string // the steps that use the flag
	}{
		{"chat-csv", RoleChatExport, &o.ChatCSV, "", []string{"chat-users", "build", "inspect"}},
		{"ticket-users", RoleTicketUsers, &o.TicketUsers, workspace.Path(o.WorkDir, workspace.TicketUsersFile), []string{"fetch-users", "merge-users", "build", "verify"}},
		{"out", RoleArchive, &o.Out, workspace.Path(o.WorkDir, workspace.ArchiveFile), []string{"build", "verify"}},
	} {
		used := false
		for _, name := range r.users {
			used = used || selected[name]
		}
		if o.Given(r.flag) || !used {
			continue
		}
		f, ok := report.Find(path, r.role)
		if !ok || f.Path == *r.dst || f.Path == r.work && *r.dst == "" {
			continue
		}
		*r.dst = f.Path
		if w != nil {
			fmt.Fprintf(w, "using --%s %s, as recorded in %s\n", r.flag, f.Path, path)
		}
	}
	return nil
}
