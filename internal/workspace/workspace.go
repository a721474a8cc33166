// Package workspace holds the work dir: the names of the files the steps
// pass each other (SPEC section 2), files written atomically, the one reader
// of ticket_platform_users.csv, and SOURCE_DATE_EPOCH.
package workspace

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/migrate-tool/migrate/internal/fail"
)

// File names inside the work dir (SPEC section 2).
const (
	TicketUsersFile = "ticket_platform_users.csv"
	ChatUsersFile   = "chat_platform_users.csv"
	MergedUsersFile = "merged_users.csv"
	RejectsFile     = "rejects.csv"
	ReportFile      = "report.json"
	ArchiveFile     = "backup_tickets.tar.gz"
)

// FileMode is the mode of every file migrate writes: the files hold people's
// names and emails, so only their owner reads them (SPEC section 8).
const FileMode os.FileMode = 0o600

// Path is name inside the work dir dir.
func Path(dir, name string) string { return filepath.Join(dir, name) }

// SourceDateEpoch reads SOURCE_DATE_EPOCH, the fixed entry time of the
// archive: ok is false when it is unset.
func SourceDateEpoch(getenv func(string) string) (epoch int64, ok bool, err error) {
	v := ""
	if getenv != nil {
		v = getenv("SOURCE_DATE_EPOCH")
	}
	if v == "" {
		return 0, false, nil
	}
	t, err := strconv.ParseInt(v, 10, 64)
	if err != nil || t < 0 {
		return 0, false, fail.Usagef("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970: unset it or fix it", v)
	}
	return t, true, nil
}

// File is a file a step read or wrote, as report.json records it.
type File struct {
	// Role says what the file is to the step: "chat_export", "archive"...
	Role   string `json:"-"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
}

// As returns f with the role role.
func (f File) As(role string) File {
	f.Role = role
	return f
}

// Describe returns the path, size and SHA-256 of the file at path.
func Describe(path, role string) (File, error) {
	size, sum, err := HashFile(path, nil)
	if err != nil {
		return File{}, err
	}
	return File{Role: role, Path: path, Size: size, SHA256: sum}, nil
}
