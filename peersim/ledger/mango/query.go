package mango

import (
	"fmt"
	"math"
	"strings"
)

// findKeys are the members CouchDB accepts in a _find request besides the
// ones this package acts on; they are accepted and ignored.
var ignoredFindKeys = map[string]bool{
	"r": true, "conflicts": true, "stale": true, "update": true, "stable": true,
	"execution_stats": true, "allow_fallback": true,
}

const findKeyNames = "selector, fields, sort, limit, skip, use_index, bookmark, r, conflicts, stale, update, stable, execution_stats, allow_fallback"

// Parse parses a Mango query, the body of a CouchDB _find request as a
// chaincode passes it to GetQueryResult. Errors are [*CouchError] values
// wrapping [ErrInvalidQuery] whose Reason names the offending member, e.g.
//
//	selector.owner: operator "$foo" is not supported; use one of $eq, $ne, ...
//
// Parse is stricter than CouchDB in a few places where CouchDB would accept
// a query that can never do what its author meant: an unknown $type name, a
// $mod divisor of zero, a field name with an empty segment, and a condition
// with no field name anywhere in the selector.
func Parse(query []byte) (*Query, error) {
	v, err := decodeOrdered(query)
	if err != nil {
		return nil, queryError("bad_request", "query is not valid JSON: %v", err)
	}
	if v.kind != jObject {
		return nil, queryError("bad_request",
			`query must be a JSON object such as {"selector":{"docType":"asset"}}, not %s`, v.kind)
	}
	q := &Query{Limit: -1}
	haveSelector := false
	for _, m := range v.obj {
		switch m.key {
		case "selector":
			sel, err := parseSelector(m.val)
			if err != nil {
				return nil, err
			}
			q.selector, haveSelector = sel, true
			q.noop = len(m.val.obj) > 0 && (sel.op == opAnd || sel.op == opOr) && len(sel.kids) == 0
		case "fields":
			if err := q.parseFields(m.val); err != nil {
				return nil, err
			}
		case "sort":
			if err := q.parseSort(m.val); err != nil {
				return nil, err
			}
		case "limit", "skip":
			n, err := nonNegInt(m.key, m.val)
			if err != nil {
				return nil, err
			}
			if m.key == "limit" {
				q.Limit = n
			} else {
				q.Skip = n
			}
		case "use_index":
			ui, err := parseUseIndex(m.val)
			if err != nil {
				return nil, err
			}
			q.UseIndex = ui
		case "bookmark":
			switch m.val.kind {
			case jNull:
				q.Bookmark = ""
			case jString:
				q.Bookmark = m.val.str
			default:
				return nil, queryError("invalid_bookmark", "bookmark: must be a string, not %s", m.val.kind)
			}
		case "partition":
			if m.val.kind != jString || m.val.str != "" {
				return nil, queryError("invalid_value",
					"partition: Fabric's CouchDB databases are not partitioned; remove \"partition\"")
			}
		default:
			if !ignoredFindKeys[m.key] {
				return nil, queryError("invalid_key",
					"%q is not a valid member of a query; use one of %s", m.key, findKeyNames)
			}
		}
	}
	if !haveSelector {
		return nil, queryError("missing_required_key",
			`query has no "selector"; every query needs one, e.g. {"selector":{"docType":"asset"}}`)
	}
	return q, nil
}

func nonNegInt(name string, v jval) (int, error) {
	if v.kind != jNumber || !v.isInt || v.num < 0 || v.num > math.MaxInt32 {
		return 0, queryError("invalid_non_neg_integer",
			"%s: must be an integer from 0 to %d, not %s", name, math.MaxInt32, v)
	}
	return int(v.num), nil
}

func (q *Query) parseFields(v jval) error {
	if v.kind != jArray {
		return queryError("invalid_fields", `fields: must be an array of field names such as ["owner","size"], not %s`, v.kind)
	}
	for i, e := range v.arr {
		if e.kind != jString {
			return queryError("invalid_field", "fields[%d]: must be a field name string, not %s", i, e)
		}
		p, err := splitPath(e.str)
		if err != nil {
			return queryError("invalid_field", "fields[%d]: %q: %v", i, e.str, err)
		}
		q.Fields = append(q.Fields, e.str)
		q.fieldPaths = append(q.fieldPaths, p)
	}
	return nil
}

func (q *Query) parseSort(v jval) error {
	sort, err := parseSortSpec(v, "sort")
	if err != nil {
		return err
	}
	q.Sort = sort
	return nil
}

// parseSortSpec parses a sort specification or an index's field list:
// ["a", {"b": "asc"}, {"c": "desc"}], all in one direction.
func parseSortSpec(v jval, loc string) ([]SortField, error) {
	if v.kind != jArray {
		return nil, queryError("invalid_sort_json",
			`%s: must be an array such as ["size"] or [{"size":"desc"}], not %s`, loc, v.kind)
	}
	var out []SortField
	for i, e := range v.arr {
		here := fmt.Sprintf("%s[%d]", loc, i)
		var sf SortField
		switch {
		case e.kind == jString:
			sf.Field = e.str
		case e.kind == jObject && len(e.obj) == 1:
			sf.Field = e.obj[0].key
			dir := e.obj[0].val
			if dir.kind != jString || (dir.str != "asc" && dir.str != "desc") {
				return nil, queryError("invalid_sort_dir",
					`%s: direction of %q must be "asc" or "desc" (lower case), not %s`, here, sf.Field, dir)
			}
			sf.Desc = dir.str == "desc"
		default:
			return nil, queryError("invalid_sort_field",
				`%s: must be a field name or {"field":"asc"|"desc"}, not %s`, here, e)
		}
		if _, err := splitPath(sf.Field); err != nil {
			return nil, queryError("invalid_sort_field", "%s: %q: %v", here, sf.Field, err)
		}
		if len(out) > 0 && out[0].Desc != sf.Desc {
			return nil, queryError("unsupported_mixed_sort",
				"%s: Sorts currently only support a single direction for all fields.", loc)
		}
		out = append(out, sf)
	}
	return out, nil
}

// parseUseIndex accepts "ddoc", "ddoc/name", "_design/ddoc[/name]", [ddoc]
// or [ddoc, name], as CouchDB does.
func parseUseIndex(v jval) ([]string, error) {
	bad := func() error {
		return queryError("invalid_index_name",
			`use_index: must be "ddoc", "ddoc/name", ["ddoc"] or ["ddoc","name"], not %s`, v)
	}
	var parts []string
	switch v.kind {
	case jNull:
		return nil, nil
	case jString:
		parts = strings.SplitN(v.str, "/", 2)
		if parts[0] == "_design" && len(parts) == 2 {
			parts = strings.SplitN(parts[1], "/", 2)
		}
		if len(parts) == 2 && strings.Contains(parts[1], "/") {
			return nil, bad()
		}
	case jArray:
		if len(v.arr) > 2 {
			return nil, bad()
		}
		for _, e := range v.arr {
			if e.kind != jString {
				return nil, bad()
			}
			parts = append(parts, e.str)
		}
		if len(parts) == 0 {
			return nil, nil
		}
	default:
		return nil, bad()
	}
	parts[0] = strings.TrimPrefix(parts[0], "_design/")
	for _, p := range parts {
		if p == "" {
			return nil, bad()
		}
	}
	return parts, nil
}

// Match reports whether a state value, stored under key, satisfies the
// query's selector. A value that is not a JSON object never matches (see
// [Doc]).
func (q *Query) Match(key string, value []byte) bool {
	doc, ok := decodeDoc(value)
	return ok && matchDoc(q.selector, doc, key)
}
