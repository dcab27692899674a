package chaincode

import "github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"

// TxSimulator is what a transaction's chaincode requests run against: the
// peer's simulation of one transaction on one channel. peersim/ledger's
// Simulator provides these methods. ns is the chaincode name (not the ccid).
// Errors are shown to the chaincode unchanged after
// "<TYPE> failed: transaction ID: <txid>: ", so they should carry Fabric's
// wording.
type TxSimulator interface {
	GetState(ns, key string) ([]byte, error)
	GetStateMultipleKeys(ns string, keys []string) ([][]byte, error)
	SetState(ns, key string, value []byte) error
	DeleteState(ns, key string) error
	GetStateMetadata(ns, key string) (map[string][]byte, error)
	SetStateMetadata(ns, key string, metadata map[string][]byte) error
	GetStateRangeScanIterator(ns, startKey, endKey string) (StateIterator, error)
	GetStateRangeScanIteratorWithPagination(ns, startKey, endKey string, pageSize int32) (PagedStateIterator, error)
	ExecuteQuery(ns, query string) (StateIterator, error)
	ExecuteQueryWithPagination(ns, query, bookmark string, pageSize int32) (PagedStateIterator, error)
	GetPrivateData(ns, collection, key string) ([]byte, error)
	GetPrivateDataMultipleKeys(ns, collection string, keys []string) ([][]byte, error)
	GetPrivateDataHash(ns, collection, key string) ([]byte, error)
	SetPrivateData(ns, collection, key string, value []byte) error
	DeletePrivateData(ns, collection, key string) error
	PurgePrivateData(ns, collection, key string) error
	GetPrivateDataMetadata(ns, collection, key string) (map[string][]byte, error)
	SetPrivateDataMetadata(ns, collection, key string, metadata map[string][]byte) error
	GetPrivateDataRangeScanIterator(ns, collection, startKey, endKey string) (StateIterator, error)
	ExecuteQueryOnPrivateData(ns, collection, query string) (StateIterator, error)
	GetHistoryForKey(ns, key string) (HistoryIterator, error)
}

// StateIterator streams the results of a range or rich query.
type StateIterator interface {
	// Next returns the next result, or (nil, nil) once exhausted.
	Next() (*queryresult.KV, error)
	// Close releases the iterator; the handler calls it exactly once.
	Close()
}

// PagedStateIterator is a StateIterator over one page of results.
type PagedStateIterator interface {
	StateIterator
	// Bookmark returns where the next page starts ("" when there is none)
	// and ends the iterator. The handler asks for it as soon as a page is
	// full, without calling Next again, as Fabric's peer does.
	Bookmark() string
}

// HistoryIterator streams the modifications of one key, newest first.
type HistoryIterator interface {
	// Next returns the next modification, or (nil, nil) once exhausted.
	Next() (*queryresult.KeyModification, error)
	// Close releases the iterator; the handler calls it exactly once.
	Close()
}

// SimulatorFactory gives a chaincode-to-chaincode call on another channel a
// simulator of its own, whose results are thrown away as a Fabric peer
// throws them away: the callee's writes are discarded and its reads are
// never validated, so the call is in effect a query.
type SimulatorFactory interface {
	// NewTxSimulator returns a simulator on channelID for txID, on the
	// same peer as caller (the calling transaction's simulator), and a
	// function that releases it. Its error reaches the calling chaincode
	// unchanged; Fabric's text for a channel that peer has not joined is
	// "failed to find ledger for channel: <channel>".
	NewTxSimulator(caller TxSimulator, channelID, txID string) (sim TxSimulator, release func(), err error)
}

// SimulatorFactoryFunc adapts a function to SimulatorFactory.
type SimulatorFactoryFunc func(caller TxSimulator, channelID, txID string) (TxSimulator, func(), error)

// NewTxSimulator calls f.
func (f SimulatorFactoryFunc) NewTxSimulator(caller TxSimulator, channelID, txID string) (TxSimulator, func(), error) {
	return f(caller, channelID, txID)
}
