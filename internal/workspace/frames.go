package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-gota/gota/dataframe"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/value"
)

// Sources of a user's destination id, the source column of
// chat_platform_users.csv and merged_users.csv (SPEC section 2).
const (
	SourceTicketPlatform = "ticket_platform"
	SourceChat           = "chat"
	SourcePlaceholder    = "placeholder"
)

// WriteFrame writes a DataFrame as CSV under its final name atomically,
// and describes the file written.
func WriteFrame(path string, df dataframe.DataFrame) (File, error) {
	f, err := CreateAtomic(path)
	if err != nil {
		return File{}, err
	}
	defer f.Abort()
	if err := frame.WriteCSV(f, df); err != nil {
		return File{}, fail.Failf("cannot write %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return File{}, err
	}
	return f.File(""), nil
}

// ReadFrame reads a table that one step writes and a later one reads, with
// the columns cols; writer names that step, for the message that says to
// run it. lines gives the file line of each row, for error messages.
func ReadFrame(path string, cols []string, writer string) (df dataframe.DataFrame, lines []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return df, nil, fail.Usagef("cannot read %s: %w (run the %s step first)", filepath.Base(path), errors.Unwrap(err), writer)
	}
	defer f.Close()
	df, lines, err = frame.ReadCSVLines(f, path, cols, frame.ReadOptions{})
	if err != nil {
		return df, nil, fail.Usagef("%w (rerun the %s step)", err, writer)
	}
	return df, lines, nil
}

// FormatChatIDs writes the chat_ids column: ids space-separated.
func FormatChatIDs(ids []int64) string {
	var b strings.Builder
	for k, id := range ids {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// ParseChatIDs reads the chat_ids column.
func ParseChatIDs(s string) ([]int64, bool) {
	parts := strings.Fields(s)
	if len(parts) == 0 {
		return nil, false
	}
	ids := make([]int64, len(parts))
	for i, p := range parts {
		id, ok := value.ParseID(p)
		if !ok {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}
