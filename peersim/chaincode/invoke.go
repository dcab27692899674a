package chaincode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

var (
	errNoResolver   = errors.New("the peer has not configured chaincode-to-chaincode calls (no Resolver)")
	errNoSimulators = errors.New("the peer has not configured cross-channel chaincode calls (no SimulatorFactory)")
)

// parseTarget splits an INVOKE_CHAINCODE name "<cc>[:<version>][/<channel>]"
// the way Fabric does: at the first "/", then at the first ":". The version
// is ignored.
func parseTarget(s string) (name, channelID string) {
	name, channelID, _ = strings.Cut(s, "/")
	name, _, _ = strings.Cut(name, ":")
	return name, channelID
}

// invokeChaincode runs another chaincode inside this transaction. On the
// same channel the callee shares the caller's txid, proposal and simulator,
// so its reads and writes join the transaction under its own namespace. On
// another channel it gets a fresh simulator whose results are thrown away.
// The reply is the callee's COMPLETED or ERROR message, marshalled.
func (h *handler) invokeChaincode(tx *txContext, payload []byte) ([]byte, error) {
	spec := &peer.ChaincodeSpec{}
	if err := unmarshal(payload, spec); err != nil {
		return nil, err
	}
	if spec.ChaincodeId.GetName() == "" {
		return nil, errors.New(`no chaincode to call: ChaincodeSpec.chaincode_id.name must be "<name>" or "<name>/<channel>"`)
	}
	name, channelID := parseTarget(spec.ChaincodeId.Name)
	if name == "" {
		return nil, fmt.Errorf("no chaincode name in %q: expected \"<name>\" or \"<name>/<channel>\"", spec.ChaincodeId.Name)
	}
	if channelID == "" {
		channelID = tx.channelID
	}
	if h.srv.resolver == nil {
		return nil, fmt.Errorf("execute failed: %w", errNoResolver)
	}

	sim := tx.sim
	if channelID != tx.channelID {
		if h.srv.simulators == nil {
			return nil, errNoSimulators
		}
		other, release, err := h.srv.simulators.NewTxSimulator(tx.sim, channelID, tx.txID)
		if err != nil {
			return nil, err
		}
		if release != nil {
			defer release()
		}
		sim = other
	}

	ccid, err := h.srv.resolver.ResolveChaincode(tx.ctx, channelID, name, tx.signedProposal, sim)
	if err != nil {
		return nil, fmt.Errorf("execute failed: %w", err)
	}
	callee := h.srv.registry.ready(ccid)
	if callee == nil {
		return nil, fmt.Errorf("execute failed: chaincode %s is %w", ccid, ErrNotRegistered)
	}
	// The callee runs under the caller's context, so it ends when the
	// caller's transaction does; it also has its own execute timeout.
	resp, err := callee.execute(tx.ctx, ExecuteRequest{
		Type:           peer.ChaincodeMessage_TRANSACTION,
		ChannelID:      channelID,
		TxID:           tx.txID,
		Namespace:      name,
		Input:          spec.Input,
		SignedProposal: tx.signedProposal,
		Simulator:      sim,
	})
	if err != nil {
		return nil, fmt.Errorf("execute failed: %w", err)
	}
	return marshal(resp)
}
