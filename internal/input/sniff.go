package input

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

// ErrEncoding is wrapped by the error of a label that names no encoding.
var ErrEncoding = errors.New("not an encoding")

// ErrDelimiter is wrapped by the error of a delimiter migrate does not read.
var ErrDelimiter = errors.New("not a delimiter")

// LookupEncoding resolves an --encoding value: "auto" (or "") stays "auto";
// any label of the WHATWG Encoding Standard, in any case ("latin1",
// "utf-16le", "shift_jis", "cp1252"...), becomes the encoding's name
// ("windows-1252" for latin1, as browsers read it). An unknown label, and
// the "replacement" encoding (which reads every byte as U+FFFD), are errors
// wrapping ErrEncoding.
func LookupEncoding(label string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(label))
	if l == "" || l == "auto" {
		return "auto", nil
	}
	enc, err := htmlindex.Get(l)
	if err != nil {
		return "", fmt.Errorf("%w: %q is not a label of the WHATWG Encoding Standard (auto, utf-8, utf-16le, utf-16be, windows-1252, iso-8859-15, shift_jis, gb18030...)", ErrEncoding, label)
	}
	name, err := htmlindex.Name(enc)
	if err != nil || name == "replacement" {
		return "", fmt.Errorf("%w: %q names the replacement encoding, which reads nothing", ErrEncoding, label)
	}
	return name, nil
}

// decoder returns the decoder of a WHATWG encoding name, or nil for UTF-8,
// which is read as it is so that invalid bytes are found, not replaced. A
// UTF-16 BOM is consumed by the decoder.
func decoder(name string, bom bool) transformer {
	policy := unicode.IgnoreBOM
	if bom {
		policy = unicode.ExpectBOM
	}
	switch name {
	case "utf-8":
		return nil
	case "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, policy).NewDecoder()
	case "utf-16be":
		return unicode.UTF16(unicode.BigEndian, policy).NewDecoder()
	}
	enc, err := htmlindex.Get(name)
	if err != nil {
		return nil // LookupEncoding checked the name
	}
	return enc.NewDecoder()
}

type transformer = *encoding.Decoder

// sniffBOM finds a byte order mark at the start of the text: the encoding
// it means and its bytes, or nil.
func sniffBOM(b []byte) (string, []byte) {
	switch {
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return "utf-8", b[:3]
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		return "utf-16le", b[:2]
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		return "utf-16be", b[:2]
	}
	return "", nil
}

// DetectBOM returns the encoding a byte order mark at the start of b
// means ("utf-8", "utf-16le" or "utf-16be"), or "".
func DetectBOM(b []byte) string {
	enc, _ := sniffBOM(b)
	return enc
}

// Delimiters are the delimiters --delimiter auto chooses from, in the
// order that breaks a tie.
var Delimiters = []byte{',', ';', '|', '\t'}

// ParseDelimiter reads a --delimiter value: "auto" (or ""), ",", ";", "|",
// or a tab written "tab", `\t` or as itself. auto is true for "auto".
func ParseDelimiter(s string) (delim byte, auto bool, err error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return ',', true, nil
	case ",", ";", "|":
		return s[0], false, nil
	case "tab", `\t`, "\t":
		return '\t', false, nil
	}
	return 0, false, fmt.Errorf("%w: %q: use auto, \",\", \";\", \"|\" or tab", ErrDelimiter, s)
}

// DelimiterName writes a delimiter as --delimiter takes it.
func DelimiterName(d byte) string {
	if d == '\t' {
		return "tab"
	}
	return string(d)
}

// HeaderLine returns the first line of text that is not empty, without its
// line end and without a UTF-8 BOM: where a line break inside quotes does
// not end it. complete is false when text ends before the line does.
func HeaderLine(text []byte) (line []byte, complete bool) {
	if len(text) >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF {
		text = text[3:]
	}
	for len(text) > 0 && (text[0] == '\n' || text[0] == '\r' && len(text) > 1 && text[1] == '\n') {
		if text[0] == '\r' {
			text = text[1:]
		}
		text = text[1:]
	}
	quoted := false
	for i, c := range text {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			line = text[:i]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, true
		}
	}
	return text, false
}

// SniffDelimiter chooses, of Delimiters, the one that splits the header
// line (outside quotes) into the most fields, the first of them on a tie
// (so "," when none splits it), and returns it with the number of fields.
func SniffDelimiter(header []byte) (delim byte, fields int) {
	var counts [len(",;|\t")]int
	quoted := false
	for _, c := range header {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		for i, d := range Delimiters {
			if c == d {
				counts[i]++
			}
		}
	}
	best := 0
	for i := range counts {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return Delimiters[best], counts[best] + 1
}
