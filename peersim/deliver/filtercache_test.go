package deliver

import (
	"fmt"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// mustMarshal marshals m, failing the test if it cannot.
func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testBlock is block number of txs endorser transactions, each with a
// chaincode event, all VALID.
func testBlock(t testing.TB, number uint64, txs int) *ledger.CommittedBlock {
	t.Helper()
	cb := &ledger.CommittedBlock{Block: &common.Block{Header: &common.BlockHeader{Number: number}, Data: &common.BlockData{}}}
	for i := range txs {
		txID := fmt.Sprintf("tx%d-%d", number, i)
		event := mustMarshal(t, &peer.ChaincodeEvent{ChaincodeId: "cc", TxId: txID, EventName: "put", Payload: make([]byte, 64)})
		prp := mustMarshal(t, &peer.ProposalResponsePayload{ProposalHash: make([]byte, 32), Extension: mustMarshal(t, &peer.ChaincodeAction{Events: event, Results: make([]byte, 200)})})
		action := mustMarshal(t, &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp}})
		chdr := mustMarshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: "ch", TxId: txID})
		payload := mustMarshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: mustMarshal(t, &common.SignatureHeader{Creator: make([]byte, 700), Nonce: make([]byte, 24)})},
			Data: mustMarshal(t, &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: action}}})})
		cb.Block.Data.Data = append(cb.Block.Data.Data, mustMarshal(t, &common.Envelope{Payload: payload, Signature: make([]byte, 71)}))
		cb.Txs = append(cb.Txs, ledger.TxResult{TxID: txID, Index: i, Code: peer.TxValidationCode_VALID})
	}
	return cb
}

func TestFilterCache(t *testing.T) {
	l1, l2 := &ledger.Ledger{}, &ledger.Ledger{}
	b1, b2, b3 := testBlock(t, 1, 3), testBlock(t, 2, 1), testBlock(t, 3, 2)
	tests := []struct {
		name     string
		max      int
		calls    []func(c *filterCache) *peer.FilteredBlock
		wantSame []bool // whether call i returned the very message call i-1 did
	}{
		{name: "the same block is filtered once", max: 2,
			calls:    []func(c *filterCache) *peer.FilteredBlock{func(c *filterCache) *peer.FilteredBlock { return filteredBlock(c, l1, b1) }, func(c *filterCache) *peer.FilteredBlock { return filteredBlock(c, l1, b1) }},
			wantSame: []bool{false, true}},
		{name: "another ledger's block of that number is its own", max: 2,
			calls:    []func(c *filterCache) *peer.FilteredBlock{func(c *filterCache) *peer.FilteredBlock { return filteredBlock(c, l1, b1) }, func(c *filterCache) *peer.FilteredBlock { return filteredBlock(c, l2, b1) }},
			wantSame: []bool{false, false}},
		{name: "the oldest block is forgotten first", max: 2,
			calls: []func(c *filterCache) *peer.FilteredBlock{
				func(c *filterCache) *peer.FilteredBlock { return filteredBlock(c, l1, b1) },
				func(c *filterCache) *peer.FilteredBlock {
					filteredBlock(c, l1, b2)
					filteredBlock(c, l1, b3)
					return filteredBlock(c, l1, b1)
				},
			},
			wantSame: []bool{false, false}},
		{name: "no cache filters every time", max: 0,
			calls:    []func(c *filterCache) *peer.FilteredBlock{func(c *filterCache) *peer.FilteredBlock { return filteredBlock(c, l1, b1) }, func(c *filterCache) *peer.FilteredBlock { return filteredBlock(c, l1, b1) }},
			wantSame: []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFilterCache(tt.max)
			var prev *peer.FilteredBlock
			for i, call := range tt.calls {
				got := call(c)
				if (got == prev) != tt.wantSame[i] {
					t.Errorf("call %d returned the previous message: %v, want %v", i, got == prev, tt.wantSame[i])
				}
				if c.Len() > tt.max {
					t.Errorf("call %d: %d entries, want at most %d", i, c.Len(), tt.max)
				}
				prev = got
			}
		})
	}
	// What the cache gives is what filtering gives.
	if diff := cmp.Diff(filterBlock(b1), filteredBlock(newFilterCache(4), l1, b1), protocmp.Transform()); diff != "" {
		t.Errorf("cached filtered block (-filterBlock +cache):\n%s", diff)
	}
	if got := filterBlock(b1); len(got.GetFilteredTransactions()) != 3 || got.GetFilteredTransactions()[2].GetTransactionActions().GetChaincodeActions()[0].GetChaincodeEvent().GetEventName() != "put" {
		t.Errorf("filterBlock of the test block = %v, want 3 transactions with their events", got)
	}
}

// BenchmarkDeliverFiltered16Streams is what DeliverFiltered does for each
// new block of 10 transactions when 16 streams wait for it (16 clients
// waiting for their commits): each stream gets the block's filtered form
// and marshals it to send. baseline filters the block once per stream, as
// the service did before it kept recent filtered blocks; shared keeps them.
func BenchmarkDeliverFiltered16Streams(b *testing.B) {
	const streams = 16
	l := &ledger.Ledger{}
	for _, bc := range []struct {
		name string
		max  int
	}{{"baseline", 0}, {"shared", DefaultFilteredBlocks}} {
		b.Run(bc.name, func(b *testing.B) {
			c := newFilterCache(bc.max)
			sendToStreams(b, streams, func(cb *ledger.CommittedBlock) error {
				fb := filteredBlock(c, l, cb)
				_, err := proto.Marshal(&peer.DeliverResponse{Type: &peer.DeliverResponse_FilteredBlock{FilteredBlock: fb}})
				return err
			})
		})
	}
}

// sendToStreams runs send for each of streams streams per block, for b.N
// new blocks of 10 transactions each.
func sendToStreams(b *testing.B, streams int, send func(cb *ledger.CommittedBlock) error) {
	b.Helper()
	blocks := make([]*ledger.CommittedBlock, 256)
	for i := range blocks {
		blocks[i] = testBlock(b, uint64(i), 10)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		cb := blocks[i%len(blocks)]
		cb.Block.Header.Number = uint64(i) // a new block each time
		for range streams {
			if err := send(cb); err != nil {
				b.Fatal(err)
			}
		}
	}
}
