package verify

import (
	"hash/maphash"
	"unicode"
	"unicode/utf8"
)

// emailKey stands for a lowercased email in the check that emails are
// unique: 128 bits of two independent hashes. Keeping keys, not emails,
// keeps memory at 24 bytes an email however long the emails are; two
// different emails share a key with a probability of about n²/2¹²⁹, below
// 10⁻²² for a hundred million emails.
type emailKey [2]uint64

// emailSeeds are the hashes' seeds. They differ from run to run, which
// changes no result.
var emailSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func newEmailKey(lower []byte) emailKey {
	return emailKey{maphash.Bytes(emailSeeds[0], lower), maphash.Bytes(emailSeeds[1], lower)}
}

func (k emailKey) empty() bool { return k == emailKey{} }

// appendLower appends b lowercased to dst, as strings.ToLower lowercases,
// but with bytes that are not UTF-8 (a lone surrogate as unquote writes it)
// kept as they are rather than all turned into U+FFFD.
func appendLower(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		i += size
	}
	return dst
}
