package mango

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// opKind identifies a node of a normalized selector.
type opKind uint8

const (
	opAnd opKind = iota
	opOr
	opNor // only before negations are normalized
	opNot
	opField
	opEq
	opNe
	opLt
	opLte
	opGt
	opGte
	opIn
	opNin
	opExists
	opType
	opMod
	opRegex
	opSize
	opAll
	opElemMatch
	opAllMatch
	opKeyMapMatch
)

// node is one element of a selector. After normalization (the same three
// steps CouchDB applies: explicit operators, field paths pushed down to the
// conditions, negations pushed down to the leaves) a selector is a tree of
// $and/$or nodes over field nodes, each field node holding one condition,
// possibly wrapped in a single $not.
type node struct {
	op    opKind
	kids  []*node        // $and, $or, $nor
	arg   *node          // $not, field condition, $elemMatch, $allMatch, $keyMapMatch
	field string         // field: the dotted path, "" for the value itself
	path  []string       // field: field split into segments
	loc   string         // where in the query this node came from
	val   any            // comparison operand
	vals  []any          // $in, $nin, $all
	b     bool           // $exists
	s     string         // $type
	re    *regexp.Regexp // $regex
	div   float64        // $mod divisor
	rem   float64        // $mod remainder
	n     int            // $size
}

// operatorNames lists the supported operators, for error messages.
const operatorNames = "$eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $type, $size, $mod, $regex, " +
	"$all, $elemMatch, $allMatch, $keyMapMatch, $and, $or, $nor, $not"

var comparisonOps = map[string]opKind{
	"$eq": opEq, "$ne": opNe, "$lt": opLt, "$lte": opLte, "$gt": opGt, "$gte": opGte,
}

var typeNames = map[string]bool{
	"null": true, "boolean": true, "number": true, "string": true, "array": true, "object": true,
}

// queryError builds the error for a malformed query.
func queryError(code, format string, args ...any) error {
	return &CouchError{StatusCode: 400, Code: code, Reason: fmt.Sprintf(format, args...), Err: ErrInvalidQuery}
}

// parseSelector normalizes the "selector" member of a query.
func parseSelector(v jval) (*node, error) {
	if v.kind != jObject {
		return nil, queryError("invalid_selector_json",
			"selector: must be a JSON object, not %s; for example {\"selector\":{\"docType\":\"asset\"}}", v.kind)
	}
	if len(v.obj) == 0 {
		return &node{op: opAnd}, nil
	}
	n, err := normOps(v, "selector")
	if err != nil {
		return nil, err
	}
	n, err = normFields(n, "")
	if err != nil {
		return nil, err
	}
	if loc := missingField(n); loc != "" {
		return nil, queryError("invalid_selector",
			"%s: a condition is missing a field name; write {\"field\": condition}", loc)
	}
	return normNegations(n), nil
}

// missingField returns the location of a condition that applies to the
// document root itself rather than to a field, or "".
func missingField(n *node) string {
	switch n.op {
	case opAnd, opOr, opNor:
		for _, k := range n.kids {
			if loc := missingField(k); loc != "" {
				return loc
			}
		}
	case opNot:
		return missingField(n.arg)
	case opField:
		if n.field == "" {
			return n.loc
		}
	}
	return ""
}

// normOps turns a selector JSON value into explicit operators: a bare value
// is $eq, an object with several members is an implicit $and.
func normOps(v jval, loc string) (*node, error) {
	if v.kind != jObject || len(v.obj) == 0 {
		return &node{op: opEq, val: v.plain(), loc: loc}, nil
	}
	if len(v.obj) > 1 {
		and := &node{op: opAnd, loc: loc}
		for _, m := range v.obj {
			kid, err := normOps(jval{kind: jObject, obj: []jmember{m}}, loc)
			if err != nil {
				return nil, err
			}
			and.kids = append(and.kids, kid)
		}
		return and, nil
	}
	key, arg := v.obj[0].key, v.obj[0].val
	if !strings.HasPrefix(key, "$") {
		sub := joinLoc(loc, key)
		cond, err := normOps(arg, sub)
		if err != nil {
			return nil, err
		}
		return &node{op: opField, field: key, arg: cond, loc: sub}, nil
	}
	here := joinLoc(loc, key)
	badArg := func(want string) error {
		return queryError("bad_arg", "%s: operator %s takes %s, not %s", here, key, want, arg)
	}
	switch key {
	case "$and", "$or", "$nor":
		if arg.kind != jArray {
			return nil, badArg("an array of selectors")
		}
		op := map[string]opKind{"$and": opAnd, "$or": opOr, "$nor": opNor}[key]
		n := &node{op: op, loc: here}
		for i, e := range arg.arr {
			kid, err := normOps(e, fmt.Sprintf("%s[%d]", here, i))
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, kid)
		}
		return n, nil
	case "$not", "$elemMatch", "$allMatch", "$keyMapMatch":
		if arg.kind != jObject {
			return nil, badArg("a selector object")
		}
		inner, err := normOps(arg, here)
		if err != nil {
			return nil, err
		}
		op := map[string]opKind{"$not": opNot, "$elemMatch": opElemMatch, "$allMatch": opAllMatch, "$keyMapMatch": opKeyMapMatch}[key]
		return &node{op: op, arg: inner, loc: here}, nil
	case "$eq", "$ne", "$lt", "$lte", "$gt", "$gte":
		return &node{op: comparisonOps[key], val: arg.plain(), loc: here}, nil
	case "$in", "$nin", "$all":
		if arg.kind != jArray {
			return nil, badArg("an array of values")
		}
		vals := arg.plain().([]any)
		op := map[string]opKind{"$in": opIn, "$nin": opNin, "$all": opAll}[key]
		return &node{op: op, vals: vals, loc: here}, nil
	case "$exists":
		if arg.kind != jBool {
			return nil, badArg("true or false")
		}
		return &node{op: opExists, b: arg.b, loc: here}, nil
	case "$type":
		if arg.kind != jString || !typeNames[arg.str] {
			return nil, badArg(`one of "null", "boolean", "number", "string", "array", "object"`)
		}
		return &node{op: opType, s: arg.str, loc: here}, nil
	case "$size":
		if arg.kind != jNumber || !arg.isInt || arg.num < 0 || arg.num > math.MaxInt32 {
			return nil, badArg("a non-negative integer")
		}
		return &node{op: opSize, n: int(arg.num), loc: here}, nil
	case "$mod":
		if arg.kind != jArray || len(arg.arr) != 2 ||
			arg.arr[0].kind != jNumber || !arg.arr[0].isInt ||
			arg.arr[1].kind != jNumber || !arg.arr[1].isInt {
			return nil, badArg("[divisor, remainder] with two integers")
		}
		if arg.arr[0].num == 0 {
			return nil, queryError("bad_arg", "%s: the divisor of $mod must not be zero", here)
		}
		return &node{op: opMod, div: arg.arr[0].num, rem: arg.arr[1].num, loc: here}, nil
	case "$regex":
		if arg.kind != jString {
			return nil, badArg("a regular expression string")
		}
		re, err := regexp.Compile(arg.str)
		if err != nil {
			return nil, queryError("bad_arg",
				"%s: %q is not a regular expression this engine accepts (RE2 syntax; CouchDB uses PCRE): %v",
				here, arg.str, err)
		}
		return &node{op: opRegex, re: re, s: arg.str, loc: here}, nil
	case "$text", "$default":
		return nil, queryError("not_supported",
			"%s: operator %s needs a text (search) index, which Fabric's CouchDB state database does not create", here, key)
	case "$where", "$geoWithin", "$geoIntersects", "$near", "$nearSphere":
		return nil, queryError("not_supported", "%s: operator %s is not supported by CouchDB", here, key)
	case "$beginsWith":
		return nil, queryError("invalid_operator",
			"%s: operator %s is not supported by the CouchDB versions Fabric runs on; use $regex with a ^ anchor", here, key)
	}
	return nil, queryError("invalid_operator", "%s: operator %q is not supported; use one of %s", loc, key, operatorNames)
}

func joinLoc(loc, key string) string {
	if loc == "" {
		return key
	}
	return loc + "." + key
}

// normFields pushes field names down to the conditions so that every
// condition sits under exactly one field node whose path is the full dotted
// path from the document root (or from the element, inside $elemMatch,
// $allMatch and $keyMapMatch).
func normFields(n *node, path string) (*node, error) {
	switch n.op {
	case opAnd, opOr, opNor:
		out := &node{op: n.op, loc: n.loc}
		for _, k := range n.kids {
			kid, err := normFields(k, path)
			if err != nil {
				return nil, err
			}
			out.kids = append(out.kids, kid)
		}
		return out, nil
	case opNot:
		arg, err := normFields(n.arg, path)
		if err != nil {
			return nil, err
		}
		return &node{op: opNot, arg: arg, loc: n.loc}, nil
	case opField:
		p := n.field
		if path != "" {
			p = path + "." + n.field
		}
		return normFields(n.arg, p)
	case opElemMatch, opAllMatch, opKeyMapMatch:
		arg, err := normFields(n.arg, "")
		if err != nil {
			return nil, err
		}
		cond := &node{op: n.op, arg: arg, loc: n.loc}
		return newField(path, cond, n.loc)
	}
	return newField(path, n, n.loc)
}

func newField(path string, cond *node, loc string) (*node, error) {
	f := &node{op: opField, field: path, arg: cond, loc: loc}
	if path == "" {
		return f, nil
	}
	segs, err := splitPath(path)
	if err != nil {
		return nil, queryError("invalid_field", "%s: field %q: %v", loc, path, err)
	}
	f.path = segs
	return f, nil
}

// normNegations removes $nor and moves every $not as far down as it goes,
// as CouchDB does; this is what makes {"$not":{"a":{"$gt":1}}} fail for
// documents without "a". Like CouchDB's, it does not look inside a field's
// condition, so the argument of $elemMatch, $allMatch and $keyMapMatch keeps
// its $not (a plain negation) and $nor (which CouchDB cannot evaluate there:
// the element does not match).
func normNegations(n *node) *node {
	switch n.op {
	case opNot:
		return negate(n.arg)
	case opNor:
		return combine(opAnd, n, negate)
	case opAnd, opOr:
		return combine(n.op, n, normNegations)
	}
	return n
}

// combine returns a node of kind op whose children are f of n's children.
func combine(op opKind, n *node, f func(*node) *node) *node {
	out := &node{op: op, loc: n.loc}
	for _, k := range n.kids {
		out.kids = append(out.kids, f(k))
	}
	return out
}

var negated = map[opKind]opKind{
	opLt: opGte, opLte: opGt, opEq: opNe, opNe: opEq, opGte: opLt, opGt: opLte, opIn: opNin, opNin: opIn,
}

func negate(n *node) *node {
	switch n.op {
	case opNot:
		return normNegations(n.arg)
	case opNor:
		return combine(opOr, n, normNegations)
	case opAnd:
		return combine(opOr, n, negate)
	case opOr:
		return combine(opAnd, n, negate)
	case opField:
		c := *n
		c.arg = negate(n.arg)
		return &c
	case opExists:
		c := *n
		c.b = !n.b
		return &c
	}
	if op, ok := negated[n.op]; ok {
		c := *n
		c.op = op
		return &c
	}
	// $elemMatch, $regex, $type, ... : keep the negation as a $not.
	return &node{op: opNot, arg: n, loc: n.loc}
}

// matchDoc evaluates a normalized selector against a document whose _id is
// id. doc is nil for a value that is not a JSON object.
func matchDoc(n *node, doc map[string]any, id string) bool {
	ok, invalid := match(n, doc, &id)
	return ok && !invalid
}

// match evaluates n against v; id is the document id when v is the
// document root and nil inside $elemMatch and friends. invalid reports that
// evaluation reached an operator CouchDB cannot evaluate where it stands (a
// $nor inside $elemMatch, which CouchDB leaves unnormalized); like CouchDB,
// the enclosing $elemMatch, $allMatch or $keyMapMatch then does not match.
func match(n *node, v any, id *string) (ok, invalid bool) {
	switch n.op {
	case opAnd:
		for _, k := range n.kids {
			ok, invalid := match(k, v, id)
			if invalid || !ok {
				return false, invalid
			}
		}
		return true, false
	case opOr:
		if len(n.kids) == 0 {
			return true, false
		}
		for _, k := range n.kids {
			ok, invalid := match(k, v, id)
			if invalid || ok {
				return ok, invalid
			}
		}
		return false, false
	case opNot:
		ok, invalid := match(n.arg, v, id)
		return !ok, invalid
	case opNor:
		return false, true
	case opField:
		sub, st := v, found
		switch {
		case n.path == nil:
		case id != nil && n.path[0] == "_id":
			if len(n.path) == 1 {
				sub = *id
			} else {
				st = badPath
			}
		default:
			sub, st = getField(v, n.path)
		}
		switch st {
		case notFound:
			return n.arg.op == opExists && !n.arg.b, false
		case badPath:
			return false, false
		}
		return cond(n.arg, sub, id != nil && n.field == "_id"), false
	}
	return cond(n, v, false), false
}

// matchElem evaluates the argument of $elemMatch and friends on one element.
func matchElem(n *node, v any) (ok, invalid bool) { return match(n, v, nil) }

// cond evaluates a condition against a value that exists.
func cond(n *node, v any, raw bool) bool {
	cmp := compare
	if raw {
		cmp = compareRaw
	}
	switch n.op {
	case opNot:
		return !cond(n.arg, v, raw)
	case opEq:
		return cmp(v, n.val) == 0
	case opNe:
		return cmp(v, n.val) != 0
	case opLt:
		return cmp(v, n.val) < 0
	case opLte:
		return cmp(v, n.val) <= 0
	case opGt:
		return cmp(v, n.val) > 0
	case opGte:
		return cmp(v, n.val) >= 0
	case opIn:
		return in(v, n.vals, cmp)
	case opNin:
		if len(n.vals) == 0 {
			return true
		}
		return !in(v, n.vals, cmp)
	case opExists:
		return n.b
	case opType:
		return typeName(v) == n.s
	case opMod:
		f, ok := isInteger(v)
		return ok && math.Mod(f, n.div) == n.rem
	case opRegex:
		s, ok := v.(string)
		return ok && n.re.MatchString(s)
	case opSize:
		arr, ok := v.([]any)
		return ok && len(arr) == n.n
	case opAll:
		arr, ok := v.([]any)
		if !ok || len(n.vals) == 0 {
			return false
		}
		if len(n.vals) == 1 {
			if inner, ok := n.vals[0].([]any); ok && compare(inner, arr) == 0 {
				return true
			}
		}
		for _, want := range n.vals {
			if !in(want, arr, compare) {
				return false
			}
		}
		return true
	case opElemMatch:
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range arr {
			if ok, invalid := matchElem(n.arg, e); ok || invalid {
				return ok && !invalid
			}
		}
		return false
	case opAllMatch:
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			return false
		}
		for _, e := range arr {
			if ok, invalid := matchElem(n.arg, e); !ok || invalid {
				return false
			}
		}
		return true
	case opKeyMapMatch:
		obj, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for _, k := range sortedKeys(obj) {
			if ok, invalid := matchElem(n.arg, k); ok || invalid {
				return ok && !invalid
			}
		}
		return false
	}
	return false
}

// in reports whether v (or, when v is an array, any element of it) equals
// one of vals.
func in(v any, vals []any, cmp func(a, b any) int) bool {
	if arr, ok := v.([]any); ok {
		for _, want := range vals {
			for _, e := range arr {
				if cmp(e, want) == 0 {
					return true
				}
			}
		}
		return false
	}
	for _, want := range vals {
		if cmp(v, want) == 0 {
			return true
		}
	}
	return false
}
