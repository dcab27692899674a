package mango

// Doc is one state entry of a namespace: the state key (CouchDB's _id) and the
// value the chaincode wrote. A value that is not a JSON object (including the
// JSON literal null) is not a document: no selector matches it, not even {}
// or a condition on _id, and it takes no place in pagination. (Fabric's
// CouchDB state database stores such a value as an attachment of a document
// that has no fields but _id; a query that reaches it hands the chaincode a
// value that is not the bytes it stored, so the rich-query rule here is that
// non-JSON values are skipped.) In a [Result], Value is what Fabric returns
// to the chaincode.
type Doc struct {
	Key   string
	Value []byte
}

// SortField is one field of a sort specification or of an index, with its
// direction.
type SortField struct {
	// Field is the dotted path of the field, e.g. "owner" or "size.height".
	Field string
	// Desc is true for descending order.
	Desc bool
}

// Query is a parsed Mango query. It is immutable after [Parse] and safe for
// concurrent use.
type Query struct {
	// Fields lists the projected fields; empty means the whole document.
	Fields []string
	// Sort is the requested order; empty means the order of the index that
	// serves the query (document id order when that is _all_docs).
	Sort []SortField
	// Limit is the query's "limit", or -1 when the query has none.
	Limit int
	// Skip is the query's "skip" (0 when absent).
	Skip int
	// UseIndex is the query's "use_index": nil, [ddoc] or [ddoc, name]. A
	// leading "_design/" is removed from ddoc.
	UseIndex []string
	// Bookmark is the query's "bookmark" ("" when absent).
	Bookmark string

	selector   *node
	fieldPaths [][]string
	// noop is set for a selector that normalizes to an empty $and or $or
	// ({"$or":[]}, {"$and":[]}, {"$nor":[]}): CouchDB then reads nothing.
	noop bool
}

// Index is a CouchDB JSON index definition, as shipped in a chaincode package
// under META-INF/statedb/couchdb/indexes.
type Index struct {
	// DDoc is the design document name without the "_design/" prefix. When the
	// definition has no "ddoc", it is derived from the fields, so that
	// identical definitions land in the same design document.
	DDoc string
	// Name is the index name. When the definition has no "name", it is
	// derived from the fields.
	Name string
	// Fields are the indexed fields in order, each with its direction. As in
	// CouchDB, directions are kept but play no part in query planning.
	Fields []SortField

	partial *node // partial_filter_selector, if any
}

// Options carries the peer's overrides of a query's paging parameters; see
// the package documentation for how Fabric's peer sets them.
type Options struct {
	// Limit, when > 0, replaces the query's "limit", as Fabric's peer always
	// does. When 0, the query's own "limit" applies, and when the query has
	// none there is no limit (CouchDB's default of 25 never applies under
	// Fabric, which always sends a limit).
	Limit int
	// Bookmark, when non-empty, replaces the query's "bookmark".
	Bookmark string
}

// Result is one page of query results.
type Result struct {
	// Docs are the matching documents in result order. Each Value is what
	// Fabric hands the chaincode: the JSON object re-encoded by Go's
	// encoding/json (keys sorted, numbers as float64, <>& escaped) after the
	// "fields" projection.
	Docs []Doc
	// Bookmark resumes the query after this page; see [Execute] for its
	// value when the page is empty.
	Bookmark string
	// IndexUsed names the index that served the query as "ddoc/name", or
	// "_all_docs" when none did.
	IndexUsed string
	// Warning carries CouchDB's warning text when the query was served
	// without an index or use_index named an index that could not be used.
	Warning string
}
