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

// observeProposal is the endorser's Observe: the metrics count every
// answered proposal, and the trace of a validated one gets its proposal,
// answer and read-write set.
func (p *Peer) observeProposal(resp *peer.ProposalResponse, facts endorser.Facts, took time.Duration) {
	p.met.Proposal(resp, facts, took)
	up := facts.Proposal
	if p.traces == nil || up == nil {
		return
	}
	p.traces.Endorsed(up.ChannelID(), up.TxID(), took, func(t *trace.Trace) {
		creator := ""
		if up.Creator != nil {
			creator = up.Creator.String()
		}
		t.SetProposal(creator, up.ChaincodeID.GetName(), up.Input(), up.TransientMap)
		if err := t.SetResponse(resp, p.signer.MSPID()+"/"+p.signer.Name()); err != nil {
			p.log.Debug("could not trace the proposal response", "txid", up.TxID(), "error", err)
		}
	})
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
