package endorser

import (
	"context"
	"errors"
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// invoke simulates a user chaincode transaction (invoke or query: the
// client decides whether to order it) and endorses its result.
func (e *Endorser) invoke(ctx context.Context, up *identity.UnpackedProposal, l *ledger.Ledger) (*peer.ProposalResponse, error) {
	name, txID := up.ChaincodeID.GetName(), up.TxID()
	def, err := l.ChaincodeDefinition(name)
	if errors.Is(err, ledger.ErrChaincodeNotDefined) {
		return nil, &syscc.NotInstantiatedError{Name: name}
	}
	if err != nil {
		return nil, fmt.Errorf("error in simulation: %w", err)
	}
	if err := e.cfg.Chaincodes.EnsureConnected(ctx, name, def.Version, false); err != nil {
		return nil, fmt.Errorf("error in simulation: failed to execute transaction %s: %w", txID, err)
	}
	resp, event, res, err := e.simulate(ctx, up, l, def)
	if err != nil {
		return nil, err
	}
	return e.endorse(up, l, &peer.ChaincodeID{Name: name, Version: def.Version}, resp, res, event)
}

// simulate runs the proposal on the chaincode version def names.
func (e *Endorser) simulate(ctx context.Context, up *identity.UnpackedProposal, l *ledger.Ledger, def *ledger.ChaincodeDefinition) (*peer.Response, *peer.ChaincodeEvent, *ledger.SimulationResults, error) {
	name, txID := def.Name, up.TxID()
	sim, err := l.NewSimulator(txID, up.Creator.MSPID())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("error in simulation: failed to execute transaction %s: %w", txID, err)
	}
	defer sim.Done()
	// Fabric 1.4's endorser reads the definition through the transaction's
	// simulator, so lscc/<name> is in the read set and an upgrade committed
	// first (even earlier in the same block) makes this transaction an
	// MVCC_READ_CONFLICT. The caller's read, outside the simulator, only
	// picks the chaincode to connect to.
	simDef, err := sim.GetChaincodeDefinition(name)
	if errors.Is(err, ledger.ErrChaincodeNotDefined) {
		return nil, nil, nil, &syscc.NotInstantiatedError{Name: name}
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("error in simulation: failed to execute transaction %s: %w", txID, err)
	}
	if simDef.Version != def.Version {
		return nil, nil, nil, fmt.Errorf("error in simulation: chaincode %s was upgraded from version %s to %s while transaction %s was being endorsed: send the proposal again",
			name, def.Version, simDef.Version, txID)
	}
	resp, event, err := e.cfg.Chaincodes.Execute(ctx, syscc.Execution{
		CCID: name + ":" + def.Version, ChannelID: l.ChannelID(), TxID: txID, Namespace: name,
		Input: up.Input(), SignedProposal: up.SignedProposal, Simulator: sim,
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("error in simulation: %w", err)
	}
	sim.Done()
	res, err := sim.Results()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("error in simulation: failed to execute transaction %s: %w", txID, err)
	}
	return resp, event, res, nil
}
