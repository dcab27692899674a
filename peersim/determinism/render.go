package determinism

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// excerpt bounds how much of a value String shows: values longer than
// excerptBefore+excerptAfter bytes are cut around the first differing
// byte.
const (
	excerptBefore = 64
	excerptAfter  = 192
)

// String renders the report as an indented, numbered list, one difference
// per item with both sides and the hint.
func (r Report) String() string {
	var b strings.Builder
	if r.Deterministic() {
		b.WriteString("the two simulations agree")
	} else {
		places := "places"
		if len(r.Differences) == 1 {
			places = "place"
		}
		fmt.Fprintf(&b, "the two simulations differ in %d %s:", len(r.Differences), places)
		for i, d := range r.Differences {
			fmt.Fprintf(&b, "\n  %d. %s", i+1, d.String())
		}
	}
	if r.Inconclusive() {
		fmt.Fprintf(&b, "\n  the state changed between the two simulations, so this proves nothing; keys read at different versions: %s", strings.Join(r.Changed, "; "))
	}
	return b.String()
}

// String renders one difference: where, both sides and the hint, on
// indented lines.
func (d Difference) String() string {
	var b strings.Builder
	b.WriteString(string(d.Field))
	if d.Namespace != "" {
		b.WriteString(" " + d.Namespace)
		if d.Collection != "" {
			b.WriteString("/" + d.Collection)
		}
	}
	if d.Key != "" {
		if d.Field == FieldRangeQuery {
			b.WriteString(" " + d.Key)
		} else {
			b.WriteString(" key " + strconv.Quote(d.Key))
		}
	}
	switch {
	case d.First.Absent:
		b.WriteString(": only the second simulation has it")
	case d.Second.Absent:
		b.WriteString(": only the first simulation has it")
	case d.Offset >= 0:
		fmt.Fprintf(&b, ": differs from byte %d (%d and %d bytes)", d.Offset, len(d.First.Value), len(d.Second.Value))
	default:
		b.WriteString(": differs")
	}
	fmt.Fprintf(&b, "\n       first:  %s\n       second: %s\n     hint: %s", d.First.render(d.Offset), d.Second.render(d.Offset), d.Hint)
	return b.String()
}

// render shows an entry, cutting a long value around off.
func (e Entry) render(off int) string {
	switch {
	case e.Absent:
		return "(nothing)"
	case e.Purged:
		return "(purge)"
	case e.Deleted:
		return "(delete)"
	case e.Hashed:
		return fmt.Sprintf("value hash %x", e.Value)
	}
	v := e.Value
	if off < 0 {
		off = 0
	}
	start, end := 0, len(v)
	if len(v) > excerptBefore+excerptAfter {
		start, end = max(0, off-excerptBefore), min(len(v), off+excerptAfter)
	}
	s := v[start:end]
	var out string
	if utf8.Valid(v) {
		out = strconv.Quote(string(s))
	} else {
		out = fmt.Sprintf("0x%x", s)
	}
	if start > 0 {
		out = fmt.Sprintf("…(%d bytes) %s", start, out)
	}
	if end < len(v) {
		out = fmt.Sprintf("%s …(%d more bytes)", out, len(v)-end)
	}
	return out
}
