package deliver

import (
	"sync"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// DefaultFilteredBlocks is how many recent filtered blocks a Service
// keeps unless Config.FilteredBlocks says otherwise.
const DefaultFilteredBlocks = 64

// filterCache keeps the filtered form of the last few blocks of each
// channel, so that every DeliverFiltered stream waiting for a new block
// sends the one FilteredBlock, decoded once, instead of each decoding all
// of the block's envelopes again. A filtered block is the same for every
// client (it holds no private data and nothing a client's rights remove),
// and gRPC only reads the messages it sends. It forgets the oldest block
// first; nil keeps nothing.
type filterCache struct {
	mu      sync.Mutex
	max     int
	entries map[filterKey]*peer.FilteredBlock
	order   []filterKey // ring, oldest at next
	next    int
}

// filterKey names a block by its ledger (not its channel's name, which a
// ledger opened again, say from a snapshot, may reuse) and number.
type filterKey struct {
	ledger *ledger.Ledger
	number uint64
}

func newFilterCache(max int) *filterCache {
	if max <= 0 {
		return nil
	}
	return &filterCache{max: max, entries: make(map[filterKey]*peer.FilteredBlock, max)}
}

// filtered returns the filtered form of cb, a block of l, building it on a
// miss. Two streams that miss at once both build it; one is kept.
func (c *filterCache) filtered(l *ledger.Ledger, cb *ledger.CommittedBlock) *peer.FilteredBlock {
	if c == nil {
		return filterBlock(cb)
	}
	k := filterKey{ledger: l, number: cb.Block.GetHeader().GetNumber()}
	c.mu.Lock()
	fb, ok := c.entries[k]
	c.mu.Unlock()
	if ok {
		return fb
	}
	fb = filterBlock(cb)
	c.mu.Lock()
	defer c.mu.Unlock()
	if kept, ok := c.entries[k]; ok {
		return kept
	}
	if len(c.order) < c.max {
		c.order = append(c.order, k)
	} else {
		delete(c.entries, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % c.max
	}
	c.entries[k] = fb
	return fb
}
