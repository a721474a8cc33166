package chatscan

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// User is one person of the chat platform: the chat ids linked by email
// (SPEC section 5).
type User struct {
	Name  string
	Email string // normalized; "" when none was observed
	ID    int64  // canonical chat id: the one observed first
	// ChatIDs are all the user's chat ids, ascending.
	ChatIDs []int64
	// Lines are the lines of the export where each of ChatIDs was first
	// observed, for messages about one chat id.
	Lines []int
	// Placeholder is true when the user was never observed with a name or
	// an email: its name is defaulted.
	Placeholder bool
	// FirstLine is the line of the export where the user was first observed.
	FirstLine int
}

// userGraph links chat ids that share an email (union-find) and remembers,
// per chat id, the first observation, name and email in record order.
type userGraph struct {
	nodes   []chatNode
	byID    map[int64]int32
	byEmail map[string]int32
}

type chatNode struct {
	id       int64
	parent   int32
	firstSeq int64
	line     int
	nameSeq  int64
	name     string
	emailSeq int64
	email    string
}

func newUserGraph() *userGraph {
	return &userGraph{byID: map[int64]int32{}, byEmail: map[string]int32{}}
}

func (g *userGraph) observe(id, seq int64, line int, name string, hasName bool, email string, hasEmail bool) {
	i, ok := g.byID[id]
	if !ok {
		i = int32(len(g.nodes))
		g.nodes = append(g.nodes, chatNode{id: id, parent: i, firstSeq: seq, line: line, nameSeq: -1, emailSeq: -1})
		g.byID[id] = i
	}
	n := &g.nodes[i]
	if hasName && n.nameSeq < 0 {
		n.name, n.nameSeq = strings.Clone(name), seq
	}
	if !hasEmail {
		return
	}
	if n.emailSeq < 0 {
		n.email, n.emailSeq = strings.Clone(email), seq
	}
	if j, ok := g.byEmail[email]; ok {
		g.union(i, j)
	} else {
		g.byEmail[strings.Clone(email)] = i
	}
}

func (g *userGraph) find(i int32) int32 {
	for g.nodes[i].parent != i {
		g.nodes[i].parent = g.nodes[g.nodes[i].parent].parent
		i = g.nodes[i].parent
	}
	return i
}

func (g *userGraph) union(a, b int32) {
	ra, rb := g.find(a), g.find(b)
	if ra == rb {
		return
	}
	// The root is the node observed first, so that it is the canonical id.
	if g.nodes[rb].firstSeq < g.nodes[ra].firstSeq {
		ra, rb = rb, ra
	}
	g.nodes[rb].parent = ra
}

// users returns the connected components as chat users, ordered by first
// observation, and how many got a defaulted name.
func (g *userGraph) users() ([]User, int) {
	type acc struct {
		root              int32
		nameSeq, emailSeq int64
		name, email       string
		ids               []int64
		lines             []int
	}
	byRoot := map[int32]*acc{}
	var order []*acc
	for i := range g.nodes {
		r := g.find(int32(i))
		a := byRoot[r]
		if a == nil {
			a = &acc{root: r, nameSeq: -1, emailSeq: -1}
			byRoot[r] = a
			order = append(order, a)
		}
		n := &g.nodes[i]
		a.ids = append(a.ids, n.id)
		a.lines = append(a.lines, n.line)
		if n.nameSeq >= 0 && (a.nameSeq < 0 || n.nameSeq < a.nameSeq) {
			a.name, a.nameSeq = n.name, n.nameSeq
		}
		if n.emailSeq >= 0 && (a.emailSeq < 0 || n.emailSeq < a.emailSeq) {
			a.email, a.emailSeq = n.email, n.emailSeq
		}
	}
	// Nodes are created in order of first observation, and a root is the
	// first-observed node of its component, so sorting by root's firstSeq
	// orders users by first observation.
	slices.SortFunc(order, func(x, y *acc) int {
		return cmp.Compare(g.nodes[x.root].firstSeq, g.nodes[y.root].firstSeq)
	})
	users := make([]User, len(order))
	defaulted := 0
	for k, a := range order {
		root := &g.nodes[a.root]
		byID := make([]int, len(a.ids))
		for k := range byID {
			byID[k] = k
		}
		slices.SortFunc(byID, func(x, y int) int { return cmp.Compare(a.ids[x], a.ids[y]) })
		u := User{Email: a.email, ID: root.id, ChatIDs: make([]int64, len(a.ids)), Lines: make([]int, len(a.ids)), FirstLine: root.line}
		for k, x := range byID {
			u.ChatIDs[k], u.Lines[k] = a.ids[x], a.lines[x]
		}
		switch {
		case a.nameSeq >= 0:
			u.Name = a.name
		case a.email != "":
			u.Name = a.email[:strings.IndexByte(a.email, '@')]
		default:
			u.Name = "Chat user " + strconv.FormatInt(root.id, 10)
			u.Placeholder = true
			defaulted++
		}
		users[k] = u
	}
	return users, defaulted
}
