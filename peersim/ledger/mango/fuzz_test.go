package mango

import (
	"slices"
	"testing"
)

var fuzzQueries = []string{
	`{"selector":{}}`,
	`{"selector":{"owner":"tom","size":{"$gt":5}},"sort":[{"size":"desc"}],"limit":3,"skip":1}`,
	`{"selector":{"$or":[{"a":1},{"b":{"$in":[1,2]}}],"$nor":[{"c":null}]},"fields":["a","b.c"]}`,
	`{"selector":{"tags":{"$elemMatch":{"$regex":"^a"}},"n":{"$mod":[3,1]},"m":{"$size":2}}}`,
	`{"selector":{"$not":{"a":{"$all":[[1]]}}},"use_index":["d","n"],"bookmark":"nil"}`,
	`{"selector":{"x":{"$allMatch":{"y":{"$exists":false}}},"z":{"$keyMapMatch":{"$type":"string"}}}}`,
	`{"selector":{"a\\.b":{"$lt":[1,{"c":true}]}}}`,
	`{"selector":{"a":{"$foo":1}}}`,
	`[1,2`,
	``,
}

var fuzzDocs = []string{
	`{"owner":"tom","size":10,"tags":["ab","c"],"n":4,"m":[1,2]}`,
	`{"a":{"b":[1,{"c":2}]},"x":[{"y":1}],"z":{"k":"v"}}`,
	`{"a.b":[1,{"c":true}]}`,
	`null`,
	`"string"`,
	`{"deep":[[[[[[[[[[1]]]]]]]]]]}`,
	`{"big":1e308,"neg":-0,"u":"\u00e9\ud83d\ude00"}`,
}

// FuzzParse checks that no input makes Parse panic, and that whatever it
// accepts can be executed.
func FuzzParse(f *testing.F) {
	for _, q := range fuzzQueries {
		f.Add([]byte(q))
	}
	f.Fuzz(func(t *testing.T, query []byte) {
		q, err := Parse(query)
		if err != nil {
			return
		}
		docs := make([]Doc, len(fuzzDocs))
		for i, d := range fuzzDocs {
			docs[i] = Doc{Key: string(rune('a' + i)), Value: []byte(d)}
		}
		ix := Index{DDoc: "d", Name: "n", Fields: []SortField{{Field: "size"}}}
		_, _ = Execute(q, slices.Values(docs), []Index{ix}, Options{Limit: 2})
	})
}

// FuzzMatch checks that matching any accepted selector against any document
// neither panics nor disagrees between Execute and Collection.
func FuzzMatch(f *testing.F) {
	for _, q := range fuzzQueries {
		for _, d := range fuzzDocs {
			f.Add([]byte(q), []byte(d))
		}
	}
	f.Fuzz(func(t *testing.T, query, doc []byte) {
		q, err := Parse(query)
		if err != nil {
			return
		}
		want := q.Match("key", doc)
		res, err := Execute(q, slices.Values([]Doc{{Key: "key", Value: doc}}), nil, Options{})
		if err != nil {
			return // e.g. a sort no index serves
		}
		c := NewCollection()
		c.Put("key", doc)
		got, err := c.Find(q, Options{})
		if err != nil {
			t.Fatalf("Find failed where Execute did not: %v", err)
		}
		if len(got.Docs) != len(res.Docs) {
			t.Fatalf("Find returned %d docs, Execute %d", len(got.Docs), len(res.Docs))
		}
		if !q.noop && q.Skip == 0 && q.Limit != 0 && (len(res.Docs) == 1) != want {
			t.Fatalf("Match = %v but Execute returned %d docs", want, len(res.Docs))
		}
	})
}
