package syscc

import (
	"context"
	"errors"
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// The names of the system chaincodes peersim serves.
const (
	LSCC = "lscc"
	CSCC = "cscc"
	QSCC = "qscc"
	PSCC = "pscc"
	// Lifecycle is Fabric 2.x's lifecycle, _lifecycle.
	Lifecycle = "_lifecycle"
)

// reserved are the names no user chaincode may take: those above, and the
// system chaincodes Fabric reserves that peersim does not serve.
var reserved = []string{LSCC, CSCC, QSCC, PSCC, Lifecycle, "escc", "vscc"}

// ErrAccessDenied is returned when the creator of a proposal may not do
// what it asks (install, instantiate, upgrade and CreateChannel need an
// admin).
var ErrAccessDenied = errors.New("access denied")

// Chaincode is one system chaincode.
type Chaincode interface {
	// Invoke answers one invocation. An error fails the proposal with its
	// text; the endorser endorses a Result.
	Invoke(ctx context.Context, inv *Invocation) (*Result, error)
}

// Table maps a system chaincode's name to its implementation.
type Table map[string]Chaincode

// Invocation is one proposal addressed to a system chaincode.
type Invocation struct {
	// Proposal is the verified proposal.
	Proposal *identity.UnpackedProposal
	// Ledger is the ledger of the proposal's channel, nil when the proposal
	// names none.
	Ledger *ledger.Ledger
}

// Args returns the invocation's arguments; the first is the function.
func (inv *Invocation) Args() [][]byte { return inv.Proposal.Input().GetArgs() }

// Result is what a system chaincode answers.
type Result struct {
	Response *peer.Response
	// Simulation is the read-write set of a result that is to be ordered
	// (lscc deploy and upgrade); nil for a query.
	Simulation *ledger.SimulationResults
}

// ok is a status 200 result with payload.
func ok(payload []byte) *Result {
	return &Result{Response: &peer.Response{Status: 200, Payload: payload}}
}

// answer is a status 200 result whose payload is m, marshalled.
func answer(name string, m proto.Message) (*Result, error) {
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("marshal %s answer: %w", name, err)
	}
	return ok(b), nil
}

// Channels is the peer's set of channels.
type Channels interface {
	// Names returns the channels' names, sorted.
	Names() []string
	// Ledger returns the ledger of channel name.
	Ledger(name string) (*ledger.Ledger, error)
}

// Runner runs user chaincode: lscc's Init, and every proposal to a user
// chaincode.
type Runner interface {
	// EnsureConnected returns once name:version is registered, launching
	// it or, when wait is set, waiting for it to connect.
	EnsureConnected(ctx context.Context, name, version string, wait bool) error
	// Execute runs one INIT or TRANSACTION; its error carries Fabric's
	// text ("transaction returned with failure: ..." or "failed to execute
	// transaction <txid>: ...").
	Execute(ctx context.Context, ex Execution) (*peer.Response, *peer.ChaincodeEvent, error)
}

// Execution is one INIT or TRANSACTION for Runner.Execute.
type Execution struct {
	// CCID is the chaincode's id on the chaincode server: name:version
	// for lscc, the approved package ID for _lifecycle.
	CCID string
	// Init asks for an INIT instead of a TRANSACTION.
	Init                       bool
	ChannelID, TxID, Namespace string
	Input                      *peer.ChaincodeInput
	SignedProposal             *peer.SignedProposal
	// Simulator records the transaction's reads and writes.
	Simulator *ledger.Simulator
}

// NotInstantiatedError is Fabric 1.4's answer for a chaincode without a
// definition on the channel.
type NotInstantiatedError struct{ Name string }

func (e *NotInstantiatedError) Error() string {
	return fmt.Sprintf("could not find chaincode with name '%s' - make sure the chaincode %s has been successfully instantiated and try again", e.Name, e.Name)
}

// Unwrap makes the error match ledger.ErrChaincodeNotDefined.
func (e *NotInstantiatedError) Unwrap() error { return ledger.ErrChaincodeNotDefined }

// requireAdmin checks that the proposal's creator is an admin, for the
// operations that need one.
func requireAdmin(up *identity.UnpackedProposal, what string) error {
	if up.Creator == nil || !up.Creator.IsAdmin() {
		return fmt.Errorf("%w for [%s]: %s is not an admin of its organisation: use the Admin identity", ErrAccessDenied, what, up.Creator)
	}
	return nil
}

// fabricError is an error worded as Fabric words it, capital letter and
// all: clients and scripts match these texts.
type fabricError struct{ msg string }

func (e *fabricError) Error() string { return e.msg }

// fabricf formats a fabricError.
func fabricf(format string, args ...any) error {
	return &fabricError{msg: fmt.Sprintf(format, args...)}
}
