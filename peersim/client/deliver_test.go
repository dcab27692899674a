package client

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// endorsedTx is the envelope of a transaction of chaincode that set event
// (none when nil), endorsed by the org's peer, and its txid.
func endorsedTx(t *testing.T, org *identity.Org, chaincode string, event *peer.ChaincodeEvent) ([]byte, string) {
	t.Helper()
	user := userOf(t, org, "User1")
	inv := invocation()
	inv.Chaincode = chaincode
	prop, txID, err := user.NewProposal(inv)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := user.SignProposal(prop)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := endorseWithEvent(org, 200, "", nil, event)(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	env, err := NewSignedTx(prop, user, resp)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := proto.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return raw, txID
}

// block is a committed block of txs with their validation codes.
func block(n uint64, txs [][]byte, codes ...peer.TxValidationCode) *peer.DeliverResponse {
	filter := make([]byte, len(codes))
	for i, c := range codes {
		filter[i] = byte(c)
	}
	md := make([][]byte, len(common.BlockMetadataIndex_name))
	md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = filter
	return &peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: &common.Block{
		Header:   &common.BlockHeader{Number: n},
		Data:     &common.BlockData{Data: txs},
		Metadata: &common.BlockMetadata{Metadata: md},
	}}}
}

func statusResponse(st common.Status) *peer.DeliverResponse {
	return &peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}}
}

// serveSeek answers one seek with resps, after handing the seek to seeks.
func serveSeek(seeks chan<- *orderer.SeekInfo, resps ...*peer.DeliverResponse) func(peer.Deliver_DeliverServer) error {
	return func(stream peer.Deliver_DeliverServer) error {
		env, err := stream.Recv()
		if err != nil {
			return err
		}
		pl := &common.Payload{}
		seek := &orderer.SeekInfo{}
		if err := proto.Unmarshal(env.GetPayload(), pl); err != nil {
			return err
		}
		if err := proto.Unmarshal(pl.GetData(), seek); err != nil {
			return err
		}
		seeks <- seek
		for _, r := range resps {
			if err := stream.Send(r); err != nil {
				return err
			}
		}
		<-stream.Context().Done()
		return nil
	}
}

func TestChaincodeEventsAreThoseOfValidTransactionsOfTheChaincode(t *testing.T) {
	org := newOrg(t)
	created, createdID := endorsedTx(t, org, "basic", &peer.ChaincodeEvent{ChaincodeId: "basic", EventName: "created", Payload: []byte(`{"id":1}`)})
	conflicted, _ := endorsedTx(t, org, "basic", &peer.ChaincodeEvent{ChaincodeId: "basic", EventName: "lost"})
	other, _ := endorsedTx(t, org, "other", &peer.ChaincodeEvent{ChaincodeId: "other", EventName: "created"})
	quiet, _ := endorsedTx(t, org, "basic", nil)
	moved, movedID := endorsedTx(t, org, "basic", &peer.ChaincodeEvent{ChaincodeId: "basic", EventName: "moved", Payload: []byte{0, 1, 2}})

	o := newStubOrderer()
	seeks := make(chan *orderer.SeekInfo, 1)
	o.deliver = serveSeek(seeks,
		block(5, [][]byte{created, conflicted}, peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT),
		block(6, [][]byte{other, quiet, moved}, peer.TxValidationCode_VALID, peer.TxValidationCode_VALID, peer.TxValidationCode_VALID),
		statusResponse(common.Status_SUCCESS))
	c := startStub(t, &stubEndorser{}, o, userOf(t, org, "User1"))

	var got []*ChaincodeEvent
	for ev, err := range c.ChaincodeEvents(testContext(t), "mychannel", "basic", WithStartBlock(5), WithStopBlock(6)) {
		if err != nil {
			t.Fatalf("ChaincodeEvents: %v", err)
		}
		got = append(got, ev)
	}
	want := []*ChaincodeEvent{
		{BlockNumber: 5, TxIndex: 0, TxID: createdID, ChaincodeName: "basic", EventName: "created", Payload: []byte(`{"id":1}`)},
		{BlockNumber: 6, TxIndex: 2, TxID: movedID, ChaincodeName: "basic", EventName: "moved", Payload: []byte{0, 1, 2}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
	wantSeek := &orderer.SeekInfo{Start: specified(5), Stop: specified(6), Behavior: orderer.SeekInfo_BLOCK_UNTIL_READY}
	if d := cmp.Diff(wantSeek, <-seeks, protocmp.Transform()); d != "" {
		t.Errorf("seek (-want +got):\n%s", d)
	}
}

func TestFilteredBlocksFollowFromTheNewestBlockUntilTheCallerStops(t *testing.T) {
	org := newOrg(t)
	o := newStubOrderer()
	seeks := make(chan *orderer.SeekInfo, 1)
	ended := make(chan struct{})
	o.deliverFiltered = func(stream peer.Deliver_DeliverFilteredServer) error {
		defer close(ended)
		return serveSeek(seeks, filteredBlock(8, "tx8", peer.TxValidationCode_VALID), filteredBlock(9, "tx9", peer.TxValidationCode_VALID))(stream)
	}
	c := startStub(t, &stubEndorser{}, o, userOf(t, org, "User1"))

	var got []string
	for fb, err := range c.FilteredBlocks(testContext(t), "mychannel") {
		if err != nil {
			t.Fatalf("FilteredBlocks: %v", err)
		}
		got = append(got, fb.GetFilteredTransactions()[0].GetTxid())
		if len(got) == 2 {
			break
		}
	}
	if d := cmp.Diff([]string{"tx8", "tx9"}, got); d != "" {
		t.Errorf("txids (-want +got):\n%s", d)
	}
	wantSeek := &orderer.SeekInfo{
		Start:    &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}},
		Stop:     specified(math.MaxUint64),
		Behavior: orderer.SeekInfo_BLOCK_UNTIL_READY,
	}
	if d := cmp.Diff(wantSeek, <-seeks, protocmp.Transform()); d != "" {
		t.Errorf("seek (-want +got):\n%s", d)
	}
	<-ended // breaking out of the loop closed the stream
}

func TestDeliverFailures(t *testing.T) {
	tests := []struct {
		name    string
		opts    []SeekOption
		deliver func(seeks chan<- *orderer.SeekInfo) func(peer.Deliver_DeliverServer) error
		cancel  bool
		check   func(t *testing.T, err error)
		want    string
	}{
		{
			name: "a channel the peer has not joined is a DeliverError with NOT_FOUND",
			deliver: func(seeks chan<- *orderer.SeekInfo) func(peer.Deliver_DeliverServer) error {
				return serveSeek(seeks, statusResponse(common.Status_NOT_FOUND))
			},
			check: func(t *testing.T, err error) {
				var de *DeliverError
				if !errors.As(err, &de) || de.Status != common.Status_NOT_FOUND || de.Channel != "mychannel" || de.Address != "stub-peer:7051" {
					t.Errorf("error %v: want a DeliverError with NOT_FOUND naming mychannel and stub-peer:7051", err)
				}
			},
			want: "has not joined the channel",
		},
		{
			name: "a stream the peer breaks is a TransportError with its gRPC status",
			deliver: func(seeks chan<- *orderer.SeekInfo) func(peer.Deliver_DeliverServer) error {
				return func(stream peer.Deliver_DeliverServer) error {
					if _, err := stream.Recv(); err != nil {
						return err
					}
					return status.Error(codes.Unavailable, "peer is stopping")
				}
			},
			check: func(t *testing.T, err error) {
				var te *TransportError
				if !errors.As(err, &te) || status.Code(err) != codes.Unavailable {
					t.Errorf("error %v: want a TransportError with code Unavailable", err)
				}
			},
			want: "peer is stopping",
		},
		{
			name: "a filtered block on Deliver is refused",
			deliver: func(seeks chan<- *orderer.SeekInfo) func(peer.Deliver_DeliverServer) error {
				return serveSeek(seeks, filteredBlock(1, "tx", peer.TxValidationCode_VALID))
			},
			want: "expected blocks",
		},
		{
			name: "the end of the context is the context's error",
			deliver: func(seeks chan<- *orderer.SeekInfo) func(peer.Deliver_DeliverServer) error {
				return serveSeek(seeks)
			},
			cancel: true,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v: want one wrapping context.Canceled", err)
				}
			},
			want: "context canceled",
		},
		{
			name: "a stop before the start is refused before anything is sent",
			opts: []SeekOption{WithStartBlock(5), WithStopBlock(4)},
			want: "stop block 4 is before start block 5",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newOrg(t)
			o := newStubOrderer()
			seeks := make(chan *orderer.SeekInfo, 1)
			if tt.deliver != nil {
				o.deliver = tt.deliver(seeks)
			}
			c := startStub(t, &stubEndorser{}, o, userOf(t, org, "User1"))
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			if tt.cancel {
				go func() {
					<-seeks // the request is in: the client is waiting
					cancel()
				}()
			}
			var errs []error
			for ev, err := range c.ChaincodeEvents(ctx, "mychannel", "basic", tt.opts...) {
				if err == nil {
					t.Fatalf("got event %+v, want an error", ev)
				}
				errs = append(errs, err)
			}
			if len(errs) != 1 {
				t.Fatalf("%d errors, want 1: %v", len(errs), errs)
			}
			if !strings.Contains(errs[0].Error(), tt.want) {
				t.Errorf("error %q does not contain %q", errs[0], tt.want)
			}
			if tt.check != nil {
				tt.check(t, errs[0])
			}
		})
	}
}
