package mango_test

import (
	"errors"
	"fmt"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/ledger/mango"
)

func Example() {
	// What the chaincode package ships and what the chaincode asks.
	ix, err := mango.ParseIndex([]byte(`{"index":{"fields":["docType","owner","size"]},"ddoc":"indexOwnerDoc","name":"indexOwner","type":"json"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	q, err := mango.Parse([]byte(`{"selector":{"docType":"asset","owner":"tom"},"sort":[{"size":"desc"}],"fields":["size"]}`))
	if err != nil {
		fmt.Println(err)
		return
	}

	// The namespace, in key order.
	docs := []mango.Doc{
		{Key: "asset1", Value: []byte(`{"docType":"asset","owner":"tom","size":5}`)},
		{Key: "asset2", Value: []byte(`{"docType":"asset","owner":"ann","size":9}`)},
		{Key: "asset3", Value: []byte(`{"docType":"asset","owner":"tom","size":7}`)},
		{Key: "asset4", Value: []byte(`{"docType":"asset","owner":"tom"}`)},
	}

	// A paginated query: the peer's page size replaces the query's limit.
	page, err := mango.Execute(q, slices.Values(docs), []mango.Index{ix}, mango.Options{Limit: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(page.IndexUsed, page.Docs[0].Key, string(page.Docs[0].Value))
	next, err := mango.Execute(q, slices.Values(docs), []mango.Index{ix}, mango.Options{Limit: 1, Bookmark: page.Bookmark})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(next.Docs[0].Key, string(next.Docs[0].Value))

	// Without the index, CouchDB refuses the sort.
	_, err = mango.Execute(q, slices.Values(docs), nil, mango.Options{})
	var ce *mango.CouchError
	if errors.As(err, &ce) {
		fmt.Println(ce.StatusCode, ce.Code, ce.Reason)
	}
	// Output:
	// indexOwnerDoc/indexOwner asset3 {"size":7}
	// asset1 {"size":5}
	// 400 no_usable_index No index exists for this sort, try indexing by the sort fields.
}

func ExampleCollection() {
	c := mango.NewCollection()
	c.Put("asset1", []byte(`{"docType":"asset","owner":"tom","size":5}`))
	c.Put("asset2", []byte(`{"docType":"asset","owner":"ann","size":9}`))
	ix, _ := mango.ParseIndex([]byte(`{"index":{"fields":["owner"]},"ddoc":"ownerDoc","name":"owner"}`))
	if err := c.DefineIndex(ix); err != nil {
		fmt.Println(err)
		return
	}
	q, _ := mango.Parse([]byte(`{"selector":{"owner":"ann"}}`))
	res, err := c.Find(q, mango.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.IndexUsed, len(res.Docs), res.Docs[0].Key)
	// Output:
	// ownerDoc/owner 1 asset2
}
