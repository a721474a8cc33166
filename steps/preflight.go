package steps

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/state"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// ErrOutputIsInput is wrapped by the error of a run whose output would
// overwrite one of its inputs.
var ErrOutputIsInput = errors.New("an output names an input")

// ErrNotARegularFile is wrapped by the error of a run whose chat export is
// a pipe, a device or a socket: it is read more than once.
var ErrNotARegularFile = errors.New("not a regular file")

// preflight checks, before the first step starts, every input a selected
// step needs that no earlier selected step writes, and every output: a
// missing or unreadable input, an output that names an input, or an output
// folder that cannot be written stops the run at once (exit status 2),
// before any step reads data (SPEC section 2).
func preflight(o *Options, steps []Step) error {
	made := map[string]bool{}
	// given holds the inputs that exist before the run: those the user
	// names and the work files of steps that are not selected. The mapping
	// was read while the flags were checked; no output may replace it either.
	var given []Input
	if o.Mapping != "" {
		given = append(given, Input{Path: o.Mapping, What: "the mapping (--mapping)"})
	}
	// The files the user names as inputs stay inputs when no selected step
	// reads them: --steps build --ticket-users tp.csv --out tp.csv.
	if exists(o.ChatCSV) {
		given = append(given, o.chatExport())
	}
	if o.ticketUsersGiven() {
		given = append(given, o.ticketUsers())
	}
	for _, s := range steps {
		if s.Reads != nil {
			for _, in := range s.Reads(o) {
				if in.MadeBy != "" && made[in.MadeBy] {
					continue
				}
				given = append(given, in)
				if err := checkInput(in); err != nil {
					return err
				}
			}
		}
		made[s.Name] = true
	}
	for _, s := range steps {
		if s.Check != nil {
			if err := s.Check(o); err != nil {
				return err
			}
		}
	}
	seen := map[string]string{}
	for _, s := range steps {
		if s.Writes == nil {
			continue
		}
		for _, out := range s.Writes(o) {
			for _, in := range given {
				if sameFile(out, in.Path) {
					return fail.Because(fail.Usage, ErrOutputIsInput,
						"%s would write %s, which is %s: nothing was written; choose another output path", s.Name, out, in.What)
				}
			}
			if name, ok := workFileNamed(o.WorkDir, out); ok && out == o.ArchivePath() {
				return fail.Because(fail.Usage, ErrOutputIsInput,
					"--out %s names %s, a file migrate keeps in the work dir: nothing was written; choose another output path", out, name)
			}
			abs := canonical(out)
			if other, ok := seen[abs]; ok {
				if other == s.Name {
					return fail.Because(fail.Usage, ErrOutputIsInput, "%s would write two of its files to %s: choose another output path", s.Name, out)
				}
				return fail.Because(fail.Usage, ErrOutputIsInput, "%s and %s would both write %s: choose another output path", other, s.Name, out)
			}
			seen[abs] = s.Name
			if err := checkOutput(out); err != nil {
				return err
			}
		}
	}
	// Last, so that every other mistake is named first: a pipe would be
	// read by its first reader, and opening one waits for its writer.
	for _, in := range given {
		if !in.Regular {
			continue
		}
		if st, err := os.Stat(in.Path); err == nil && !st.Mode().IsRegular() {
			return fail.Because(fail.Usage, ErrNotARegularFile,
				"%s %s is %s, not a regular file: migrate reads it more than once (its checksum, then the rejected records); save it to a file first", in.What, in.Path, fileKind(st.Mode()))
		}
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return path != "" && err == nil
}

// workFileNamed tells whether path names one of the files migrate keeps in
// the work dir (its users files, report, rejects, database, lock, mapping,
// fetched pages, undo lists), which no archive may replace.
func workFileNamed(workDir, path string) (string, bool) {
	rel, err := filepath.Rel(canonical(workDir), canonical(path))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	first, _, _ := strings.Cut(rel, string(filepath.Separator))
	switch {
	case slices.Contains([]string{workspace.TicketUsersFile, workspace.ChatUsersFile, workspace.MergedUsersFile,
		workspace.RejectsFile, workspace.ReportFile, workspace.LockFile, MappingFile, FetchDir, "runs"}, first),
		strings.HasPrefix(first, state.File):
		return rel, true
	}
	return "", false
}

// canonical is path made absolute with the symbolic links of its folder
// (and of itself, when it exists) resolved: two names of one file that
// does not exist yet compare equal.
func canonical(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// checkInput makes sure a file can be read.
func checkInput(in Input) error {
	st, err := os.Stat(in.Path)
	if errors.Is(err, fs.ErrNotExist) && in.Optional {
		return nil
	}
	if err != nil {
		hint := "check the path"
		switch {
		case in.Hint != "":
			hint = in.Hint
		case in.MadeBy != "":
			hint = "run the " + in.MadeBy + " step first"
		}
		return fail.Usagef("cannot read %s %s: %w (%s)", in.What, in.Path, errors.Unwrap(err), hint)
	}
	if st.IsDir() {
		return fail.Usagef("%s %s is a folder, not a file: name the file itself", in.What, in.Path)
	}
	// Access, not Open: opening a named pipe would wait for its writer.
	if err := syscall.Access(in.Path, unixRead); err != nil {
		return fail.Usagef("cannot read %s %s: %w", in.What, in.Path, err)
	}
	return nil
}

// unixRead is access(2)'s R_OK.
const unixRead = 4

// checkOutput makes sure a file can be written: it is not a folder, and its
// folder exists (or can be created) and takes a new file.
func checkOutput(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fail.Usagef("%s is a folder: name the file to write (for --out, such as %s)", path, filepath.Join(path, "backup_tickets.tar.gz"))
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail.Usagef("cannot write %s: cannot create its folder: %w", path, unwrapPath(err))
	}
	f, err := os.CreateTemp(dir, ".migrate-write-check-*")
	if err != nil {
		return fail.Usagef("cannot write %s: its folder %s does not take new files: %w", path, dir, unwrapPath(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// sameFile tells whether two paths name one file: the same path, or
// os.SameFile.
func sameFile(a, b string) bool {
	if canonical(a) == canonical(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}
