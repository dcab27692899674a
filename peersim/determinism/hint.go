package determinism

import (
	"bytes"
	"crypto/sha256"
	"regexp"
	"slices"
	"strconv"
)

// Hint names the likely cause of a Difference. The hints are guesses from
// the shape of the two values; the texts say what to change.
type Hint string

// The hints Compare gives.
const (
	// HintMapOrder: the two values hold the same parts in another order.
	HintMapOrder Hint = "map iteration: the values hold the same parts in a different order; ranging over a Go map visits its keys in a random order, so sort the keys first (slices.Sorted(maps.Keys(m))) or keep a slice"
	// HintTime: the values differ in what looks like a timestamp.
	HintTime Hint = "time: the values differ in what looks like a timestamp; time.Now differs from peer to peer, so use the proposal's timestamp (stub.GetTxTimestamp())"
	// HintRandom: the values differ in random-looking digits or letters.
	HintRandom Hint = "random numbers: the values differ in random-looking digits or letters; math/rand, crypto/rand and UUIDs differ from peer to peer, so derive them from stub.GetTxID() or take them as arguments"
	// HintGlobalState: a number grew between the two simulations.
	HintGlobalState Hint = "global state: a number grew between the two simulations; a package-level variable (a counter, a cache) survives from one transaction to the next and differs from peer to peer, so keep state in the ledger"
	// HintControlFlow: one simulation has an entry the other lacks.
	HintControlFlow Hint = "control flow: one simulation reads or writes what the other does not, so a branch or a key name depends on map iteration order, time.Now, random numbers or global state"
	// HintUnknown: none of the shapes above.
	HintUnknown Hint = "the chaincode computes this from something other than its arguments and the ledger: look for map iteration order, time.Now, random numbers or global state"
)

// hintFor guesses the cause of d.
func hintFor(d Difference) Hint {
	a, b := d.First, d.Second
	if a.Absent || b.Absent || a.Deleted != b.Deleted || a.Purged != b.Purged {
		return HintControlFlow
	}
	if d.Field == FieldOutcome || a.Hashed || b.Hashed {
		return HintUnknown
	}
	return hintForValues(a.Value, b.Value)
}

// hintForValues guesses why two present values differ.
func hintForValues(a, b []byte) Hint {
	if reordered(a, b) {
		return HintMapOrder
	}
	off := firstDiff(a, b)
	if timestampAt(a, off) && timestampAt(b, off) {
		return HintTime
	}
	na, okA := numberAt(a, off)
	nb, okB := numberAt(b, off)
	if okA && okB && nb > na && nb-na <= 16 {
		return HintGlobalState
	}
	ta, tb := tokenAt(a, off), tokenAt(b, off)
	if len(ta) >= 4 && len(ta) == len(tb) {
		return HintRandom
	}
	return HintUnknown
}

// reordered reports whether a and b are made of the same tokens (runs of
// letters and digits) in a different order, or, for values without
// separators, of the same bytes.
func reordered(a, b []byte) bool {
	if len(a) != len(b) || bytes.Equal(a, b) {
		return false
	}
	ta, tb := tokens(a), tokens(b)
	if len(ta) > 1 {
		slices.Sort(ta)
		slices.Sort(tb)
		return slices.Equal(ta, tb)
	}
	sa, sb := slices.Clone(a), slices.Clone(b)
	slices.Sort(sa)
	slices.Sort(sb)
	return bytes.Equal(sa, sb) && len(a) > 1 && !timestampAt(a, firstDiff(a, b))
}

func tokens(v []byte) []string {
	var out []string
	start := -1
	for i := 0; i <= len(v); i++ {
		if i < len(v) && isAlnum(v[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, string(v[start:i]))
			start = -1
		}
	}
	return out
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// run returns the bounds of the run of bytes for which in holds around
// off (off itself may be one past the run's end).
func run(v []byte, off int, in func(byte) bool) (int, int) {
	start, end := off, off
	for start > 0 && in(v[start-1]) {
		start--
	}
	for end < len(v) && in(v[end]) {
		end++
	}
	return start, end
}

// tokenAt returns the run of letters and digits around off.
func tokenAt(v []byte, off int) []byte {
	s, e := run(v, off, isAlnum)
	return v[s:e]
}

// numberAt returns the decimal number around off.
func numberAt(v []byte, off int) (uint64, bool) {
	s, e := run(v, off, isDigit)
	if s == e {
		return 0, false
	}
	n, err := strconv.ParseUint(string(v[s:e]), 10, 64)
	return n, err == nil
}

// timeText matches the date and time layouts Go programs usually write.
var timeText = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\d{2}:\d{2}:\d{2}`)

// timestampAt reports whether the text around off looks like a time: a
// formatted date and time, or a Unix time in seconds, milliseconds,
// microseconds or nanoseconds between 2001 and 2286.
func timestampAt(v []byte, off int) bool {
	s, e := run(v, off, func(c byte) bool { return isAlnum(c) || c == '-' || c == ':' || c == '.' || c == '+' || c == ' ' })
	if timeText.Match(v[s:e]) {
		return true
	}
	ds, de := run(v, off, isDigit)
	switch de - ds {
	case 10, 13, 16, 19:
		return v[ds] == '1'
	}
	return false
}

// keyHash is the hash Fabric gives a private key in the hashed read-write
// set.
func keyHash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}
