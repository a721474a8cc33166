package steps

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/migrate-tool/migrate/internal/fail"
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
// and says so on w. A flag given wins. The archive is remembered from what
// build wrote, not from an archive verify was asked to check. A relative
// path was relative to the folder the recording run started in: it is
// found again through the work dir, which was given relative to that same
// folder; when it cannot be, the flag must be given again (exit status 2).
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
		from       []string // the steps whose record counts; nil for all
	}{
		{"chat-csv", RoleChatExport, &o.ChatCSV, "", []string{"chat-users", "build", "inspect"}, nil},
		{"ticket-users", RoleTicketUsers, &o.TicketUsers, workspace.Path(o.WorkDir, workspace.TicketUsersFile), []string{"fetch-users", "merge-users", "build", "verify"}, nil},
		{"out", RoleArchive, &o.Out, workspace.Path(o.WorkDir, workspace.ArchiveFile), []string{"build", "verify"}, []string{"build"}},
	} {
		used := false
		for _, name := range r.users {
			used = used || selected[name]
		}
		if o.Given(r.flag) || !used {
			continue
		}
		f, ok := report.Find(path, r.role, r.from...)
		if !ok {
			continue
		}
		p, ok := recordedPath(f.Path, f.WorkDir, o.WorkDir)
		if !ok {
			return fail.Usagef("%s records --%s %s, relative to the folder that run started in, which is not known from here (the work dir was %s then): give --%s again",
				path, r.flag, f.Path, f.WorkDir, r.flag)
		}
		if p == *r.dst || p == r.work && *r.dst == "" {
			continue
		}
		*r.dst = p
		if w != nil {
			fmt.Fprintf(w, "using --%s %s, as recorded in %s\n", r.flag, p, path)
		}
	}
	return nil
}

// recordedPath finds a path a run recorded, with its work dir then, from
// the work dir now. An absolute path stands as it is. A relative one inside
// the work dir of then is taken inside the work dir of now (which may have
// been moved); one outside is taken from the folder that run started in,
// when the work dir now is the work dir of then seen from the same folder.
func recordedPath(p, workThen, workNow string) (string, bool) {
	if filepath.IsAbs(p) {
		return p, true
	}
	if workThen == "" || filepath.IsAbs(workThen) {
		// No way to know where that run started: only a path the same
		// as today's reading is safe.
		return p, workThen == "" || sameDir(workThen, workNow)
	}
	workThen, p = filepath.Clean(workThen), filepath.Clean(p)
	if rel, err := filepath.Rel(workThen, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.Join(workNow, rel), true
	}
	now, err := filepath.Abs(workNow)
	if err != nil {
		return "", false
	}
	if workThen == "." {
		return filepath.Join(now, p), true
	}
	started, ok := strings.CutSuffix(now, string(filepath.Separator)+workThen)
	if !ok {
		return "", false
	}
	if started == "" {
		started = string(filepath.Separator)
	}
	return filepath.Join(started, p), true
}

// sameDir tells whether two paths name the same folder from here.
func sameDir(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}
