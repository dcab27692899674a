package chaincode

import (
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Tracer is told what happens to each transaction on the chaincode
// streams, for the peer's per-transaction traces. Its methods are called on
// the stream's goroutines and must be quick.
type Tracer interface {
	// ExecuteStarted and ExecuteEnded bracket an Execute of txID on the
	// chaincode ccid.
	ExecuteStarted(ccid, channelID, txID string)
	ExecuteEnded(ccid, channelID, txID string)
	// Traced is one message: a chaincode request the peer served, or the
	// transaction itself.
	Traced(channelID, txID string, m TracedMessage)
	// Logged is a line the chaincode logged for the transaction through
	// its shim's logger (LogMessageType).
	Logged(channelID, txID, line string)
}

// LogMessageType is the ChaincodeMessage type of a line a chaincode logs
// for one transaction (Txid, ChannelId; the line is the Payload) through
// chaincodekit's shim.Logger. The shim sends it only on a stream whose
// peer advertised LogHeader, which the server does in development mode
// with a Tracer: Fabric has no such message, and in production mode the
// peer reads the process's output instead. The shim declares the same two
// values.
const LogMessageType peer.ChaincodeMessage_Type = 1000

// LogHeader is the response header of the Register stream with which the
// peer tells the shim it accepts LogMessageType.
const LogHeader = "peersim-chaincode-logs"

// WithChaincodeLogs, when on, makes the server accept the lines chaincode
// logs through its shim (LogMessageType) for the Tracer; the peer turns
// it on in development mode.
func WithChaincodeLogs(on bool) Option { return func(s *Server) { s.acceptLogs = on } }

// TracedMessage is one message of a transaction on a chaincode stream.
type TracedMessage struct {
	// Type is the request's type (GET_STATE, PUT_STATE, ...), or for the
	// transaction itself "TRANSACTION" or "INIT" and the answer's type,
	// e.g. "TRANSACTION → COMPLETED".
	Type string
	// Collection and Key name what the request was about, when it names
	// one key (Key holds the chaincode for INVOKE_CHAINCODE, the start key
	// of a range and the query of a rich query).
	Collection, Key string
	// Received is when the peer received it; Took how long it took to
	// answer.
	Received time.Time
	Took     time.Duration
	// Err is the peer's refusal.
	Err error
}

// WithTracer makes the server tell t of every transaction's messages.
func WithTracer(t Tracer) Option { return func(s *Server) { s.tracer = t } }

// keyedRequest is a request about one key of a namespace or collection
// (GetState, PutState, DelState and their metadata forms).
type keyedRequest interface {
	GetCollection() string
	GetKey() string
}

// subject names the key (and collection) a request is about, decoding
// its payload; "" when it names none.
func subject(msg *peer.ChaincodeMessage) (collection, key string) {
	var m proto.Message
	switch msg.Type {
	case peer.ChaincodeMessage_GET_STATE, peer.ChaincodeMessage_GET_PRIVATE_DATA_HASH:
		m = &peer.GetState{}
	case peer.ChaincodeMessage_PUT_STATE:
		m = &peer.PutState{}
	case peer.ChaincodeMessage_DEL_STATE, peer.ChaincodeMessage_PURGE_PRIVATE_DATA:
		m = &peer.DelState{}
	case peer.ChaincodeMessage_GET_STATE_METADATA:
		m = &peer.GetStateMetadata{}
	case peer.ChaincodeMessage_PUT_STATE_METADATA:
		m = &peer.PutStateMetadata{}
	case peer.ChaincodeMessage_GET_STATE_BY_RANGE:
		m = &peer.GetStateByRange{}
	case peer.ChaincodeMessage_GET_QUERY_RESULT:
		m = &peer.GetQueryResult{}
	case peer.ChaincodeMessage_GET_HISTORY_FOR_KEY:
		m = &peer.GetHistoryForKey{}
	case peer.ChaincodeMessage_INVOKE_CHAINCODE:
		m = &peer.ChaincodeSpec{}
	default:
		return "", ""
	}
	if proto.Unmarshal(msg.Payload, m) != nil {
		return "", ""
	}
	switch r := m.(type) {
	case keyedRequest:
		return r.GetCollection(), r.GetKey()
	case *peer.GetStateByRange:
		return r.GetCollection(), r.GetStartKey()
	case *peer.GetQueryResult:
		return r.GetCollection(), r.GetQuery()
	case *peer.GetHistoryForKey:
		return "", r.GetKey()
	case *peer.ChaincodeSpec:
		return "", r.GetChaincodeId().GetName()
	}
	return "", ""
}
