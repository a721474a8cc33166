package verify

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// merge keeps the records of one file for the checks across files, checks
// its emails against the files before it, then prints the file's own
// violations. It runs on one goroutine, in archive order.
func (c *checker) merge(e *entry) {
	if !e.scanned {
		// Not scanned: only its header speaks.
		c.printFile(e)
		return
	}
	c.fileBroken = c.fileBroken || e.broken
	file := len(c.files)
	c.files = append(c.files, e)
	for i, u := range e.users {
		if u.email == "" {
			continue
		}
		at := newLoc(file, inUsers, i)
		key := strings.ToLower(u.email)
		if first, dup := c.emails[key]; dup {
			c.emailDups = append(c.emailDups, crossViolation{at: at, kind: duplicateEmail, first: first, email: u.email})
			continue
		}
		c.emails[key] = at
	}
	if len(e.bad) > 1 {
		slices.SortStableFunc(e.bad, func(a, b violation) int { return a.off - b.off })
	}
	c.printFile(e)
	e.bad, e.header = nil, nil
}

// loc packs where an object stands: the file's position among the scanned
// files, its array and its index there. Locations order as the archive does.
type loc uint64

// The arrays, in their order in a file.
const (
	inTickets = iota
	inComments
	inUsers
)

// An index fits 30 bits: a file is at most 1 GiB and an object takes 2 bytes.
func newLoc(file, array, idx int) loc {
	return loc(uint64(file)<<32 | uint64(array)<<30 | uint64(idx))
}

func (l loc) file() int  { return int(l >> 32) }
func (l loc) array() int { return int(l>>30) & 3 }
func (l loc) idx() int   { return int(l & (1<<30 - 1)) }

var (
	arrayNames = [...]string{"data", "comments", "users"}
	arrayNouns = [...]string{"ticket", "comment", "user"}
)

// path names the object at l as a JSON path.
func (l loc) path() string {
	return "data.tickets." + arrayNames[l.array()] + "[" + strconv.Itoa(l.idx()) + "]"
}

// crossViolation is a violation found across files.
type crossViolation struct {
	at    loc
	kind  crossKind
	id    int64
	first loc // where a repeated id or email was first
	email string
}

type crossKind uint8

// The kinds in the order of their keys within an object.
const (
	duplicateID crossKind = iota
	duplicateEmail
	noTicket    // a comment's ticket_id
	noRequester // a ticket's requester_id
	noAuthor    // a comment's author_id
)

func (c *checker) crossText(v crossViolation) string {
	at := c.files[v.at.file()].name + ": " + v.at.path()
	switch v.kind {
	case duplicateID:
		return fmt.Sprintf("%s.id: %s id %d is already used by %s %s.id", at, arrayNouns[v.at.array()], v.id, c.files[v.first.file()].name, v.first.path())
	case duplicateEmail:
		return fmt.Sprintf("%s.email: %q is already the email of %s %s.email (emails are compared lowercased)", at, v.email, c.files[v.first.file()].name, v.first.path())
	case noTicket:
		return fmt.Sprintf("%s.ticket_id: %d names no ticket in the archive", at, v.id)
	case noRequester:
		return fmt.Sprintf("%s.requester_id: %d names no user %s", at, v.id, c.nowhere)
	}
	return fmt.Sprintf("%s.author_id: %d names no user %s", at, v.id, c.nowhere)
}

// printCross prints violations found across files, in archive order.
func (c *checker) printCross(list []crossViolation) {
	slices.SortStableFunc(list, func(a, b crossViolation) int {
		if a.at != b.at {
			if a.at < b.at {
				return -1
			}
			return 1
		}
		return int(a.kind) - int(b.kind)
	})
	for _, v := range list {
		if c.full() {
			c.count++ // counted, not formatted
			continue
		}
		c.print(c.crossText(v))
	}
}

// ids yields the ids of one array of every scanned file, in archive order,
// 0 for those missing or invalid.
func (c *checker) ids(array int) func(yield func(int64) bool) {
	return func(yield func(int64) bool) {
		for _, f := range c.files {
			switch array {
			case inTickets:
				for _, t := range f.tickets {
					if !yield(t.id) {
						return
					}
				}
			case inComments:
				for _, cm := range f.comments {
					if !yield(cm.id) {
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
func (c *checker) crossChecks(refs bool) {
	var sets [3]IDSet
	var repeated [3][]int64
	if refs {
		c.checkModTimes()
	}
	var wg sync.WaitGroup
	for array := range sets {
		wg.Go(func() { sets[array], repeated[array] = newIDSet(c.ids(array)) })
	}
	wg.Wait()
	dups := c.emailDups
	for array, rep := range repeated {
		if len(rep) > 0 {
			dups = c.duplicates(dups, array, rep)
		}
	}
	c.printCross(dups)
	if !refs {
		return
	}
	tickets, users := &sets[inTickets], &sets[inUsers]
	tp, _ := newIDSet(slices.Values(c.cfg.TicketUserIDs))
	userKnown := func(id int64) bool {
		return users.Has(id) || tp.Has(id) || c.cfg.KnownUser != nil && c.cfg.KnownUser(id)
	}
	// The sets are only read now, so the files are shared among workers.
	missing := make([][]crossViolation, len(c.files))
	var next atomic.Int64
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				file := int(next.Add(1) - 1)
				if file >= len(c.files) {
					return
				}
				f := c.files[file]
				var out []crossViolation
				for i, t := range f.tickets {
					if t.requester != 0 && !userKnown(t.requester) {
						out = append(out, crossViolation{at: newLoc(file, inTickets, i), kind: noRequester, id: t.requester})
					}
				}
				for i, cm := range f.comments {
					if cm.ticket != 0 && !tickets.Has(cm.ticket) {
						out = append(out, crossViolation{at: newLoc(file, inComments, i), kind: noTicket, id: cm.ticket})
					}
					if cm.author != 0 && !userKnown(cm.author) {
						out = append(out, crossViolation{at: newLoc(file, inComments, i), kind: noAuthor, id: cm.author})
					}
				}
				missing[file] = out
			}
		})
	}
	wg.Wait()
	for _, out := range missing {
		c.printCross(out)
	}
}

// checkModTimes checks that every entry carries the time SPEC section 6
// gives them all: SOURCE_DATE_EPOCH when set, else the newest created_at in
// the archive. A build run with another SOURCE_DATE_EPOCH than this verify
// would make every entry differ, so the entries that do are one violation.
func (c *checker) checkModTimes() {
	if len(c.files) == 0 {
		return
	}
	want, why := c.cfg.SourceDateEpoch.Unix(), "SOURCE_DATE_EPOCH"
	if c.cfg.SourceDateEpoch.IsZero() {
		want, why = 0, "the newest created_at in the archive (SOURCE_DATE_EPOCH is not set)"
		for _, f := range c.files {
			want = max(want, f.newest)
		}
	}
	var first *entry
	more := 0
	for _, f := range c.files {
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
	line := fmt.Sprintf("%s: modification time %s; want %s, %s", first.name, formatTime(first.mtime), formatTime(want), why)
	if more > 0 {
		line += fmt.Sprintf(" (and %d more entries like it)", more)
	}
	c.print(line)
}

// duplicates appends a violation for every occurrence after the first of
// the repeated ids of one array.
func (c *checker) duplicates(out []crossViolation, array int, repeated []int64) []crossViolation {
	const unseen = ^loc(0)
	first := make(map[int64]loc, len(repeated))
	for _, id := range repeated {
		first[id] = unseen
	}
	for file, f := range c.files {
		n := [...]int{len(f.tickets), len(f.comments), len(f.users)}[array]
		for idx := range n {
			var id int64
			switch array {
			case inTickets:
				id = f.tickets[idx].id
			case inComments:
				id = f.comments[idx].id
			default:
				id = f.users[idx].id
			}
			at, ok := first[id]
			if !ok {
				continue
			}
			l := newLoc(file, array, idx)
			if at == unseen {
				first[id] = l
				continue
			}
			out = append(out, crossViolation{at: l, kind: duplicateID, id: id, first: at})
		}
	}
	return out
}
