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
// client decides whether to order it) and endorses its result; with check
// it simulates it a second time first and refuses it if the two differ,
// recording the check's verdict in facts.
func (e *Endorser) invoke(ctx context.Context, up *identity.UnpackedProposal, l *ledger.Ledger, facts *Facts, check bool) (*peer.ProposalResponse, error) {
	name, txID := up.ChaincodeID.GetName(), up.TxID()
	// Read, never modified: the ledger's own copy.
	def, err := l.SharedChaincodeDefinition(name)
	if errors.Is(err, ledger.ErrChaincodeNotDefined) {
		return nil, &syscc.NotInstantiatedError{Name: name}
	}
	if err != nil {
		return nil, fmt.Errorf("error in simulation: %w", err)
	}
	if err := e.precheckInit(l, up, def); err != nil {
		return nil, err
	}
	ccid, err := e.cfg.Chaincodes.Connect(ctx, l.ChannelID(), def)
	if err != nil {
		return nil, fmt.Errorf("error in simulation: failed to execute transaction %s: %w", txID, err)
	}
	resp, event, res, err := e.simulate(ctx, up, l, def, ccid)
	if err != nil {
		return nil, err
	}
	if check {
		verdict, err := e.checkDeterminism(ctx, up, l, def, ccid, simulation(resp, event, res, nil))
		if err != nil {
			return nil, err
		}
		facts.Determinism = verdict
	}
	return e.endorse(up, l, &peer.ChaincodeID{Name: name, Version: def.Version}, resp, res, event)
}

// simulate runs the proposal on ccid, the chaincode that runs def: as
// Init when the proposal is an accepted is_init (see syscc.CheckInit).
func (e *Endorser) simulate(ctx context.Context, up *identity.UnpackedProposal, l *ledger.Ledger, def *ledger.ChaincodeDefinition, ccid string) (*peer.Response, *peer.ChaincodeEvent, *ledger.SimulationResults, error) {
	name, txID := def.Name, up.TxID()
	sim, err := e.newSimulator(l, txID, up.Creator.MSPID())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("error in simulation: failed to execute transaction %s: %w", txID, err)
	}
	defer sim.Done()
	// Fabric 1.4's endorser reads the definition through the transaction's
	// simulator, so lscc/<name> is in the read set and an upgrade committed
	// first (even earlier in the same block) makes this transaction an
	// MVCC_READ_CONFLICT. The caller's read, outside the simulator, only
	// picks the chaincode to connect to.
	simDef, err := sim.GetSharedChaincodeDefinition(name)
	if errors.Is(err, ledger.ErrChaincodeNotDefined) {
		return nil, nil, nil, &syscc.NotInstantiatedError{Name: name}
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("error in simulation: failed to execute transaction %s: %w", txID, err)
	}
	if simDef.Version != def.Version || simDef.Sequence != def.Sequence {
		return nil, nil, nil, fmt.Errorf("error in simulation: chaincode %s was upgraded from version %s to %s while transaction %s was being endorsed: send the proposal again",
			name, describe(def), describe(simDef), txID)
	}
	// Fabric reads and writes the initialized key through the transaction's
	// simulator, so of two racing inits only the first commits.
	init, err := syscc.CheckInit(sim, simDef, up.Input().GetIsInit())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("error in simulation: failed to execute transaction %s: invalid invocation: %w", txID, err)
	}
	resp, event, err := e.cfg.Chaincodes.Execute(ctx, syscc.Execution{
		CCID: ccid, Init: init, ChannelID: l.ChannelID(), TxID: txID, Namespace: name,
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

// describe names a definition's version, and its sequence when _lifecycle
// made it.
func describe(def *ledger.ChaincodeDefinition) string {
	if def.Sequence == 0 {
		return def.Version
	}
	return fmt.Sprintf("%s (sequence %d)", def.Version, def.Sequence)
}

// precheckInit applies the init rule (syscc.CheckInit) to committed state
// before the chaincode is needed, as Fabric checks the invocation before
// it launches the chaincode: an invoke refused by the rule gets Fabric's
// refusal even when the chaincode is not running. The simulation checks
// the rule again, recording its read and write.
func (e *Endorser) precheckInit(l *ledger.Ledger, up *identity.UnpackedProposal, def *ledger.ChaincodeDefinition) error {
	isInit := up.Input().GetIsInit()
	if !def.InitRequired && !isInit {
		return nil
	}
	sim, err := e.newSimulator(l, "", up.Creator.MSPID())
	if err != nil {
		return fmt.Errorf("error in simulation: failed to execute transaction %s: %w", up.TxID(), err)
	}
	defer sim.Done()
	if _, err := syscc.CheckInit(readOnly{sim}, def, isInit); err != nil {
		return fmt.Errorf("error in simulation: failed to execute transaction %s: invalid invocation: %w", up.TxID(), err)
	}
	return nil
}

// readOnly is a simulator whose writes are dropped, for a check that
// must not record any.
type readOnly struct{ *ledger.Simulator }

func (readOnly) SetState(string, string, []byte) error { return nil }

// newSimulator returns a simulator of l that reads the clear private data
// of the endorser's organisation (Config.PeerMSPID).
func (e *Endorser) newSimulator(l *ledger.Ledger, txID, creatorMSPID string) (*ledger.Simulator, error) {
	if e.cfg.PeerMSPID == "" {
		return l.NewSimulator(txID, creatorMSPID)
	}
	return l.NewSimulatorAt(e.cfg.PeerMSPID, txID, creatorMSPID)
}
