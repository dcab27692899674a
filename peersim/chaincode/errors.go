package chaincode

import (
	"errors"
	"fmt"
)

// Errors returned to the peer. Match them with errors.Is; the texts of the
// execution errors are Fabric's, so the peer can show them unchanged.
var (
	// ErrNotRegistered means no ready chaincode connection exists for the ccid.
	ErrNotRegistered = errors.New("not registered")

	// ErrTxExists means a transaction with the same channel and txid is already
	// executing on that chaincode connection (also the re-entrancy error of a
	// chaincode-to-chaincode call). Its text is "txid: <txid>(<channel>) exists".
	ErrTxExists = errors.New("transaction already exists")

	// ErrExecuteTimeout means the chaincode did not answer within
	// Config.ExecuteTimeout.
	ErrExecuteTimeout = errors.New("timeout expired while executing transaction")

	// ErrStreamTerminated means the chaincode's stream ended while a
	// transaction was executing on it.
	ErrStreamTerminated = errors.New("chaincode stream terminated")

	// ErrInvalidRequest means an ExecuteRequest is malformed; nothing was sent.
	ErrInvalidRequest = errors.New("invalid execute request")

	// ErrServerClosed means Close was called; streams are refused and ended.
	ErrServerClosed = errors.New("chaincode server is closed")

	// ErrRegistrationRefused means the peer's Admission refused a REGISTER,
	// or a chaincode server the peer dialled registered under a name it was
	// not dialled for.
	ErrRegistrationRefused = errors.New("registration refused")

	// ErrDuplicate means a REGISTER named an id that already has a live
	// connection.
	ErrDuplicate = errors.New("duplicate chaincodeID")

	// ErrEmptyName means a REGISTER carried no chaincode name.
	ErrEmptyName = errors.New("error in handling register chaincode, chaincodeID name is empty")

	// ErrProtocol means the chaincode broke the registration protocol (a first
	// message other than REGISTER, or an undecodable REGISTER).
	ErrProtocol = errors.New("chaincode protocol violation")

	// ErrTooManyRequests ends a stream on which one transaction had more
	// than Config.MaxInFlightPerTx requests in flight: the chaincode sends
	// requests without reading the replies.
	ErrTooManyRequests = errors.New("too many requests in flight")
)

// Causes sent to the chaincode inside ERROR payloads
// ("<TYPE> failed: transaction ID: <txid>: <cause>").
var (
	errNoLedgerContext   = errors.New("no ledger context")
	errNoInvokeContext   = errors.New("could not get valid transaction")
	errIteratorNotFound  = errors.New("query iterator not found")
	errPrivateDataInInit = errors.New("private data APIs are not allowed in chaincode Init()")
	errOnlyPrivateData   = errors.New("only applicable for private data")
	errUnknownOperation  = errors.New("unknown operation type")
	errPanic             = errors.New("panic during execution")
)

// txExistsError carries Fabric's text for ErrTxExists.
type txExistsError struct {
	channelID, txID string
}

func (e *txExistsError) Error() string {
	return fmt.Sprintf("txid: %s(%s) exists", e.txID, e.channelID)
}

func (e *txExistsError) Is(target error) bool { return target == ErrTxExists }

// duplicateError carries Fabric's text for ErrDuplicate plus a hint.
type duplicateError struct {
	ccid string
}

func (e *duplicateError) Error() string {
	return fmt.Sprintf("duplicate chaincodeID: %s: a chaincode with this id is already connected to the peer; stop it before starting another", e.ccid)
}

func (e *duplicateError) Is(target error) bool { return target == ErrDuplicate }

// dialedNameError refuses the REGISTER of a chaincode server the peer
// dialled that names neither the ccid nor the package ID it was dialled
// for.
type dialedNameError struct {
	name string
	as   DialedAs
}

func (e *dialedNameError) Error() string {
	return fmt.Sprintf("peer will not accept external chaincode connection %s: the chaincode server at %s was dialled for %s (package ID %s): set its CCID to the package ID",
		e.name, e.as.Address, e.as.CCID, e.as.PackageID)
}

func (e *dialedNameError) Is(target error) bool { return target == ErrRegistrationRefused }
