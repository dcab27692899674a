package mango

import (
	"errors"
	"strconv"
	"strings"
)

// splitPath splits a dotted field name into its segments. A dot preceded by
// a backslash is part of the segment ("a\.b" is the single field "a.b"), as
// in CouchDB.
func splitPath(field string) ([]string, error) {
	if field == "" {
		return nil, errors.New("field name is empty")
	}
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(field); i++ {
		c := field[i]
		if c == '\\' && i+1 < len(field) && field[i+1] == '.' {
			cur.WriteByte('.')
			i++
			continue
		}
		if c == '.' {
			segs = append(segs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	segs = append(segs, cur.String())
	for _, s := range segs {
		if s == "" {
			return nil, errors.New(`field name has an empty segment (write a literal dot as \.)`)
		}
	}
	return segs, nil
}

// lookup is the outcome of resolving a path in a document.
type lookup int

const (
	found lookup = iota
	notFound
	badPath
)

// getField resolves path in v. A missing object member is notFound; indexing
// into a non-container, a non-numeric or out-of-range array index is badPath.
// Numeric segments index arrays ("tags.0").
func getField(v any, path []string) (any, lookup) {
	for _, seg := range path {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[seg]
			if !ok {
				return nil, notFound
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, badPath
			}
			v = x[i]
		default:
			return nil, badPath
		}
	}
	return v, found
}
