package mango

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns wraps one of them, and
// errors about a query are also a [*CouchError].
var (
	// ErrInvalidQuery reports a query that is not a valid Mango query.
	ErrInvalidQuery = errors.New("invalid query")
	// ErrInvalidIndex reports an index definition that is not valid.
	ErrInvalidIndex = errors.New("invalid index definition")
	// ErrInvalidBookmark reports a bookmark that this package did not issue
	// or that belongs to a query with a different sort.
	ErrInvalidBookmark = errors.New("invalid bookmark")
	// ErrNoUsableIndex reports a sort that no index can serve.
	ErrNoUsableIndex = errors.New("no index exists for this sort")
)

// CouchError describes a failed query the way CouchDB's HTTP API would, so
// that the ledger can word it as Fabric's CouchDB client does (see
// [CouchError.FabricText]).
type CouchError struct {
	// StatusCode is the HTTP status CouchDB answers with, e.g. 400.
	StatusCode int
	// Code is CouchDB's "error" member, e.g. "no_usable_index".
	Code string
	// Reason is CouchDB's "reason" member. For the sort rule it is CouchDB's
	// exact text; for malformed queries it names the offending path.
	Reason string
	// Err is the sentinel this error wraps.
	Err error
}

// Error returns "<code>: <reason>".
func (e *CouchError) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Reason)
}

// Unwrap returns the wrapped sentinel.
func (e *CouchError) Unwrap() error { return e.Err }

// FabricText returns the error as a Fabric peer's CouchDB client reports it
// to the chaincode, e.g. "error handling CouchDB request.
// Error:no_usable_index,  Status Code:400,  Reason:No index exists for this
// sort, try indexing by the sort fields.".
func (e *CouchError) FabricText() string {
	return fmt.Sprintf("error handling CouchDB request. Error:%s,  Status Code:%d,  Reason:%s", e.Code, e.StatusCode, e.Reason)
}
