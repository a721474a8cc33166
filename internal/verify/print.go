package verify

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// printer prints violations, one per line, up to MaxPrinted of them, and
// counts them all.
type printer struct {
	out   *bufio.Writer
	count int
	werr  error
}

func newPrinter(w io.Writer) printer {
	return printer{out: bufio.NewWriterSize(w, 64<<10)}
}

// print counts one violation and prints it while under MaxPrinted.
func (p *printer) print(line string) {
	p.count++
	if p.count > MaxPrinted || p.werr != nil {
		return
	}
	if _, err := p.out.WriteString(line); err != nil {
		p.werr = err
	}
	p.out.WriteByte('\n')
}

// full reports whether no more violations will be printed, so a caller can
// count one instead of formatting it.
func (p *printer) full() bool { return p.count >= MaxPrinted }

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

// printFile prints the tar header's violations of e, then its JSON's.
func (c *checker) printFile(e *entry) {
	for _, h := range e.header {
		c.print(e.name + ": " + h)
	}
	for _, b := range e.bad {
		c.print(e.name + ": " + b.text)
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
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

// preview shows a raw JSON value, cut short when long.
func preview(raw []byte) string {
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
