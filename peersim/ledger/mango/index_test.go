package mango

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseIndexAcceptsPackagedDefinitions(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want Index
	}{
		{
			"the marbles owner index",
			`{"index":{"fields":["docType","owner"]},"ddoc":"indexOwnerDoc","name":"indexOwner","type":"json"}`,
			Index{DDoc: "indexOwnerDoc", Name: "indexOwner", Fields: []SortField{{Field: "docType"}, {Field: "owner"}}},
		},
		{
			"a descending field",
			`{"index":{"fields":[{"size":"desc"}]},"ddoc":"indexSizeDoc","name":"indexSize","type":"json"}`,
			Index{DDoc: "indexSizeDoc", Name: "indexSize", Fields: []SortField{{Field: "size", Desc: true}}},
		},
		{
			"a design document id",
			`{"index":{"fields":["a"]},"ddoc":"_design/d","name":"n"}`,
			Index{DDoc: "d", Name: "n", Fields: []SortField{{Field: "a"}}},
		},
		{
			"a partial filter selector",
			`{"index":{"fields":["a"],"partial_filter_selector":{"b":{"$gt":1}}},"ddoc":"d","name":"n"}`,
			Index{DDoc: "d", Name: "n", Fields: []SortField{{Field: "a"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIndex([]byte(tt.def))
			if err != nil {
				t.Fatalf("ParseIndex: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(Index{})); diff != "" {
				t.Errorf("ParseIndex mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseIndexNamesAnUnnamedIndexFromItsFields(t *testing.T) {
	a, err := ParseIndex([]byte(`{"index":{"fields":["owner"]}}`))
	if err != nil {
		t.Fatalf("ParseIndex: %v", err)
	}
	b, err := ParseIndex([]byte(`{"index":{"fields":["owner"]},"type":"json"}`))
	if err != nil {
		t.Fatalf("ParseIndex: %v", err)
	}
	c, err := ParseIndex([]byte(`{"index":{"fields":["size"]}}`))
	if err != nil {
		t.Fatalf("ParseIndex: %v", err)
	}
	if a.DDoc == "" || a.Name == "" || a.String() != b.String() || a.String() == c.String() {
		t.Errorf("generated names: %s, %s, %s; want the first two equal and the third different", a, b, c)
	}
}

func TestParseIndexRejectsMalformedDefinitions(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want string
	}{
		{"invalid JSON", `{"index":`, "not valid JSON"},
		{"not an object", `["owner"]`, "must be a JSON object"},
		{"no index", `{"ddoc":"d","name":"n"}`, `missing "index"`},
		{"an index that is not an object", `{"index":["owner"]}`, `"index" must be an object`},
		{"no fields", `{"index":{}}`, `"index" must include "fields"`},
		{"fields that is not an array", `{"index":{"fields":"owner"}}`, "index.fields: must be an array"},
		{"no fields listed", `{"index":{"fields":[]}}`, "index.fields must list at least one field"},
		{"a field that is a number", `{"index":{"fields":[1]}}`, "index.fields[0]: must be a field name"},
		{"a bad direction", `{"index":{"fields":[{"size":"down"}]}}`, `index.fields[0]: direction of "size" must be "asc" or "desc"`},
		{"mixed directions", `{"index":{"fields":["a",{"b":"desc"}]}}`, "single direction"},
		{"an unknown member of index", `{"index":{"fields":["a"],"sort":["a"]}}`, "index.sort is not valid"},
		{"an unknown top-level member", `{"index":{"fields":["a"]},"partitioned":true}`, `"partitioned" is not valid`},
		{"a text index", `{"index":{"fields":["a"]},"type":"text"}`, `"type" must be "json"`},
		{"a ddoc that is not a string", `{"index":{"fields":["a"]},"ddoc":5}`, `"ddoc" must be a non-empty string`},
		{"an empty name", `{"index":{"fields":["a"]},"name":""}`, `"name" must be a non-empty string`},
		{"a ddoc with a slash", `{"index":{"fields":["a"]},"ddoc":"a/b"}`, "must not contain '/'"},
		{"a bad partial filter", `{"index":{"fields":["a"],"partial_filter_selector":{"b":{"$bad":1}}}}`, "index.partial_filter_selector.b: operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseIndex([]byte(tt.def))
			if !errors.Is(err, ErrInvalidIndex) {
				t.Fatalf("ParseIndex(%s) = %v, want ErrInvalidIndex", tt.def, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func mustIndex(t testing.TB, def string) Index {
	t.Helper()
	ix, err := ParseIndex([]byte(def))
	if err != nil {
		t.Fatalf("ParseIndex(%s): %v", def, err)
	}
	return ix
}

func mustParse(t testing.TB, query string) *Query {
	t.Helper()
	q, err := Parse([]byte(query))
	if err != nil {
		t.Fatalf("Parse(%s): %v", query, err)
	}
	return q
}

func TestIndexSelection(t *testing.T) {
	owner := `{"index":{"fields":["docType","owner"]},"ddoc":"indexOwnerDoc","name":"indexOwner","type":"json"}`
	size := `{"index":{"fields":[{"size":"desc"}]},"ddoc":"indexSizeDoc","name":"indexSize","type":"json"}`
	ownerSize := `{"index":{"fields":["docType","owner","size"]},"ddoc":"ownerSizeDoc","name":"ownerSize","type":"json"}`
	partial := `{"index":{"fields":["owner"],"partial_filter_selector":{"docType":"asset"}},"ddoc":"partialDoc","name":"partial"}`
	tests := []struct {
		name    string
		indexes []string
		query   string
		want    string // index used, or "error"
		warning string // substring of the warning
	}{
		{"no sort and no index uses _all_docs with CouchDB's warning", nil,
			`{"selector":{"owner":"tom"}}`, "_all_docs", "No matching index found, create an index to optimize query time."},
		{"a sort with no index fails", nil,
			`{"selector":{"owner":"tom"},"sort":["size"]}`, "error", ""},
		{"a sort on _id without an _id condition needs an index", nil,
			`{"selector":{"owner":"tom"},"sort":["_id"]}`, "error", ""},
		{"a sort on _id with an _id range uses _all_docs", nil,
			`{"selector":{"_id":{"$gt":null}},"sort":[{"_id":"desc"}]}`, "_all_docs", "No matching index"},
		{"a sort on the index field uses the index whatever its direction", []string{size},
			`{"selector":{"owner":"tom"},"sort":["size"]}`, "indexSizeDoc/indexSize", ""},
		{"a sort that is not a prefix of the index fails", []string{owner},
			`{"selector":{"docType":"asset","owner":"tom"},"sort":["owner","docType"]}`, "error", ""},
		{"a sort after fields fixed by $eq uses the index", []string{ownerSize},
			`{"selector":{"docType":"asset","owner":"tom"},"sort":["size"]}`, "ownerSizeDoc/ownerSize", ""},
		{"a sort after a field not fixed by $eq fails", []string{ownerSize},
			`{"selector":{"docType":"asset","owner":{"$gt":"a"}},"sort":["size"]}`, "error", ""},
		{"an index whose fields the selector does not require is not used", []string{owner},
			`{"selector":{"docType":"asset"}}`, "_all_docs", "No matching index"},
		{"an index whose fields the selector requires is used without a sort", []string{owner},
			`{"selector":{"docType":"asset","owner":{"$regex":"t"}}}`, "indexOwnerDoc/indexOwner", ""},
		{"$exists false does not count as requiring a field", []string{owner},
			`{"selector":{"docType":"asset","owner":{"$exists":false}}}`, "_all_docs", ""},
		{"$or requires a field only if every branch does", []string{owner},
			`{"selector":{"docType":"asset","$or":[{"owner":"a"},{"color":"b"}]}}`, "_all_docs", ""},
		{"$or branches that all name the field require it", []string{owner},
			`{"selector":{"docType":"asset","$or":[{"owner":"a"},{"owner":"b"}]}}`, "indexOwnerDoc/indexOwner", ""},
		{"the index covering more restricted fields wins", []string{ownerSize, owner},
			`{"selector":{"docType":"asset","owner":"tom","size":{"$gt":1}}}`, "ownerSizeDoc/ownerSize", ""},
		{"with equal coverage the index with fewer fields wins", []string{ownerSize, owner},
			`{"selector":{"docType":"asset","owner":"tom","size":{"$exists":true}}}`, "indexOwnerDoc/indexOwner", ""},
		{"use_index picks among usable indexes", []string{ownerSize, owner},
			`{"selector":{"docType":"asset","owner":"tom","size":{"$gt":1}},"use_index":"indexOwnerDoc"}`, "indexOwnerDoc/indexOwner", ""},
		{"use_index naming a missing index falls back with a warning", []string{owner},
			`{"selector":{"docType":"asset","owner":"tom"},"use_index":["nope","x"]}`, "indexOwnerDoc/indexOwner",
			"_design/nope, x was not used because it is not a valid index for this query."},
		{"use_index naming a missing design document falls back with a warning", nil,
			`{"selector":{"owner":"tom"},"use_index":"nope"}`, "_all_docs",
			"_design/nope was not used because it does not contain a valid index for this query."},
		{"use_index does not make an unusable sort usable", []string{owner},
			`{"selector":{"owner":"tom"},"sort":["size"],"use_index":"indexOwnerDoc"}`, "error", ""},
		{"a partial index is not used unless named", []string{partial},
			`{"selector":{"owner":"tom"}}`, "_all_docs", ""},
		{"a partial index is used when named", []string{partial},
			`{"selector":{"owner":"tom"},"use_index":"partialDoc"}`, "partialDoc/partial", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var indexes []Index
			for _, d := range tt.indexes {
				indexes = append(indexes, mustIndex(t, d))
			}
			p, err := choosePlan(mustParse(t, tt.query), indexes)
			if tt.want == "error" {
				var ce *CouchError
				if !errors.As(err, &ce) || !errors.Is(err, ErrNoUsableIndex) {
					t.Fatalf("choosePlan = %v, %v; want a no_usable_index error", p.name(), err)
				}
				if ce.Code != "no_usable_index" || ce.Reason != "No index exists for this sort, try indexing by the sort fields." {
					t.Errorf("error = %q %q, want CouchDB's text", ce.Code, ce.Reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("choosePlan: %v", err)
			}
			if p.name() != tt.want {
				t.Errorf("index used = %s, want %s", p.name(), tt.want)
			}
			if !strings.Contains(p.warning, tt.warning) {
				t.Errorf("warning %q does not contain %q", p.warning, tt.warning)
			}
		})
	}
}
