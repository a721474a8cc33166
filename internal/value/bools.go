package value

import (
	"errors"
	"fmt"
	"strings"
)

// boolTokens are the spellings of COMMENT_PUBLIC, in lower case.
var boolTokens = [...]struct {
	token string
	value bool
}{
	{"true", true}, {"t", true}, {"yes", true}, {"y", true}, {"1", true}, {"public", true},
	{"false", false}, {"f", false}, {"no", false}, {"n", false}, {"0", false}, {"private", false}, {"internal", false},
}

// ParseBool reads a boolean: `true t yes y 1 public` are true, `false f no n 0
// private internal` are false, ignoring ASCII case only (so "YEſ" with a long s
// is not "yes", as strings.EqualFold would have it). s is trimmed and not null;
// the caller decides what null means.
func ParseBool(s string) (v bool, ok bool) {
	for _, b := range boolTokens {
		if equalFoldASCII(s, b.token) {
			return b.value, true
		}
	}
	return false, false
}

// Bools reads COMMENT_PUBLIC: ParseBool's words, then the words added with
// --true-values and --false-values (or true_values and false_values in a
// mapping), which match in any case (Unicode simple folding, as
// strings.EqualFold). The zero Bools reads ParseBool's words only.
type Bools struct {
	trues, falses []string
}

// ErrBoolWord is wrapped by the error of NewBools.
var ErrBoolWord = errors.New("a word cannot be both true and false")

// NewBools adds words to the boolean lists. A word given as both true and
// false, or as the opposite of a built-in word ("no" as true), is an error
// wrapping ErrBoolWord: which one a value means would be a guess.
func NewBools(trues, falses []string) (Bools, error) {
	var b Bools
	add := func(words []string, value bool, dst *[]string, other []string) error {
		for _, w := range words {
			w = TrimSpace(w)
			if w == "" {
				continue
			}
			if v, ok := ParseBool(w); ok {
				if v != value {
					return fmt.Errorf("%w: %q already reads as %v", ErrBoolWord, w, v)
				}
				continue
			}
			for _, o := range other {
				if strings.EqualFold(o, w) {
					return fmt.Errorf("%w: %q is in both --true-values and --false-values", ErrBoolWord, w)
				}
			}
			*dst = append(*dst, w)
		}
		return nil
	}
	if err := add(trues, true, &b.trues, falses); err != nil {
		return Bools{}, err
	}
	if err := add(falses, false, &b.falses, trues); err != nil {
		return Bools{}, err
	}
	return b, nil
}

// Parse reads a boolean; s is trimmed and not null.
func (b Bools) Parse(s string) (v bool, ok bool) {
	if v, ok := ParseBool(s); ok {
		return v, true
	}
	for _, w := range b.trues {
		if strings.EqualFold(s, w) {
			return true, true
		}
	}
	for _, w := range b.falses {
		if strings.EqualFold(s, w) {
			return false, true
		}
	}
	return false, false
}

// Words lists the added words, for report.json and the inspect proposal.
func (b Bools) Words() (trues, falses []string) { return b.trues, b.falses }

// equalFoldASCII reports whether s equals the lower-case ASCII lower when
// ASCII letters of s are lowercased.
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
