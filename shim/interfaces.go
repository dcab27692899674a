package shim

import (
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Chaincode is what a chaincode author implements. The peer calls Init when the
// chaincode is instantiated or upgraded on a channel, and Invoke for every
// other transaction proposal.
type Chaincode interface {
	// Init sets up the chaincode's state on a channel. A response with a
	// status of 500 or more fails the instantiation.
	Init(stub ChaincodeStubInterface) *peer.Response

	// Invoke handles one transaction proposal. Its response is returned to the
	// client whatever its status; only a status below 400 is endorsed.
	Invoke(stub ChaincodeStubInterface) *peer.Response
}

// ChaincodeStubInterface is the chaincode's view of one transaction: its
// arguments and proposal, and the ledger calls that the peer serves for it.
//
// Reads always see state as committed before the transaction began; a key the
// transaction itself wrote still reads its committed value. Writes become
// visible only once the transaction is ordered, validated and committed.
//
// Keys, collections, queries and names travel as protobuf strings, so they
// must be valid UTF-8; a call given anything else returns an error without
// contacting the peer. The peer serves one request of a transaction at a
// time: use the stub from one goroutine at a time.
type ChaincodeStubInterface interface {
	// GetArgs returns the arguments of the proposal, the function name first.
	GetArgs() [][]byte

	// GetStringArgs returns the arguments of the proposal as strings.
	GetStringArgs() []string

	// GetFunctionAndParameters splits the arguments, as strings, into a
	// function name (the first) and its parameters (the others).
	GetFunctionAndParameters() (string, []string)

	// GetArgsSlice returns all arguments concatenated into one byte slice.
	GetArgsSlice() ([]byte, error)

	// GetTxID returns the transaction ID of the proposal.
	GetTxID() string

	// GetChannelID returns the channel the proposal was sent on.
	GetChannelID() string

	// InvokeChaincode calls another chaincode with the same transaction
	// context. On the same channel (channel "") the callee's reads and writes
	// join this transaction; on another channel the call is read-only and its
	// writes are discarded. The callee's response is returned as is; a
	// failure of the call itself is a response with status 500 whose payload
	// carries the error.
	InvokeChaincode(chaincodeName string, args [][]byte, channel string) *peer.Response

	// GetState returns the committed value of key, or nil if it does not exist.
	GetState(key string) ([]byte, error)

	// GetMultipleStates returns the committed values of keys, in the order
	// given, with nil for each key that does not exist.
	GetMultipleStates(keys ...string) ([][]byte, error)

	// PutState writes value to key when the transaction commits. An empty
	// value deletes the key. The key must not be empty.
	PutState(key string, value []byte) error

	// DelState deletes key when the transaction commits.
	DelState(key string) error

	// SetStateValidationParameter sets the key-level endorsement policy of
	// key, a marshalled SignaturePolicyEnvelope (see package statebased).
	SetStateValidationParameter(key string, ep []byte) error

	// GetStateValidationParameter returns the committed key-level
	// endorsement policy of key, or nil if it has none.
	GetStateValidationParameter(key string) ([]byte, error)

	// GetStateByRange iterates over the keys in [startKey, endKey) in byte
	// order. An empty startKey or endKey leaves that end open. Composite
	// keys are never included; use GetStateByPartialCompositeKey for them.
	// Close the iterator when done.
	GetStateByRange(startKey, endKey string) (StateQueryIteratorInterface, error)

	// GetStateByRangeWithPagination is GetStateByRange limited to pageSize
	// keys, starting at bookmark when it is not empty. The returned metadata
	// carries the count and the bookmark of the next page. Only allowed in a
	// transaction that does not write.
	GetStateByRangeWithPagination(startKey, endKey string, pageSize int32,
		bookmark string) (StateQueryIteratorInterface, *peer.QueryResponseMetadata, error)

	// GetStateByPartialCompositeKey iterates over the composite keys of
	// objectType whose leading attributes equal keys.
	GetStateByPartialCompositeKey(objectType string, keys []string) (StateQueryIteratorInterface, error)

	// GetStateByPartialCompositeKeyWithPagination is the paginated form of
	// GetStateByPartialCompositeKey.
	GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string,
		pageSize int32, bookmark string) (StateQueryIteratorInterface, *peer.QueryResponseMetadata, error)

	// GetAllStatesCompositeKeyWithPagination iterates over every composite
	// key of the chaincode, a page at a time.
	GetAllStatesCompositeKeyWithPagination(pageSize int32,
		bookmark string) (StateQueryIteratorInterface, *peer.QueryResponseMetadata, error)

	// CreateCompositeKey joins objectType and attributes into one composite
	// key. Each part must be valid UTF-8 without U+0000 or U+10FFFF.
	CreateCompositeKey(objectType string, attributes []string) (string, error)

	// SplitCompositeKey splits a composite key into its object type and
	// attributes. A key that is not a composite key is an error.
	SplitCompositeKey(compositeKey string) (string, []string, error)

	// GetQueryResult runs a CouchDB Mango query over the chaincode's JSON
	// values. Its results are read-checked at commit but not protected
	// against phantoms.
	GetQueryResult(query string) (StateQueryIteratorInterface, error)

	// GetQueryResultWithPagination is the paginated form of GetQueryResult.
	GetQueryResultWithPagination(query string, pageSize int32,
		bookmark string) (StateQueryIteratorInterface, *peer.QueryResponseMetadata, error)

	// GetHistoryForKey iterates over every committed change of key, newest
	// first. It is not validated at commit, so use it in queries only.
	GetHistoryForKey(key string) (HistoryQueryIteratorInterface, error)

	// GetPrivateData returns the committed value of key in collection, or
	// nil if it does not exist.
	GetPrivateData(collection, key string) ([]byte, error)

	// GetMultiplePrivateData returns the committed values of keys in
	// collection, nil for each that does not exist.
	GetMultiplePrivateData(collection string, keys ...string) ([][]byte, error)

	// GetPrivateDataHash returns the SHA-256 hash of the value of key in
	// collection. It works on peers that do not hold the private value.
	GetPrivateDataHash(collection, key string) ([]byte, error)

	// PutPrivateData writes value to key in collection; only its hash goes
	// into the public transaction. An empty value deletes the key.
	PutPrivateData(collection string, key string, value []byte) error

	// DelPrivateData deletes key from collection.
	DelPrivateData(collection, key string) error

	// PurgePrivateData deletes key from collection and removes its private
	// history from every peer that holds it.
	PurgePrivateData(collection, key string) error

	// SetPrivateDataValidationParameter sets the key-level endorsement
	// policy of key in collection.
	SetPrivateDataValidationParameter(collection, key string, ep []byte) error

	// GetPrivateDataValidationParameter returns the key-level endorsement
	// policy of key in collection.
	GetPrivateDataValidationParameter(collection, key string) ([]byte, error)

	// GetPrivateDataByRange iterates over the keys of collection in
	// [startKey, endKey). The transaction must not write.
	GetPrivateDataByRange(collection, startKey, endKey string) (StateQueryIteratorInterface, error)

	// GetPrivateDataByPartialCompositeKey iterates over the composite keys of
	// collection with the given object type and leading attributes.
	GetPrivateDataByPartialCompositeKey(collection, objectType string, keys []string) (StateQueryIteratorInterface, error)

	// GetPrivateDataQueryResult runs a Mango query over collection.
	GetPrivateDataQueryResult(collection, query string) (StateQueryIteratorInterface, error)

	// GetCreator returns the marshalled SerializedIdentity of the client that
	// signed the proposal.
	GetCreator() ([]byte, error)

	// GetTransient returns the proposal's transient map: data the client
	// passed to the chaincode that is never written to the ledger.
	GetTransient() (map[string][]byte, error)

	// GetBinding returns the hash that binds the proposal to its nonce,
	// creator and epoch.
	GetBinding() ([]byte, error)

	// GetDecorations returns the decorations the peer added to the proposal.
	GetDecorations() map[string][]byte

	// GetSignedProposal returns the client's signed proposal.
	GetSignedProposal() (*peer.SignedProposal, error)

	// GetTxTimestamp returns the time the client created the proposal. It is
	// the same on every endorsing peer. Without a signed proposal it is an
	// error.
	GetTxTimestamp() (*timestamppb.Timestamp, error)

	// SetEvent attaches an event to the transaction; the last call wins. The
	// event is published once the transaction commits.
	SetEvent(name string, payload []byte) error

	// StartWriteBatch collects the following writes and sends them to the
	// peer in batches, when the peer supports it.
	StartWriteBatch()

	// FinishWriteBatch sends the writes collected since StartWriteBatch. It
	// is also done automatically when Init or Invoke returns.
	FinishWriteBatch() error
}

// CommonIteratorInterface is what the state and history iterators share.
type CommonIteratorInterface interface {
	// HasNext reports whether another result is available.
	HasNext() bool

	// Close releases the iterator on the peer. Call it when done.
	Close() error
}

// StateQueryIteratorInterface iterates over the results of a range, composite
// key or rich query.
type StateQueryIteratorInterface interface {
	CommonIteratorInterface

	// Next returns the next key and value.
	Next() (*queryresult.KV, error)
}

// HistoryQueryIteratorInterface iterates over the history of a key.
type HistoryQueryIteratorInterface interface {
	CommonIteratorInterface

	// Next returns the next modification of the key.
	Next() (*queryresult.KeyModification, error)
}
