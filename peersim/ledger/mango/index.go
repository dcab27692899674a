package mango

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// ParseIndex parses a CouchDB index definition as shipped in a chaincode
// package under META-INF/statedb/couchdb/indexes, for example
//
//	{"index":{"fields":["docType","owner"]},"ddoc":"indexOwnerDoc","name":"indexOwner","type":"json"}
//	{"index":{"fields":[{"size":"desc"}]},"ddoc":"indexSizeDoc","name":"indexSize","type":"json"}
//
// It accepts what Fabric's package validation accepts and CouchDB can
// create: members "index" (required, with "fields" and optionally
// "partial_filter_selector"), "ddoc", "name" and "type" (only "json").
// Errors wrap [ErrInvalidIndex].
func ParseIndex(def []byte) (Index, error) {
	bad := func(format string, args ...any) (Index, error) {
		return Index{}, fmt.Errorf("%w: %s", ErrInvalidIndex, fmt.Sprintf(format, args...))
	}
	v, err := decodeOrdered(def)
	if err != nil {
		return bad("not valid JSON: %v", err)
	}
	if v.kind != jObject {
		return bad(`must be a JSON object such as {"index":{"fields":["owner"]},"ddoc":"indexOwnerDoc","name":"indexOwner","type":"json"}, not %s`, v.kind)
	}
	var ix Index
	haveIndex := false
	for _, m := range v.obj {
		switch m.key {
		case "index":
			if m.val.kind != jObject {
				return bad(`"index" must be an object such as {"fields":["owner"]}, not %s`, m.val.kind)
			}
			haveFields := false
			for _, im := range m.val.obj {
				switch im.key {
				case "fields":
					fields, err := parseSortSpec(im.val, "index.fields")
					if err != nil {
						return bad("%s", err.(*CouchError).Reason)
					}
					if len(fields) == 0 {
						return bad("index.fields must list at least one field")
					}
					ix.Fields, haveFields = fields, true
				case "partial_filter_selector":
					sel, err := parseSelector(im.val)
					if err != nil {
						return bad("index.partial_filter_%s", err.(*CouchError).Reason)
					}
					ix.partial = sel
				default:
					return bad(`index.%s is not valid; "index" may only hold "fields" and "partial_filter_selector"`, im.key)
				}
			}
			if !haveFields {
				return bad(`"index" must include "fields", e.g. {"fields":["owner"]}`)
			}
			haveIndex = true
		case "ddoc", "name":
			if m.val.kind != jString || m.val.str == "" {
				return bad("%q must be a non-empty string, not %s", m.key, m.val)
			}
			if m.key == "ddoc" {
				ix.DDoc = strings.TrimPrefix(m.val.str, "_design/")
			} else {
				ix.Name = m.val.str
			}
		case "type":
			if m.val.kind != jString || m.val.str != "json" {
				return bad(`"type" must be "json" (Fabric supports only JSON indexes), not %s`, m.val)
			}
		default:
			return bad(`%q is not valid; an index definition may only hold "index", "ddoc", "name" and "type"`, m.key)
		}
	}
	if !haveIndex {
		return bad(`missing "index", e.g. {"index":{"fields":["owner"]}}`)
	}
	if ix.DDoc == "" || ix.Name == "" {
		sum := sha1.Sum([]byte(fieldsKey(ix.Fields)))
		gen := hex.EncodeToString(sum[:])
		if ix.DDoc == "" {
			ix.DDoc = gen
		}
		if ix.Name == "" {
			ix.Name = gen
		}
	}
	if ix.DDoc == "" || strings.Contains(ix.DDoc, "/") {
		return bad("ddoc %q must not contain '/'", ix.DDoc)
	}
	return ix, nil
}

func fieldsKey(fields []SortField) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f.Field)
		if f.Desc {
			b.WriteString(":desc")
		}
		b.WriteByte(0)
	}
	return b.String()
}

// String returns "ddoc/name".
func (ix Index) String() string { return ix.DDoc + "/" + ix.Name }

func (ix Index) columns() []string {
	cols := make([]string, len(ix.Fields))
	for i, f := range ix.Fields {
		cols[i] = f.Field
	}
	return cols
}

// validate checks an Index built by hand rather than by ParseIndex.
func (ix Index) validate() error {
	if ix.DDoc == "" || ix.Name == "" {
		return fmt.Errorf("%w: index %q has an empty ddoc or name", ErrInvalidIndex, ix.String())
	}
	if len(ix.Fields) == 0 {
		return fmt.Errorf("%w: index %q has no fields", ErrInvalidIndex, ix.String())
	}
	for _, f := range ix.Fields {
		if _, err := splitPath(f.Field); err != nil {
			return fmt.Errorf("%w: index %q: field %q: %v", ErrInvalidIndex, ix.String(), f.Field, err)
		}
	}
	return nil
}

// allDocsName names CouchDB's built-in index over document ids.
const allDocsName = "_all_docs"

// Warnings CouchDB attaches to a _find response.
const (
	warnNoIndex = "No matching index found, create an index to optimize query time."
)

// plan is the outcome of index selection.
type plan struct {
	index   *Index     // nil: _all_docs
	cols    [][]string // index columns, split
	desc    bool       // traverse the index backwards
	warning string
}

func (p plan) name() string {
	if p.index == nil {
		return allDocsName
	}
	return p.index.String()
}

// choosePlan selects the index that serves q, following CouchDB 3's rules
// as listed in the package documentation.
func choosePlan(q *Query, indexes []Index) (plan, error) {
	sortFields := make([]string, len(q.Sort))
	for i, s := range q.Sort {
		sortFields[i] = s.Field
	}
	desc := len(q.Sort) > 0 && q.Sort[0].Desc

	var usable []*Index
	for i := range indexes {
		ix := &indexes[i]
		if ix.partial != nil && !namedBy(ix, q.UseIndex) {
			continue
		}
		if jsonUsable(ix.columns(), q.selector, sortFields) {
			usable = append(usable, ix)
		}
	}
	allDocsUsable := len(sortFields) == 0 ||
		(slices.Contains(indexableFields(q.selector), "_id") && isPrefix(sortFields, []string{"_id"}))
	if len(usable) == 0 && !allDocsUsable {
		return plan{}, &CouchError{
			StatusCode: 400,
			Code:       "no_usable_index",
			Reason:     "No index exists for this sort, try indexing by the sort fields.",
			Err:        ErrNoUsableIndex,
		}
	}

	var warnings []string
	if len(q.UseIndex) > 0 {
		var named []*Index
		for _, ix := range usable {
			if namedBy(ix, q.UseIndex) {
				named = append(named, ix)
			}
		}
		if len(named) > 0 {
			usable = named
		} else if len(q.UseIndex) == 1 {
			warnings = append(warnings, fmt.Sprintf(
				"_design/%s was not used because it does not contain a valid index for this query.", q.UseIndex[0]))
		} else {
			warnings = append(warnings, fmt.Sprintf(
				"_design/%s, %s was not used because it is not a valid index for this query.", q.UseIndex[0], q.UseIndex[1]))
		}
	}

	p := plan{desc: desc}
	if len(usable) > 0 {
		p.index = bestIndex(usable, indexableFields(q.selector))
		for _, c := range p.index.columns() {
			path, _ := splitPath(c)
			p.cols = append(p.cols, path)
		}
	} else {
		warnings = append(warnings, warnNoIndex)
	}
	p.warning = strings.Join(warnings, "\n")
	return p, nil
}

func namedBy(ix *Index, useIndex []string) bool {
	switch len(useIndex) {
	case 1:
		return ix.DDoc == useIndex[0]
	case 2:
		return ix.DDoc == useIndex[0] && ix.Name == useIndex[1]
	}
	return false
}

func jsonUsable(cols []string, sel *node, sortFields []string) bool {
	var required []string
	for _, c := range cols {
		if c == "_id" || c == "_rev" || slices.Contains(sortFields, c) || slices.Contains(required, c) {
			continue
		}
		required = append(required, c)
	}
	return len(remainingFields([]*node{sel}, required)) == 0 && canUseSort(cols, sortFields, sel)
}

// remainingFields returns the fields of required that the selectors do not
// require to exist.
func remainingFields(sels []*node, required []string) []string {
	for _, n := range sels {
		if len(required) == 0 {
			return nil
		}
		switch n.op {
		case opAnd:
			if len(n.kids) == 0 && len(sels) == 1 {
				return required // the empty selector requires nothing
			}
			required = remainingFields(n.kids, required)
		case opOr:
			var union []string
			for _, k := range n.kids {
				for _, f := range remainingFields([]*node{k}, required) {
					if !slices.Contains(union, f) {
						union = append(union, f)
					}
				}
			}
			required = union
		case opField:
			if n.arg.op == opExists && !n.arg.b {
				continue
			}
			required = slices.DeleteFunc(slices.Clone(required), func(f string) bool { return f == n.field })
		}
	}
	return required
}

func canUseSort(cols, sortFields []string, sel *node) bool {
	for {
		if len(sortFields) == 0 {
			return true
		}
		if len(cols) == 0 {
			return false
		}
		if cols[0] == sortFields[0] {
			return isPrefix(sortFields, cols)
		}
		if !isConstantField(sel, cols[0]) {
			return false
		}
		cols = cols[1:]
	}
}

// isConstantField reports whether the selector fixes field with $eq.
func isConstantField(sel *node, field string) bool {
	switch sel.op {
	case opAnd:
		for _, k := range sel.kids {
			if isConstantField(k, field) {
				return true
			}
		}
	case opField:
		return sel.field == field && sel.arg.op == opEq
	}
	return false
}

// indexableFields lists the fields the selector restricts, through $and
// only, with an operator an index range can serve.
func indexableFields(sel *node) []string {
	var out []string
	forAndConditions(sel, func(n *node) {
		switch n.arg.op {
		case opEq, opLt, opLte, opGt, opGte:
			if !slices.Contains(out, n.field) {
				out = append(out, n.field)
			}
		}
	})
	return out
}

// forAndConditions calls f with each field condition of sel reachable from
// the top through $and only: the conditions every matching document meets.
func forAndConditions(sel *node, f func(*node)) {
	switch sel.op {
	case opAnd:
		for _, k := range sel.kids {
			forAndConditions(k, f)
		}
	case opField:
		f(sel)
	}
}

func isPrefix(prefix, s []string) bool {
	return len(prefix) <= len(s) && slices.Equal(prefix, s[:len(prefix)])
}

func bestIndex(cands []*Index, ranged []string) *Index {
	type scored struct {
		ix   *Index
		diff int
	}
	all := make([]scored, len(cands))
	for i, ix := range cands {
		prefix := 0
		for _, c := range ix.columns() {
			if !slices.Contains(ranged, c) {
				break
			}
			prefix++
		}
		all[i] = scored{ix, len(ranged) - prefix}
	}
	best := slices.MinFunc(all, func(a, b scored) int {
		if a.diff != b.diff {
			return cmpInt(a.diff, b.diff)
		}
		if la, lb := len(a.ix.Fields), len(b.ix.Fields); la != lb {
			return cmpInt(la, lb)
		}
		if c := strings.Compare(a.ix.DDoc, b.ix.DDoc); c != 0 {
			return c
		}
		return strings.Compare(a.ix.Name, b.ix.Name)
	})
	return best.ix
}
