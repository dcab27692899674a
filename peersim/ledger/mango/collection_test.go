package mango

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestCollectionIsSafeForConcurrentUse(t *testing.T) {
	c := NewCollection()
	if err := c.DefineIndex(mustIndex(t, sizeIndex)); err != nil {
		t.Fatalf("DefineIndex: %v", err)
	}
	q := mustParse(t, `{"selector":{"size":{"$gte":0}},"sort":["size"]}`)
	const writers, readers, perWriter = 2, 2, 200
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				key := fmt.Sprintf("w%d-%03d", w, i)
				c.Put(key, fmt.Appendf(nil, `{"size":%d}`, i))
				if i%3 == 0 {
					c.Delete(key)
				}
			}
		})
	}
	for range readers {
		wg.Go(func() {
			for range 50 {
				res, err := c.Find(q, Options{})
				if err != nil {
					errs <- err
					return
				}
				sizes := make([]float64, len(res.Docs))
				for i, d := range res.Docs {
					var v struct{ Size float64 }
					if err := json.Unmarshal(d.Value, &v); err != nil {
						errs <- fmt.Errorf("document %s: %w", d.Key, err)
						return
					}
					sizes[i] = v.Size
				}
				if !slices.IsSorted(sizes) {
					errs <- fmt.Errorf("results not in size order: %v", sizes)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res, err := c.Find(q, Options{})
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	if want := writers * (perWriter - (perWriter+2)/3); len(res.Docs) != want {
		t.Errorf("after all writes: %d documents, want %d", len(res.Docs), want)
	}
}

func TestCollectionDefineIndexReplacesAndValidates(t *testing.T) {
	c := NewCollection()
	c.Put("a", []byte(`{"size":2,"owner":"tom"}`))
	c.Put("b", []byte(`{"size":1}`))
	if err := c.DefineIndex(Index{DDoc: "d", Name: "n", Fields: []SortField{{Field: "owner"}}}); err != nil {
		t.Fatalf("DefineIndex: %v", err)
	}
	if err := c.DefineIndex(Index{DDoc: "d", Name: "n", Fields: []SortField{{Field: "size"}}}); err != nil {
		t.Fatalf("DefineIndex: %v", err)
	}
	res, err := c.Find(mustParse(t, `{"selector":{"size":{"$gt":0}},"sort":["size"]}`), Options{})
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	if got := keys(res.Docs); !slices.Equal(got, []string{"b", "a"}) || res.IndexUsed != "d/n" {
		t.Errorf("got %v via %s, want [b a] via d/n", got, res.IndexUsed)
	}
	for _, bad := range []Index{
		{Name: "n", Fields: []SortField{{Field: "a"}}},
		{DDoc: "d", Name: "n"},
		{DDoc: "d", Name: "n", Fields: []SortField{{Field: "a..b"}}},
	} {
		if err := c.DefineIndex(bad); err == nil || !strings.Contains(err.Error(), "invalid index definition") {
			t.Errorf("DefineIndex(%+v) = %v, want ErrInvalidIndex", bad, err)
		}
	}
	if got := c.String(); got != "mango.Collection{docs: 2, indexes: [d/n]}" {
		t.Errorf("String() = %q", got)
	}
}

func TestCollectionIndexRangesMatchAFullScan(t *testing.T) {
	var docs []Doc
	c := NewCollection()
	for i := range 40 {
		var v string
		switch i % 5 {
		case 0:
			v = fmt.Sprintf(`{"size":"s%d"}`, i%7)
		case 1:
			v = `{"size":null}`
		case 2:
			v = `{"size":[1,2]}`
		default:
			v = fmt.Sprintf(`{"size":%d}`, i%13)
		}
		d := Doc{Key: fmt.Sprintf("k%02d", i), Value: []byte(v)}
		docs = append(docs, d)
		c.Put(d.Key, d.Value)
	}
	indexes := []Index{mustIndex(t, sizeIndex)}
	if err := c.DefineIndex(indexes[0]); err != nil {
		t.Fatalf("DefineIndex: %v", err)
	}
	selectors := []string{
		`{"size":{"$gt":3,"$gte":5,"$lt":12,"$lte":10}}`,
		`{"size":{"$gte":5,"$gt":5}}`,
		`{"size":{"$gt":5,"$gte":5}}`,
		`{"size":{"$lte":9,"$lt":9}}`,
		`{"size":{"$lt":9,"$lte":9}}`,
		`{"size":{"$gte":7,"$lte":7}}`,
		`{"size":{"$eq":7,"$gt":2}}`,
		`{"size":{"$gt":10,"$lt":2}}`,
		`{"size":{"$gt":null}}`,
		`{"size":{"$lt":"s3"}}`,
		`{"size":{"$gte":[1]}}`,
		`{"size":{"$lt":[1,2,3]}}`,
		`{"$and":[{"size":{"$gte":2}},{"size":{"$lte":4}},{"size":{"$ne":3}}]}`,
	}
	for _, sel := range selectors {
		for _, sort := range []string{`["size"]`, `[{"size":"desc"}]`} {
			query := `{"selector":` + sel + `,"sort":` + sort + `}`
			t.Run(query, func(t *testing.T) {
				q := mustParse(t, query)
				want, err := Execute(q, slices.Values(docs), indexes, Options{})
				if err != nil {
					t.Fatalf("Execute: %v", err)
				}
				got, err := c.Find(q, Options{})
				if err != nil {
					t.Fatalf("Find: %v", err)
				}
				if !slices.Equal(keys(want.Docs), keys(got.Docs)) {
					t.Errorf("Find %v, Execute %v", keys(got.Docs), keys(want.Docs))
				}
			})
		}
	}
}
