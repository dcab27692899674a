package peersim

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

func TestRestartOnTheSameDataDirKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	n := startNet(t, dir, withLedger(LedgerBolt))
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	if _, code := n.invoke(t, n.user, DefaultChannel, "mycc", "put", "k", "kept"); code != peer.TxValidationCode_VALID {
		t.Fatalf("invoke: %v", code)
	}
	if err := n.p.CreateChannel("later"); err != nil {
		t.Fatal(err)
	}
	l, _ := n.p.chans.Ledger(DefaultChannel)
	height := l.Height()
	n.stop()

	n2 := startNet(t, dir, withLedger(LedgerBolt))
	if got := n2.p.Channels(); strings.Join(got, ",") != "later,mychannel" {
		t.Errorf("channels after restart %v", got)
	}
	if _, err := n2.p.store.Get("mycc", "1.0"); err != nil {
		t.Errorf("installed chaincode lost: %v", err)
	}
	l2, _ := n2.p.chans.Ledger(DefaultChannel)
	if l2.Height() != height {
		t.Errorf("height %d after restart, want %d", l2.Height(), height)
	}
	// Instantiated: the chaincode only has to reconnect.
	cc := newTestCC()
	n2.startCC(t, "mycc:1.0", cc)
	if r := n2.query(t, DefaultChannel, "mycc", "get", "k"); string(r.GetPayload()) != "kept" {
		t.Errorf("state after restart: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
	}
	if cc.initCount(DefaultChannel) != 0 {
		t.Errorf("Init ran again after restart")
	}
	// Old blocks are delivered from the start.
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	del, err := peer.NewDeliverClient(n2.client).Deliver(ctx)
	if err != nil {
		t.Fatal(err)
	}
	oldest := &orderer.SeekPosition{Type: &orderer.SeekPosition_Oldest{Oldest: &orderer.SeekOldest{}}}
	if err := del.Send(seekEnvelope(t, n2.user, DefaultChannel, oldest, height-1, orderer.SeekInfo_FAIL_IF_NOT_READY)); err != nil {
		t.Fatal(err)
	}
	var blocks uint64
	for {
		r, err := del.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if r.GetBlock() != nil {
			blocks++
			continue
		}
		if r.GetStatus() != common.Status_SUCCESS {
			t.Errorf("deliver status %v", r.GetStatus())
		}
		break
	}
	if blocks != height {
		t.Errorf("delivered %d blocks, want %d", blocks, height)
	}
}

func TestDeliverFilteredCarriesEventsAndCodes(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	resp, prop, _ := n.propose(t, n.user, invocation(DefaultChannel, "mycc", "put", "k", "v"))
	if c := n.submit(t, n.user, DefaultChannel, prop, resp); c[0] != peer.TxValidationCode_VALID {
		t.Fatalf("invoke: %v", c)
	}
	txID := txIDOf(t, prop)

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	del, err := peer.NewDeliverClient(n.client).DeliverFiltered(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := del.Send(seekEnvelope(t, n.user, DefaultChannel, newest, math.MaxUint64, orderer.SeekInfo_BLOCK_UNTIL_READY)); err != nil {
		t.Fatal(err)
	}
	r, err := del.Recv()
	if err != nil {
		t.Fatal(err)
	}
	fb := r.GetFilteredBlock()
	if fb.GetChannelId() != DefaultChannel || len(fb.GetFilteredTransactions()) != 1 {
		t.Fatalf("filtered block %v", fb)
	}
	ft := fb.GetFilteredTransactions()[0]
	want := &peer.FilteredTransaction{
		Txid: txID, Type: common.HeaderType_ENDORSER_TRANSACTION, TxValidationCode: peer.TxValidationCode_VALID,
		Data: &peer.FilteredTransaction_TransactionActions{TransactionActions: &peer.FilteredTransactionActions{
			ChaincodeActions: []*peer.FilteredChaincodeAction{{ChaincodeEvent: &peer.ChaincodeEvent{ChaincodeId: "mycc", TxId: txID, EventName: "put"}}},
		}},
	}
	if !proto.Equal(ft, want) {
		t.Errorf("filtered tx\n got %v\nwant %v", ft, want)
	}
}

func TestDeliverAndBroadcastRefusals(t *testing.T) {
	n := startNet(t, t.TempDir())
	other, err := n.p.Org().IssueIdentity("mallory", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	_ = other
	// An organisation of the same name with its own CA: the peer's MSP
	// does not know its identities.
	foreignOrg, err := identity.EnsureOrg(t.TempDir(), identity.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := foreignOrg.Identity("User1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  func(t *testing.T) *common.Envelope
		want common.Status
	}{
		{name: "an unknown channel is NOT_FOUND", want: common.Status_NOT_FOUND, env: func(t *testing.T) *common.Envelope {
			return seekEnvelope(t, n.user, "nochannel", newest, math.MaxUint64, orderer.SeekInfo_BLOCK_UNTIL_READY)
		}},
		{name: "a bad signature is FORBIDDEN", want: common.Status_FORBIDDEN, env: func(t *testing.T) *common.Envelope {
			e := seekEnvelope(t, n.user, DefaultChannel, newest, math.MaxUint64, orderer.SeekInfo_BLOCK_UNTIL_READY)
			e.Signature[len(e.Signature)-1] ^= 1
			return e
		}},
		{name: "a creator of an unknown CA is FORBIDDEN", want: common.Status_FORBIDDEN, env: func(t *testing.T) *common.Envelope {
			return seekEnvelope(t, stranger, DefaultChannel, newest, math.MaxUint64, orderer.SeekInfo_BLOCK_UNTIL_READY)
		}},
		{name: "a garbled envelope is BAD_REQUEST", want: common.Status_BAD_REQUEST, env: func(t *testing.T) *common.Envelope {
			return &common.Envelope{Payload: []byte("garbage")}
		}},
		{name: "a block not yet there with FAIL_IF_NOT_READY is NOT_FOUND", want: common.Status_NOT_FOUND, env: func(t *testing.T) *common.Envelope {
			start := &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: 5}}}
			return seekEnvelope(t, n.user, DefaultChannel, start, 5, orderer.SeekInfo_FAIL_IF_NOT_READY)
		}},
	}
	// DeliverWithPrivateData checks a seek as Deliver does.
	services := []struct {
		name string
		open func(ctx context.Context, opts ...grpc.CallOption) (peer.Deliver_DeliverClient, error)
	}{
		{"deliver", peer.NewDeliverClient(n.client).Deliver},
		{"deliver with private data", peer.NewDeliverClient(n.client).DeliverWithPrivateData},
	}
	for _, svc := range services {
		for _, tt := range tests {
			t.Run(svc.name+": "+tt.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				defer cancel()
				del, err := svc.open(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := del.Send(tt.env(t)); err != nil {
					t.Fatal(err)
				}
				r, err := del.Recv()
				if err != nil {
					t.Fatal(err)
				}
				if r.GetStatus() != tt.want {
					t.Errorf("status %v, want %v", r.GetStatus(), tt.want)
				}
			})
		}
	}

	t.Run("broadcast: a transaction with a bad creator signature is FORBIDDEN", func(t *testing.T) {
		n.install(t, n.admin, "mycc", "1.0")
		n.startCC(t, "mycc:1.0", newTestCC())
		n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
		resp, prop, _ := n.propose(t, n.user, invocation(DefaultChannel, "mycc", "put", "k", "v"))
		env := envelope(t, n.user, prop, resp)
		env.Signature[len(env.Signature)-1] ^= 1
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		bc, err := orderer.NewAtomicBroadcastClient(n.client).Broadcast(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := bc.Send(env); err != nil {
			t.Fatal(err)
		}
		r, err := bc.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if r.GetStatus() != common.Status_FORBIDDEN || !strings.Contains(r.GetInfo(), "signature") {
			t.Errorf("got %v %q", r.GetStatus(), r.GetInfo())
		}
	})
}
