package mango

import (
	"errors"
	"iter"
)

// Doc is one state entry of a namespace: the state key (CouchDB's _id) and the
// value the chaincode wrote. Values that are not a JSON object are never
// matched by a query, as CouchDB stores them as attachments.
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
	// Sort is the requested order; empty means document id order.
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
	// Fields are the indexed fields in order, each with its direction.
	Fields []SortField
}

// Options carries the peer's overrides of a query's paging parameters.
type Options struct {
	// Limit, when > 0, replaces the query's "limit": Fabric's peer sets it to
	// the page size of a paginated query or to its internal query limit. When
	// 0, the query's own "limit" applies, and when the query has none there
	// is no limit (CouchDB's default of 25 never reaches CouchDB from Fabric).
	Limit int
	// Bookmark, when non-empty, replaces the query's "bookmark".
	Bookmark string
}

// Result is one page of query results.
type Result struct {
	// Docs are the matching documents in result order; each Value is the
	// document after the "fields" projection.
	Docs []Doc
	// Bookmark resumes the query after the last document of Docs. Like
	// CouchDB, it is "nil" when Docs is empty, and passing "nil" back starts
	// from the beginning.
	Bookmark string
	// IndexUsed names the index that served the query as "ddoc/name", or
	// "_all_docs" when none did.
	IndexUsed string
	// Warning carries CouchDB's warning text when the query was served
	// without an index or use_index named an index that could not be used.
	Warning string
}

// Parse parses a Mango query (a CouchDB _find request body).
func Parse(query []byte) (*Query, error) {
	return nil, errors.New("not implemented")
}

// Match reports whether a document value satisfies the query's selector. A
// value that is not a JSON object never matches.
func (q *Query) Match(value []byte) bool {
	return false
}

// ParseIndex parses an index definition file such as
//
//	{"index":{"fields":["docType","owner"]},"ddoc":"indexOwnerDoc","name":"indexOwner","type":"json"}
func ParseIndex(def []byte) (Index, error) {
	return Index{}, errors.New("not implemented")
}

// Execute runs q over docs, which must arrive in ascending key order, and
// returns one page. indexes are the indexes defined on the namespace; they
// decide whether a sort is allowed (see the package documentation) but are
// not used to avoid scanning docs: use [Collection] for that.
func Execute(q *Query, docs iter.Seq[Doc], indexes []Index, opts Options) (Result, error) {
	return Result{}, errors.New("not implemented")
}

// Collection is an in-memory copy of one namespace's documents with its
// indexes, kept sorted so that queries constraining an index's leading field
// avoid a full scan. It is safe for concurrent use; a Find sees the documents
// as they were when it started.
type Collection struct{}

// NewCollection returns an empty collection.
func NewCollection() *Collection {
	return &Collection{}
}

// Put inserts or replaces the document stored under key. value is copied.
func (c *Collection) Put(key string, value []byte) {}

// Delete removes the document stored under key, if any.
func (c *Collection) Delete(key string) {}

// DefineIndex adds ix, replacing an index with the same DDoc and Name.
func (c *Collection) DefineIndex(ix Index) {}

// Indexes returns the defined indexes ordered by DDoc and Name.
func (c *Collection) Indexes() []Index { return nil }

// Find runs q over the collection as [Execute] would over all of its
// documents.
func (c *Collection) Find(q *Query, opts Options) (Result, error) {
	return Result{}, errors.New("not implemented")
}
