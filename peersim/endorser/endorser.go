package endorser

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/determinism"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Verifier checks a signed proposal: its headers, its creator and its
// signature (*identity.MSP).
type Verifier interface {
	ValidateProposal(sp *peer.SignedProposal) (*identity.UnpackedProposal, error)
}

// Channels finds a channel's ledger.
type Channels interface {
	// Ledger returns the ledger of channel name.
	Ledger(name string) (*ledger.Ledger, error)
	// NotJoined completes "channel 'x' not found" for a user: which
	// channels there are and how to add one.
	NotJoined(name string) string
}

// Chaincodes makes user chaincode ready and runs it (*ccsupport.Support).
type Chaincodes interface {
	syscc.Runner
	// Connect makes the chaincode that runs def on the channel ready and
	// returns its ccid: name:version for an lscc definition, the package
	// ID the peer's organisation approved for a _lifecycle one.
	Connect(ctx context.Context, channelID string, def *ledger.ChaincodeDefinition) (ccid string, err error)
}

// Signer signs proposal response payloads (*identity.SigningIdentity).
type Signer interface {
	Endorse(proposalResponsePayload []byte) (*peer.Endorsement, error)
}

// Facts is what the endorser learnt of one proposal, for the metrics: how
// far it got and what it named.
type Facts struct {
	Channel, Chaincode string
	// Validated: the signed proposal passed its checks; Duplicate: its
	// transaction ID was refused; ChannelFound: its channel exists (or it
	// names none).
	Validated, Duplicate, ChannelFound bool
	// Proposal is the proposal once it validated, else nil.
	Proposal *identity.UnpackedProposal
	// Determinism is the verdict of the determinism check of an endorsed
	// proposal (determinism.VerdictAgree or VerdictInconclusive); empty
	// when it was not checked or not endorsed.
	Determinism string
}

// Config is what the endorser works with.
type Config struct {
	Verifier Verifier
	Channels Channels
	// System is the system chaincodes, by name.
	System syscc.Table
	// Chaincodes runs user chaincode.
	Chaincodes Chaincodes
	Signer     Signer
	// PeerMSPID is the organisation the endorser's peer belongs to: its
	// simulations read that organisation's clear private data. Empty: the
	// ledger's first organisation.
	PeerMSPID string
	// Disseminate applies Fabric's dissemination rule before endorsing a
	// result with private writes: each collection written needs at least
	// its requiredPeerCount of other member peers to hand the data to
	// (ledger.CheckDissemination), one per other organisation of the
	// peer. A peer of one organisation, which has no other peer, leaves it
	// off.
	Disseminate bool
	// Observe, when set, is told of every answered proposal.
	Observe func(resp *peer.ProposalResponse, facts Facts, took time.Duration)
	// Stopping is closed when the peer stops; proposals are refused from
	// then on.
	Stopping <-chan struct{}
	// CheckDeterminism simulates every user chaincode proposal twice and
	// refuses, with a *determinism.MismatchError, one whose two results
	// differ (see checkDeterminism). Without it a client asks for the
	// check on one proposal with determinism.Request.
	CheckDeterminism bool
	// SecondInstance, when set, returns the ccid of a second instance of
	// the chaincode running as ccid, on which the check's second
	// simulation runs; nil, or a returned ccid equal to ccid, runs it on
	// the same instance again.
	SecondInstance func(ctx context.Context, ccid string) (string, error)
	// Log may be nil.
	Log *slog.Logger
}

// Endorser is the protos.Endorser service: it checks a signed proposal,
// simulates it and answers with a ProposalResponse. Failures are answered
// as a response with status 500 and a message, as Fabric's endorser does;
// the gRPC call itself succeeds.
type Endorser struct {
	peer.UnimplementedEndorserServer
	cfg Config

	mu sync.Mutex
	// running counts the proposals being processed; idle is signalled
	// (with mu) when it drops to zero (Wait). Unlike a WaitGroup it may be
	// waited on while proposals still arrive.
	running int
	idle    *sync.Cond
	// inflight holds channel+txid of the proposals being endorsed.
	inflight map[string]bool
}

// New returns an endorser that works with cfg.
func New(cfg Config) *Endorser {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	e := &Endorser{cfg: cfg, inflight: map[string]bool{}}
	e.idle = sync.NewCond(&e.mu)
	return e
}

// Wait returns once no proposal is being processed. After Stopping is
// closed no new one starts work; the peer calls it before it closes the
// ledgers. It may be called while proposals still arrive.
func (e *Endorser) Wait() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.running > 0 {
		e.idle.Wait()
	}
}

func (e *Endorser) started() {
	e.mu.Lock()
	e.running++
	e.mu.Unlock()
}

func (e *Endorser) finished() {
	e.mu.Lock()
	if e.running--; e.running == 0 {
		e.idle.Broadcast()
	}
	e.mu.Unlock()
}

// InFlight returns the number of proposals on a channel being endorsed.
func (e *Endorser) InFlight() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.inflight)
}

// ProcessProposal endorses one signed proposal. A proposal refused before
// simulation is answered as status 500 like any other failure (see
// Process). A call whose metadata carries determinism.Header is checked
// for determinism even when Config.CheckDeterminism is off, and the
// check's verdict is sent back in the response header
// determinism.VerdictHeader.
func (e *Endorser) ProcessProposal(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
	resp, _ := e.Process(ctx, sp)
	return resp, nil
}

// Process endorses one signed proposal and returns, besides the response,
// a non-nil error when the proposal itself was refused before it was
// simulated (it does not verify, its creator may not write to the channel,
// or it repeats a txid), as Fabric's endorser separates those from
// failures of processing. The Gateway maps the two differently.
func (e *Endorser) Process(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
	// A call (to the Endorser, or to the Gateway that calls Process with
	// its own call's ctx) asks for the check with determinism.Header, and
	// then gets the verdict in the call's response header.
	requested := determinism.Requested(ctx)
	resp, facts, err := e.handle(ctx, sp, e.cfg.CheckDeterminism || requested)
	if requested && facts.Determinism != "" && resp.GetResponse().GetStatus() < 400 {
		if err := grpc.SetHeader(ctx, metadata.Pairs(determinism.VerdictHeader, facts.Determinism)); err != nil {
			e.cfg.Log.Debug("could not send the determinism verdict header", "verdict", facts.Determinism, "error", err)
		}
	}
	return resp, err
}

// handle is Process, with the determinism check when check is set; it
// also returns the facts it observed.
func (e *Endorser) handle(ctx context.Context, sp *peer.SignedProposal, check bool) (*peer.ProposalResponse, Facts, error) {
	e.started()
	defer e.finished()
	select {
	case <-e.cfg.Stopping:
		return failure("peer is stopping"), Facts{}, nil
	default:
	}
	start := time.Now()
	var facts Facts
	resp, err := e.process(ctx, sp, &facts, check)
	var rejected error
	if err != nil {
		resp = failure(err.Error())
		if !facts.Validated || facts.Duplicate {
			rejected = err
		}
	}
	if e.cfg.Observe != nil {
		e.cfg.Observe(resp, facts, time.Since(start))
	}
	return resp, facts, rejected
}

// failure is a proposal response that reports an error: status 500, no
// payload, no endorsement. It is the one place an error becomes an answer.
func failure(msg string) *peer.ProposalResponse {
	return &peer.ProposalResponse{Response: &peer.Response{Status: 500, Message: msg}}
}

// process endorses sp and records in facts how far it got; check asks for
// the determinism check of a user chaincode proposal.
func (e *Endorser) process(ctx context.Context, sp *peer.SignedProposal, facts *Facts, check bool) (*peer.ProposalResponse, error) {
	up, err := e.cfg.Verifier.ValidateProposal(sp)
	if err != nil {
		return nil, err
	}
	ch, txID, name := up.ChannelID(), up.TxID(), up.ChaincodeID.GetName()
	facts.Validated, facts.Channel, facts.Chaincode, facts.Proposal = true, ch, name, up
	var l *ledger.Ledger
	if ch != "" {
		if l, err = e.cfg.Channels.Ledger(ch); err != nil {
			return nil, fmt.Errorf("channel '%s' not found: %s", ch, e.cfg.Channels.NotJoined(ch))
		}
		if _, err := l.TxStatus(txID); err == nil || !e.begin(ch, txID) {
			facts.Duplicate = true
			return nil, fmt.Errorf("duplicate transaction found [%s]. Creator [%s]", txID, hex.EncodeToString(up.SignatureHeader.GetCreator()))
		}
		defer e.end(ch, txID)
	}
	facts.ChannelFound = true
	if sc, ok := e.cfg.System[name]; ok {
		res, err := sc.Invoke(ctx, &syscc.Invocation{Proposal: up, Ledger: l})
		if err != nil {
			return nil, err
		}
		return e.endorse(up, l, &peer.ChaincodeID{Name: name}, res.Response, res.Simulation, nil)
	}
	if l == nil {
		return nil, fmt.Errorf("chaincode %s can only be invoked on a channel: the proposal names none", name)
	}
	return e.invoke(ctx, up, l, facts, check)
}

func (e *Endorser) begin(ch, txID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.inflight[ch+txID] {
		return false
	}
	e.inflight[ch+txID] = true
	return true
}

func (e *Endorser) end(ch, txID string) {
	e.mu.Lock()
	delete(e.inflight, ch+txID)
	e.mu.Unlock()
}
