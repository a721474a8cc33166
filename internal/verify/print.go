package verify

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"unicode/utf8"
)

// printer prints violations, one per line, up to MaxPrinted of them, and
// counts them all.
type printer struct {
	out   *bufio.Writer
	count int
	werr  error
	// printed is count for the workers, which keep no more violation
	// texts than can still be printed.
	printed atomic.Int64
}

func newPrinter(w io.Writer) *printer {
	return &printer{out: bufio.NewWriterSize(w, 64<<10)}
}

// print counts one violation and prints it while under MaxPrinted.
func (p *printer) print(line string) {
	p.add(1)
	if p.count > MaxPrinted || p.werr != nil {
		return
	}
	if _, err := p.out.WriteString(line); err != nil {
		p.werr = err
	}
	p.out.WriteByte('\n')
}

// add counts n violations without printing them.
func (p *printer) add(n int) {
	p.count += n
	p.printed.Store(int64(p.count))
}

// room is how many more violations would be printed.
func (p *printer) room() int { return max(0, MaxPrinted-p.count) }

// finish prints how many violations were left out and flushes the output.
func (p *printer) finish() error {
	if p.count > MaxPrinted && p.werr == nil {
		fmt.Fprintf(p.out, "... and %d more violations (%d in all)\n", p.count-MaxPrinted, p.count)
	}
	if p.werr != nil {
		return p.werr
	}
	return p.out.Flush()
}

// Everything printed that comes from the archive (entry names, keys,
// values) goes through quote, preview or entryName, which escape what a
// terminal would act on: control characters, C1 codes such as U+009B (CSI),
// invalid UTF-8, and the other runes strconv.IsPrint refuses, such as
// U+2028 and the bidirectional overrides. An archive cannot forge a line or
// move the cursor.

// maxShown is how many bytes of a value from the archive a message shows.
const maxShown = 60

// maxName is how many bytes of an entry name a message shows.
const maxName = 240

// quote returns s quoted as strconv.Quote does, cut after maxShown bytes.
func quote(s string) string { return quoteCut(s, maxShown) }

// quoteCut returns s quoted as strconv.Quote does, cut after n bytes.
func quoteCut(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:cutAt(s, n)]) + "..."
}

// cutAt returns where to cut s near n bytes without splitting a rune.
func cutAt[T string | []byte](s T, n int) int {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// entryName returns an entry name fit for the start of a line: as it is
// when every rune of it is printable and not a space or a quote, else quoted.
func entryName(name string) string {
	if name == "" || len(name) > maxName {
		return quoteCut(name, maxName)
	}
	for i, r := range name {
		if r == ' ' || r == '"' || r == '\\' || !strconv.IsPrint(r) || r == utf8.RuneError && isInvalid(name[i:]) {
			return quoteCut(name, maxName)
		}
	}
	return name
}

// isInvalid reports whether s starts with a byte that is not valid UTF-8.
func isInvalid(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return r == utf8.RuneError && size <= 1
}

// preview shows a raw JSON value as it stands in the file, cut after
// maxShown bytes, with what a terminal would act on escaped as strconv.Quote
// escapes it: a JSON string keeps its own quotes and escapes.
func preview(raw []byte) string {
	cut := len(raw)
	if cut > maxShown {
		cut = cutAt(raw, maxShown)
	}
	b := make([]byte, 0, cut+8)
	for i := 0; i < cut; {
		r, size := utf8.DecodeRune(raw[i:cut])
		switch {
		case r == utf8.RuneError && size <= 1:
			b = fmt.Appendf(b, `\x%02x`, raw[i])
		case strconv.IsPrint(r):
			b = append(b, raw[i:i+size]...)
		default:
			q := strconv.QuoteRune(r)
			b = append(b, q[1:len(q)-1]...)
		}
		i += size
	}
	if cut < len(raw) {
		b = append(b, "..."...)
	}
	return string(b)
}

// describe names a JSON value for a message.
func describe(raw []byte) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "the string " + preview(raw)
	case 'n':
		return "null"
	case 't', 'f':
		return string(raw)
	}
	return "the number " + preview(raw)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
