package ccsupport

import (
	"context"
	"sync"
)

// TxGate lets one virtual peer at a time execute a transaction. A
// chaincode process serves one execution per channel and transaction ID
// at a time (both the peer and the shim key an execution by them), and in
// a peer that plays several organisations the virtual peers endorsing the
// same proposal share chaincode processes: every process in development
// mode, and a chaincode server in production mode, where each
// organisation otherwise runs its own process (Config.OrgInstance). The
// gate is keyed by channel and transaction ID alone, not by process,
// because an execution's chaincode-to-chaincode calls reach other
// processes without passing the gate: one organisation's A and another's
// A@Org2MSP may both call the same shared B. So the second organisation's
// execution waits at the gate, once, for the first one's whole call tree,
// as it would not need to on a real network, where each organisation's
// peer has its own connection to every chaincode. Its zero value is not
// ready; use NewTxGate. It is safe for concurrent use.
type TxGate struct {
	mu   sync.Mutex
	busy map[string]chan struct{} // closed when the execution ends
}

// NewTxGate returns an open gate.
func NewTxGate() *TxGate { return &TxGate{busy: map[string]chan struct{}{}} }

// enter waits until no execution of txID on channelID runs, or ctx ends,
// and marks one as running; leave ends it.
func (g *TxGate) enter(ctx context.Context, channelID, txID string) (leave func(), err error) {
	key := channelID + "\x00" + txID
	for {
		g.mu.Lock()
		running, ok := g.busy[key]
		if !ok {
			done := make(chan struct{})
			g.busy[key] = done
			g.mu.Unlock()
			return func() {
				g.mu.Lock()
				delete(g.busy, key)
				g.mu.Unlock()
				close(done)
			}, nil
		}
		g.mu.Unlock()
		select {
		case <-running:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
