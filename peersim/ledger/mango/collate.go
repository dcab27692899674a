package mango

import (
	"unicode/utf8"
)

// CouchDB compares strings with ICU's implementation of the Unicode
// Collation Algorithm (root locale, tertiary strength, punctuation not
// ignorable). For 7-bit ASCII this package reproduces it exactly: CouchDB's
// documentation lists the resulting order of the printable characters,
//
//	(space) ` ^ _ - , ; : ! ? . ' " ( ) [ ] { } @ * / \ & # % + < = > | ~ $
//	0 1 2 3 4 5 6 7 8 9 a A b B c C ... z Z
//
// and strings compare first by those weights with case ignored ("a" < "aa"
// and "A" < "aa"), then by case with lower case first ("a" < "A"). Control
// characters are ignorable, as in ICU. Other characters sort after every
// ASCII character, by code point; ICU would place "é" next to "e".
const asciiCollationOrder = " `^_-,;:!?.'\"()[]{}@*/\\&#%+<=>|~$0123456789" +
	"aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ"

// collationWeights holds the primary weight of each ASCII byte (0 for
// ignorable) and whether it is an upper-case letter.
type collationWeights struct {
	primary [128]uint16
	upper   [128]bool
}

var asciiWeights = buildCollationWeights()

func buildCollationWeights() collationWeights {
	var w collationWeights
	next := uint16(1)
	for i := 0; i < len(asciiCollationOrder); i++ {
		c := asciiCollationOrder[i]
		if c >= 'A' && c <= 'Z' {
			w.primary[c] = w.primary[c-'A'+'a']
			w.upper[c] = true
			continue
		}
		w.primary[c] = next
		next++
	}
	return w
}

// nonASCIIBase places non-ASCII characters after all ASCII weights.
const nonASCIIBase = 1 << 8

// nextWeight returns the weight at the given level of the first character
// at or after s[i:] that is not ignorable, and the index after it. At the
// primary level the weight is the case-folded character; at the tertiary
// level it is 1 for upper case and 0 otherwise.
func nextWeight(s string, i int, tertiary bool) (weight uint32, next int, ok bool) {
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if tertiary {
				return 0, i + n, true
			}
			return nonASCIIBase + uint32(r), i + n, true
		}
		i++
		p := asciiWeights.primary[c]
		if p == 0 {
			continue
		}
		if tertiary {
			if asciiWeights.upper[c] {
				return 1, i, true
			}
			return 0, i, true
		}
		return uint32(p), i, true
	}
	return 0, i, false
}

// collate compares two strings as CouchDB's view collation does, exactly
// for ASCII (see asciiCollationOrder): first by case-folded characters, then
// by case.
func collate(a, b string) int {
	if a == b {
		return 0
	}
	if c := collateLevel(a, b, false); c != 0 {
		return c
	}
	return collateLevel(a, b, true)
}

func collateLevel(a, b string, tertiary bool) int {
	i, j := 0, 0
	for {
		wa, ni, okA := nextWeight(a, i, tertiary)
		wb, nj, okB := nextWeight(b, j, tertiary)
		switch {
		case !okA && !okB:
			return 0
		case !okA:
			return -1
		case !okB:
			return 1
		case wa != wb:
			if wa < wb {
				return -1
			}
			return 1
		}
		i, j = ni, nj
	}
}
