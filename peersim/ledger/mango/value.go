package mango

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Document values are held as encoding/json decodes them into any: nil, bool,
// float64, string, []any and map[string]any. Decoding numbers to float64 is
// deliberate: Fabric's CouchDB state database re-encodes every JSON value
// through a Go map[string]interface{} before storing it, so CouchDB only
// ever sees float64-representable numbers.

// decodeDoc decodes a state value. ok is false when the value is not a JSON
// object (the JSON literal null included): such a value is not a document.
func decodeDoc(value []byte) (doc map[string]any, ok bool) {
	var m map[string]any
	if err := json.Unmarshal(value, &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// typeRank orders JSON types as CouchDB's view collation does.
func typeRank(v any) int {
	switch x := v.(type) {
	case nil:
		return 0
	case bool:
		if x {
			return 2
		}
		return 1
	case float64:
		return 3
	case string:
		return 4
	case []any:
		return 5
	case map[string]any:
		return 6
	}
	return 7
}

// typeName is the name $type uses for v.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// compare orders two JSON values by CouchDB's collation: null < false < true
// < numbers < strings < arrays < objects. Strings compare as in collate,
// arrays element by element then by length, objects by their members in key
// order, each key before its value, then by size.
func compare(a, b any) int {
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		if ra < rb {
			return -1
		}
		return 1
	}
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return collate(x, b.(string))
	case []any:
		y := b.([]any)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := compare(x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmpInt(len(x), len(y))
	case map[string]any:
		y := b.(map[string]any)
		kx, ky := sortedKeys(x), sortedKeys(y)
		for i := 0; i < len(kx) && i < len(ky); i++ {
			if c := collate(kx[i], ky[i]); c != 0 {
				return c
			}
			if c := compare(x[kx[i]], y[ky[i]]); c != 0 {
				return c
			}
		}
		return cmpInt(len(kx), len(ky))
	}
	return 0
}

// compareRaw orders _id values the way CouchDB does for the _id field: by
// Erlang term order rather than collation, so strings compare byte by byte
// and arrays and objects sort below strings.
func compareRaw(a, b any) int {
	if x, ok := a.(string); ok {
		switch y := b.(type) {
		case string:
			return strings.Compare(x, y)
		case []any, map[string]any:
			return 1
		}
	}
	return compare(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// compareKeys orders two index keys column by column.
func compareKeys(a, b []any) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmpInt(len(a), len(b))
}

// isInteger reports whether v is a number CouchDB would hold as an integer:
// Go's encoder writes integral float64 values below 1e21 without a fraction
// or exponent, and CouchDB decodes those as integers.
func isInteger(v any) (float64, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) >= 1e21 {
		return 0, false
	}
	return f, true
}

// jval is a JSON value decoded with object member order preserved, used for
// queries and index definitions so that errors are reported in the order
// the author wrote them.
type jval struct {
	kind  jkind
	str   string    // jString, or the literal of a jNumber
	num   float64   // jNumber
	isInt bool      // jNumber written without fraction or exponent
	b     bool      // jBool
	arr   []jval    // jArray
	obj   []jmember // jObject
}

type jkind int

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

type jmember struct {
	key string
	val jval
}

// maxDepth bounds nesting in queries and index definitions.
const maxDepth = 256

// decodeOrdered decodes exactly one JSON value from data.
func decodeOrdered(data []byte) (jval, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return jval{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return jval{}, errors.New("unexpected data after the top-level JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (jval, error) {
	if depth > maxDepth {
		return jval{}, fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return jval{}, errors.New("unexpected end of JSON input")
		}
		return jval{}, err
	}
	switch t := tok.(type) {
	case nil:
		return jval{kind: jNull}, nil
	case bool:
		return jval{kind: jBool, b: t}, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			// Out of float64 range: keep the sign, as a float64 decoder would fail.
			return jval{}, fmt.Errorf("number %s is out of range", t)
		}
		isInt := !strings.ContainsAny(string(t), ".eE")
		return jval{kind: jNumber, str: string(t), num: f, isInt: isInt}, nil
	case string:
		return jval{kind: jString, str: t}, nil
	case json.Delim:
		switch t {
		case '[':
			arr := []jval{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return jval{}, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return jval{}, err
			}
			return jval{kind: jArray, arr: arr}, nil
		case '{':
			obj := []jmember{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return jval{}, err
				}
				key, _ := kt.(string)
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return jval{}, err
				}
				obj = append(obj, jmember{key: key, val: v})
			}
			if _, err := dec.Token(); err != nil {
				return jval{}, err
			}
			return jval{kind: jObject, obj: obj}, nil
		}
	}
	return jval{}, fmt.Errorf("unexpected JSON token %v", tok)
}

// plain converts an ordered value to the representation documents use. For
// duplicate object keys the last one wins, as with encoding/json.
func (v jval) plain() any {
	switch v.kind {
	case jBool:
		return v.b
	case jNumber:
		return v.num
	case jString:
		return v.str
	case jArray:
		out := make([]any, len(v.arr))
		for i, e := range v.arr {
			out[i] = e.plain()
		}
		return out
	case jObject:
		out := make(map[string]any, len(v.obj))
		for _, m := range v.obj {
			out[m.key] = m.val.plain()
		}
		return out
	}
	return nil
}

// String renders v as compact JSON for error messages, shortened when long.
func (v jval) String() string {
	b, err := json.Marshal(v.plain())
	if err != nil {
		return "?"
	}
	s := string(b)
	if v.kind == jNumber {
		s = v.str
	}
	const max = 60
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

func (k jkind) String() string {
	switch k {
	case jNull:
		return "null"
	case jBool:
		return "a boolean"
	case jNumber:
		return "a number"
	case jString:
		return "a string"
	case jArray:
		return "an array"
	case jObject:
		return "an object"
	}
	return "unknown"
}
