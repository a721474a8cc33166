package verify

import (
	"strconv"
	"strings"
)

// The schema of one archive file (SPEC sections 4 to 6), as the scanner
// walks it: each object kind lists its keys in order and what each key
// holds.

// maxObjects is the most objects one array of one file may hold: the
// destination refuses more (SPEC section 6).
const maxObjects = 100

// field is what the value under one key holds.
type field uint8

const (
	objectField field = iota // an object of kind sub
	arrayField               // an array of objects of kind sub; sub nil: must be empty
	idField                  // an integer id, 1..MaxInt64
	timeField                // a string 2006-01-02T15:04:05Z
	boolField                // true or false
	stringField              // any string
	emailField               // any string, unique when not empty
)

// kind is one kind of object: its keys in order and what each holds.
type kind struct {
	// name is what a value of this kind is called in messages, with its
	// article: "a comment object".
	name string
	// path is the JSON path of the object, or of the array for elements.
	path    string
	element bool
	keys    []string
	fields  []field
	subs    []*kind
	// want lists the keys for messages.
	want string
}

func newKind(name, path string, element bool, keys []string, fields []field, subs []*kind) *kind {
	if subs == nil {
		subs = make([]*kind, len(keys))
	}
	return &kind{name: name, path: path, element: element, keys: keys, fields: fields, subs: subs, want: strings.Join(keys, ", ")}
}

// Positions of the keys whose values the scanner keeps.
const (
	ticketRequesterKey = 1
	ticketIDKey        = 2
	commentTicketKey   = 1
	commentIDKey       = 2
	commentAuthorKey   = 5
	userIDKey          = 1
)

var (
	ticketKind = newKind("a ticket object", "data.tickets.data", true,
		[]string{"created_at", "requester_id", "id"},
		[]field{timeField, idField, idField}, nil)
	commentKind = newKind("a comment object", "data.tickets.comments", true,
		[]string{"created_at", "ticket_id", "id", "public", "html_body", "author_id"},
		[]field{timeField, idField, idField, boolField, stringField, idField}, nil)
	userKind = newKind("a user object", "data.tickets.users", true,
		[]string{"name", "id", "email"},
		[]field{stringField, idField, emailField}, nil)
	ticketsKind = newKind("an object", "data.tickets", false,
		[]string{"data", "comments", "users", "organizations"},
		[]field{arrayField, arrayField, arrayField, arrayField},
		[]*kind{ticketKind, commentKind, userKind, nil})
	dataKind = newKind("an object", "data", false,
		[]string{"tickets"}, []field{objectField}, []*kind{ticketsKind})
	rootKind = newKind("a JSON object", "", false,
		[]string{"data"}, []field{objectField}, []*kind{dataKind})
)

// exactly says which keys an object of kind k has, for a message.
func (k *kind) exactly() string {
	if k.element {
		return strings.TrimSuffix(k.name, " object") + " has exactly the keys " + k.want + ", in that order"
	}
	return "want exactly the keys " + k.want + ", in that order"
}

// find returns the position of key among k's keys, or -1. It tries the key
// expected next first: in a good file that is the one.
func (k *kind) find(key []byte, next int) int {
	if next < len(k.keys) && string(key) == k.keys[next] {
		return next
	}
	for i, name := range k.keys {
		if string(key) == name {
			return i
		}
	}
	return -1
}

// at is where the scanner stands, enough to name the JSON path. It changes
// at every key, so the key is a number: writing a pointer there would cost
// a write barrier while the collector runs.
type at struct {
	kind *kind
	idx  int
	// key is the position of the key in kind.keys, or one of these.
	key int
}

const (
	noKey  = -1 // the object itself
	oddKey = -2 // a key the kind does not have: Scanner.oddKey
)

// path names the current value as a JSON path.
func (s *Scanner) path() string {
	a := s.at
	var b strings.Builder
	b.WriteString(a.kind.path)
	if a.kind.element {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(a.idx))
		b.WriteByte(']')
	}
	key, long := "", false
	switch {
	case a.key >= 0:
		key = a.kind.keys[a.key]
	case a.key == oddKey:
		key, long = string(s.oddKey), s.oddLong
	default:
		return b.String()
	}
	if plainKey(key) && key != "" && !long {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(key)
		return b.String()
	}
	// A key the schema lacks is the archive's own text: quoted, so that it
	// cannot forge a line or reach the terminal.
	b.WriteByte('[')
	b.WriteString(strconv.Quote(key))
	if long {
		b.WriteString("...")
	}
	b.WriteByte(']')
	return b.String()
}

// plainKey reports whether key can follow a dot in a JSON path.
func plainKey(key string) bool {
	for _, c := range []byte(key) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
