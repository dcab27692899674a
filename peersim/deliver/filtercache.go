package deliver

import (
	"github.com/chaincodekit/chaincodekit/internal/bounded"
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
type filterCache = bounded.Map[blockKey, *peer.FilteredBlock]

// blockKey names a block by its ledger (not its channel's name, which a
// ledger opened again, say from a snapshot, may reuse) and number.
type blockKey struct {
	ledger *ledger.Ledger
	number uint64
}

func newFilterCache(max int) *filterCache {
	return bounded.New[blockKey, *peer.FilteredBlock](max)
}

// filteredBlock returns the filtered form of cb, a block of l, from c,
// building it on a miss. Two streams that miss at once both build it; one
// is kept.
func filteredBlock(c *filterCache, l *ledger.Ledger, cb *ledger.CommittedBlock) *peer.FilteredBlock {
	if c == nil {
		return filterBlock(cb)
	}
	k := blockKey{ledger: l, number: cb.Block.GetHeader().GetNumber()}
	if fb, ok := c.Get(k); ok {
		return fb
	}
	return c.AddIfAbsent(k, filterBlock(cb))
}
