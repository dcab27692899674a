package peersim

import (
	"errors"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/endorser"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/trace"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// lazyTraceBytes bounds what the trace of one proposal keeps undecoded
// until it is read (the proposal's arguments, the response's payload and
// proposal response payload): beyond it the trace is built at once, so
// that a recorder of its default capacity holds at most a few MiB.
const lazyTraceBytes = 16 << 10

// observeProposal is the endorser's Observe: the metrics count every
// answered proposal, and the trace of a validated one gets its proposal,
// answer and read-write set. These are decoded only when the trace is
// read (most never are), from what the trace keeps: the identity, the
// decoded input, the keys of the transient map (never its values) and the
// response, none of which anyone changes once the proposal is answered.
func (p *Peer) observeProposal(o *orgPeer, resp *peer.ProposalResponse, facts endorser.Facts, took time.Duration) {
	p.met.Proposal(resp, facts, took)
	up := facts.Proposal
	if p.traces == nil || up == nil {
		return
	}
	channel, txID, creator, name, input := up.ChannelID(), up.TxID(), up.Creator, up.ChaincodeID.GetName(), up.Input()
	var transientKeys map[string][]byte
	if len(up.TransientMap) > 0 {
		transientKeys = make(map[string][]byte, len(up.TransientMap))
		for k := range up.TransientMap {
			transientKeys[k] = nil
		}
	}
	fill := func(t *trace.Trace) {
		who := ""
		if creator != nil {
			who = creator.String()
		}
		t.SetProposal(who, name, input, transientKeys)
		if err := t.SetResponse(resp, o.signer.MSPID()+"/"+o.signer.Name()); err != nil {
			p.log.Debug("could not trace the proposal response", "txid", txID, "error", err)
		}
	}
	size := len(resp.GetPayload()) + len(resp.GetResponse().GetPayload())
	for _, a := range input.GetArgs() {
		size += len(a)
	}
	if size > lazyTraceBytes {
		built := trace.Trace{TxID: txID, Channel: channel}
		fill(&built)
		fill = func(t *trace.Trace) {
			t.Proposal, t.Response, t.Endorsed, t.Endorser, t.RWSet, t.Event =
				built.Proposal, built.Response, built.Endorsed, built.Endorser, built.RWSet, built.Event
		}
	}
	p.traces.Endorsed(channel, txID, took, fill)
}

// Trace returns the trace of transaction txID ("" channel: on any
// channel), with what the ledger decided if it is committed.
func (p *Peer) Trace(channel, txID string) (trace.Trace, bool) {
	t, ok := p.traces.Get(channel, txID)
	if !ok {
		return t, false
	}
	t.Commit = p.commitOf(t.Channel, t.TxID)
	return t, true
}

// Traces returns the last n traces (all with n ≤ 0), newest first, with
// what the ledger decided.
func (p *Peer) Traces(n int) []trace.Trace {
	ts := p.traces.Recent(n)
	for i := range ts {
		ts[i].Commit = p.commitOf(ts[i].Channel, ts[i].TxID)
	}
	return ts
}

// commitOf reads the block and validation code of a committed
// transaction; nil when it is not committed.
func (p *Peer) commitOf(channel, txID string) *trace.Commit {
	l, err := p.chans.Ledger(channel)
	if err != nil {
		return nil
	}
	res, block, err := l.TxResult(txID)
	if err != nil {
		return nil
	}
	c := &trace.Commit{Block: block, Validation: res.Code.String()}
	var ve *ledger.ValidationError
	if errors.As(res.Err, &ve) {
		c.Reason = ve.Err.Error()
	} else if res.Err != nil {
		c.Reason = res.Err.Error()
	}
	return c
}

// chaincodeTracer returns what tells the trace recorder of the chaincode
// streams' messages; nil when tracing is off.
func (p *Peer) chaincodeTracer() chaincode.Tracer {
	if p.traces == nil {
		return nil
	}
	return chaincodeTracer{p.traces}
}

// chaincodeTracer feeds the chaincode server's messages to the recorder.
type chaincodeTracer struct{ r *trace.Recorder }

func (c chaincodeTracer) ExecuteStarted(ccid, channelID, txID string) {
	c.r.ExecuteStarted(ccid, channelID, txID)
}

func (c chaincodeTracer) ExecuteEnded(ccid, channelID, txID string) {
	c.r.ExecuteEnded(ccid, channelID, txID)
}

func (c chaincodeTracer) Logged(channelID, txID, line string) { c.r.Logged(channelID, txID, line) }

func (c chaincodeTracer) Traced(channelID, txID string, m chaincode.TracedMessage) {
	tm := trace.Message{Type: m.Type, Collection: m.Collection, Key: m.Key, Took: trace.Duration(m.Took)}
	if m.Err != nil {
		tm.Error = m.Err.Error()
	}
	c.r.Message(channelID, txID, tm, m.Received)
}
