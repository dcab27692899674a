package ccsupport

import (
	"context"
	"sync"
)

// TxGate lets one execution at a time of a transaction run on one
// chaincode process. A chaincode process serves one execution per channel
// and transaction ID at a time (both the peer and the shim key an
// execution by them), and in a peer that plays several organisations the
// virtual peers endorsing the same proposal share the chaincode process in
// development mode and for a chaincode server (production mode otherwise
// gives each organisation its own: Config.OrgInstance): the second waits
// at the gate until the first is done, as it would on a real network
// where each organisation's peer runs its own process. Its
// zero value is not ready; use NewTxGate. It is safe for concurrent use.
type TxGate struct {
	mu   sync.Mutex
	busy map[string]chan struct{} // closed when the execution ends
}

// NewTxGate returns an open gate.
func NewTxGate() *TxGate { return &TxGate{busy: map[string]chan struct{}{}} }

// enter waits until no execution of channelID+txID runs on ccid, or ctx
// ends, and marks one as running; leave ends it.
func (g *TxGate) enter(ctx context.Context, ccid, channelID, txID string) (leave func(), err error) {
	key := ccid + "\x00" + channelID + "\x00" + txID
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
