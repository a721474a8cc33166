package steps

// The verify step reads an archive back and reports every way it breaks the
// contract of SPEC sections 6 and 9, each violation on one line naming the tar
// entry and the JSON path of the offending value:
//
//	backup_tickets_3.json: data.tickets.comments[17].author_id: 999 names no user in the archive or in ticket_platform_users.csv
//
// The output lists each file's own violations (tar header, then JSON, in
// file order), file by file; then the checks across files: the entries'
// time, repeated ids and emails, and references to no ticket or user, each
// in archive order.
//
// An archive of the seed's size holds 21k files and 500 MB of JSON, so the
// work is split three ways. One goroutine decompresses and reads the tar
// entries (the serial part); GOMAXPROCS workers check each file's JSON with a
// scanner written for this one schema (a generic decoder would build values
// only to throw them away) and keep its ids; one goroutine takes the files
// back in archive order, prints their violations and checks emails. Ids and
// references are checked last, against bitmaps of the ids, when every ticket
// and user is known.

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/migrate-tool/migrate/internal/fail"
	"github.com/migrate-tool/migrate/internal/progress"
	"github.com/migrate-tool/migrate/internal/report"
	"github.com/migrate-tool/migrate/internal/value"
	"github.com/migrate-tool/migrate/internal/workspace"
)

// verifyMaxObjects is the most objects one array of one file may hold: the
// destination refuses more (SPEC section 6).
const verifyMaxObjects = 100

// verifyMaxPrinted is how many violations are printed; the rest are counted.
const verifyMaxPrinted = 1000

// verifyMaxFileSize bounds the size of one archive file read into memory. A
// batch of 100 comments is far below it; a larger entry is reported, not read.
const verifyMaxFileSize = 1 << 30

// verifyMaxDepth bounds the nesting of values the scanner skips, so that a
// hostile file cannot exhaust the stack.
const verifyMaxDepth = 512

// Verify is the verify step (SPEC section 9). It prints the violations it
// finds to env.Stdout, at most verifyMaxPrinted of them, and returns their
// number. Violations make the error an *Error with Code fail.Violations; a missing
// or unreadable archive or ticket platform file is bad input (fail.Usage).
func Verify(ctx context.Context, env *Env, _ *Memo) (report.Counts, error) {
	archive := env.Opt.ArchivePath()
	tpPath := env.Opt.TicketUsersPath()
	tpIDs, tpFound, err := readTicketPlatformIDs(tpPath, env.Opt.NullValues)
	if err != nil {
		return nil, err
	}
	epoch, epochSet, err := workspace.SourceDateEpoch(env.Getenv)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(archive)
	if err != nil {
		return nil, fail.Usagef("cannot read the archive %s: %v; run the build step first (--steps build) or name the archive with --out", archive, errors.Unwrap(err))
	}
	defer f.Close()
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	v := &verifier{
		archive:  archive,
		tpPath:   tpPath,
		tpFound:  tpFound,
		tpIDs:    tpIDs,
		now:      now,
		epoch:    epoch,
		epochSet: epochSet,
		out:      bufio.NewWriterSize(env.Stdout, 64<<10),
		emails:   map[string]verifyLoc{},
	}
	var in io.Reader = f
	if env.Progress != nil {
		size := int64(-1)
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		task := env.Progress.Start("verify", "bytes", size)
		defer task.Done()
		in = &verifyProgressReader{r: f, task: task}
	}
	gz, err := gzip.NewReader(bufio.NewReaderSize(in, 1<<20))
	if err != nil {
		if errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fail.Usagef("%s is not a gzip-compressed tar archive (%v): run the build step to write it, or name the right file with --out", archive, err)
		}
		return nil, fail.Failf("cannot read the archive %s: %v", archive, err)
	}
	defer gz.Close()
	if err := v.read(ctx, gz); err != nil {
		return nil, err
	}
	unchecked := v.streamBroken || v.fileBroken
	v.crossChecks(!unchecked)
	if err := v.finish(); err != nil {
		return nil, fail.Failf("cannot print the violations: %v", err)
	}
	counts := report.Counts{{"violations", v.count}}
	if v.count > 0 {
		noun := "violations"
		if v.count == 1 {
			noun = "violation"
		}
		msg := fmt.Sprintf("%d %s in %s", v.count, noun, archive)
		if unchecked {
			msg += " (references not checked: part of the archive could not be read)"
		}
		return counts, &fail.Error{Code: fail.Violations, Err: errors.New(msg)}
	}
	return counts, nil
}

// verifyProgressReader reports the compressed bytes read.
type verifyProgressReader struct {
	r    io.Reader
	task *progress.Task
}

func (p *verifyProgressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.task.Add(int64(n))
	return n, err
}

// readTicketPlatformIDs reads the ids of the ticket platform's export (SPEC
// section 2), sorted: found is false when the file does not exist, in which case only
// the archive's users count. A file that exists but cannot be read, lacks the
// id or email column, or holds a row whose id is not a valid id is bad input.
func readTicketPlatformIDs(path string, nullValues []string) (ids []int64, found bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fail.Usagef("cannot read the ticket platform users %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, false, fail.Usagef("%s is empty: want a header line id,email; fetch it again (--steps fetch-users) or name another file with --ticket-users", path)
	}
	if err != nil {
		return nil, false, fail.Usagef("cannot read %s: %v; fix the file or fetch it again (--steps fetch-users)", path, err)
	}
	idCol, emailCol := -1, -1
	var names []string
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff")
		}
		name = value.TrimSpace(name)
		names = append(names, name)
		switch {
		case strings.EqualFold(name, "id"):
			if idCol >= 0 {
				return nil, false, fail.Usagef("%s line 1: column id appears twice; keep one", path)
			}
			idCol = i
		case strings.EqualFold(name, "email"):
			if emailCol >= 0 {
				return nil, false, fail.Usagef("%s line 1: column email appears twice; keep one", path)
			}
			emailCol = i
		}
	}
	if idCol < 0 || emailCol < 0 {
		var missing []string
		if idCol < 0 {
			missing = append(missing, "id")
		}
		if emailCol < 0 {
			missing = append(missing, "email")
		}
		return nil, false, fail.Usagef("%s line 1: missing column %s (found %s); want a header id,email", path, strings.Join(missing, ", "), strings.Join(names, ", "))
	}
	nulls := value.NewNulls(nullValues)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, fail.Usagef("cannot read %s: %v; fix the file or fetch it again (--steps fetch-users)", path, err)
		}
		raw := value.TrimSpace(rec[idCol])
		id, ok := int64(0), false
		if !nulls.IsNull(raw) {
			id, ok = value.ParseID(raw)
		}
		if !ok {
			line, _ := r.FieldPos(idCol)
			return nil, false, fail.Usagef("%s line %d: id %q is not a valid id (digits, greater than 0, at most %d); fix the file or fetch it again (--steps fetch-users)", path, line, rec[idCol], int64(math.MaxInt64))
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, true, nil
}

// verifier holds what verify learns about one archive.
type verifier struct {
	archive string
	tpPath  string
	tpFound bool
	tpIDs   []int64 // sorted
	now     time.Time
	// epoch is SOURCE_DATE_EPOCH when epochSet: the entries' time.
	epoch    int64
	epochSet bool

	out   *bufio.Writer
	count int
	werr  error

	// files are the files whose JSON was scanned, with their records, in
	// archive order; a verifyLoc counts files here.
	files []*verifyFile
	// emails maps each lowercased non-empty email to where it is first.
	emails    map[string]verifyLoc
	emailDups []verifyCross

	// streamBroken (set by the reader) and fileBroken (set by the merger)
	// say some content could not be read: references into it would be
	// reported falsely, so they are not checked.
	streamBroken, fileBroken bool
}

// verifyViolation is one violation inside a file; off orders a file's
// violations as they stand in the file (-1: the tar header).
type verifyViolation struct {
	off  int
	text string
}

// verifyFile is one tar entry on its way through the workers.
type verifyFile struct {
	name   string // as printed
	header []string
	data   []byte // nil when the content is not checked
	// scanned is set for the files whose JSON is checked; broken when a
	// syntax error stopped the check before the end.
	scanned, broken bool
	buf             *[]byte
	done            chan struct{}
	// mtime is the entry's modification time; newest its latest created_at
	// (-1: none).
	mtime, newest int64

	bad []verifyViolation
	*verifyRecords
}

// verifyRecords are the records kept of one file's objects; element i of an
// array is entry i of its slice.
type verifyRecords struct {
	tickets  []verifyTicket
	comments []verifyComment
	users    []verifyUser
}

// The records kept of each object for the checks across files; 0 stands for
// an id that is missing or invalid (and reported as such).
type (
	verifyTicket struct {
		id, requester int64
	}
	verifyComment struct {
		id, ticket, author int64
	}
	verifyUser struct {
		id    int64
		email string
	}
)

var verifyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// read walks the tar entries, checks their headers, hands the JSON files to
// the workers and merges their results in archive order.
func (v *verifier) read(ctx context.Context, gz io.Reader) error {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *verifyFile, 2*workers)
	order := make(chan *verifyFile, 8*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s verifyScanner
			s.now = v.now.Unix()
			for f := range jobs {
				s.scan(f)
				f.broken, f.newest = s.failed, s.newest
				f.data = nil
				verifyBuffers.Put(f.buf)
				f.buf = nil
				close(f.done)
			}
		}()
	}
	merged := make(chan struct{})
	go func() {
		defer close(merged)
		for f := range order {
			<-f.done
			v.merge(f)
		}
	}()

	err := v.entries(ctx, gz, jobs, order)
	close(jobs)
	close(order)
	wg.Wait()
	<-merged
	return err
}

var verifyClosed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// entries reads the tar stream. Damage to the stream is a violation of the
// archive and ends the reading; only a cancelled context is an error.
func (v *verifier) entries(ctx context.Context, gz io.Reader, jobs, order chan<- *verifyFile) error {
	tr := tar.NewReader(gz)
	next := 1 // the number the next backup_tickets_N.json should carry
	last := "the start"
	for {
		if err := ctx.Err(); err != nil {
			return fail.Failf("verify interrupted: %v", err)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			v.streamBroken = true
			order <- &verifyFile{name: v.archive, header: []string{fmt.Sprintf("cannot read the tar entry after %s: %v; the archive is truncated or not a tar file, write it again (--steps build)", last, err)}, done: verifyClosed}
			return nil
		}
		f := &verifyFile{name: verifyEntryName(hdr.Name), done: verifyClosed, mtime: hdr.ModTime.Unix()}
		last = f.name
		number, named := verifyFileNumber(hdr.Name)
		if hdr.Typeflag != tar.TypeReg {
			f.header = append(f.header, fmt.Sprintf("is %s; the archive holds only regular files backup_tickets_1.json .. backup_tickets_N.json", verifyTypeName(hdr.Typeflag)))
			order <- f
			continue
		}
		switch {
		case !named:
			f.header = append(f.header, fmt.Sprintf("unexpected entry: the archive holds only backup_tickets_1.json .. backup_tickets_N.json (want backup_tickets_%d.json here)", next))
		case number != next:
			f.header = append(f.header, fmt.Sprintf("out of sequence: want backup_tickets_%d.json here; files are numbered from 1, in order, without gaps", next))
			next = number + 1
		default:
			next++
		}
		if hdr.Mode&0o7777 != 0o644 {
			f.header = append(f.header, fmt.Sprintf("mode %04o; want 0644", hdr.Mode&0o7777))
		}
		if hdr.Uid != 0 || hdr.Gid != 0 {
			f.header = append(f.header, fmt.Sprintf("owner %d:%d; want 0:0", hdr.Uid, hdr.Gid))
		}
		if hdr.Uname != "" || hdr.Gname != "" {
			f.header = append(f.header, fmt.Sprintf("owner names %q:%q; want both empty", hdr.Uname, hdr.Gname))
		}
		if hdr.Format == tar.FormatGNU {
			f.header = append(f.header, "written in GNU tar format; want POSIX tar (ustar or pax)")
		}
		if !named {
			order <- f
			continue
		}
		if hdr.Size > verifyMaxFileSize {
			v.streamBroken = true
			f.header = append(f.header, fmt.Sprintf("is %d bytes, too large for one batch of at most %d objects per array; not checked further", hdr.Size, verifyMaxObjects))
			order <- f
			continue
		}
		f.buf = verifyBuffers.Get().(*[]byte)
		data := slices.Grow((*f.buf)[:0], int(hdr.Size))[:hdr.Size]
		*f.buf = data
		if _, err := io.ReadFull(tr, data); err != nil {
			v.streamBroken = true
			verifyBuffers.Put(f.buf)
			f.buf = nil
			f.header = append(f.header, fmt.Sprintf("cannot read its content: %v; the archive is truncated or damaged, write it again (--steps build)", err))
			order <- f
			return nil
		}
		f.data = data
		f.scanned = true
		f.done = make(chan struct{})
		order <- f
		jobs <- f
	}
	// The tar end comes before the gzip trailer; reading on checks the
	// checksum and finds anything appended.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		v.streamBroken = true
		order <- &verifyFile{name: v.archive, header: []string{fmt.Sprintf("damaged after the tar end: %v; write it again (--steps build)", err)}, done: verifyClosed}
	}
	return nil
}

// verifyFileNumber returns N for a name backup_tickets_N.json, N written
// without leading zeros.
func verifyFileNumber(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "backup_tickets_")
	if !ok {
		return 0, false
	}
	digits, ok = strings.CutSuffix(digits, ".json")
	if !ok || digits == "" || digits[0] == '0' || len(digits) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// verifyEntryName returns an entry name fit for one line of output.
func verifyEntryName(name string) string {
	for _, r := range name {
		if r < 0x21 || r == 0x7f || r == utf8.RuneError || r == '"' {
			return strconv.Quote(name)
		}
	}
	if name == "" {
		return `""`
	}
	return name
}

func verifyTypeName(t byte) string {
	switch t {
	case tar.TypeDir:
		return "a directory"
	case tar.TypeSymlink:
		return "a symbolic link"
	case tar.TypeLink:
		return "a hard link"
	case tar.TypeChar, tar.TypeBlock:
		return "a device"
	case tar.TypeFifo:
		return "a named pipe"
	case tar.TypeXGlobalHeader:
		return "a pax global header"
	}
	return fmt.Sprintf("an entry of type %q", t)
}

// merge keeps the records of one file for the checks across files, checks
// its emails against the files before it, then prints the file's own
// violations. It runs on one goroutine, in archive order.
func (v *verifier) merge(f *verifyFile) {
	if !f.scanned {
		// Not scanned: only its header speaks.
		v.printFile(f)
		return
	}
	v.fileBroken = v.fileBroken || f.broken
	file := len(v.files)
	v.files = append(v.files, f)
	for i, u := range f.users {
		if u.email == "" {
			continue
		}
		loc := newVerifyLoc(file, verifyInUsers, i)
		key := strings.ToLower(u.email)
		if first, dup := v.emails[key]; dup {
			v.emailDups = append(v.emailDups, verifyCross{loc: loc, what: verifyDuplicateEmail, first: first, email: u.email})
			continue
		}
		v.emails[key] = loc
	}
	if len(f.bad) > 1 {
		slices.SortStableFunc(f.bad, func(a, b verifyViolation) int { return a.off - b.off })
	}
	v.printFile(f)
	f.bad, f.header = nil, nil
}

func (v *verifier) printFile(f *verifyFile) {
	for _, h := range f.header {
		v.print(f.name + ": " + h)
	}
	for _, b := range f.bad {
		v.print(f.name + ": " + b.text)
	}
}

func (v *verifier) print(line string) {
	v.count++
	if v.count > verifyMaxPrinted || v.werr != nil {
		return
	}
	if _, err := v.out.WriteString(line); err != nil {
		v.werr = err
	}
	v.out.WriteByte('\n')
}

// finish prints how many violations were left out and flushes the output.
func (v *verifier) finish() error {
	if v.count > verifyMaxPrinted && v.werr == nil {
		fmt.Fprintf(v.out, "... and %d more violations (%d in all)\n", v.count-verifyMaxPrinted, v.count)
	}
	if v.werr != nil {
		return v.werr
	}
	return v.out.Flush()
}

// verifyLoc packs where an object stands: the file's position among the
// scanned files, its array and its index there. Locations order as the
// archive does.
type verifyLoc uint64

// The arrays, in their order in a file.
const (
	verifyInTickets = iota
	verifyInComments
	verifyInUsers
)

// An index fits 30 bits: a file is at most 1 GiB and an object takes 2 bytes.
func newVerifyLoc(file, array, idx int) verifyLoc {
	return verifyLoc(uint64(file)<<32 | uint64(array)<<30 | uint64(idx))
}

func (l verifyLoc) file() int  { return int(l >> 32) }
func (l verifyLoc) array() int { return int(l>>30) & 3 }
func (l verifyLoc) idx() int   { return int(l & (1<<30 - 1)) }

var (
	verifyArrayNames = [...]string{"data", "comments", "users"}
	verifyArrayNouns = [...]string{"ticket", "comment", "user"}
)

// path names the object at l as a JSON path.
func (l verifyLoc) path() string {
	return "data.tickets." + verifyArrayNames[l.array()] + "[" + strconv.Itoa(l.idx()) + "]"
}

// verifyCross is a violation found across files.
type verifyCross struct {
	loc   verifyLoc
	what  verifyCrossKind
	id    int64
	first verifyLoc // where a repeated id or email was first
	email string
}

type verifyCrossKind uint8

// The kinds in the order of their keys within an object.
const (
	verifyDuplicateID verifyCrossKind = iota
	verifyDuplicateEmail
	verifyNoTicket    // a comment's ticket_id
	verifyNoRequester // a ticket's requester_id
	verifyNoAuthor    // a comment's author_id
)

func (v *verifier) crossText(c verifyCross, nowhere string) string {
	at := v.files[c.loc.file()].name + ": " + c.loc.path()
	switch c.what {
	case verifyDuplicateID:
		return fmt.Sprintf("%s.id: %s id %d is already used by %s %s.id", at, verifyArrayNouns[c.loc.array()], c.id, v.files[c.first.file()].name, c.first.path())
	case verifyDuplicateEmail:
		return fmt.Sprintf("%s.email: %q is already the email of %s %s.email (emails are compared lowercased)", at, c.email, v.files[c.first.file()].name, c.first.path())
	case verifyNoTicket:
		return fmt.Sprintf("%s.ticket_id: %d names no ticket in the archive", at, c.id)
	case verifyNoRequester:
		return fmt.Sprintf("%s.requester_id: %d names no user %s", at, c.id, nowhere)
	}
	return fmt.Sprintf("%s.author_id: %d names no user %s", at, c.id, nowhere)
}

// printCross prints violations found across files, in archive order.
func (v *verifier) printCross(list []verifyCross, nowhere string) {
	slices.SortStableFunc(list, func(a, b verifyCross) int {
		if a.loc != b.loc {
			if a.loc < b.loc {
				return -1
			}
			return 1
		}
		return int(a.what) - int(b.what)
	})
	for _, c := range list {
		if v.count >= verifyMaxPrinted {
			v.count++ // counted, not formatted
			continue
		}
		v.print(v.crossText(c, nowhere))
	}
}

// ids yields the ids of one array of every scanned file, in archive order,
// 0 for those missing or invalid.
func (v *verifier) ids(array int) func(yield func(int64) bool) {
	return func(yield func(int64) bool) {
		for _, f := range v.files {
			switch array {
			case verifyInTickets:
				for _, t := range f.tickets {
					if !yield(t.id) {
						return
					}
				}
			case verifyInComments:
				for _, c := range f.comments {
					if !yield(c.id) {
						return
					}
				}
			default:
				for _, u := range f.users {
					if !yield(u.id) {
						return
					}
				}
			}
		}
	}
}

// crossChecks runs, once every file is merged, the checks that span files:
// ids unique per kind and, when refs (every file was read whole), the
// entries' time and every reference naming a ticket or a user. It prints
// the time, the repeats, then the references, each in archive order.
func (v *verifier) crossChecks(refs bool) {
	var sets [3]verifyIDSet
	var repeated [3][]int64
	if refs {
		v.checkModTimes()
	}
	var wg sync.WaitGroup
	for array := range sets {
		wg.Go(func() { sets[array], repeated[array] = newVerifyIDSet(v.ids(array)) })
	}
	wg.Wait()
	dups := v.emailDups
	for array, rep := range repeated {
		if len(rep) > 0 {
			dups = v.duplicates(dups, array, rep)
		}
	}
	v.printCross(dups, "")
	if !refs {
		return
	}
	nowhere := "in the archive or in " + v.tpPath
	if !v.tpFound {
		nowhere = "in the archive (" + v.tpPath + " does not exist)"
	}
	tickets, users := &sets[verifyInTickets], &sets[verifyInUsers]
	tp, _ := newVerifyIDSet(slices.Values(v.tpIDs))
	userKnown := func(id int64) bool { return users.has(id) || tp.has(id) }
	// The sets are only read now, so the files are shared among workers.
	missing := make([][]verifyCross, len(v.files))
	var next atomic.Int64
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				file := int(next.Add(1) - 1)
				if file >= len(v.files) {
					return
				}
				f := v.files[file]
				var out []verifyCross
				for i, t := range f.tickets {
					if t.requester != 0 && !userKnown(t.requester) {
						out = append(out, verifyCross{loc: newVerifyLoc(file, verifyInTickets, i), what: verifyNoRequester, id: t.requester})
					}
				}
				for i, c := range f.comments {
					if c.ticket != 0 && !tickets.has(c.ticket) {
						out = append(out, verifyCross{loc: newVerifyLoc(file, verifyInComments, i), what: verifyNoTicket, id: c.ticket})
					}
					if c.author != 0 && !userKnown(c.author) {
						out = append(out, verifyCross{loc: newVerifyLoc(file, verifyInComments, i), what: verifyNoAuthor, id: c.author})
					}
				}
				missing[file] = out
			}
		})
	}
	wg.Wait()
	for _, out := range missing {
		v.printCross(out, nowhere)
	}
}

// checkModTimes checks that every entry carries the time SPEC section 6
// gives them all: SOURCE_DATE_EPOCH when set, else the newest created_at in
// the archive. A build run with another SOURCE_DATE_EPOCH than this verify
// would make every entry differ, so the entries that do are one violation.
func (v *verifier) checkModTimes() {
	if len(v.files) == 0 {
		return
	}
	want, why := v.epoch, "SOURCE_DATE_EPOCH"
	if !v.epochSet {
		want, why = 0, "the newest created_at in the archive (SOURCE_DATE_EPOCH is not set)"
		for _, f := range v.files {
			want = max(want, f.newest)
		}
	}
	var first *verifyFile
	more := 0
	for _, f := range v.files {
		if f.mtime == want {
			continue
		}
		if first == nil {
			first = f
		} else {
			more++
		}
	}
	if first == nil {
		return
	}
	line := fmt.Sprintf("%s: modification time %s; want %s, %s", first.name, verifyFormatTime(first.mtime), verifyFormatTime(want), why)
	if more > 0 {
		line += fmt.Sprintf(" (and %d more entries like it)", more)
	}
	v.print(line)
}

func verifyFormatTime(unix int64) string {
	return time.Unix(unix, 0).UTC().Format("2006-01-02T15:04:05Z")
}

// duplicates appends a violation for every occurrence after the first of
// the repeated ids of one array.
func (v *verifier) duplicates(out []verifyCross, array int, repeated []int64) []verifyCross {
	const unseen = ^verifyLoc(0)
	first := make(map[int64]verifyLoc, len(repeated))
	for _, id := range repeated {
		first[id] = unseen
	}
	for file, f := range v.files {
		n := [...]int{len(f.tickets), len(f.comments), len(f.users)}[array]
		for idx := range n {
			var id int64
			switch array {
			case verifyInTickets:
				id = f.tickets[idx].id
			case verifyInComments:
				id = f.comments[idx].id
			default:
				id = f.users[idx].id
			}
			at, ok := first[id]
			if !ok {
				continue
			}
			loc := newVerifyLoc(file, array, idx)
			if at == unseen {
				first[id] = loc
				continue
			}
			out = append(out, verifyCross{loc: loc, what: verifyDuplicateID, id: id, first: at})
		}
	}
	return out
}

// verifyIDSet is a set of ids: a bitmap over their range when that is dense
// enough (ids handed out in sequence), else the sorted distinct ids. Looking
// millions of references up in a bitmap that fits the cache is an order of
// magnitude faster than in a hash map of the same ids.
type verifyIDSet struct {
	min    int64
	bits   []uint64
	sorted []int64
}

// verifyBitmapMax bounds a bitmap to 16 MiB: cheap to clear even for a few
// ids far apart, and lookups in it still beat a binary search.
const verifyBitmapMax = 1 << 27

// newVerifyIDSet returns the set of the ids seq yields, 0 aside, and the ids
// it yields more than once.
func newVerifyIDSet(seq func(yield func(int64) bool)) (set verifyIDSet, repeated []int64) {
	n := 0
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for id := range seq {
		if id != 0 {
			n++
			lo, hi = min(lo, id), max(hi, id)
		}
	}
	if n == 0 {
		return set, nil
	}
	if span := uint64(hi-lo) + 1; span <= verifyBitmapMax {
		bits := make([]uint64, (span+63)/64)
		for id := range seq {
			if id == 0 {
				continue
			}
			d := uint64(id - lo)
			w, m := d>>6, uint64(1)<<(d&63)
			if bits[w]&m != 0 {
				repeated = append(repeated, id)
			}
			bits[w] |= m
		}
		return verifyIDSet{min: lo, bits: bits}, slices.Compact(slices.Sorted(slices.Values(repeated)))
	}
	sorted := make([]int64, 0, n)
	for id := range seq {
		if id != 0 {
			sorted = append(sorted, id)
		}
	}
	sorted = verifySortIDs(sorted)
	distinct := sorted[:0]
	for i, id := range sorted {
		if i > 0 && id == sorted[i-1] {
			if len(repeated) == 0 || repeated[len(repeated)-1] != id {
				repeated = append(repeated, id)
			}
			continue
		}
		distinct = append(distinct, id)
	}
	return verifyIDSet{sorted: distinct}, repeated
}

func (s *verifyIDSet) has(id int64) bool {
	if s.bits != nil {
		d := uint64(id - s.min)
		return id >= s.min && d < uint64(len(s.bits))*64 && s.bits[d>>6]&(1<<(d&63)) != 0
	}
	_, ok := slices.BinarySearch(s.sorted, id)
	return ok
}

// verifySortIDs sorts positive ids with an LSD radix sort, skipping the
// passes over bytes that every id shares: ids rarely use all eight.
func verifySortIDs(a []int64) []int64 {
	if len(a) < 2 {
		return a
	}
	var bits uint64
	for _, id := range a {
		bits |= uint64(id)
	}
	src, dst := a, make([]int64, len(a))
	for shift := 0; shift < 64 && bits>>shift != 0; shift += 8 {
		var count [256]int
		for _, id := range src {
			count[byte(uint64(id)>>shift)]++
		}
		if count[byte(uint64(src[0])>>shift)] == len(src) {
			continue
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, id := range src {
			b := byte(uint64(id) >> shift)
			dst[count[b]] = id
			count[b]++
		}
		src, dst = dst, src
	}
	return src
}

// The schema of one archive file (SPEC sections 4 to 6), as the scanner walks
// it: each object kind lists its keys in order and what each key holds.

type verifyField uint8

const (
	verifyObject verifyField = iota // an object of kind sub
	verifyArray                     // an array of objects of kind sub; sub nil: must be empty
	verifyID                        // an integer id, 1..MaxInt64
	verifyTime                      // a string 2006-01-02T15:04:05Z
	verifyBool                      // true or false
	verifyString                    // any string
	verifyEmail                     // any string, unique when not empty
)

type verifyKind struct {
	// name is what a value of this kind is called in messages, with its
	// article: "a comment object".
	name string
	// path is the JSON path of the object, or of the array for elements.
	path    string
	element bool
	keys    []string
	fields  []verifyField
	subs    []*verifyKind
	// want lists the keys for messages.
	want string
}

func newVerifyKind(name, path string, element bool, keys []string, fields []verifyField, subs []*verifyKind) *verifyKind {
	if subs == nil {
		subs = make([]*verifyKind, len(keys))
	}
	return &verifyKind{name: name, path: path, element: element, keys: keys, fields: fields, subs: subs, want: strings.Join(keys, ", ")}
}

// Positions of the keys whose values the scanner keeps.
const (
	verifyTicketRequesterKey = 1
	verifyTicketIDKey        = 2
	verifyCommentTicketKey   = 1
	verifyCommentIDKey       = 2
	verifyCommentAuthorKey   = 5
	verifyUserIDKey          = 1
)

var (
	verifyTicketKind = newVerifyKind("a ticket object", "data.tickets.data", true,
		[]string{"created_at", "requester_id", "id"},
		[]verifyField{verifyTime, verifyID, verifyID}, nil)
	verifyCommentKind = newVerifyKind("a comment object", "data.tickets.comments", true,
		[]string{"created_at", "ticket_id", "id", "public", "html_body", "author_id"},
		[]verifyField{verifyTime, verifyID, verifyID, verifyBool, verifyString, verifyID}, nil)
	verifyUserKind = newVerifyKind("a user object", "data.tickets.users", true,
		[]string{"name", "id", "email"},
		[]verifyField{verifyString, verifyID, verifyEmail}, nil)
	verifyTicketsKind = newVerifyKind("an object", "data.tickets", false,
		[]string{"data", "comments", "users", "organizations"},
		[]verifyField{verifyArray, verifyArray, verifyArray, verifyArray},
		[]*verifyKind{verifyTicketKind, verifyCommentKind, verifyUserKind, nil})
	verifyDataKind = newVerifyKind("an object", "data", false,
		[]string{"tickets"}, []verifyField{verifyObject}, []*verifyKind{verifyTicketsKind})
	verifyRootKind = newVerifyKind("a JSON object", "", false,
		[]string{"data"}, []verifyField{verifyObject}, []*verifyKind{verifyDataKind})
)

// verifyAt is where the scanner stands, enough to name the JSON path. It
// changes at every key, so the key is a number: writing a pointer there
// would cost a write barrier while the collector runs.
type verifyAt struct {
	kind *verifyKind
	idx  int
	// key is the position of the key in kind.keys, or one of these.
	key int
}

const (
	verifyNoKey  = -1 // the object itself
	verifyOddKey = -2 // a key the kind does not have: verifyScanner.oddKey
)

// path names the current value as a JSON path.
func (s *verifyScanner) path() string {
	a := s.at
	var b strings.Builder
	b.WriteString(a.kind.path)
	if a.kind.element {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(a.idx))
		b.WriteByte(']')
	}
	key := ""
	switch {
	case a.key >= 0:
		key = a.kind.keys[a.key]
	case a.key == verifyOddKey:
		key = s.oddKey
	default:
		return b.String()
	}
	if verifyPlainKey(key) && key != "" {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(key)
	} else {
		b.WriteByte('[')
		b.WriteString(strconv.Quote(key))
		b.WriteByte(']')
	}
	return b.String()
}

func verifyPlainKey(key string) bool {
	for _, c := range []byte(key) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// verifyRecord is what the scanner keeps of the object it is reading.
type verifyRecord struct {
	vals  [6]int64
	email string
}

// verifyScanner checks one file's bytes against the schema. It reads the
// bytes once, without building values: problems that leave the structure
// readable (a wrong type, a bad key, invalid UTF-8) are reported and the
// scan goes on; a syntax error is reported and ends the scan of that file.
type verifyScanner struct {
	b      []byte
	i      int
	f      *verifyFile
	now    int64
	at     verifyAt
	rec    verifyRecord
	oddKey string
	recs   verifyRecords
	failed bool
	newest int64 // the latest created_at read, -1 before any
	tmp    []byte
}

func (s *verifyScanner) scan(f *verifyFile) {
	s.b, s.i, s.f, s.failed, s.newest = f.data, 0, f, false, -1
	s.at = verifyAt{kind: verifyRootKind, key: verifyNoKey}
	s.recs.tickets, s.recs.comments, s.recs.users = s.recs.tickets[:0], s.recs.comments[:0], s.recs.users[:0]
	defer func() {
		// The scratch records grow once per worker; each file keeps a copy
		// of its own size.
		f.verifyRecords = &verifyRecords{
			tickets:  slices.Clone(s.recs.tickets),
			comments: slices.Clone(s.recs.comments),
			users:    slices.Clone(s.recs.users),
		}
		clear(s.recs.users)
		s.b, s.f = nil, nil
	}()
	if len(s.b) >= 3 && string(s.b[:3]) == "\ufeff" {
		s.report(0, "starts with a byte order mark; want JSON without one")
		s.i = 3
	}
	s.ws()
	if s.i == len(s.b) {
		s.report(0, "is empty; want one JSON object")
		return
	}
	if !s.object(verifyRootKind, 0) {
		return
	}
	s.ws()
	if s.i < len(s.b) {
		s.at = verifyAt{kind: verifyRootKind, key: verifyNoKey}
		s.report(s.i, fmt.Sprintf("more data after the JSON object at %s; want one JSON object per file", s.position(s.i)))
	}
}

// report adds a violation at the current path.
func (s *verifyScanner) report(off int, msg string) {
	p := s.path()
	if p != "" {
		msg = p + ": " + msg
	}
	s.f.bad = append(s.f.bad, verifyViolation{off, msg})
}

// syntax reports a syntax error and stops the scan.
func (s *verifyScanner) syntax(msg string) bool {
	s.report(s.i, fmt.Sprintf("invalid JSON at %s: %s; the rest of the file is not checked", s.position(s.i), msg))
	s.failed = true
	return false
}

// position names a byte offset as line, column and byte, as a user counts them.
func (s *verifyScanner) position(off int) string {
	line, col := 1, 1
	for _, c := range s.b[:min(off, len(s.b))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d (byte %d)", line, col, off)
}

func (s *verifyScanner) found() string {
	if s.i >= len(s.b) {
		return "the end of the file"
	}
	c := s.b[s.i]
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (s *verifyScanner) ws() {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return // compact JSON has none
	}
	s.wsSlow()
}

func (s *verifyScanner) wsSlow() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *verifyScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// object reads an object of kind k (s.at already names it) and keeps what its
// elements hold in s.rec. It returns false after a syntax error.
func (s *verifyScanner) object(k *verifyKind, idx int) bool {
	here := verifyAt{kind: k, idx: idx, key: verifyNoKey}
	start := s.i
	if s.peek() != '{' {
		return s.wrongType(start, "want "+k.name)
	}
	s.at = here
	s.i++
	var seen uint32
	var order [8]int8
	n := 0
	outOfOrder := false
	last := -1
	s.ws()
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			s.ws()
			s.at.key = verifyNoKey
			if s.peek() != '"' {
				return s.syntax("want a key string, found " + s.found())
			}
			ks, ke, esc, ok := s.str()
			if !ok {
				return false
			}
			ki := k.find(s.b[ks:ke], esc, s, last+1)
			s.ws()
			if s.peek() != ':' {
				return s.syntax("want ':' after a key, found " + s.found())
			}
			s.i++
			s.ws()
			switch {
			case ki < 0:
				key := string(s.b[ks:ke])
				if esc {
					key = string(verifyUnquote(s.tmp[:0], s.b[ks:ke]))
				}
				s.oddKey = key
				s.at.key = verifyOddKey
				s.report(ks-1, "unexpected key; "+k.exactly())
				if !s.skipValue(0) {
					return false
				}
			case seen&(1<<ki) != 0:
				s.at.key = ki
				s.report(ks-1, "repeated key; the first one is kept")
				if !s.skipValue(0) {
					return false
				}
			default:
				seen |= 1 << ki
				if ki < last {
					outOfOrder = true
				}
				last = ki
				if n < len(order) {
					order[n] = int8(ki)
					n++
				}
				s.at.key = ki
				if !s.field(k, ki) {
					return false
				}
				if k.fields[ki] <= verifyArray {
					s.at = here // a nested object or array moved it
				}
			}
			s.ws()
			c := s.peek()
			if c == ',' {
				s.i++
				continue
			}
			if c == '}' {
				s.i++
				break
			}
			s.at.key = verifyNoKey
			return s.syntax("want ',' or '}' after a value in an object, found " + s.found())
		}
	}
	s.at.key = verifyNoKey
	for ki, key := range k.keys {
		if seen&(1<<ki) == 0 {
			s.report(start, "missing key "+key+"; "+k.exactly())
		}
	}
	if outOfOrder {
		got := make([]string, n)
		for i := range got {
			got[i] = k.keys[order[i]]
		}
		s.report(start, fmt.Sprintf("keys in the order %s; want %s", strings.Join(got, ", "), k.want))
	}
	return true
}

func (k *verifyKind) exactly() string {
	if k.element {
		return strings.TrimSuffix(k.name, " object") + " has exactly the keys " + k.want + ", in that order"
	}
	return "want exactly the keys " + k.want + ", in that order"
}

// find returns the position of key among k's keys, or -1. It tries the key
// expected next first: in a good file that is the one.
func (k *verifyKind) find(raw []byte, esc bool, s *verifyScanner, next int) int {
	if esc {
		s.tmp = verifyUnquote(s.tmp[:0], raw)
		raw = s.tmp
	}
	if next < len(k.keys) && string(raw) == k.keys[next] {
		return next
	}
	for i, key := range k.keys {
		if string(raw) == key {
			return i
		}
	}
	return -1
}

// field reads the value of key ki of kind k; s.at names it.
func (s *verifyScanner) field(k *verifyKind, ki int) bool {
	switch k.fields[ki] {
	case verifyObject:
		return s.object(k.subs[ki], 0)
	case verifyArray:
		return s.array(k.subs[ki])
	case verifyID:
		return s.id(ki)
	case verifyTime:
		return s.timestamp()
	case verifyBool:
		c := s.peek()
		if c == 't' && s.literal("true") || c == 'f' && s.literal("false") {
			return true
		}
		return s.wrongType(s.i, "want true or false")
	case verifyString:
		if s.peek() != '"' {
			return s.wrongType(s.i, "want a string")
		}
		_, _, _, ok := s.str()
		return ok
	case verifyEmail:
		if s.peek() != '"' {
			return s.wrongType(s.i, "want a string (empty when the user has no email)")
		}
		ks, ke, esc, ok := s.str()
		if !ok {
			return false
		}
		if ke > ks {
			if esc {
				s.rec.email = string(verifyUnquote(s.tmp[:0], s.b[ks:ke]))
			} else {
				s.rec.email = string(s.b[ks:ke])
			}
		}
		return true
	}
	return true
}

// array reads the array of element kind elem under the key s.at names.
func (s *verifyScanner) array(elem *verifyKind) bool {
	here := s.at
	start := s.i
	switch s.peek() {
	case '[':
	case 'n':
		if s.literal("null") {
			s.report(start, "is null; want an array ([] when empty)")
			return true
		}
		return s.syntax("want a value, found " + s.found())
	default:
		return s.wrongType(start, "want an array")
	}
	s.i++
	n := 0
	s.ws()
	if s.peek() == ']' {
		s.i++
	} else {
		for {
			s.ws()
			if elem == nil {
				s.at = here
				if !s.skipValue(0) {
					return false
				}
			} else {
				s.at = verifyAt{kind: elem, idx: n, key: verifyNoKey}
				s.rec = verifyRecord{}
				ok := s.object(elem, n)
				s.keep(elem)
				if !ok {
					return false
				}
			}
			n++
			s.ws()
			c := s.peek()
			if c == ',' {
				s.i++
				continue
			}
			if c == ']' {
				s.i++
				break
			}
			s.at = here
			return s.syntax("want ',' or ']' after a value in an array, found " + s.found())
		}
	}
	s.at = here
	if elem == nil && n > 0 {
		s.report(start, fmt.Sprintf("holds %s; must be empty", verifyPlural(n, "value")))
	}
	if elem != nil && n > verifyMaxObjects {
		s.report(start, fmt.Sprintf("holds %d objects; at most %d per file", n, verifyMaxObjects))
	}
	return true
}

// keep files the record just read under its kind, so that element i of an
// array is entry i of its slice.
func (s *verifyScanner) keep(k *verifyKind) {
	r := &s.rec
	switch k {
	case verifyTicketKind:
		s.recs.tickets = append(s.recs.tickets, verifyTicket{id: r.vals[verifyTicketIDKey], requester: r.vals[verifyTicketRequesterKey]})
	case verifyCommentKind:
		s.recs.comments = append(s.recs.comments, verifyComment{id: r.vals[verifyCommentIDKey], ticket: r.vals[verifyCommentTicketKey], author: r.vals[verifyCommentAuthorKey]})
	case verifyUserKind:
		s.recs.users = append(s.recs.users, verifyUser{id: r.vals[verifyUserIDKey], email: r.email})
	}
}

const verifyIDRange = "want an integer id from 1 to 9223372036854775807"

// id reads an integer id into s.rec.vals[ki].
func (s *verifyScanner) id(ki int) bool {
	start := s.i
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		return s.wrongType(start, verifyIDRange)
	}
	v, isID, ok := s.number()
	if !ok {
		return false
	}
	if !isID {
		s.report(start, fmt.Sprintf("is %s; %s", s.b[start:s.i], verifyIDRange))
		return true
	}
	s.rec.vals[ki] = v
	return true
}

// number reads a JSON number. isID says it is an integer in 1..MaxInt64,
// written without sign, fraction or exponent.
func (s *verifyScanner) number() (v int64, isID, ok bool) {
	b, i := s.b, s.i
	if i < len(b) && b[i]-'1' < 9 {
		// Up to 18 digits cannot overflow; most ids end here.
		j := i
		for j < len(b) && j-i < 18 && b[j]-'0' <= 9 {
			v = v*10 + int64(b[j]-'0')
			j++
		}
		if j == len(b) || b[j]-'0' > 9 && b[j] != '.' && b[j] != 'e' && b[j] != 'E' {
			s.i = j
			return v, true, true
		}
		v = 0
	}
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	if i >= len(b) || b[i] < '0' || b[i] > '9' {
		s.i = i
		return 0, false, s.syntax("want a digit in a number, found " + s.found())
	}
	over := false
	if b[i] == '0' {
		i++
		if i < len(b) && b[i] >= '0' && b[i] <= '9' {
			s.i = i
			return 0, false, s.syntax("a number starts with 0 and goes on with digits")
		}
	} else {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			d := int64(b[i] - '0')
			if v > (math.MaxInt64-d)/10 {
				over = true
			} else {
				v = v*10 + d
			}
			i++
		}
	}
	integer := true
	if i < len(b) && b[i] == '.' {
		integer = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return 0, false, s.syntax("want a digit after '.' in a number, found " + s.found())
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return 0, false, s.syntax("want a digit in the exponent of a number, found " + s.found())
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	return v, integer && !neg && !over && v > 0, true
}

// timestamp reads a created_at: a string 2006-01-02T15:04:05Z naming a
// moment from 1970-01-01T00:00:00Z to the start of the run.
func (s *verifyScanner) timestamp() bool {
	start := s.i
	if s.peek() != '"' {
		return s.wrongType(start, "want a string such as 2006-01-02T15:04:05Z")
	}
	ks, ke, esc, ok := s.str()
	if !ok {
		return false
	}
	raw := s.b[ks:ke]
	if esc {
		s.tmp = verifyUnquote(s.tmp[:0], raw)
		raw = s.tmp
	}
	unix, valid := verifyParseTimestamp(raw)
	if valid {
		s.newest = max(s.newest, unix)
	}
	switch {
	case !valid:
		s.report(start, fmt.Sprintf("%s is not a UTC time written 2006-01-02T15:04:05Z", verifyPreview(s.b[start:s.i])))
	case unix < 0:
		s.report(start, fmt.Sprintf("%s is before 1970-01-01T00:00:00Z", verifyPreview(s.b[start:s.i])))
	case unix > s.now:
		s.report(start, fmt.Sprintf("%s is after the run started (%s)", verifyPreview(s.b[start:s.i]), verifyFormatTime(s.now)))
	}
	return true
}

// verifyParseTimestamp reads exactly YYYY-MM-DDTHH:MM:SSZ, a real date and
// time of day (second 60 is not), as Unix seconds.
func verifyParseTimestamp(t []byte) (int64, bool) {
	if len(t) != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != 'Z' {
		return 0, false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	d2 := func(i int) int { return int(t[i]-'0')*10 + int(t[i+1]-'0') }
	year := d2(0)*100 + d2(2)
	month, day, hour, minute, sec := d2(5), d2(8), d2(11), d2(14), d2(17)
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && (year%4 == 0 && year%100 != 0 || year%400 == 0) {
		days = 29
	}
	if day > days {
		return 0, false
	}
	// Days from the civil date (Howard Hinnant's algorithm).
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	m := int64(month)
	if m > 2 {
		m -= 3
	} else {
		m += 9
	}
	doy := (153*m+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days64 := era*146097 + doe - 719468
	return days64*86400 + int64(hour)*3600 + int64(minute)*60 + int64(sec), true
}

// wrongType reports a value of the wrong type and skips it.
func (s *verifyScanner) wrongType(start int, want string) bool {
	if !s.skipValue(0) {
		return false
	}
	s.report(start, fmt.Sprintf("is %s; %s", verifyDescribe(s.b[start:s.i]), want))
	return true
}

func verifyPlural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// verifyDescribe names a JSON value for a message.
func verifyDescribe(raw []byte) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "the string " + verifyPreview(raw)
	case 'n':
		return "null"
	case 't', 'f':
		return string(raw)
	}
	return "the number " + verifyPreview(raw)
}

// verifyPreview shows a raw JSON value, cut short when long.
func verifyPreview(raw []byte) string {
	const max = 60
	if len(raw) <= max {
		return string(raw)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(raw[cut]) {
		cut--
	}
	return string(raw[:cut]) + "..."
}

func (s *verifyScanner) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// skipValue reads any JSON value, reporting what is wrong inside it.
func (s *verifyScanner) skipValue(depth int) bool {
	if depth > verifyMaxDepth {
		return s.syntax(fmt.Sprintf("values nested more than %d deep", verifyMaxDepth))
	}
	switch c := s.peek(); {
	case c == '"':
		_, _, _, ok := s.str()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		_, _, ok := s.number()
		return ok
	case c == 't':
		if s.literal("true") {
			return true
		}
	case c == 'f':
		if s.literal("false") {
			return true
		}
	case c == 'n':
		if s.literal("null") {
			return true
		}
	case c == '{':
		s.i++
		s.ws()
		if s.peek() == '}' {
			s.i++
			return true
		}
		for {
			s.ws()
			if s.peek() != '"' {
				return s.syntax("want a key string, found " + s.found())
			}
			if _, _, _, ok := s.str(); !ok {
				return false
			}
			s.ws()
			if s.peek() != ':' {
				return s.syntax("want ':' after a key, found " + s.found())
			}
			s.i++
			s.ws()
			if !s.skipValue(depth + 1) {
				return false
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return true
			default:
				return s.syntax("want ',' or '}' after a value in an object, found " + s.found())
			}
		}
	case c == '[':
		s.i++
		s.ws()
		if s.peek() == ']' {
			s.i++
			return true
		}
		for {
			s.ws()
			if !s.skipValue(depth + 1) {
				return false
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return s.syntax("want ',' or ']' after a value in an array, found " + s.found())
			}
		}
	}
	return s.syntax("want a value, found " + s.found())
}

// verifyPlain marks the bytes a JSON string holds as themselves: printable
// ASCII but the quote and the backslash.
var verifyPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string at s.i and returns the span of its content and whether
// it holds escapes. Raw control characters, bad escapes and invalid UTF-8
// break no structure: they are reported at the current path, once per
// string, and the scan goes on. An unterminated string is a syntax error.
func (s *verifyScanner) str() (start, end int, esc, ok bool) {
	b := s.b
	i := s.i + 1
	start = i
	problem, problemAt := "", 0
	for {
		// Eight bytes at a time while none needs a look: long bodies are
		// most of an archive's bytes.
		for i+8 <= len(b) && verifyPlainWord(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && verifyPlain[b[i]] {
			i++
		}
		if i >= len(b) {
			s.i = start - 1
			return 0, 0, false, s.syntax("a string that starts here never ends")
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			if problem != "" {
				s.report(problemAt, problem)
			}
			return start, i, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				s.i = start - 1
				return 0, 0, false, s.syntax("a string that starts here never ends")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 <= len(b) && verifyHex4(b[i+2:i+6]) >= 0 {
					i += 6
					continue
				}
				if problem == "" {
					problem, problemAt = fmt.Sprintf("bad escape \\u at byte %d: want four hex digits", i), i
				}
				i += 2
			default:
				if problem == "" {
					problem, problemAt = fmt.Sprintf("bad escape %q at byte %d", b[i:i+2], i), i
				}
				i++
			}
		case c < 0x20:
			if problem == "" {
				problem, problemAt = fmt.Sprintf("raw control character U+%04X at byte %d; JSON wants it escaped", c, i), i
			}
			i++
		default:
			j := i + 1
			for j < len(b) && b[j] >= 0x80 {
				j++
			}
			if !utf8.Valid(b[i:j]) && problem == "" {
				bad := i
				for bad < j {
					r, size := utf8.DecodeRune(b[bad:j])
					if r == utf8.RuneError && size <= 1 {
						break
					}
					bad += size
				}
				problem, problemAt = fmt.Sprintf("invalid UTF-8 at byte %d", bad), bad
			}
			i = j
		}
	}
}

// verifyPlainWord reports whether eight bytes are all plain: none below
// 0x20, none a quote or a backslash, none past ASCII. It may say no to a
// plain word (a borrow across bytes), never yes to one that is not.
func verifyPlainWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, slash := x^(ones*'"'), x^(ones*'\\')
	t := (x - ones*0x20) | (quote - ones) | (slash - ones) | x
	return t&highs == 0
}

func verifyHex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// verifyUnquote appends the text of a string's content raw (escapes
// decoded; a lone surrogate becomes U+FFFD, as encoding/json has it) to dst.
func verifyUnquote(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			dst = append(dst, c)
			i++
			continue
		}
		switch e := raw[i+1]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if i+6 > len(raw) || verifyHex4(raw[i+2:i+6]) < 0 {
				dst = append(dst, '\\', 'u')
				i += 2
				continue
			}
			r := verifyHex4(raw[i+2 : i+6])
			i += 6
			if 0xD800 <= r && r < 0xDC00 && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if lo := verifyHex4(raw[i+2 : i+6]); 0xDC00 <= lo && lo < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					i += 6
				}
			}
			if 0xD800 <= r && r < 0xE000 {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/', and bad escapes kept as the character
			dst = append(dst, e)
		}
		i += 2
	}
	return dst
}

var verifyStep = Step{
	Name: "verify",
	Run: func(ctx context.Context, env *Env, memo *Memo, rec *report.Step) error {
		counts, err := Verify(ctx, env, memo)
		rec.Counts = counts
		return err
	},
	Reads: func(o *Options) []Input {
		tp := o.ticketUsers()
		tp.Optional = true
		return []Input{{Path: o.ArchivePath(), What: "the archive (--out)", MadeBy: "build"}, tp}
	},
}
