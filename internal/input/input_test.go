package input

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/migrate-tool/migrate/internal/fail"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

func TestSniffDelimiter(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   byte
		fields int
	}{
		{"a,b,c", ',', 3},
		{"a;b;c", ';', 3},
		{"a|b|c", '|', 3},
		{"a\tb\tc", '\t', 3},
		{"a;b,c;d", ';', 3},           // most fields wins
		{"a,b;c", ',', 2},             // a tie: "," first
		{"a;b|c", ';', 2},             // a tie without ",": the list's order
		{"abc", ',', 1},               // nothing splits it: ","
		{`"a,b,c";d`, ';', 2},         // delimiters inside quotes do not count
		{`"a ""x,y"" b"|c|d`, '|', 3}, // nor inside doubled quotes
		{"", ',', 1},
	} {
		got, fields := SniffDelimiter([]byte(tt.header))
		if got != tt.want || fields != tt.fields {
			t.Errorf("SniffDelimiter(%q) = %q, %d; want %q, %d", tt.header, got, fields, tt.want, tt.fields)
		}
	}
}

func TestHeaderLine(t *testing.T) {
	for _, tt := range []struct {
		text, line string
		complete   bool
	}{
		{"a,b\nc,d\n", "a,b", true},
		{"a,b\r\nc,d", "a,b", true},
		{"\n\r\na;b\n", "a;b", true},
		{"\xEF\xBB\xBFa|b\n", "a|b", true},
		{"\"a\nb\";c\nd", "\"a\nb\";c", true},
		{"a,b", "a,b", false},
		{"\"a\n", "\"a\n", false},
	} {
		line, complete := HeaderLine([]byte(tt.text))
		if string(line) != tt.line || complete != tt.complete {
			t.Errorf("HeaderLine(%q) = %q, %v; want %q, %v", tt.text, line, complete, tt.line, tt.complete)
		}
	}
}

func TestParseDelimiter(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want byte
		auto bool
		ok   bool
	}{
		{"auto", ',', true, true}, {"", ',', true, true}, {"AUTO", ',', true, true},
		{",", ',', false, true}, {";", ';', false, true}, {"|", '|', false, true},
		{"tab", '\t', false, true}, {"TAB", '\t', false, true}, {`\t`, '\t', false, true}, {"\t", '\t', false, true},
		{":", 0, false, false}, {",,", 0, false, false}, {"comma", 0, false, false}, {" ", 0, false, false},
	} {
		got, auto, err := ParseDelimiter(tt.in)
		if (err == nil) != tt.ok || tt.ok && (got != tt.want || auto != tt.auto) {
			t.Errorf("ParseDelimiter(%q) = %q, %v, %v", tt.in, got, auto, err)
		}
		if err != nil && !errors.Is(err, ErrDelimiter) {
			t.Errorf("ParseDelimiter(%q): %v is not ErrDelimiter", tt.in, err)
		}
	}
}

func TestLookupEncoding(t *testing.T) {
	for _, tt := range []struct{ label, want string }{
		{"auto", "auto"}, {"", "auto"},
		{"utf-8", "utf-8"}, {"UTF8", "utf-8"},
		{"windows-1252", "windows-1252"}, {"latin1", "windows-1252"}, {"ISO-8859-1", "windows-1252"}, {"cp1252", "windows-1252"},
		{"iso-8859-15", "iso-8859-15"}, {"shift_jis", "shift_jis"}, {"sjis", "shift_jis"}, {"gb18030", "gb18030"},
		{"utf-16le", "utf-16le"}, {"utf-16", "utf-16le"}, {"utf-16be", "utf-16be"},
		{"klingon", ""}, {"utf-32", ""}, {"iso-2022-kr", ""}, // the last is WHATWG's "replacement"
	} {
		got, err := LookupEncoding(tt.label)
		if tt.want == "" {
			if !errors.Is(err, ErrEncoding) {
				t.Errorf("LookupEncoding(%q) = %q, %v; want ErrEncoding", tt.label, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("LookupEncoding(%q) = %q, %v; want %q", tt.label, got, err, tt.want)
		}
	}
}

func TestDetectBOM(t *testing.T) {
	for in, want := range map[string]string{
		"\xEF\xBB\xBFa": "utf-8", "\xFF\xFEa\x00": "utf-16le", "\xFE\xFF\x00a": "utf-16be",
		"abc": "", "\xEF\xBB": "", "": "", "\xFF": "",
	} {
		if got := DetectBOM([]byte(in)); got != want {
			t.Errorf("DetectBOM(%q) = %q, want %q", in, got, want)
		}
	}
}

const sampleText = "ID;NAME;BODY\n1;José;\"Ça va ; “oui”\n€\"\n"

// TestOpen reads one text in every shape Open knows and checks the text,
// the format it reports, and that a plain file is read without a second
// buffer.
func TestOpen(t *testing.T) {
	utf16le, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(sampleText))
	utf16be, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(sampleText))
	utf16noBOM, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(sampleText))
	cp1252, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(sampleText))
	sjisText := "ID;NAME;BODY\n1;山田;こんにちは\n"
	sjis, _ := japanese.ShiftJIS.NewEncoder().Bytes([]byte(sjisText))
	var gz, zs bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(utf16le)
	zw.Close()
	zsw, _ := zstd.NewWriter(&zs)
	zsw.Write(cp1252)
	zsw.Close()
	for _, tt := range []struct {
		name     string
		data     []byte
		o        Options
		text     string
		encoding string
		bom      bool
		comp     Compression
	}{
		{"plain", []byte(sampleText), Options{}, sampleText, "utf-8", false, None},
		{"utf-8 BOM kept for the CSV reader", append([]byte("\xEF\xBB\xBF"), sampleText...), Options{}, "\xEF\xBB\xBF" + sampleText, "utf-8", true, None},
		{"utf-16le by BOM", utf16le, Options{}, sampleText, "utf-16le", true, None},
		{"utf-16be by BOM", utf16be, Options{}, sampleText, "utf-16be", true, None},
		{"utf-16le by label", utf16noBOM, Options{Encoding: "utf-16le"}, sampleText, "utf-16le", false, None},
		{"the BOM wins over a label", utf16le, Options{Encoding: "windows-1252"}, sampleText, "utf-16le", true, None},
		{"windows-1252", cp1252, Options{Encoding: "latin1"}, sampleText, "windows-1252", false, None},
		{"shift_jis", sjis, Options{Encoding: "shift_jis"}, sjisText, "shift_jis", false, None},
		{"invalid UTF-8 is left for the caller", cp1252, Options{}, string(cp1252), "utf-8", false, None},
		{"gzip of utf-16le", gz.Bytes(), Options{}, sampleText, "utf-16le", true, Gzip},
		{"zstd of windows-1252", zs.Bytes(), Options{Encoding: "windows-1252"}, sampleText, "windows-1252", false, Zstd},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "export.bin")
			os.WriteFile(path, tt.data, 0o600)
			src, err := Open(path, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			got, err := io.ReadAll(src.Text)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.text {
				t.Errorf("text %q, want %q", got, tt.text)
			}
			if src.Encoding != tt.encoding || src.BOM != tt.bom || src.Compression != tt.comp {
				t.Errorf("format %+v, want %s, BOM %v, %v", src.Format, tt.encoding, tt.bom, tt.comp)
			}
			if src.Delimiter != ';' || !src.DelimiterGuessed {
				t.Errorf("delimiter %q (guessed %v), want ';' guessed", src.Delimiter, src.DelimiterGuessed)
			}
			if plain := tt.comp == None && (tt.encoding == "utf-8"); plain != (src.Consumed() < 0) {
				t.Errorf("Consumed() = %d: a plain file is read directly, any other through a counter", src.Consumed())
			}
			// Reopened with the options the format gives, nothing is detected
			// and the text is the same.
			again, err := Open(path, src.Format.Options())
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if b, _ := io.ReadAll(again.Text); !bytes.Equal(b, got) || again.Format.DelimiterGuessed {
				t.Errorf("reopened: %q, guessed %v", b, again.Format.DelimiterGuessed)
			}
		})
	}
}

func TestOpenDamaged(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("a,b,c\n1,2,3\n"), 10000))
	zw.Close()
	var zs bytes.Buffer
	zsw, _ := zstd.NewWriter(&zs)
	zsw.Write(bytes.Repeat([]byte("a,b,c\n1,2,3\n"), 10000))
	zsw.Close()
	flipped := bytes.Clone(gz.Bytes())
	flipped[len(flipped)/2] ^= 0xff
	for name, data := range map[string][]byte{
		"gzip cut short":   gz.Bytes()[:gz.Len()-20],
		"gzip header only": gz.Bytes()[:5],
		"gzip flipped":     flipped,
		"zstd cut short":   zs.Bytes()[:zs.Len()/2],
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "export.csv")
			os.WriteFile(path, data, 0o600)
			src, err := Open(path, Options{})
			if err == nil {
				_, err = io.ReadAll(src.Text)
				src.Close()
			}
			if fail.Code(err) != fail.Usage {
				t.Errorf("err = %v (status %d), want a usage error", err, fail.Code(err))
			}
		})
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none.csv"), Options{}); fail.Code(err) != fail.Usage {
		t.Errorf("a missing file: %v", err)
	}
	if _, err := Open("x", Options{Encoding: "nope"}); !errors.Is(err, ErrEncoding) {
		t.Errorf("a bad label: %v", err)
	}
}
