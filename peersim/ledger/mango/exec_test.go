package mango

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// marbles is a small namespace in key order.
var marbles = []Doc{
	{Key: "marble01", Value: []byte(`{"docType":"marble","owner":"tom","size":50,"color":"blue"}`)},
	{Key: "marble02", Value: []byte(`{"docType":"marble","owner":"ann","size":10,"color":"red"}`)},
	{Key: "marble03", Value: []byte(`{"docType":"marble","owner":"tom","size":30,"color":"green"}`)},
	{Key: "marble04", Value: []byte(`{"docType":"marble","owner":"bob","color":"blue"}`)},
	{Key: "marble05", Value: []byte(`{"size":20,"owner":"tom","docType":"marble","color":"red"}`)},
	{Key: "marble06", Value: []byte(`{"docType":"marble","owner":"tom","size":30,"color":"white"}`)},
	{Key: "note1", Value: []byte(`plain text`)},
	{Key: "person1", Value: []byte(`{"docType":"person","name":"tom","size":99}`)},
}

func keys(docs []Doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.Key
	}
	return out
}

func run(t *testing.T, query string, indexes []Index, opts Options) Result {
	t.Helper()
	res, err := Execute(mustParse(t, query), slices.Values(marbles), indexes, opts)
	if err != nil {
		t.Fatalf("Execute(%s): %v", query, err)
	}
	return res
}

var (
	sizeIndex  = `{"index":{"fields":["size"]},"ddoc":"sizeDoc","name":"size","type":"json"}`
	ownerIndex = `{"index":{"fields":["docType","owner","size"]},"ddoc":"ownerDoc","name":"owner","type":"json"}`
)

func TestExecuteReturnsMatchesInKeyOrderWithoutAnIndex(t *testing.T) {
	res := run(t, `{"selector":{"owner":"tom"}}`, nil, Options{})
	if diff := cmp.Diff([]string{"marble01", "marble03", "marble05", "marble06"}, keys(res.Docs)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if res.IndexUsed != "_all_docs" || res.Warning != warnNoIndex {
		t.Errorf("IndexUsed %q Warning %q", res.IndexUsed, res.Warning)
	}
	// Fabric re-encodes the stored JSON through a Go map: keys come back sorted.
	if got, want := string(res.Docs[2].Value), `{"color":"red","docType":"marble","owner":"tom","size":20}`; got != want {
		t.Errorf("value = %s, want %s", got, want)
	}
}

func TestExecuteProjectsFields(t *testing.T) {
	docs := []Doc{{Key: "k", Value: []byte(`{"a":1,"b":{"c":2,"d":3},"e":[4,5],"f":"<&>"}`)}}
	tests := []struct {
		name   string
		fields string
		want   string
	}{
		{"no fields returns the whole document", `[]`, `{"a":1,"b":{"c":2,"d":3},"e":[4,5],"f":"\u003c\u0026\u003e"}`},
		{"top-level fields", `["a","f"]`, `{"a":1,"f":"\u003c\u0026\u003e"}`},
		{"a nested field keeps its nesting", `["b.c"]`, `{"b":{"c":2}}`},
		{"an array element becomes an object member", `["e.1"]`, `{"e":{"1":5}}`},
		{"missing fields are left out", `["zz","a"]`, `{"a":1}`},
		{"only missing fields give an empty object", `["zz"]`, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := mustParse(t, `{"selector":{},"fields":`+tt.fields+`}`)
			res, err := Execute(q, slices.Values(docs), nil, Options{})
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if len(res.Docs) != 1 || string(res.Docs[0].Value) != tt.want {
				t.Errorf("got %q, want %s", res.Docs, tt.want)
			}
		})
	}
}

func TestExecuteAndFindSkipValuesThatAreNotJSON(t *testing.T) {
	c := NewCollection()
	for _, d := range marbles {
		c.Put(d.Key, d.Value)
	}
	c.Put("marble01", []byte("now binary")) // a document that stops being one
	for _, query := range []string{
		`{"selector":{"_id":{"$regex":"^note"}},"fields":["a"]}`,
		`{"selector":{"_id":"note1"}}`,
		`{"selector":{"_id":"marble01"}}`,
	} {
		docs := slices.Clone(marbles)
		docs[0].Value = []byte("now binary")
		res, err := Execute(mustParse(t, query), slices.Values(docs), nil, Options{})
		if err != nil || len(res.Docs) != 0 {
			t.Errorf("Execute(%s) = %q, %v; want no documents", query, res.Docs, err)
		}
		got, err := c.Find(mustParse(t, query), Options{})
		if err != nil || len(got.Docs) != 0 {
			t.Errorf("Find(%s) = %q, %v; want no documents", query, got.Docs, err)
		}
	}
	if c.Len() != len(marbles)-2 {
		t.Errorf("Len = %d, want %d: values that are not JSON are not documents", c.Len(), len(marbles)-2)
	}
}

func TestABookmarkIgnoresValuesThatAreNotJSON(t *testing.T) {
	docs := []Doc{
		{Key: "a", Value: []byte(`{"n":1}`)},
		{Key: "b", Value: []byte(`binary`)},
		{Key: "c", Value: []byte(`{"n":2}`)},
	}
	q := mustParse(t, `{"selector":{}}`)
	first, err := Execute(q, slices.Values(docs), nil, Options{Limit: 1})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	next, err := Execute(q, slices.Values(docs), nil, Options{Limit: 1, Bookmark: first.Bookmark})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if got := keys(append(first.Docs, next.Docs...)); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("two pages of one = %v, want [a c]", got)
	}
}

func TestExecuteSortsWithAnIndex(t *testing.T) {
	indexes := []Index{mustIndex(t, sizeIndex)}
	asc := run(t, `{"selector":{"docType":"marble"},"sort":["size"]}`, indexes, Options{})
	// marble04 has no size: it is not in the index, so CouchDB never returns it.
	if diff := cmp.Diff([]string{"marble02", "marble05", "marble03", "marble06", "marble01"}, keys(asc.Docs)); diff != "" {
		t.Errorf("ascending (-want +got):\n%s", diff)
	}
	desc := run(t, `{"selector":{"docType":"marble"},"sort":[{"size":"desc"}]}`, indexes, Options{})
	if diff := cmp.Diff([]string{"marble01", "marble06", "marble03", "marble05", "marble02"}, keys(desc.Docs)); diff != "" {
		t.Errorf("descending (-want +got):\n%s", diff)
	}
	if asc.IndexUsed != "sizeDoc/size" || asc.Warning != "" {
		t.Errorf("IndexUsed %q Warning %q", asc.IndexUsed, asc.Warning)
	}
}

func TestExecuteOrdersByTheChosenIndexEvenWithoutSort(t *testing.T) {
	res := run(t, `{"selector":{"size":{"$gte":20}}}`, []Index{mustIndex(t, sizeIndex)}, Options{})
	if diff := cmp.Diff([]string{"marble05", "marble03", "marble06", "marble01", "person1"}, keys(res.Docs)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestExecuteRefusesASortWithoutAnIndex(t *testing.T) {
	_, err := Execute(mustParse(t, `{"selector":{"owner":"tom"},"sort":["size"]}`), slices.Values(marbles), nil, Options{})
	var ce *CouchError
	if !errors.As(err, &ce) || !errors.Is(err, ErrNoUsableIndex) {
		t.Fatalf("Execute = %v, want a no_usable_index CouchError", err)
	}
	if got := err.Error(); got != "no_usable_index: No index exists for this sort, try indexing by the sort fields." {
		t.Errorf("error text = %q", got)
	}
	want := "error handling CouchDB request. Error:no_usable_index,  Status Code:400,  Reason:No index exists for this sort, try indexing by the sort fields."
	if got := ce.FabricText(); got != want {
		t.Errorf("FabricText() = %q, want %q", got, want)
	}
}

func TestExecuteLimitAndSkip(t *testing.T) {
	tests := []struct {
		name  string
		query string
		opts  Options
		want  []string
	}{
		{"the query's limit", `{"selector":{"owner":"tom"},"limit":2}`, Options{}, []string{"marble01", "marble03"}},
		{"a limit of zero returns nothing", `{"selector":{"owner":"tom"},"limit":0}`, Options{}, nil},
		{"the peer's limit replaces the query's", `{"selector":{"owner":"tom"},"limit":1}`, Options{Limit: 3}, []string{"marble01", "marble03", "marble05"}},
		{"skip drops the first matches", `{"selector":{"owner":"tom"},"skip":1}`, Options{}, []string{"marble03", "marble05", "marble06"}},
		{"skip then limit", `{"selector":{"owner":"tom"},"skip":1,"limit":2}`, Options{}, []string{"marble03", "marble05"}},
		{"skip past the end", `{"selector":{"owner":"tom"},"skip":10}`, Options{}, nil},
		{"skip with an index", `{"selector":{"docType":"marble"},"sort":["size"],"skip":3}`, Options{Limit: 1}, []string{"marble06"}},
	}
	indexes := []Index{mustIndex(t, sizeIndex)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.query, indexes, tt.opts)
			if diff := cmp.Diff(tt.want, keys(res.Docs), cmpEmpty); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
}

var cmpEmpty = cmp.Transformer("empty", func(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
})

// paginate reads every page of size pageSize, as a chaincode calling
// GetQueryResultWithPagination in a loop would.
func paginate(t *testing.T, find func(Options) (Result, error), pageSize int) []Doc {
	t.Helper()
	var all []Doc
	bookmark := ""
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatalf("pagination does not end")
		}
		res, err := find(Options{Limit: pageSize, Bookmark: bookmark})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		all = append(all, res.Docs...)
		if len(res.Docs) < pageSize {
			return all
		}
		bookmark = res.Bookmark
	}
}

func TestExecutePagesConcatenateToTheWholeResult(t *testing.T) {
	queries := []string{
		`{"selector":{}}`,
		`{"selector":{"owner":"tom"}}`,
		`{"selector":{"docType":"marble"},"sort":["size"]}`,
		`{"selector":{"docType":"marble"},"sort":[{"size":"desc"}]}`,
		`{"selector":{"docType":"marble","owner":"tom"},"sort":[{"size":"desc"}],"fields":["size"]}`,
		`{"selector":{"_id":{"$gt":"marble02"}},"sort":[{"_id":"desc"}]}`,
		`{"selector":{"size":{"$gt":0}}}`,
	}
	indexes := []Index{mustIndex(t, sizeIndex), mustIndex(t, ownerIndex)}
	for _, query := range queries {
		q := mustParse(t, query)
		whole, err := Execute(q, slices.Values(marbles), indexes, Options{})
		if err != nil {
			t.Fatalf("Execute(%s): %v", query, err)
		}
		for pageSize := 1; pageSize <= len(marbles)+1; pageSize++ {
			t.Run(fmt.Sprintf("%s in pages of %d", query, pageSize), func(t *testing.T) {
				got := paginate(t, func(o Options) (Result, error) {
					return Execute(q, slices.Values(marbles), indexes, o)
				}, pageSize)
				if diff := cmp.Diff(whole.Docs, got); diff != "" {
					t.Errorf("pages (-whole +concatenated):\n%s", diff)
				}
			})
		}
	}
}

func TestExecuteAppliesSkipOnEveryPage(t *testing.T) {
	q := mustParse(t, `{"selector":{"owner":"tom"},"skip":1}`)
	first, err := Execute(q, slices.Values(marbles), nil, Options{Limit: 1})
	if err != nil {
		t.Fatalf("page 1: %v", err)
	}
	second, err := Execute(q, slices.Values(marbles), nil, Options{Limit: 1, Bookmark: first.Bookmark})
	if err != nil {
		t.Fatalf("page 2: %v", err)
	}
	if got := append(keys(first.Docs), keys(second.Docs)...); !slices.Equal(got, []string{"marble03", "marble06"}) {
		t.Errorf("pages = %v, want [marble03 marble06] (CouchDB re-applies skip after a bookmark)", got)
	}
}

func TestExecuteBookmarkOfAnEmptyPage(t *testing.T) {
	q := mustParse(t, `{"selector":{"owner":"nobody"}}`)
	first, err := Execute(q, slices.Values(marbles), nil, Options{Limit: 5})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if len(first.Docs) != 0 || first.Bookmark != "nil" {
		t.Errorf("first empty page: %d docs, bookmark %q; want 0 and CouchDB's \"nil\"", len(first.Docs), first.Bookmark)
	}
	_, err = Execute(q, slices.Values(marbles), nil, Options{Limit: 5, Bookmark: "nil"})
	if !errors.Is(err, ErrInvalidBookmark) {
		t.Errorf("passing \"nil\" back: %v, want ErrInvalidBookmark as CouchDB rejects it", err)
	}

	all := mustParse(t, `{"selector":{"owner":"tom"}}`)
	page, err := Execute(all, slices.Values(marbles), nil, Options{Limit: 4})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	after, err := Execute(all, slices.Values(marbles), nil, Options{Limit: 4, Bookmark: page.Bookmark})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if len(after.Docs) != 0 || after.Bookmark != page.Bookmark {
		t.Errorf("page after the last: %d docs, bookmark %q; want 0 and the same bookmark back", len(after.Docs), after.Bookmark)
	}
}

func TestExecuteRejectsForeignBookmarks(t *testing.T) {
	indexes := []Index{mustIndex(t, sizeIndex)}
	sorted := mustParse(t, `{"selector":{"docType":"marble"},"sort":["size"]}`)
	page, err := Execute(sorted, slices.Values(marbles), indexes, Options{Limit: 1})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	tests := []struct {
		name     string
		bookmark string
		want     string
	}{
		{"a bookmark of another index", page.Bookmark, "issued for a query served by index sizeDoc/size, this query is served by _all_docs"},
		{"garbage", "g1AAAAB4eJzLYWBgYMpgSmHgKy5JLCrJTq2MT8lPzkzJBYqzF-Ukpual5-Qz", "not issued by this engine"},
		{"not base64", "***", "not issued by this engine"},
	}
	unsorted := mustParse(t, `{"selector":{"docType":"marble"}}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Execute(unsorted, slices.Values(marbles), indexes, Options{Bookmark: tt.bookmark})
			if !errors.Is(err, ErrInvalidBookmark) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Execute = %v, want ErrInvalidBookmark mentioning %q", err, tt.want)
			}
		})
	}
}

func TestExecuteUsesTheQueryBookmarkUnlessTheOptionsHaveOne(t *testing.T) {
	q := mustParse(t, `{"selector":{"owner":"tom"}}`)
	page, err := Execute(q, slices.Values(marbles), nil, Options{Limit: 1})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	withBookmark := mustParse(t, `{"selector":{"owner":"tom"},"bookmark":"`+page.Bookmark+`"}`)
	res, err := Execute(withBookmark, slices.Values(marbles), nil, Options{Limit: 1})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if got := keys(res.Docs); !slices.Equal(got, []string{"marble03"}) {
		t.Errorf("query bookmark: got %v, want [marble03]", got)
	}
}

func TestExecuteRequiresKeyOrder(t *testing.T) {
	docs := []Doc{{Key: "b", Value: []byte(`{}`)}, {Key: "a", Value: []byte(`{}`)}}
	for _, query := range []string{`{"selector":{}}`, `{"selector":{"_id":{"$gt":null}},"sort":[{"_id":"desc"}]}`} {
		_, err := Execute(mustParse(t, query), slices.Values(docs), nil, Options{})
		if err == nil || !strings.Contains(err.Error(), `ascending key order, got "a" after "b"`) {
			t.Errorf("Execute(%s) = %v, want a key order error", query, err)
		}
	}
}

func TestExecuteTreatsANilIteratorAsEmpty(t *testing.T) {
	res, err := Execute(mustParse(t, `{"selector":{}}`), nil, nil, Options{})
	if err != nil || len(res.Docs) != 0 || res.Bookmark != "nil" {
		t.Errorf("Execute(nil docs) = %+v, %v; want an empty page", res, err)
	}
}

func TestExecuteRejectsAQueryNotMadeByParse(t *testing.T) {
	if _, err := Execute(&Query{}, slices.Values(marbles), nil, Options{}); err == nil {
		t.Error("Execute(&Query{}) succeeded")
	}
	if _, err := NewCollection().Find(nil, Options{}); err == nil {
		t.Error("Find(nil) succeeded")
	}
}

func TestExecuteLosesTheRowAfterADeletedBookmarkLikeCouchDB(t *testing.T) {
	q := mustParse(t, `{"selector":{"docType":"marble"}}`)
	page, err := Execute(q, slices.Values(marbles), nil, Options{Limit: 1})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	rest := slices.DeleteFunc(slices.Clone(marbles), func(d Doc) bool { return d.Key == "marble01" })
	next, err := Execute(q, slices.Values(rest), nil, Options{Limit: 1, Bookmark: page.Bookmark})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	// CouchDB resumes at the bookmarked position and skips one row. With the
	// bookmarked document gone, the row it skips is marble02.
	if got := keys(next.Docs); !slices.Equal(got, []string{"marble03"}) {
		t.Errorf("next page = %v, want [marble03]", got)
	}
}

// TestCollectionAgreesWithExecute drives random queries and random page
// sizes over a random, changing namespace through both implementations.
func TestCollectionAgreesWithExecute(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	owners := []string{"ann", "bob", "tom", "zoe"}
	newValue := func() []byte {
		switch rng.IntN(10) {
		case 0:
			return []byte("binary")
		case 1:
			return []byte(fmt.Sprintf(`{"docType":"marble","owner":%q}`, owners[rng.IntN(4)]))
		}
		return []byte(fmt.Sprintf(`{"docType":"marble","owner":%q,"size":%d,"tags":["t%d"]}`,
			owners[rng.IntN(4)], rng.IntN(20), rng.IntN(3)))
	}
	state := map[string][]byte{}
	c := NewCollection()
	indexes := []Index{mustIndex(t, sizeIndex), mustIndex(t, ownerIndex),
		mustIndex(t, `{"index":{"fields":["owner"],"partial_filter_selector":{"size":{"$gt":10}}},"ddoc":"p","name":"p"}`)}
	for _, ix := range indexes {
		if err := c.DefineIndex(ix); err != nil {
			t.Fatalf("DefineIndex: %v", err)
		}
	}
	queries := []string{
		`{"selector":{}}`,
		`{"selector":{"owner":"tom"}}`,
		`{"selector":{"size":{"$gt":5,"$lte":15}}}`,
		`{"selector":{"size":{"$eq":7}}}`,
		`{"selector":{"docType":"marble"},"sort":["size"],"skip":1}`,
		`{"selector":{"docType":"marble"},"sort":[{"size":"desc"}]}`,
		`{"selector":{"docType":"marble","owner":"bob"},"sort":["size"]}`,
		`{"selector":{"docType":"marble","owner":{"$in":["ann","zoe"]},"size":{"$gte":0}}}`,
		`{"selector":{"owner":{"$gt":"b"}},"use_index":"p"}`,
		`{"selector":{"_id":{"$gte":"k05"}},"sort":[{"_id":"desc"}]}`,
		`{"selector":{"tags":{"$elemMatch":{"$eq":"t1"}}},"fields":["owner","tags.0"]}`,
	}
	for round := 0; round < 30; round++ {
		for i := 0; i < 20; i++ {
			k := fmt.Sprintf("k%02d", rng.IntN(40))
			if rng.IntN(5) == 0 {
				delete(state, k)
				c.Delete(k)
				continue
			}
			v := newValue()
			state[k] = v
			c.Put(k, v)
		}
		var docs []Doc
		for _, k := range slices.Sorted(maps.Keys(state)) {
			docs = append(docs, Doc{Key: k, Value: state[k]})
		}
		jsonDocs := 0
		for _, d := range docs {
			if _, ok := decodeDoc(d.Value); ok {
				jsonDocs++
			}
		}
		if c.Len() != jsonDocs {
			t.Fatalf("Len = %d, want %d (the values that are JSON objects)", c.Len(), jsonDocs)
		}
		query := queries[rng.IntN(len(queries))]
		q := mustParse(t, query)
		opts := Options{Limit: rng.IntN(5)}
		for page := 0; page < 3; page++ {
			want, werr := Execute(q, slices.Values(docs), indexes, opts)
			got, gerr := c.Find(q, opts)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("round %d %s: Execute error %v, Find error %v", round, query, werr, gerr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("round %d %s page %d: Find differs from Execute (-Execute +Find):\n%s", round, query, page, diff)
			}
			opts.Bookmark = got.Bookmark
			if len(got.Docs) == 0 {
				break
			}
		}
	}
	if got := c.Indexes(); len(got) != 3 || got[0].String() != "ownerDoc/owner" {
		t.Errorf("Indexes() = %v", got)
	}
}

func TestExecuteReadsNothingForAnEmptyOrAndLikeCouchDB(t *testing.T) {
	tests := []struct {
		name     string
		selector string
		want     int
	}{
		{"an empty $or", `{"$or":[]}`, 0},
		{"an empty $and", `{"$and":[]}`, 0},
		{"an empty $nor", `{"$nor":[]}`, 0},
		{"an empty $or beside a condition is true", `{"owner":"tom","$or":[]}`, 4},
		{"the empty selector matches every JSON document", `{}`, len(marbles) - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, `{"selector":`+tt.selector+`}`, nil, Options{})
			if len(res.Docs) != tt.want {
				t.Errorf("%d docs, want %d", len(res.Docs), tt.want)
			}
			if tt.want == 0 && (res.Bookmark != "" || res.Warning != "") {
				t.Errorf("bookmark %q warning %q, want none: CouchDB returns before reading", res.Bookmark, res.Warning)
			}
			c := NewCollection()
			for _, d := range marbles {
				c.Put(d.Key, d.Value)
			}
			got, err := c.Find(mustParse(t, `{"selector":`+tt.selector+`}`), Options{})
			if err != nil {
				t.Fatalf("Find: %v", err)
			}
			if diff := cmp.Diff(res, got); diff != "" {
				t.Errorf("Find differs from Execute (-Execute +Find):\n%s", diff)
			}
		})
	}
}
