// Package mango evaluates CouchDB Mango queries (the body of a POST /{db}/_find
// request) over the documents of one chaincode namespace, so that chaincode
// rich queries (stub.GetQueryResult and GetQueryResultWithPagination) behave on
// the reference peer's embedded ledger as they do on a Fabric peer whose state
// database is CouchDB.
//
// The package is a pure library: it does no I/O, keeps no package-level state
// and imports only the standard library. The ledger owns the state and hands
// documents in; this package parses, matches, orders, pages and projects.
//
// # Queries
//
// [Parse] accepts the JSON object a chaincode passes to GetQueryResult:
//
//	{"selector": {...}, "fields": [...], "sort": [...], "limit": N, "skip": N,
//	 "use_index": "ddoc" | ["ddoc", "name"], "bookmark": "..."}
//
// Every selector operator CouchDB 3 documents is supported: $eq $ne $gt $gte
// $lt $lte $in $nin $exists $type $size $mod $regex $all $elemMatch $allMatch
// $keyMapMatch $and $or $nor $not, with implicit $eq and implicit $and,
// dotted field paths and nested objects. A malformed query is an error that
// names the path inside the query where the problem is, for example
//
//	selector.owner: operator "$foo" is not supported; use one of $eq, $ne, ...
//
// # Ordering
//
// Comparisons across JSON types follow CouchDB's view collation:
// null < false < true < numbers < strings < arrays < objects. Deviation:
// strings are compared by Unicode code point, not by the ICU (UCA) collation
// CouchDB uses, so "a" < "B" is false here while CouchDB sorts "a" before "B".
// Results with no "sort" come back in document id (state key) order.
//
// # Indexes and sort
//
// As in CouchDB, a query with "sort" needs a JSON index that covers the sort;
// without one the query fails with a [*CouchError] wrapping
// [ErrNoUsableIndex] whose Reason is CouchDB's own text, so that chaincode
// authors discover the missing META-INF/statedb/couchdb/indexes file here
// rather than in production. [ParseIndex] reads those index files.
// See [Execute] for the exact selection rules.
//
// # Pagination
//
// Fabric's peer always replaces a query's "limit": with its page size for
// paginated queries and with its internal batch size otherwise, and replaces
// "bookmark" when the chaincode passes one in the query metadata. [Options]
// carries those overrides. Bookmarks are opaque strings that encode the sort
// key and id of the last document returned, as CouchDB's do.
package mango
