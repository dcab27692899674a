// Package mango evaluates CouchDB Mango queries (the body of a POST /{db}/_find
// request) over the documents of one chaincode namespace, so that chaincode
// rich queries (stub.GetQueryResult and GetQueryResultWithPagination) behave on
// the reference peer's embedded ledger as they do on a Fabric peer whose state
// database is CouchDB 3.
//
// The package is a pure library: it does no I/O, keeps no package-level state
// and imports only the standard library. The ledger owns the state and hands
// documents in, either per query ([Execute] over an iterator in key order) or
// by keeping a [Collection] up to date, which maintains sorted indexes so that
// indexed queries do not read every document.
//
// # Queries
//
// [Parse] accepts the JSON object a chaincode passes to GetQueryResult:
//
//	{"selector": {...}, "fields": [...], "sort": [...], "limit": N, "skip": N,
//	 "use_index": "ddoc" | "ddoc/name" | ["ddoc", "name"], "bookmark": "..."}
//
// "selector" is required, as in CouchDB; CouchDB's other _find members (r,
// conflicts, stale, update, stable, execution_stats, allow_fallback) are
// accepted and ignored, so an unusable use_index always falls back. The
// selector operators are CouchDB's:
// $eq $ne $gt $gte $lt $lte $in $nin $exists $type $size $mod $regex $all
// $elemMatch $allMatch $keyMapMatch $and $or $nor $not, with implicit $eq and
// implicit $and, dotted paths ("a.b", "tags.0", "a\.b" for a field named
// "a.b") and nested objects ({"a":{"b":1}} means "a.b" = 1). A malformed query
// is a [*CouchError] whose Reason says where, for example
//
//	selector.owner: operator "$foo" is not supported; use one of $eq, $ne, ...
//
// # Matching, as CouchDB does it
//
//   - The selector is normalized as CouchDB normalizes it: negations ($not,
//     $nor) are pushed down to the conditions, so {"$not":{"a":{"$gt":1}}}
//     becomes {"a":{"$lte":1}} and does not match documents without "a".
//     CouchDB does not do this inside $elemMatch, $allMatch and $keyMapMatch:
//     there $not is a plain negation, and an element that reaches a $nor
//     makes the whole operator fail, as CouchDB's evaluation error does.
//   - A condition on a missing field fails, except {"$exists": false}.
//   - An empty $and or $or is true, but a selector that is nothing else
//     ({"$or":[]}) returns no documents: CouchDB 3 does not read at all.
//   - Operators do not reach into arrays: {"tags":"a"} does not match
//     {"tags":["a","b"]}; use $elemMatch, $all or $in ($in and $nin do
//     compare each element of an array field).
//   - Comparisons follow CouchDB's view collation: null < false < true <
//     numbers < strings < arrays < objects. Strings compare as ICU does for
//     7-bit ASCII, which CouchDB documents: punctuation, then digits, then
//     letters with case ignored, then lower case before upper case, so
//     "a" < "A" < "aa" < "B". Deviations: characters beyond ASCII sort after
//     all ASCII by code point (ICU puts "é" beside "e"), and objects compare
//     their members in key order rather than in stored order. _id compares
//     byte by byte, as CouchDB's _all_docs does.
//   - Numbers are float64, which is all CouchDB ever sees from Fabric: the
//     CouchDB state database re-encodes every value through a Go map before
//     storing it. $mod only matches integral values (below 1e21).
//   - $regex uses Go's RE2 syntax; CouchDB uses PCRE. Patterns RE2 rejects
//     (look-around, back-references) are errors here, and "." matches a
//     character where CouchDB's PCRE, run without its UTF-8 option, matches
//     a byte.
//   - _id is the state key. Fabric also stores _rev and ~version in each
//     document; selectors on those are not supported (the fields are missing).
//
// Parse is stricter than CouchDB where CouchDB would run a query that cannot
// do what its author meant: an unknown $type name, a $mod divisor of zero, an
// empty path segment, a condition without a field name, and $regex patterns
// outside RE2. It also rejects a malformed "limit"; note that Fabric replaces
// "limit" before CouchDB sees it, so such a query would run on Fabric.
//
// # Indexes and sort
//
// [ParseIndex] reads the index definitions of a chaincode package
// (META-INF/statedb/couchdb/indexes/*.json). Index selection follows CouchDB 3:
//
//  1. Candidates are every index without a partial_filter_selector, the
//     indexes named by use_index, and the built-in _all_docs.
//  2. A JSON index is usable when the selector requires every index field that
//     is not a sort field (any condition but $exists:false, seen through $and,
//     and through $or only when every branch has it), and, when there is a
//     sort, when the sort fields are a prefix of the index fields after
//     dropping leading fields the selector fixes with $eq. Directions in an
//     index definition play no part: a descending sort reads an index
//     backwards, and all sort fields must share one direction. _all_docs is
//     usable without a sort, or for a sort on _id when the selector restricts
//     _id with $eq, $gt, $gte, $lt or $lte.
//  3. If nothing is usable the query fails with a [*CouchError] wrapping
//     [ErrNoUsableIndex] with CouchDB's text: "No index exists for this sort,
//     try indexing by the sort fields." A chaincode author meets the missing
//     index file here rather than in production.
//  4. If use_index names usable indexes, the choice is among them. If it
//     names nothing usable (a missing index, or one that cannot serve the
//     query), it is ignored and [Result].Warning carries CouchDB's warning,
//     e.g. "_design/foo, bar was not used because it is not a valid index
//     for this query."; the query does not fail.
//  5. A JSON index wins over _all_docs. Among JSON indexes, the one whose
//     leading fields cover the most of the fields the selector restricts with
//     $eq/$gt/$gte/$lt/$lte wins, then the one with fewer fields, then the
//     smallest ddoc and name. When _all_docs serves the query the warning is
//     "No matching index found, create an index to optimize query time."
//
// Results come in the order of the chosen index (its fields, then the key),
// reversed for a descending sort, even when the query has no sort. A JSON
// index leaves out documents that lack one of its fields or fail its partial
// filter, so such documents are never returned when that index serves the
// query: sorting by "size" drops documents without "size", as on Fabric.
//
// # Pagination and Fabric's peer
//
// Fabric's peer rewrites a query before CouchDB sees it: it always replaces
// "limit", and replaces "bookmark" when it has one. [Options] carries those
// overrides. To reproduce it:
//
//   - GetQueryResultWithPagination(query, pageSize, bookmark): one call with
//     Options{Limit: pageSize (the peer's totalQueryLimit when 0), Bookmark:
//     bookmark}; the page and Result.Bookmark go back to the chaincode.
//   - GetQueryResult(query): Fabric reads in batches of its internalQueryLimit
//     (core.yaml ledger.state.couchDBConfig.internalQueryLimit, default 1000):
//     call with Options{Limit: internalQueryLimit}, then again with the
//     returned bookmark, until a batch is shorter than the limit.
//
// Each call positions after the bookmark, then filters, then drops "skip"
// matches, then returns up to the limit. As in CouchDB, "skip" applies again
// on every page (and so on every internal batch). A bookmark encodes the
// chosen index, the index key and the id of the last matching document read;
// CouchDB resumes at that position and skips one row, so if the bookmarked
// document has since changed or been deleted, the next row is skipped
// instead. Pages of an unchanged namespace concatenate to the unpaginated
// result. A page that reads no matching document returns the bookmark it was
// given, or CouchDB's "nil" on a first page, which CouchDB rejects if it is
// passed back.
package mango
