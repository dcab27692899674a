package peersim

import (
	"context"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// fabricSeek is the seek envelope Fabric's `peer channel fetch` sends
// (internal/peer/common/deliverclient.go, seekHelper): start and stop at
// the same position, BLOCK_UNTIL_READY.
func fabricSeek(t testing.TB, signer *identity.SigningIdentity, channel string, pos *orderer.SeekPosition) *common.Envelope {
	t.Helper()
	return seekEnvelopeTo(t, signer, channel, pos, pos, orderer.SeekInfo_BLOCK_UNTIL_READY)
}

func specified(n uint64) *orderer.SeekPosition {
	return &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: n}}}
}

// The embedded orderer's AtomicBroadcast.Deliver answers what `peer
// channel fetch -o` asks with the blocks the peer committed, whole, then
// SUCCESS; what it cannot serve it refuses with a status, on the same
// stream.
func TestOrdererDeliverServesFetch(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	for _, v := range []string{"1", "2"} {
		if resp, code := n.invoke(t, n.admin, DefaultChannel, "mycc", "put", "k", v); code != peer.TxValidationCode_VALID {
			t.Fatalf("invoke put k %s: %s %v", v, resp.GetResponse().GetMessage(), code)
		}
	}
	l, err := n.p.chans.Ledger(DefaultChannel)
	if err != nil {
		t.Fatal(err)
	}
	height := l.Height()
	if height < 3 {
		t.Fatalf("height %d: the test wants at least 3 blocks", height)
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	stream, err := orderer.NewAtomicBroadcastClient(n.client).Deliver(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		channel string
		signer  *identity.SigningIdentity
		pos     *orderer.SeekPosition
		// block is the number of the block expected, or -1 for none.
		block  int64
		status common.Status
	}{
		{"fetch oldest is block 0", DefaultChannel, n.admin, &orderer.SeekPosition{Type: &orderer.SeekPosition_Oldest{Oldest: &orderer.SeekOldest{}}}, 0, common.Status_SUCCESS},
		{"fetch newest is the last block committed", DefaultChannel, n.admin, newest, int64(height - 1), common.Status_SUCCESS},
		{"fetch 1 is block 1", DefaultChannel, n.user, specified(1), 1, common.Status_SUCCESS},
		{"a channel the peer has not joined is NOT_FOUND", "nosuch", n.admin, newest, -1, common.Status_NOT_FOUND},
		{"a seek without a position is BAD_REQUEST", DefaultChannel, n.admin, &orderer.SeekPosition{}, -1, common.Status_BAD_REQUEST},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := stream.Send(fabricSeek(t, tt.signer, tt.channel, tt.pos)); err != nil {
				t.Fatal(err)
			}
			r, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if tt.block >= 0 {
				got := r.GetBlock()
				if got == nil {
					t.Fatalf("got %v, want block %d", r, tt.block)
				}
				want, err := l.GetBlockByNumber(uint64(tt.block))
				if err != nil {
					t.Fatal(err)
				}
				if !proto.Equal(got, want) {
					t.Errorf("block %d differs from the ledger's block %d", got.GetHeader().GetNumber(), tt.block)
				}
				if r, err = stream.Recv(); err != nil {
					t.Fatal(err)
				}
			}
			if r.GetStatus() != tt.status {
				t.Errorf("status %v, want %v", r.GetStatus(), tt.status)
			}
		})
	}
}
