package verify

import (
	"fmt"
	"strconv"
)

// loc packs where an object stands: the number N of its file
// backup_tickets_N.json (below 10⁹, 30 bits), its array and its index
// there. A file name is thus never kept: it is spelled from N.
type loc uint64

// The arrays, in their order in a file.
const (
	inTickets = iota
	inComments
	inUsers
)

func newLoc(file, array, idx int) loc {
	return loc(uint64(file)<<34 | uint64(array)<<32 | uint64(uint32(idx)))
}

func (l loc) file() string { return "backup_tickets_" + strconv.Itoa(int(l>>34)) + ".json" }
func (l loc) array() int   { return int(l>>32) & 3 }
func (l loc) idx() int     { return int(uint32(l)) }

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
	first loc    // where a repeated id or email was first
	email string // a repeated email, quoted
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

// maxWaiting bounds the references kept to be named later because the id
// they name was not read yet: 1.5 MiB of them.
const maxWaiting = 1 << 16

// cross holds the checks across files, fed object by object in archive
// order by the merger: ids unique per kind, non-empty emails unique, and
// every reference naming a ticket or a user. What it keeps grows with the
// distinct ids and emails, and at most MaxPrinted violations are kept to be
// printed; the rest are counted.
type cross struct {
	// seen holds, for each kind, every id read so far and where first.
	seen   [3]*idMap[loc]
	emails map[emailKey]loc
	// ticketUsers and knownUser resolve references to users outside the
	// archive.
	ticketUsers IDSet
	knownUser   func(int64) bool

	// dups are the first repeated ids and emails, in archive order, kept to
	// be printed; dupCount counts them all.
	dups     []crossViolation
	dupCount int

	// A reference to an id not read yet is resolved at the end, when every
	// id is known. waiting counts those references per id named, for
	// tickets and for users; waitingList keeps the first of them in archive
	// order to be named, up to maxWaiting at once; truncated says some were
	// left out, so none after them is kept: the names printed stay the
	// first ones.
	waiting     [2]*idMap[int]
	waitingList []reference
	truncated   bool
}

// reference is a reference kept to be named if the id it names never
// comes.
type reference struct {
	at   loc
	id   int64
	kind crossKind
}

func newCross(cfg Config) cross {
	return cross{
		seen:        [3]*idMap[loc]{newIDMap[loc](), newIDMap[loc](), newIDMap[loc]()},
		emails:      map[emailKey]loc{},
		ticketUsers: NewIDSet(cfg.TicketUserIDs),
		knownUser:   cfg.KnownUser,
		waiting:     [2]*idMap[int]{newIDMap[int](), newIDMap[int]()},
	}
}

// add takes the objects of a batch of file number n.
func (x *cross) add(p *printer, n int, b *batch) {
	for i := range b.objs {
		o := &b.objs[i]
		at := newLoc(n, int(o.array), int(o.idx))
		if o.id != 0 {
			if first, dup := x.seen[o.array].put(o.id); !dup {
				*first = at
			} else {
				x.duplicate(p, crossViolation{at: at, kind: duplicateID, id: o.id, first: *first})
			}
		}
		switch o.array {
		case inTickets:
			x.refer(at, noRequester, o.ref[0])
		case inComments:
			x.refer(at, noTicket, o.ref[0])
			x.refer(at, noAuthor, o.ref[1])
		case inUsers:
			if o.email.empty() {
				continue
			}
			first, dup := x.emails[o.email]
			if !dup {
				x.emails[o.email] = at
				continue
			}
			v := crossViolation{at: at, kind: duplicateEmail, first: first}
			if x.duplicate(p, v) {
				text := b.text[o.textOff : o.textOff+uint32(o.textLen)]
				x.dups[len(x.dups)-1].email = strconv.Quote(string(text))
				if o.textCut {
					x.dups[len(x.dups)-1].email += "..."
				}
			}
		}
	}
}

// duplicate counts a repeated id or email and keeps it while it could be
// printed: the files' own violations come first, so room only shrinks.
func (x *cross) duplicate(p *printer, v crossViolation) (kept bool) {
	x.dupCount++
	if len(x.dups) >= p.room() {
		return false
	}
	x.dups = append(x.dups, v)
	return true
}

// refer checks a reference, or keeps it for the end when the id it names
// was not read yet.
func (x *cross) refer(at loc, kind crossKind, id int64) {
	if id == 0 || x.resolved(kind, id) {
		return
	}
	n, _ := x.waiting[target(kind)].put(id)
	*n++
	if x.truncated {
		return
	}
	if len(x.waitingList) == maxWaiting {
		x.compact()
		if len(x.waitingList) == maxWaiting {
			x.truncated = true
			return
		}
	}
	x.waitingList = append(x.waitingList, reference{at: at, id: id, kind: kind})
}

// compact drops the kept references whose id has been read since.
func (x *cross) compact() {
	kept := x.waitingList[:0]
	for _, v := range x.waitingList {
		if !x.resolved(v.kind, v.id) {
			kept = append(kept, v)
		}
	}
	x.waitingList = kept
}

// target is 0 for a reference to a ticket, 1 for one to a user.
func target(kind crossKind) int {
	if kind == noTicket {
		return 0
	}
	return 1
}

// resolved reports whether the id a reference of kind names is known.
func (x *cross) resolved(kind crossKind, id int64) bool {
	if kind == noTicket {
		return x.seen[inTickets].get(id) != nil
	}
	return x.seen[inUsers].get(id) != nil || x.ticketUsers.Has(id) || x.knownUser != nil && x.knownUser(id)
}

// printDuplicates prints the repeated ids and emails, in archive order.
func (x *cross) printDuplicates(p *printer) {
	for _, v := range x.dups {
		p.print(x.text(v, ""))
	}
	p.add(x.dupCount - len(x.dups))
}

// printMissing prints the references to no ticket or user, in archive
// order; nowhere ends a message about a user.
func (x *cross) printMissing(p *printer, nowhere string) {
	missing := 0
	for t, waiting := range x.waiting {
		kind := noTicket
		if t == 1 {
			kind = noAuthor
		}
		waiting.each(func(id int64, n int) {
			if !x.resolved(kind, id) {
				missing += n
			}
		})
	}
	printed := 0
	for _, r := range x.waitingList {
		if p.room() == 0 {
			break
		}
		if !x.resolved(r.kind, r.id) {
			p.print(x.text(crossViolation{at: r.at, kind: r.kind, id: r.id}, nowhere))
			printed++
		}
	}
	p.add(missing - printed)
}

func (x *cross) text(v crossViolation, nowhere string) string {
	at := v.at.file() + ": " + v.at.path()
	switch v.kind {
	case duplicateID:
		return fmt.Sprintf("%s.id: %s id %d is already used by %s %s.id", at, arrayNouns[v.at.array()], v.id, v.first.file(), v.first.path())
	case duplicateEmail:
		return fmt.Sprintf("%s.email: %s is already the email of %s %s.email (emails are compared trimmed and lowercased)", at, v.email, v.first.file(), v.first.path())
	case noTicket:
		return fmt.Sprintf("%s.ticket_id: %d names no ticket in the archive", at, v.id)
	case noRequester:
		return fmt.Sprintf("%s.requester_id: %d names no user %s", at, v.id, nowhere)
	}
	return fmt.Sprintf("%s.author_id: %d names no user %s", at, v.id, nowhere)
}
