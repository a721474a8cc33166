package input

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzSniff checks the delimiter and encoding sniffers on any bytes:
// SniffDelimiter picks one of Delimiters, and no other of them splits the
// header line into more fields; HeaderLine returns a prefix of the text
// (after a BOM and empty lines) that ends outside quotes; DetectBOM names
// an encoding only for a BOM.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{
		"CONVERSATION_ID,COMMENT_PART_ID\n1,2\n", "a;b;c\r\n", "a|b\tc|d\n", `"a;b",c` + "\n",
		"\xEF\xBB\xBFa;b\n", "\xFF\xFEa\x00;\x00", "\n\n\"x\ny\";z\n", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		line, complete := HeaderLine(text)
		if !bytes.Contains(text, line) {
			t.Fatalf("HeaderLine(%q) = %q, not in the text", text, line)
		}
		if complete && bytes.Count(line, []byte{'"'})%2 != 0 {
			t.Fatalf("HeaderLine(%q) = %q ends inside quotes", text, line)
		}
		d, fields := SniffDelimiter(line)
		if !slices.Contains(Delimiters, d) || fields < 1 {
			t.Fatalf("SniffDelimiter(%q) = %q, %d", line, d, fields)
		}
		for _, other := range Delimiters {
			if n := countOutsideQuotes(line, other) + 1; n > fields || n == fields && slices.Index(Delimiters, other) < slices.Index(Delimiters, d) {
				t.Fatalf("SniffDelimiter(%q) = %q (%d fields), but %q gives %d", line, d, fields, other, n)
			}
		}
		if enc := DetectBOM(text); enc != "" {
			if !bytes.HasPrefix(text, []byte("\xEF\xBB\xBF")) && !bytes.HasPrefix(text, []byte("\xFF\xFE")) && !bytes.HasPrefix(text, []byte("\xFE\xFF")) {
				t.Fatalf("DetectBOM(%q) = %q without a BOM", text, enc)
			}
		}
		if d, _, err := ParseDelimiter(string(text)); err == nil && !slices.Contains(Delimiters, d) {
			t.Fatalf("ParseDelimiter(%q) = %q", text, d)
		}
		LookupEncoding(string(text))
	})
}

func countOutsideQuotes(b []byte, d byte) int {
	n, quoted := 0, false
	for _, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case c == d && !quoted:
			n++
		}
	}
	return n
}
