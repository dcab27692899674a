package mango

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseAcceptsAFabricQuery(t *testing.T) {
	q, err := Parse([]byte(`{"selector":{"docType":"asset","owner":"tom"},
		"fields":["owner","size.h"],"sort":[{"size":"desc"},{"color":"desc"}],
		"limit":10,"skip":2,"use_index":["_design/indexOwnerDoc","indexOwner"],"bookmark":"abc",
		"execution_stats":true}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Query{
		Fields:   []string{"owner", "size.h"},
		Sort:     []SortField{{Field: "size", Desc: true}, {Field: "color", Desc: true}},
		Limit:    10,
		Skip:     2,
		UseIndex: []string{"indexOwnerDoc", "indexOwner"},
		Bookmark: "abc",
	}
	if diff := cmp.Diff(want, q, cmpopts.IgnoreUnexported(Query{})); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

func TestParseDefaults(t *testing.T) {
	q, err := Parse([]byte(`{"selector":{}}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if q.Limit != -1 || q.Skip != 0 || q.Fields != nil || q.Sort != nil || q.UseIndex != nil || q.Bookmark != "" {
		t.Errorf("defaults: got %+v", q)
	}
}

func TestParseUseIndexForms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"a design document name", `"indexOwnerDoc"`, []string{"indexOwnerDoc"}},
		{"a design document id", `"_design/indexOwnerDoc"`, []string{"indexOwnerDoc"}},
		{"a ddoc and a name in one string", `"indexOwnerDoc/indexOwner"`, []string{"indexOwnerDoc", "indexOwner"}},
		{"a design document id and a name in one string", `"_design/indexOwnerDoc/indexOwner"`, []string{"indexOwnerDoc", "indexOwner"}},
		{"an array of one", `["indexOwnerDoc"]`, []string{"indexOwnerDoc"}},
		{"an array of two", `["_design/indexOwnerDoc","indexOwner"]`, []string{"indexOwnerDoc", "indexOwner"}},
		{"null", `null`, nil},
		{"an empty array", `[]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse([]byte(`{"selector":{},"use_index":` + tt.in + `}`))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, q.UseIndex); diff != "" {
				t.Errorf("UseIndex (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRejectsMalformedQueries(t *testing.T) {
	tests := []struct {
		name  string
		query string
		code  string
		want  string // substring of the reason
	}{
		{"invalid JSON", `{"selector":`, "bad_request", "query is not valid JSON"},
		{"trailing data", `{"selector":{}} {}`, "bad_request", "unexpected data after"},
		{"not an object", `["selector"]`, "bad_request", "must be a JSON object"},
		{"no selector", `{"fields":["a"]}`, "missing_required_key", `query has no "selector"`},
		{"a selector that is not an object", `{"selector":"owner"}`, "invalid_selector_json", "selector: must be a JSON object"},
		{"an unknown member", `{"selector":{},"limt":5}`, "invalid_key", `"limt" is not a valid member of a query; use one of selector`},
		{"an unknown operator", `{"selector":{"owner":{"$foo":1}}}`, "invalid_operator", `selector.owner: operator "$foo" is not supported; use one of $eq, $ne`},
		{"an unknown top-level operator", `{"selector":{"$foo":[]}}`, "invalid_operator", `selector: operator "$foo" is not supported`},
		{"an unknown operator deep inside", `{"selector":{"$or":[{"a":1},{"b":{"$in":[1],"$bar":2}}]}}`, "invalid_operator", `selector.$or[1].b: operator "$bar"`},
		{"$and with an object", `{"selector":{"$and":{"a":1}}}`, "bad_arg", "selector.$and: operator $and takes an array of selectors, not {\"a\":1}"},
		{"$or with a string", `{"selector":{"$or":"a"}}`, "bad_arg", "operator $or takes an array of selectors"},
		{"$nor with a number", `{"selector":{"$nor":1}}`, "bad_arg", "operator $nor takes an array"},
		{"$not with an array", `{"selector":{"a":{"$not":[1]}}}`, "bad_arg", "selector.a.$not: operator $not takes a selector object"},
		{"$in with a scalar", `{"selector":{"a":{"$in":1}}}`, "bad_arg", "selector.a.$in: operator $in takes an array of values, not 1"},
		{"$nin with an object", `{"selector":{"a":{"$nin":{}}}}`, "bad_arg", "operator $nin takes an array"},
		{"$all with a string", `{"selector":{"a":{"$all":"x"}}}`, "bad_arg", "operator $all takes an array"},
		{"$exists with a string", `{"selector":{"a":{"$exists":"yes"}}}`, "bad_arg", "operator $exists takes true or false"},
		{"$type with an unknown type", `{"selector":{"a":{"$type":"int"}}}`, "bad_arg", `operator $type takes one of "null"`},
		{"$type with a number", `{"selector":{"a":{"$type":1}}}`, "bad_arg", "operator $type takes"},
		{"$size with a negative number", `{"selector":{"a":{"$size":-1}}}`, "bad_arg", "operator $size takes a non-negative integer"},
		{"$size with a fraction", `{"selector":{"a":{"$size":1.5}}}`, "bad_arg", "operator $size takes a non-negative integer"},
		{"$mod with one number", `{"selector":{"a":{"$mod":[2]}}}`, "bad_arg", "operator $mod takes [divisor, remainder]"},
		{"$mod with a fraction", `{"selector":{"a":{"$mod":[2.5,1]}}}`, "bad_arg", "operator $mod takes [divisor, remainder]"},
		{"$mod by zero", `{"selector":{"a":{"$mod":[0,1]}}}`, "bad_arg", "the divisor of $mod must not be zero"},
		{"$regex with a number", `{"selector":{"a":{"$regex":1}}}`, "bad_arg", "operator $regex takes a regular expression string"},
		{"$regex that does not compile", `{"selector":{"a":{"$regex":"(a"}}}`, "bad_arg", `"(a" is not a regular expression this engine accepts`},
		{"$regex with a PCRE-only construct", `{"selector":{"a":{"$regex":"(?=a)"}}}`, "bad_arg", "RE2 syntax"},
		{"$elemMatch with a scalar", `{"selector":{"a":{"$elemMatch":1}}}`, "bad_arg", "operator $elemMatch takes a selector object"},
		{"$text", `{"selector":{"$text":"x"}}`, "not_supported", "needs a text (search) index"},
		{"$where", `{"selector":{"$where":"x"}}`, "not_supported", "operator $where is not supported by CouchDB"},
		{"a condition without a field", `{"selector":{"$or":[{"a":1},5]}}`, "invalid_selector", "selector.$or[1]: a condition is missing a field name"},
		{"an empty field name", `{"selector":{"":5}}`, "invalid_selector", "a condition is missing a field name"},
		{"a field name with an empty segment", `{"selector":{"a..b":5}}`, "invalid_field", `field "a..b": field name has an empty segment`},
		{"fields that is not an array", `{"selector":{},"fields":"owner"}`, "invalid_fields", "fields: must be an array of field names"},
		{"fields with a number", `{"selector":{},"fields":["a",1]}`, "invalid_field", "fields[1]: must be a field name string, not 1"},
		{"fields with an empty name", `{"selector":{},"fields":[""]}`, "invalid_field", "fields[0]"},
		{"sort that is not an array", `{"selector":{},"sort":{"a":"asc"}}`, "invalid_sort_json", "sort: must be an array"},
		{"sort with a bad direction", `{"selector":{},"sort":[{"a":"down"}]}`, "invalid_sort_dir", `sort[0]: direction of "a" must be "asc" or "desc"`},
		{"sort with an upper-case direction", `{"selector":{},"sort":[{"a":"DESC"}]}`, "invalid_sort_dir", "(lower case)"},
		{"sort with two members in one object", `{"selector":{},"sort":[{"a":"asc","b":"asc"}]}`, "invalid_sort_field", "sort[0]: must be a field name"},
		{"sort with an empty field", `{"selector":{},"sort":[""]}`, "invalid_sort_field", "sort[0]"},
		{"sort with mixed directions", `{"selector":{},"sort":[{"a":"asc"},{"b":"desc"}]}`, "unsupported_mixed_sort", "Sorts currently only support a single direction for all fields."},
		{"a negative limit", `{"selector":{},"limit":-1}`, "invalid_non_neg_integer", "limit: must be an integer from 0 to 2147483647, not -1"},
		{"a fractional skip", `{"selector":{},"skip":1.5}`, "invalid_non_neg_integer", "skip: must be an integer"},
		{"a string limit", `{"selector":{},"limit":"10"}`, "invalid_non_neg_integer", "limit:"},
		{"a huge limit", `{"selector":{},"limit":1e12}`, "invalid_non_neg_integer", "limit: must be an integer from 0"},
		{"use_index with a number", `{"selector":{},"use_index":5}`, "invalid_index_name", "use_index: must be"},
		{"use_index with three parts", `{"selector":{},"use_index":["a","b","c"]}`, "invalid_index_name", "use_index: must be"},
		{"use_index with too many slashes", `{"selector":{},"use_index":"a/b/c"}`, "invalid_index_name", "use_index: must be"},
		{"a bookmark that is not a string", `{"selector":{},"bookmark":5}`, "invalid_bookmark", "bookmark: must be a string"},
		{"a partition", `{"selector":{},"partition":"p1"}`, "invalid_value", "not partitioned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.query))
			if err == nil {
				t.Fatalf("Parse(%s) succeeded, want an error", tt.query)
			}
			if !errors.Is(err, ErrInvalidQuery) {
				t.Errorf("error %v does not wrap ErrInvalidQuery", err)
			}
			var ce *CouchError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *CouchError", err)
			}
			if ce.Code != tt.code || ce.StatusCode != 400 {
				t.Errorf("code = %d %q, want 400 %q (reason %q)", ce.StatusCode, ce.Code, tt.code, ce.Reason)
			}
			if !strings.Contains(ce.Reason, tt.want) {
				t.Errorf("reason %q does not contain %q", ce.Reason, tt.want)
			}
		})
	}
}
