package peersim

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// System chaincode names the endorser serves itself.
const (
	lsccName = "lscc"
	csccName = "cscc"
	psccName = "pscc"
)

// endorser is the protos.Endorser service: it checks a signed proposal,
// simulates it and answers with a ProposalResponse. Failures are answered
// as a response with status 500 and a message, as Fabric's endorser does;
// the gRPC call itself succeeds.
type endorser struct {
	peer.UnimplementedEndorserServer
	p *Peer

	// running counts the proposals being processed, so that Stop can wait
	// for them before closing the ledgers.
	running sync.WaitGroup

	mu sync.Mutex
	// inflight holds channel+txid of the proposals being endorsed.
	inflight map[string]bool
}

func newEndorser(p *Peer) *endorser { return &endorser{p: p, inflight: map[string]bool{}} }

// ProcessProposal endorses one signed proposal.
func (e *endorser) ProcessProposal(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
	e.running.Add(1)
	defer e.running.Done()
	select {
	case <-e.p.closing:
		return failure("peer is stopping"), nil
	default:
	}
	start := time.Now()
	var facts proposalFacts
	resp := e.process(ctx, sp, &facts)
	e.p.met.proposal(resp, facts, time.Since(start))
	return resp, nil
}

// process endorses sp and records in facts how far it got.
func (e *endorser) process(ctx context.Context, sp *peer.SignedProposal, facts *proposalFacts) *peer.ProposalResponse {
	up, err := e.p.msp.ValidateProposal(sp)
	if err != nil {
		return failure(err.Error())
	}
	ch, txID, name := up.ChannelID(), up.TxID(), up.ChaincodeID.GetName()
	facts.validated, facts.channel, facts.chaincode = true, ch, name
	var l *ledger.Ledger
	if ch != "" {
		if l, err = e.p.chans.get(ch); err != nil {
			return failure(fmt.Sprintf("channel '%s' not found: %s", ch, e.p.chans.notJoined(ch)))
		}
		if _, err := l.TxStatus(txID); err == nil || !e.begin(ch, txID) {
			facts.duplicate = true
			return failure(fmt.Sprintf("duplicate transaction found [%s]. Creator [%s]", txID, hex.EncodeToString(up.SignatureHeader.GetCreator())))
		}
		defer e.end(ch, txID)
	}
	facts.channelFound = true
	switch name {
	case lsccName:
		return e.p.lscc(ctx, up, l)
	case csccName:
		return e.p.cscc(up)
	case psccName:
		return e.p.pscc(ctx, up)
	case qsccName:
		return e.p.qscc(up)
	}
	if l == nil {
		return failure(fmt.Sprintf("chaincode %s can only be invoked on a channel: the proposal names none", name))
	}
	return e.p.invoke(ctx, up, l)
}

func (e *endorser) begin(ch, txID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.inflight[ch+txID] {
		return false
	}
	e.inflight[ch+txID] = true
	return true
}

func (e *endorser) end(ch, txID string) {
	e.mu.Lock()
	delete(e.inflight, ch+txID)
	e.mu.Unlock()
}

// failure is a proposal response that reports an error: status 500, no
// payload, no endorsement.
func failure(msg string) *peer.ProposalResponse {
	return &peer.ProposalResponse{Response: &peer.Response{Status: 500, Message: msg}}
}

// notInstantiated is Fabric 1.4's answer for a chaincode without a
// definition on the channel.
func notInstantiated(name string) string {
	return fmt.Sprintf("could not find chaincode with name '%s' - make sure the chaincode %s has been successfully instantiated and try again", name, name)
}

// invoke simulates a chaincode transaction (invoke or query: the client
// decides whether to order it).
func (p *Peer) invoke(ctx context.Context, up *identity.UnpackedProposal, l *ledger.Ledger) *peer.ProposalResponse {
	name, txID := up.ChaincodeID.GetName(), up.TxID()
	def, err := l.ChaincodeDefinition(name)
	if errors.Is(err, ledger.ErrChaincodeNotDefined) {
		return failure(notInstantiated(name))
	}
	if err != nil {
		return failure(fmt.Sprintf("error in simulation: %v", err))
	}
	if err := p.ensureConnected(ctx, name, def.Version, false); err != nil {
		return failure(fmt.Sprintf("error in simulation: failed to execute transaction %s: %v", txID, err))
	}
	sim, err := l.NewSimulator(txID, up.Creator.MSPID())
	if err != nil {
		return failure(fmt.Sprintf("error in simulation: failed to execute transaction %s: %v", txID, err))
	}
	// Fabric 1.4's endorser reads the definition through the transaction's
	// simulator, so lscc/<name> is in the read set and an upgrade committed
	// first (even earlier in the same block) makes this transaction an
	// MVCC_READ_CONFLICT. The read above, outside the simulator, only picks
	// the chaincode to connect to.
	simDef, err := sim.GetChaincodeDefinition(name)
	if err != nil {
		sim.Done()
		if errors.Is(err, ledger.ErrChaincodeNotDefined) {
			return failure(notInstantiated(name))
		}
		return failure(fmt.Sprintf("error in simulation: failed to execute transaction %s: %v", txID, err))
	}
	if simDef.Version != def.Version {
		sim.Done()
		return failure(fmt.Sprintf("error in simulation: chaincode %s was upgraded from version %s to %s while transaction %s was being endorsed: send the proposal again",
			name, def.Version, simDef.Version, txID))
	}
	resp, event, err := p.execute(ctx, name+":"+def.Version, chaincode.ExecuteRequest{
		Type: peer.ChaincodeMessage_TRANSACTION, ChannelID: l.ChannelID(), TxID: txID, Namespace: name,
		Input: up.Input(), SignedProposal: up.SignedProposal, Simulator: txSimulator{sim},
	})
	sim.Done()
	if err != nil {
		return failure("error in simulation: " + err.Error())
	}
	res, err := sim.Results()
	if err != nil {
		return failure(fmt.Sprintf("error in simulation: failed to execute transaction %s: %v", txID, err))
	}
	return p.endorse(up, l, &peer.ChaincodeID{Name: name, Version: def.Version}, resp, res, event)
}

// execute runs one INIT or TRANSACTION and composes Fabric's error texts:
// "transaction returned with failure: <ERROR payload>" or "failed to
// execute transaction <txid>: <cause>".
func (p *Peer) execute(ctx context.Context, ccid string, req chaincode.ExecuteRequest) (*peer.Response, *peer.ChaincodeEvent, error) {
	start := time.Now()
	msg, err := p.cc.Execute(ctx, ccid, req)
	p.met.executed(ccid, req.Type.String(), err == nil && msg.GetType() == peer.ChaincodeMessage_COMPLETED,
		errors.Is(err, chaincode.ErrExecuteTimeout), time.Since(start))
	if err != nil {
		return nil, nil, fmt.Errorf("failed to execute transaction %s: %w", req.TxID, err)
	}
	switch msg.GetType() {
	case peer.ChaincodeMessage_COMPLETED:
		resp := &peer.Response{}
		if err := proto.Unmarshal(msg.GetPayload(), resp); err != nil {
			return nil, nil, fmt.Errorf("failed to execute transaction %s: decode chaincode response: %w", req.TxID, err)
		}
		return resp, msg.GetChaincodeEvent(), nil
	case peer.ChaincodeMessage_ERROR:
		return nil, nil, fmt.Errorf("transaction returned with failure: %s", msg.GetPayload())
	}
	return nil, nil, fmt.Errorf("failed to execute transaction %s: unexpected message type %s from chaincode %s", req.TxID, msg.GetType(), ccid)
}

// endorse turns a chaincode response into a ProposalResponse as Fabric's
// endorser does: status < 400 is endorsed, with the event; 400–499
// carries the response only; ≥ 500 the response and the payload with the
// read-write set, without endorsement. res may be nil (no simulation).
func (p *Peer) endorse(up *identity.UnpackedProposal, l *ledger.Ledger, ccID *peer.ChaincodeID, resp *peer.Response, res *ledger.SimulationResults, event *peer.ChaincodeEvent) *peer.ProposalResponse {
	if resp.GetStatus() >= 400 && resp.GetStatus() < 500 {
		return &peer.ProposalResponse{Version: 1, Response: resp}
	}
	action := &peer.ChaincodeAction{Response: resp, ChaincodeId: ccID}
	if res != nil {
		b, err := res.PublicBytes()
		if err != nil {
			return failure(fmt.Sprintf("failed to marshal simulation results: %v", err))
		}
		action.Results = b
	}
	if event != nil && resp.GetStatus() < 400 {
		b, err := proto.Marshal(event)
		if err != nil {
			return failure(fmt.Sprintf("failed to marshal chaincode event: %v", err))
		}
		action.Events = b
	}
	ext, err := proto.Marshal(action)
	if err != nil {
		return failure(fmt.Sprintf("failed to marshal chaincode action: %v", err))
	}
	prp, err := proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: up.ProposalHash, Extension: ext})
	if err != nil {
		return failure(fmt.Sprintf("failed to marshal proposal response payload: %v", err))
	}
	if resp.GetStatus() >= 500 {
		return &peer.ProposalResponse{Version: 1, Response: resp, Payload: prp}
	}
	endorsement, err := p.signer.Endorse(prp)
	if err != nil {
		return failure(fmt.Sprintf("failed to endorse: %v", err))
	}
	if l != nil && res != nil && res.Private != nil {
		l.PutTransient(up.TxID(), res.Private)
	}
	return &peer.ProposalResponse{Version: 1, Response: resp, Payload: prp, Endorsement: endorsement}
}
