package client

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/status"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
)

// Sentinel errors of the chaincode name and version rules, which Install
// and PackageChaincode check first; match them with errors.Is.
var (
	// ErrInvalidChaincodeName is a chaincode name that breaks Fabric 1.4's
	// rule (alphanumerics in groups joined by single '-' or '_'). It is
	// ccpackage.ErrInvalidName.
	ErrInvalidChaincodeName = ccpackage.ErrInvalidName
	// ErrInvalidChaincodeVersion is a chaincode version that breaks Fabric
	// 1.4's rule (alphanumerics and '_', '-', '+', '.'). It is
	// ccpackage.ErrInvalidVersion.
	ErrInvalidChaincodeVersion = ccpackage.ErrInvalidVersion
)

// TransportError is a failed gRPC call to the peer: the peer is unreachable,
// refused the call or the stream broke. status.FromError and status.Code see
// the gRPC status it wraps.
type TransportError struct {
	// Address is the peer's address.
	Address string
	// Op names the call, e.g. "endorse" or "deliver".
	Op string
	// Err is the gRPC error.
	Err error
}

// Error implements error.
func (e *TransportError) Error() string {
	return fmt.Sprintf("%s at peer %s: %v", e.Op, e.Address, e.Err)
}

// Unwrap returns the gRPC error.
func (e *TransportError) Unwrap() error { return e.Err }

// GRPCStatus returns the gRPC status of the failed call.
func (e *TransportError) GRPCStatus() *status.Status {
	s, _ := status.FromError(e.Err)
	return s
}

// EndorseError is a proposal the peer did not endorse: either the Endorser
// call failed (Err is a *TransportError) or the peer answered with a
// response status outside [200, 400) (Status and Message are the peer's).
type EndorseError struct {
	// TxID is the proposal's transaction ID.
	TxID string
	// Address is the peer that did not endorse: the client's own, or one
	// of WithEndorsers's.
	Address string
	// Status is the ProposalResponse status; 0 when the call itself failed.
	Status int32
	// Message is the ProposalResponse message, e.g. "error in simulation:
	// transaction returned with failure: ...".
	Message string
	// Err is the transport failure, if that is what went wrong.
	Err error
}

// Error implements error.
func (e *EndorseError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("endorse transaction %s: %v", e.TxID, e.Err)
	}
	return fmt.Sprintf("endorsement failure for transaction %s: status %d: %s", e.TxID, e.Status, e.Message)
}

// Unwrap returns the transport failure, if any.
func (e *EndorseError) Unwrap() error { return e.Err }

// ErrPayloadMismatch is the failure of a proposal endorsed by several
// peers (WithEndorsers) whose proposal response payloads differ: the peers
// simulated different results, and a transaction carrying both would be
// invalid. Fabric's peer CLI fails with the same words. The error wrapping
// it names the peers.
var ErrPayloadMismatch = errors.New("ProposalResponsePayloads do not match")

// SubmitError is a transaction the ordering service did not accept: the
// Broadcast call failed (Err) or answered with a status other than SUCCESS.
type SubmitError struct {
	// TxID is the transaction ID.
	TxID string
	// Status is the BroadcastResponse status; UNKNOWN when the call failed.
	Status common.Status
	// Info is the BroadcastResponse info.
	Info string
	// Err is the transport failure, if that is what went wrong.
	Err error
}

// Error implements error.
func (e *SubmitError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("submit transaction %s: %v", e.TxID, e.Err)
	}
	msg := fmt.Sprintf("submit transaction %s: ordering refused it with status %s", e.TxID, e.Status)
	if e.Info != "" {
		msg += ": " + e.Info
	}
	return msg
}

// Unwrap returns the transport failure, if any.
func (e *SubmitError) Unwrap() error { return e.Err }

// CommitError is a transaction that was committed invalid: its writes were
// not applied.
type CommitError struct {
	// TxID is the transaction ID.
	TxID string
	// Code is the validation code, e.g. MVCC_READ_CONFLICT.
	Code peer.TxValidationCode
	// BlockNumber is the block the transaction was committed in.
	BlockNumber uint64
	// Reason is the peer's explanation when it gave one (e.g. the key of an
	// MVCC conflict); otherwise what the code means.
	Reason string
}

// Error implements error.
func (e *CommitError) Error() string {
	msg := fmt.Sprintf("transaction %s committed invalid in block %d with code %s", e.TxID, e.BlockNumber, e.Code)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// CodeReason explains a validation code in a sentence, or returns "" for codes
// without an explanation.
func CodeReason(code peer.TxValidationCode) string {
	switch code {
	case peer.TxValidationCode_MVCC_READ_CONFLICT:
		return "a key it read was changed by a transaction committed before it; submit it again"
	case peer.TxValidationCode_PHANTOM_READ_CONFLICT:
		return "a range it read gained or lost keys before it committed; submit it again"
	case peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE:
		return "its endorsements do not satisfy the endorsement policy"
	case peer.TxValidationCode_DUPLICATE_TXID:
		return "a transaction with the same ID is already in the ledger"
	case peer.TxValidationCode_BAD_CREATOR_SIGNATURE:
		return "the creator's signature does not verify"
	case peer.TxValidationCode_EXPIRED_CHAINCODE:
		return "the chaincode was upgraded after the transaction was endorsed"
	default:
		return ""
	}
}

// DeliverError is a deliver stream the peer ended with a status other than
// SUCCESS: it refused the seek or could not go on.
type DeliverError struct {
	// Address is the peer's address.
	Address string
	// Channel is the channel the stream read.
	Channel string
	// Status is the peer's status, e.g. NOT_FOUND for a channel it has not
	// joined.
	Status common.Status
}

// Error implements error.
func (e *DeliverError) Error() string {
	msg := fmt.Sprintf("deliver on channel %q: the peer %s ended the stream with status %s", e.Channel, e.Address, e.Status)
	switch e.Status {
	case common.Status_NOT_FOUND:
		msg += ": it has not joined the channel"
	case common.Status_FORBIDDEN:
		msg += ": the identity may not read the channel's blocks"
	case common.Status_BAD_REQUEST:
		msg += ": it refused the seek request (is the stop block before the start?)"
	case common.Status_SERVICE_UNAVAILABLE:
		msg += ": it stopped serving the channel"
	}
	return msg
}
