package mango

import (
	"fmt"
	"slices"
	"testing"
)

const benchDocs = 100_000

// benchNamespace returns benchDocs asset documents in key order: 100
// owners, sizes 0..999.
func benchNamespace() []Doc {
	docs := make([]Doc, benchDocs)
	colors := []string{"red", "green", "blue", "white"}
	for i := range docs {
		docs[i] = Doc{
			Key: fmt.Sprintf("asset%06d", i),
			Value: fmt.Appendf(nil, `{"docType":"asset","owner":"owner%02d","size":%d,"color":%q,"appraisedValue":%d}`,
				i%100, (i*7919)%1000, colors[i%4], i),
		}
	}
	return docs
}

func benchCollection(b *testing.B, indexes ...string) *Collection {
	b.Helper()
	c := NewCollection()
	for _, d := range benchNamespace() {
		c.Put(d.Key, d.Value)
	}
	for _, def := range indexes {
		if err := c.DefineIndex(mustIndex(b, def)); err != nil {
			b.Fatalf("DefineIndex: %v", err)
		}
	}
	if _, err := c.Find(mustParse(b, `{"selector":{"_id":"x"}}`), Options{}); err != nil { // absorb pending puts
		b.Fatalf("Find: %v", err)
	}
	return c
}

const (
	benchQuery      = `{"selector":{"docType":"asset","owner":"owner42"}}`
	benchOwnerIndex = `{"index":{"fields":["owner"]},"ddoc":"ownerDoc","name":"owner","type":"json"}`
	benchSortQuery  = `{"selector":{"docType":"asset","owner":"owner42"},"sort":[{"size":"desc"}]}`
	benchSortIndex  = `{"index":{"fields":["owner","size"]},"ddoc":"ownerSizeDoc","name":"ownerSize","type":"json"}`
)

func wantDocs(b *testing.B, res Result, err error, n int) {
	b.Helper()
	if err != nil {
		b.Fatalf("query: %v", err)
	}
	if len(res.Docs) != n {
		b.Fatalf("got %d docs, want %d", len(res.Docs), n)
	}
}

// BenchmarkExecuteFullScan decodes and matches all 100k raw values, as a
// caller of Execute pays on every query.
func BenchmarkExecuteFullScan(b *testing.B) {
	docs := benchNamespace()
	q := mustParse(b, benchQuery)
	indexes := []Index{mustIndex(b, benchOwnerIndex)}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Execute(q, slices.Values(docs), indexes, Options{})
		wantDocs(b, res, err, 1000)
	}
}

// BenchmarkCollectionNoIndex matches all 100k pre-decoded documents.
func BenchmarkCollectionNoIndex(b *testing.B) {
	c := benchCollection(b)
	q := mustParse(b, benchQuery)
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Find(q, Options{})
		wantDocs(b, res, err, 1000)
	}
}

// BenchmarkCollectionWithIndex reads only the 1000 index rows of owner42.
func BenchmarkCollectionWithIndex(b *testing.B) {
	c := benchCollection(b, benchOwnerIndex)
	q := mustParse(b, benchQuery)
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Find(q, Options{})
		wantDocs(b, res, err, 1000)
	}
}

// BenchmarkCollectionSortedPage reads one page of 25 in index order.
func BenchmarkCollectionSortedPage(b *testing.B) {
	c := benchCollection(b, benchSortIndex)
	q := mustParse(b, benchSortQuery)
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Find(q, Options{Limit: 25})
		wantDocs(b, res, err, 25)
	}
}

// BenchmarkExecuteSortedPage is the same page through Execute.
func BenchmarkExecuteSortedPage(b *testing.B) {
	docs := benchNamespace()
	q := mustParse(b, benchSortQuery)
	indexes := []Index{mustIndex(b, benchSortIndex)}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Execute(q, slices.Values(docs), indexes, Options{Limit: 25})
		wantDocs(b, res, err, 25)
	}
}

// BenchmarkCollectionRefreshAfterBlock measures a query after a block of
// 500 writes: the sorted index absorbs them in one linear pass.
func BenchmarkCollectionRefreshAfterBlock(b *testing.B) {
	c := benchCollection(b, benchOwnerIndex)
	q := mustParse(b, benchQuery)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		for range 500 {
			i++
			c.Put(fmt.Sprintf("asset%06d", i%benchDocs), fmt.Appendf(nil, `{"docType":"asset","owner":"owner%02d","size":%d}`, i%100, i%1000))
		}
		res, err := c.Find(q, Options{Limit: 10})
		wantDocs(b, res, err, 10)
	}
}
