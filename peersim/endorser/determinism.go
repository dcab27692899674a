package endorser

import (
	"context"
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/determinism"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// checkDeterminism simulates the proposal a second time and compares the
// result with first, the simulation the endorser signs. The second run is
// on a second instance of the chaincode when Config.SecondInstance gives
// one (another process: another random seed, map hash seed and process
// state), else on ccid again, later, with the first run's effects on the
// process's global state in place; either way Go's map iteration starts
// afresh and the clock has moved. Its simulator is discarded: nothing of
// it is endorsed, committed or kept in the transient store.
//
// Two differing results are a *determinism.MismatchError. When a block
// committed between the two runs (the report is inconclusive) the
// differences prove nothing: the first simulation is endorsed as usual,
// the report is logged and the verdict is determinism.VerdictInconclusive
// (determinism.VerdictAgree when the two agree).
func (e *Endorser) checkDeterminism(ctx context.Context, up *identity.UnpackedProposal, l *ledger.Ledger, def *ledger.ChaincodeDefinition, ccid string, first determinism.Simulation) (verdict string, _ error) {
	txID := up.TxID()
	again := ccid
	if e.cfg.SecondInstance != nil {
		id, err := e.cfg.SecondInstance(ctx, ccid)
		if err != nil {
			return "", fmt.Errorf("determinism check of transaction %s: start a second instance of chaincode %s: %w", txID, ccid, err)
		}
		again = id
	}
	resp, event, res, err := e.simulate(ctx, up, l, def, again)
	report, err := determinism.Compare(first, simulation(resp, event, res, err))
	if err != nil {
		return "", fmt.Errorf("determinism check of transaction %s: %w", txID, err)
	}
	log := e.cfg.Log.With("txid", txID, "chaincode", def.Name, "first", ccid, "second", again)
	switch {
	case report.Deterministic():
		log.Debug("determinism check: the two simulations agree")
		return determinism.VerdictAgree, nil
	case report.Inconclusive():
		log.Warn("determinism check inconclusive: a block committed between the two simulations; endorsing the first", "report", report.String())
		return determinism.VerdictInconclusive, nil
	}
	log.Warn("determinism check failed: refusing the endorsement", "differences", len(report.Differences))
	return "", &determinism.MismatchError{TxID: txID, Chaincode: def.Name, Report: report}
}

// simulation is one simulation's outcome as the determinism check
// compares it.
func simulation(resp *peer.Response, event *peer.ChaincodeEvent, res *ledger.SimulationResults, err error) determinism.Simulation {
	s := determinism.Simulation{Response: resp, Event: event, Err: err}
	if res != nil {
		s.RWSet, s.Private = res.Public, res.Private
	}
	return s
}
