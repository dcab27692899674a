package ledger

import (
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
)

// txSimulator is the interface the peer's chaincode handler declares
// (chaincode.TxSimulator), restated with the ledger's iterator types since
// the ledger imports nothing else of ours. The assertion below keeps
// *Simulator honest to it.
type txSimulator interface {
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

var _ txSimulator = (*Simulator)(nil)

// The iterator method sets of the contract.
var (
	_ interface {
		Next() (*queryresult.KV, error)
		Close()
	} = StateIterator(nil)
	_ interface {
		Next() (*queryresult.KV, error)
		Close()
		Bookmark() string
	} = PagedStateIterator(nil)
	_ interface {
		Next() (*queryresult.KeyModification, error)
		Close()
	} = HistoryIterator(nil)
)
