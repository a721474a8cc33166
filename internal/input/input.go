// Package input opens the chat export as it comes out of the chat platform,
// a database or a spreadsheet (SPEC section 3): gzip or zstd compressed or
// not, whatever the file's name; UTF-8 (a BOM skipped), UTF-16 by its BOM,
// or any encoding of the WHATWG Encoding Standard by its label; comma,
// semicolon, pipe or tab separated. Open finds out which, and returns the
// export's text as UTF-8 for the CSV reader:
//
//	src, err := input.Open("chat.csv.gz", input.Options{Encoding: "auto", Delimiter: "auto"})
//	// src.Format: {Compression: gzip, Encoding: "utf-16le", BOM: true, Delimiter: ';', DelimiterGuessed: true}
//	r := frame.NewReader(src.Text)
//	r.Comma = src.Delimiter
//
// A plain UTF-8 file costs nothing more than before: Text is then the one
// buffered reader of the file, which the CSV reader uses as its own buffer.
package input

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/migrate-tool/migrate/frame"
	"github.com/migrate-tool/migrate/internal/fail"
	"golang.org/x/text/transform"
)

// Compression is how the export's bytes are compressed.
type Compression uint8

const (
	None Compression = iota
	Gzip
	Zstd
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "none"
}

// The magic numbers that start a compressed file.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Options say how to read the export: each is "auto" (or "") to detect, or
// a value as --encoding and --delimiter take it.
type Options struct {
	// Encoding is "auto" or a WHATWG label; see LookupEncoding.
	Encoding string
	// Delimiter is "auto" or one of the delimiters ParseDelimiter reads.
	Delimiter string
}

// Format is how an export is read, as Open found it.
type Format struct {
	Compression Compression
	// Encoding is the WHATWG name of the export's encoding: "utf-8",
	// "utf-16le", "windows-1252"...
	Encoding string
	// BOM tells whether a byte order mark starts the text; it decided the
	// encoding when there is one.
	BOM bool
	// Delimiter separates fields; DelimiterGuessed tells that --delimiter
	// auto chose it from the header line.
	Delimiter        byte
	DelimiterGuessed bool
}

// Options returns the options that read the export the same way again,
// nothing left to detect: what a second read (rejects.csv) uses.
func (f Format) Options() Options {
	return Options{Encoding: f.Encoding, Delimiter: DelimiterName(f.Delimiter)}
}

// Source is an open export.
type Source struct {
	Format
	// Text is the export's text, UTF-8 unless the encoding is UTF-8
	// itself (then as it is, invalid bytes included, for the caller to
	// check); a *bufio.Reader of frame.BufferSize, so that frame.NewReader
	// reads it without a second buffer.
	Text *bufio.Reader

	file    *os.File
	counter *countingReader // the compressed bytes read; nil when not compressed
	closers []func()
}

// Open opens the export at path and finds its format. A file that cannot be
// read, an encoding label that does not exist, or compressed data that is
// damaged is an error for the user (exit status 2).
func Open(path string, o Options) (*Source, error) {
	delim, auto, err := ParseDelimiter(o.Delimiter)
	if err != nil {
		return nil, fail.Usagef("--delimiter: %w", err)
	}
	label, err := LookupEncoding(o.Encoding)
	if err != nil {
		return nil, fail.Usagef("--encoding: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fail.Usagef("cannot read the chat export: %w (give its path with --chat-csv)", err)
	}
	s := &Source{file: f}
	if err := s.open(path, label, delim, auto); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Source) open(path, label string, delim byte, auto bool) error {
	raw := bufio.NewReaderSize(s.file, frame.BufferSize)
	text := raw
	magic, _ := raw.Peek(len(zstdMagic))
	var stream io.Reader
	switch {
	case hasPrefix(magic, gzipMagic):
		s.Compression = Gzip
		s.counter = &countingReader{r: raw}
		zr, err := gzip.NewReader(s.counter)
		if err != nil {
			return damaged(path, s.Compression, s.counter.n, err)
		}
		s.closers = append(s.closers, func() { zr.Close() })
		stream = zr
	case hasPrefix(magic, zstdMagic):
		s.Compression = Zstd
		s.counter = &countingReader{r: raw}
		zr, err := zstd.NewReader(s.counter)
		if err != nil {
			return damaged(path, s.Compression, s.counter.n, err)
		}
		s.closers = append(s.closers, zr.Close)
		stream = zr
	}
	if stream != nil {
		text = bufio.NewReaderSize(&checkedReader{r: stream, path: path, s: s}, frame.BufferSize)
	}

	start, _ := text.Peek(3)
	enc, bom := sniffBOM(start)
	s.BOM = bom != nil
	if bom == nil {
		enc = label
		if enc == "auto" {
			enc = "utf-8"
		}
	}
	s.Encoding = enc
	if dec := decoder(enc, s.BOM); dec != nil {
		var from io.Reader = text
		if s.counter == nil {
			s.counter = &countingReader{r: text}
			from = s.counter
		}
		text = bufio.NewReaderSize(transform.NewReader(from, dec), frame.BufferSize)
	}

	s.Delimiter, s.DelimiterGuessed = delim, false
	if auto {
		s.Delimiter, _ = SniffDelimiter(peekHeader(text))
		s.DelimiterGuessed = true
	}
	s.Text = text
	return nil
}

// Consumed returns how many bytes of the file were read so far when it is
// compressed or decoded (the CSV reader's offset counts the text it reads),
// or -1.
func (s *Source) Consumed() int64 {
	if s.counter == nil {
		return -1
	}
	return s.counter.n
}

// Skip advances the text by n bytes, as the CSV reader counts them (its
// InputOffset): a plain file seeks there; compressed or decoded text is
// read and dropped, which still spares the parsing.
func (s *Source) Skip(n int64) error {
	if s.counter == nil {
		// Text is the file's own buffered reader, nothing read from it yet.
		if _, err := s.file.Seek(n, io.SeekStart); err == nil {
			s.Text.Reset(s.file)
			return nil
		}
	}
	_, err := io.CopyN(io.Discard, s.Text, n)
	return err
}

// Close closes the decompressor and the file.
func (s *Source) Close() error {
	for _, c := range s.closers {
		c()
	}
	s.closers = nil
	return s.file.Close()
}

// peekHeader returns the header line (see HeaderLine) without consuming
// it, peeking further until the line ends or the buffer is full.
func peekHeader(r *bufio.Reader) []byte {
	for n := 4096; ; n *= 4 {
		n = min(n, frame.BufferSize)
		b, err := r.Peek(n)
		line, complete := HeaderLine(b)
		if complete || err != nil || n == frame.BufferSize {
			return line
		}
	}
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// checkedReader turns a decompressor's error into one for the user: the
// file is damaged or cut short, which no retry mends.
type checkedReader struct {
	r    io.Reader
	path string
	s    *Source
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = damaged(c.path, c.s.Compression, c.s.Consumed(), err)
	}
	return n, err
}

// damaged is the error of compressed data that cannot be read.
func damaged(path string, c Compression, at int64, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fail.Usagef("%s: the %s data ends too early (after %d compressed bytes): the file is cut short; copy or download it again", path, c, at)
	}
	return fail.Usagef("%s: the %s data is damaged (after %d compressed bytes): %v; copy or download it again", path, c, at, err)
}

// String says how the export is read, for a person.
func (f Format) String() string {
	s := f.Encoding
	if f.BOM {
		s += " (by its BOM)"
	}
	if f.Compression != None {
		s = f.Compression.String() + "-compressed " + s
	}
	d := strconv.Quote(string(f.Delimiter))
	if f.Delimiter == '\t' {
		d = "tab"
	}
	return fmt.Sprintf("%s, %s-separated", s, d)
}
