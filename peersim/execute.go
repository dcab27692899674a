package peersim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// chaincodeRunner is the syscc.Runner of the endorser and lscc: connect
// makes sure a chaincode is registered, and Execute runs it on the
// chaincode server with the ledger simulator adapted to the handler's
// interface, recording the execute metrics.
type chaincodeRunner struct {
	cc      *chaincode.Server
	met     *metrics
	connect func(ctx context.Context, name, version string, wait bool) error
}

var _ syscc.Runner = chaincodeRunner{}

// EnsureConnected returns once name:version is registered.
func (r chaincodeRunner) EnsureConnected(ctx context.Context, name, version string, wait bool) error {
	return r.connect(ctx, name, version, wait)
}

// Execute runs one INIT or TRANSACTION and composes Fabric's error texts:
// "transaction returned with failure: <ERROR payload>" or "failed to
// execute transaction <txid>: <cause>".
func (r chaincodeRunner) Execute(ctx context.Context, ex syscc.Execution) (*peer.Response, *peer.ChaincodeEvent, error) {
	typ := peer.ChaincodeMessage_TRANSACTION
	if ex.Init {
		typ = peer.ChaincodeMessage_INIT
	}
	start := time.Now()
	msg, err := r.cc.Execute(ctx, ex.CCID, chaincode.ExecuteRequest{
		Type: typ, ChannelID: ex.ChannelID, TxID: ex.TxID, Namespace: ex.Namespace,
		Input: ex.Input, SignedProposal: ex.SignedProposal, Simulator: txSimulator{ex.Simulator},
	})
	r.met.executed(ex.CCID, typ.String(), err == nil && msg.GetType() == peer.ChaincodeMessage_COMPLETED,
		errors.Is(err, chaincode.ErrExecuteTimeout), time.Since(start))
	if err != nil {
		return nil, nil, fmt.Errorf("failed to execute transaction %s: %w", ex.TxID, err)
	}
	switch msg.GetType() {
	case peer.ChaincodeMessage_COMPLETED:
		resp := &peer.Response{}
		if err := proto.Unmarshal(msg.GetPayload(), resp); err != nil {
			return nil, nil, fmt.Errorf("failed to execute transaction %s: decode chaincode response: %w", ex.TxID, err)
		}
		return resp, msg.GetChaincodeEvent(), nil
	case peer.ChaincodeMessage_ERROR:
		return nil, nil, fmt.Errorf("transaction returned with failure: %s", msg.GetPayload())
	}
	return nil, nil, fmt.Errorf("failed to execute transaction %s: unexpected message type %s from chaincode %s", ex.TxID, msg.GetType(), ex.CCID)
}
