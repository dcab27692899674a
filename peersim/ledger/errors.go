package ledger

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Sentinel errors. Callers match them with errors.Is; the wrapping error
// names the channel, namespace, key or transaction involved.
var (
	// ErrClosed is returned by a Ledger used after Close (NewSimulator,
	// CommitBlock, reads of blocks) and by a Subscription's Next.
	// Simulators are Done before Close, so they never see it.
	ErrClosed = errors.New("ledger closed")
	// ErrSimulationDone is returned by a Simulator, or one of its
	// iterators, used after Done.
	ErrSimulationDone = errors.New("simulation already done")
	// ErrBlockNotFound is returned for a block number at or above the height.
	ErrBlockNotFound = errors.New("block not found")
	// ErrTxNotFound is returned for a transaction ID the ledger never committed.
	ErrTxNotFound = errors.New("transaction not found")
	// ErrChaincodeNotDefined is returned when no chaincode definition exists
	// for a namespace.
	ErrChaincodeNotDefined = errors.New("chaincode not defined")
	// ErrCollectionNotDefined wraps Fabric's "collection [c] not defined"
	// and "collection config not defined" texts.
	ErrCollectionNotDefined = errors.New("collection not defined")
	// ErrAccessDenied wraps Fabric's "tx creator does not have read/write
	// access permission" texts.
	ErrAccessDenied = errors.New("access denied")
	// ErrTxUnsupported wraps Fabric's "unsuppored transaction" texts (writes
	// after a paginated or private-data query, and the reverse).
	ErrTxUnsupported = errors.New("unsupported transaction")
	// ErrPrivateDataUnavailable is returned when the hashed state holds a key
	// whose clear value this peer does not have (it is not a member of the
	// collection, or the data never arrived).
	ErrPrivateDataUnavailable = errors.New("private data not available")
	// ErrRichQueryUnavailable is returned by rich queries when the ledger was
	// opened without a query engine.
	ErrRichQueryUnavailable = errors.New("rich queries not available")
	// ErrInvalidQuery wraps a rich query the query engine rejected.
	ErrInvalidQuery = errors.New("invalid query")
	// ErrInvalidArgument wraps malformed input to a ledger method.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrHistoryDisabled is returned by GetHistoryForKey when the history
	// index is disabled in Config.
	ErrHistoryDisabled = errors.New("history database is not enabled")
	// ErrNotEmpty is returned by Import for a ledger that already holds
	// blocks or state.
	ErrNotEmpty = errors.New("ledger not empty")
	// ErrCorrupt is returned when stored data cannot be decoded.
	ErrCorrupt = errors.New("ledger data corrupt")
	// ErrDissemination is wrapped by a *DisseminationError: too few peers
	// to disseminate a collection's private data to.
	ErrDissemination = errors.New("private data dissemination failed")
)

// Version is the height at which a key was last written: block number and
// the transaction's index inside that block.
type Version struct {
	BlockNum uint64
	TxNum    uint64
}

// String formats v as Fabric does in its messages.
func (v Version) String() string {
	return fmt.Sprintf("{BlockNum: %d, TxNum: %d}", v.BlockNum, v.TxNum)
}

func (v Version) proto() *kvrwset.Version {
	return &kvrwset.Version{BlockNum: v.BlockNum, TxNum: v.TxNum}
}

func versionString(v *Version) string {
	if v == nil {
		return "<absent>"
	}
	return v.String()
}

// ValidationError is the verdict on an invalid transaction: Fabric's
// validation code and the reason behind it. Every TxResult whose Code is not
// VALID carries one; the concrete reasons below are wrapped in it.
type ValidationError struct {
	// TxID is the invalid transaction's ID ("" when the envelope had none).
	TxID string
	// Code is Fabric's validation code, as written in the block metadata.
	Code peer.TxValidationCode
	// Err is the reason, worded so that a person can act on it.
	Err error
}

// Error returns "transaction <txid> invalid (<code>): <reason>".
func (e *ValidationError) Error() string {
	return fmt.Sprintf("transaction %s invalid (%s): %v", e.TxID, e.Code, e.Err)
}

// Unwrap returns the reason.
func (e *ValidationError) Unwrap() error { return e.Err }

// MVCCConflictError says a key read during simulation changed before the
// transaction was committed (code MVCC_READ_CONFLICT).
type MVCCConflictError struct {
	Namespace  string
	Collection string // "" for public state
	Key        string // for private data: hex of the key hash
	Read       *Version
	Committed  *Version // nil: the key is now absent
	// WriterTxID is the transaction that wrote the committed version, when
	// the ledger knows it.
	WriterTxID string
	// InBlock is true when the conflicting write is an earlier valid
	// transaction of the same block.
	InBlock bool
}

// Error names the key, both versions and the writer, and says to re-run.
func (e *MVCCConflictError) Error() string {
	where := "committed"
	if e.InBlock {
		where = "written by an earlier transaction of the same block"
	}
	ns := e.Namespace
	if e.Collection != "" {
		ns += "/" + e.Collection
	}
	writer := ""
	if e.WriterTxID != "" {
		writer = " by transaction " + e.WriterTxID
	}
	return fmt.Sprintf("read conflict on key %q in %s: read version %s, %s version %s%s; re-run the transaction against current state",
		e.Key, ns, versionString(e.Read), where, versionString(e.Committed), writer)
}

// PhantomReadError says the results of a range query changed before commit
// (code PHANTOM_READ_CONFLICT).
type PhantomReadError struct {
	Namespace string
	// StartKey and EndKey are the range as the simulator recorded it.
	StartKey string
	EndKey   string
	// Key is the first key whose presence or version differs.
	Key string
	// Detail says how it differs, e.g. "appeared with version {BlockNum: 3, TxNum: 0}".
	Detail string
}

// Error names the range and the first key that differs, and says to re-run.
func (e *PhantomReadError) Error() string {
	return fmt.Sprintf("phantom read in %s range [%q, %q): key %q %s; re-run the transaction against current state",
		e.Namespace, e.StartKey, e.EndKey, e.Key, e.Detail)
}

// EndorsementError says the endorsements do not satisfy a policy (code
// ENDORSEMENT_POLICY_FAILURE).
type EndorsementError struct {
	Namespace  string
	Collection string
	Key        string // "" for the chaincode or collection policy
	// Err is the policy checker's reason.
	Err error
}

// Error names the policy that failed and the checker's reason.
func (e *EndorsementError) Error() string {
	what := "chaincode " + e.Namespace + " endorsement policy"
	switch {
	case e.Key != "" && e.Collection != "":
		what = fmt.Sprintf("key-level endorsement policy of key %q in %s/%s", e.Key, e.Namespace, e.Collection)
	case e.Key != "":
		what = fmt.Sprintf("key-level endorsement policy of key %q in %s", e.Key, e.Namespace)
	case e.Collection != "":
		what = fmt.Sprintf("endorsement policy of collection %s/%s", e.Namespace, e.Collection)
	}
	return fmt.Sprintf("%s not satisfied: %v", what, e.Err)
}

// Unwrap returns the checker's reason.
func (e *EndorsementError) Unwrap() error { return e.Err }

// DuplicateTxError says the transaction ID was already committed, or appears
// earlier in the same block (code DUPLICATE_TXID).
type DuplicateTxError struct {
	TxID     string
	BlockNum uint64
	TxNum    uint64
}

// Error names the transaction that first used the ID.
func (e *DuplicateTxError) Error() string {
	return fmt.Sprintf("transaction ID %s already used by transaction %d of block %d; a client must create a new proposal for each submission",
		e.TxID, e.TxNum, e.BlockNum)
}
