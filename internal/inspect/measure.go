package inspect

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/internal/mapping"
	"github.com/migrate-tool/migrate/internal/value"
)

// kind is how a column's values are read (SPEC section 3).
type kind uint8

const (
	kindID kind = iota
	kindText
	kindEmail
	kindBool
	kindTime
)

var kinds = [mapping.NumColumns]kind{
	mapping.Conversation: kindID, mapping.Comment: kindID, mapping.Author: kindID, mapping.Requester: kindID,
	mapping.Name: kindText, mapping.Body: kindText, mapping.Email: kindEmail,
	mapping.Public: kindBool, mapping.Created: kindTime, mapping.TicketCreated: kindTime,
}

// nullParses tells whether a null value is fine in a column: it never
// rejects a record there (a missing NAME, EMAIL or ticket field; a null
// COMMENT_PUBLIC is false with a warning).
var nullParses = [mapping.NumColumns]bool{
	mapping.Name: true, mapping.Email: true, mapping.Public: true,
	mapping.TicketCreated: true, mapping.Requester: true,
}

// measure reads every matched column's sampled values, first proposing the
// timestamp formats and visibility words they need.
func (p *Proposal) measure(s *sample, o Options) {
	nulls := value.NewNulls(o.NullValues)
	times := *o.Times
	for _, i := range []int{mapping.Created, mapping.TicketCreated} {
		if h := p.index(i); h >= 0 {
			p.proposeLayouts(column(s, h, nulls), &times)
		}
	}
	if h := p.index(mapping.Public); h >= 0 {
		p.proposeWords(column(s, h, nulls))
	}
	bools, err := value.NewBools(p.TrueValues, p.FalseValues)
	if err != nil {
		p.Problems = append(p.Problems, fmt.Sprintf("true_values and false_values: %v", err))
	}
	// Zone-less times read differently in two zones far apart.
	far := times
	far.Loc = time.FixedZone("", 14*3600)
	for i := range mapping.Names {
		h := p.index(i)
		if h < 0 {
			continue
		}
		c := &p.Columns[i]
		unread := map[string]int{}
		for _, rec := range s.records {
			v := value.TrimSpace(rec[h])
			c.Values++
			if len(c.Samples) < 3 && v != "" && !slices.Contains(c.Samples, v) {
				c.Samples = append(c.Samples, v)
			}
			if nulls.IsNull(v) {
				c.Nulls++
				if nullParses[i] {
					c.Parsed++
				} else {
					unread[v]++
				}
				continue
			}
			ok := false
			switch kinds[i] {
			case kindID:
				_, ok = value.ParseID(v)
			case kindText:
				ok = true
			case kindEmail:
				_, ok = value.NormalizeEmail(v)
			case kindBool:
				_, ok = bools.Parse(v)
			case kindTime:
				var at int64
				if at, ok = times.Parse(v); ok {
					if other, _ := far.Parse(v); other != at {
						p.ZoneLess++
					}
				}
			}
			if ok {
				c.Parsed++
			} else {
				unread[v]++
			}
		}
		c.Unread = mostFrequent(unread, 3)
	}
	// A known name is a guess: "type" is Crisp's visibility but another
	// export's anything. When most of its values are not visibility
	// words, the column is not COMMENT_PUBLIC.
	if c := &p.Columns[mapping.Public]; c.Export != "" && c.By != "mapping" && c.By != "seed name" && c.Share() < 0.5 {
		*c = Column{Passed: fmt.Sprintf("%q (a %s) passed over: its values are not visibility words (%s)", c.Export, c.By, strings.Join(quoteAll(c.Unread), ", "))}
	}
}

// column returns the non-null values of header index h.
func column(s *sample, h int, nulls value.Nulls) []string {
	var out []string
	for _, rec := range s.records {
		if v := value.TrimSpace(rec[h]); !nulls.IsNull(v) {
			out = append(out, v)
		}
	}
	return out
}

func mostFrequent(counts map[string]int, n int) []string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return keys[:min(n, len(keys))]
}

// The patterns proposeLayouts tries: every date form with every time form
// and zone. Month-first forms come before day-first ones, so that month
// first wins a tie (SPEC section 11).
var (
	dateForms = []string{"%m/%d/%Y", "%d/%m/%Y", "%m/%d/%y", "%d/%m/%y", "%m-%d-%Y", "%d-%m-%Y",
		"%d.%m.%Y", "%d.%m.%y", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d",
		"%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%a, %d %b %Y", "%a %b %d %Y"}
	timeForms = []string{"", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %H:%M:%S.%f", "T%H:%M:%S", "T%H:%M", ", %H:%M", ", %I:%M %p"}
	zoneForms = []string{"", " %z", "%z", " %Z"}
)

// proposeLayouts adds, while some values are not read, the pattern that
// reads most of them, and says which order of day and month it assumed.
func (p *Proposal) proposeLayouts(values []string, times *value.TimeParser) {
	for round := 0; round < 3; round++ {
		var unread []string
		seen := map[string]bool{}
		for _, v := range values {
			if _, ok := times.Parse(v); !ok && !seen[v] {
				seen[v] = true
				unread = append(unread, v)
			}
		}
		if len(unread) > 500 {
			unread = unread[:500]
		}
		if len(unread) == 0 {
			return
		}
		best, bestN := "", 0
		for _, d := range dateForms {
			for _, t := range timeForms {
				for _, z := range zoneForms {
					pattern := d + t + z
					l, err := value.CompileLayout(pattern)
					if err != nil {
						continue
					}
					try := value.TimeParser{Loc: times.Loc, Now: times.Now, Layouts: []*value.Layout{l}}
					n := 0
					for _, v := range unread {
						if _, ok := try.Parse(v); ok {
							n++
						}
					}
					if n > bestN {
						best, bestN = pattern, n
					}
				}
			}
		}
		if bestN == 0 {
			return
		}
		l, _ := value.CompileLayout(best)
		times.Layouts = append(times.Layouts, l)
		p.TimestampFormats = append(p.TimestampFormats, best)
		if note := dayMonthNote(best, unread); note != "" {
			p.FormatNotes = append(p.FormatNotes, note)
		}
	}
}

// dayMonthNote says why a numeric pattern reads the month or the day first.
func dayMonthNote(pattern string, values []string) string {
	m, d := strings.Index(pattern, "%m"), strings.Index(pattern, "%d")
	if m < 0 || d < 0 || strings.Contains(pattern, "%Y%m%d") || strings.HasPrefix(pattern, "%Y") {
		return ""
	}
	firstOver, secondOver := "", ""
	for _, v := range values {
		a, b, ok := firstTwoNumbers(v)
		if !ok {
			continue
		}
		if a > 12 && firstOver == "" {
			firstOver = v
		}
		if b > 12 && secondOver == "" {
			secondOver = v
		}
	}
	switch {
	case m < d && secondOver != "":
		return fmt.Sprintf("%q: month first, since a number above 12 stands second (%s)", pattern, quote(secondOver))
	case d < m && firstOver != "":
		return fmt.Sprintf("%q: day first, since a number above 12 stands first (%s)", pattern, quote(firstOver))
	case m < d:
		swapped := strings.Replace(strings.Replace(pattern, "%m", "%?", 1), "%d", "%m", 1)
		swapped = strings.Replace(swapped, "%?", "%d", 1)
		return fmt.Sprintf("%q: no number above 12 stands first or second in the sample, so month first is assumed; if the export writes the day first, use %q", pattern, swapped)
	}
	return ""
}

// firstTwoNumbers returns the first two runs of digits of v.
func firstTwoNumbers(v string) (a, b int, ok bool) {
	var nums []int
	n, in := 0, false
	for i := 0; i <= len(v) && len(nums) < 2; i++ {
		if i < len(v) && v[i] >= '0' && v[i] <= '9' {
			n, in = n*10+int(v[i]-'0'), true
			continue
		}
		if in {
			nums = append(nums, n)
		}
		n, in = 0, false
	}
	if len(nums) < 2 {
		return 0, 0, false
	}
	return nums[0], nums[1], true
}

// proposeWords adds the visibility words of the sampled values that the
// boolean lists lack and visibilityWords knows.
func (p *Proposal) proposeWords(values []string) {
	bools, err := value.NewBools(p.TrueValues, p.FalseValues)
	if err != nil {
		return
	}
	added := map[string]bool{}
	for _, v := range values {
		if _, ok := bools.Parse(v); ok {
			continue
		}
		word := strings.ToLower(v)
		public, known := visibilityWords[word]
		if !known || added[word] {
			continue
		}
		added[word] = true
		if public {
			p.TrueValues = append(p.TrueValues, word)
		} else {
			p.FalseValues = append(p.FalseValues, word)
		}
	}
}
