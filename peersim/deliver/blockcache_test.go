package deliver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
)

// fakeChannels serves one ledger.
type fakeChannels struct{ l *ledger.Ledger }

func (c fakeChannels) Ledger(name string) (*ledger.Ledger, error) {
	if name != c.l.ChannelID() {
		return nil, fmt.Errorf("channel %q: not joined", name)
	}
	return c.l, nil
}

// trustingMSP accepts every creator and satisfies every policy.
type trustingMSP struct{}

func (trustingMSP) Verify(_, _, _ []byte) (*identity.Identity, error) { return nil, nil }
func (trustingMSP) EvaluatePolicy(*common.SignaturePolicyEnvelope, []identity.SignedData) error {
	return nil
}

// ordererDeliver is an AtomicBroadcast server whose Deliver is the
// service's.
type ordererDeliver struct {
	orderer.UnimplementedAtomicBroadcastServer
	s *Service
}

func (o ordererDeliver) Deliver(stream orderer.AtomicBroadcast_DeliverServer) error {
	return o.s.OrdererDeliver(stream)
}

// rawCodec is a client codec that hands over a received message's bytes
// as they came: Unmarshal fills a *[]byte. It marshals with proto.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, err := proto.Marshal(v.(proto.Message))
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return grpcproto.Name }

// committedLedger is a memory ledger of channel "ch" with blocks blocks of
// txs transactions each (invalid ones: no chaincode is defined, which
// changes nothing of what Deliver sends).
func committedLedger(t *testing.T, blocks, txs int) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open("ch", ledger.MemoryConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for n := range blocks {
		var envs []*common.Envelope
		for _, raw := range testBlock(t, uint64(n), txs).Block.GetData().GetData() {
			env := &common.Envelope{}
			if err := proto.Unmarshal(raw, env); err != nil {
				t.Fatal(err)
			}
			envs = append(envs, env)
		}
		if _, err := l.CommitBlock(envs); err != nil {
			t.Fatalf("commit block %d: %v", n, err)
		}
	}
	return l
}

// serveBufconn serves s's Deliver and the orderer's Deliver on a bufconn
// listener, with opts, and returns a client connection to it.
func serveBufconn(t *testing.T, s *Service, opts ...grpc.ServerOption) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(opts...)
	peer.RegisterDeliverServer(srv, s)
	orderer.RegisterAtomicBroadcastServer(srv, ordererDeliver{s: s})
	var served sync.WaitGroup
	served.Go(func() { _ = srv.Serve(lis) })
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		served.Wait()
	})
	return conn
}

// seekAll is a seek envelope for blocks 0 to stop of channel "ch".
func seekAll(t *testing.T, stop uint64) *common.Envelope {
	t.Helper()
	seek := &orderer.SeekInfo{
		Start:    &orderer.SeekPosition{Type: &orderer.SeekPosition_Oldest{Oldest: &orderer.SeekOldest{}}},
		Stop:     &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: stop}}},
		Behavior: orderer.SeekInfo_FAIL_IF_NOT_READY,
	}
	chdr := mustMarshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_DELIVER_SEEK_INFO), ChannelId: "ch"})
	shdr := mustMarshal(t, &common.SignatureHeader{Creator: []byte("creator"), Nonce: []byte("nonce")})
	return &common.Envelope{
		Payload:   mustMarshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: mustMarshal(t, seek)}),
		Signature: []byte("signature"),
	}
}

// receiveRaw sends seek on a new stream of method and returns the bytes of
// every message received until the server ends the stream.
func receiveRaw(ctx context.Context, conn *grpc.ClientConn, method string, seek *common.Envelope) ([][]byte, error) {
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method, grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", method, err)
	}
	if err := stream.SendMsg(seek); err != nil {
		return nil, fmt.Errorf("send seek on %s: %w", method, err)
	}
	if err := stream.CloseSend(); err != nil {
		return nil, fmt.Errorf("close send on %s: %w", method, err)
	}
	var got [][]byte
	for {
		var b []byte
		err := stream.RecvMsg(&b)
		if errors.Is(err, io.EOF) {
			return got, nil
		}
		if err != nil {
			return got, fmt.Errorf("receive on %s: %w", method, err)
		}
		got = append(got, b)
	}
}

// What a client receives of Deliver, the orderer's Deliver and
// DeliverWithPrivateData is, byte for byte, what gRPC's codec makes of the
// response as the service built it before it kept blocks encoded: the
// proto.Marshal of a response carrying the block, then the status; on a
// server with ServerCodec and on one with gRPC's own.
func TestDeliverSendsWholeBlocksAsMarshalled(t *testing.T) {
	leakcheck.Check(t)
	const blocks = 3
	l := committedLedger(t, blocks, 4)
	success := func(method string) []byte {
		var m proto.Message = &peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: common.Status_SUCCESS}}
		if method == orderer.AtomicBroadcast_Deliver_FullMethodName {
			m = &orderer.DeliverResponse{Type: &orderer.DeliverResponse_Status{Status: common.Status_SUCCESS}}
		}
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	methods := []struct {
		method string
		// response is the response carrying b, as the service built it.
		response func(b *common.Block) proto.Message
	}{
		{peer.Deliver_Deliver_FullMethodName, func(b *common.Block) proto.Message {
			return &peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: b}}
		}},
		{orderer.AtomicBroadcast_Deliver_FullMethodName, func(b *common.Block) proto.Message {
			return &orderer.DeliverResponse{Type: &orderer.DeliverResponse_Block{Block: b}}
		}},
		{peer.Deliver_DeliverWithPrivateData_FullMethodName, func(b *common.Block) proto.Message {
			return &peer.DeliverResponse{Type: &peer.DeliverResponse_BlockAndPrivateData{
				BlockAndPrivateData: &peer.BlockAndPrivateData{Block: b, PrivateDataMap: map[uint64]*rwset.TxPvtReadWriteSet{}},
			}}
		}},
	}
	servers := []struct {
		name   string
		blocks int
		opts   []grpc.ServerOption
	}{
		{"with the default cache and ServerCodec", 0, []grpc.ServerOption{grpc.ForceServerCodecV2(ServerCodec())}},
		{"with the default cache and gRPC's codec", 0, nil},
		{"without a cache", -1, []grpc.ServerOption{grpc.ForceServerCodecV2(ServerCodec())}},
		{"with a cache of one block", 1, []grpc.ServerOption{grpc.ForceServerCodecV2(ServerCodec())}},
	}
	for _, srv := range servers {
		for _, m := range methods {
			t.Run(fmt.Sprintf("%s %s", m.method, srv.name), func(t *testing.T) {
				s := New(Config{Channels: fakeChannels{l}, MSP: trustingMSP{}, Log: slog.New(slog.DiscardHandler), Blocks: srv.blocks})
				conn := serveBufconn(t, s, srv.opts...)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				// Streams at once, so that some send what another encoded.
				const streams = 3
				got := make([][][]byte, streams)
				errs := make([]error, streams)
				seek := seekAll(t, blocks-1)
				var wg sync.WaitGroup
				for i := range streams {
					wg.Go(func() { got[i], errs[i] = receiveRaw(ctx, conn, m.method, seek) })
				}
				wg.Wait()
				for i := range streams {
					if errs[i] != nil {
						t.Fatalf("stream %d: %v", i, errs[i])
					}
					if len(got[i]) != blocks+1 {
						t.Fatalf("stream %d received %d messages, want %d blocks and a status", i, len(got[i]), blocks)
					}
					for n := range uint64(blocks) {
						b, err := l.GetBlockByNumber(n)
						if err != nil {
							t.Fatal(err)
						}
						want, err := proto.Marshal(m.response(b))
						if err != nil {
							t.Fatal(err)
						}
						if string(got[i][n]) != string(want) {
							t.Errorf("stream %d, block %d: received %d bytes %x, want the %d bytes of proto.Marshal %x", i, n, len(got[i][n]), got[i][n], len(want), want)
						}
					}
					if want := success(m.method); string(got[i][blocks]) != string(want) {
						t.Errorf("stream %d: status %x, want %x", i, got[i][blocks], want)
					}
				}
			})
		}
	}
}

// The encoding of a block with private data is proto.Marshal's, with no
// private data and with some (one transaction: the order of a map's
// entries is not fixed).
func TestDeliverBlockAndPrivateDataIsMarshalled(t *testing.T) {
	l := &ledger.Ledger{}
	cb := testBlock(t, 7, 2)
	pvt := map[uint64]*rwset.TxPvtReadWriteSet{1: {DataModel: rwset.TxReadWriteSet_KV, NsPvtRwset: []*rwset.NsPvtReadWriteSet{{
		Namespace: "cc", CollectionPvtRwset: []*rwset.CollectionPvtReadWriteSet{{CollectionName: "coll", Rwset: []byte("rwset")}},
	}}}}
	tests := []struct {
		name string
		pvt  map[uint64]*rwset.TxPvtReadWriteSet
	}{
		{"no private data", nil},
		{"none readable", map[uint64]*rwset.TxPvtReadWriteSet{}},
		{"one transaction's", pvt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wb, err := encodedBlock(newBlockCache(1), l, cb)
			if err != nil {
				t.Fatal(err)
			}
			got, err := blockAndPrivateData(wb, tt.pvt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := proto.Marshal(&peer.DeliverResponse{Type: &peer.DeliverResponse_BlockAndPrivateData{
				BlockAndPrivateData: &peer.BlockAndPrivateData{Block: cb.Block, PrivateDataMap: tt.pvt},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("blockAndPrivateData = %x, want proto.Marshal's %x", got, want)
			}
		})
	}
}

// BenchmarkDeliver16Streams is what Deliver does for each new block of 10
// transactions when 16 streams wait for it (16 applications listening for
// blocks): each stream hands the response to gRPC, whose codec encodes it
// to send. baseline sends the block, which gRPC encodes once per stream,
// as the service did before it kept blocks encoded; shared sends the bytes
// of the block encoded once, which gRPC's codec copies for each stream;
// shared-servercodec sends them with ServerCodec, which copies nothing.
func BenchmarkDeliver16Streams(b *testing.B) {
	const streams = 16
	l := &ledger.Ledger{}
	baseline := func(_ *blockCache, cb *ledger.CommittedBlock) (proto.Message, error) {
		return &peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: cb.Block}}, nil
	}
	shared := func(c *blockCache, cb *ledger.CommittedBlock) (proto.Message, error) {
		wb, err := encodedBlock(c, l, cb)
		return preEncoded(&peer.DeliverResponse{}, wb.response), err
	}
	for _, bc := range []struct {
		name  string
		send  func(c *blockCache, cb *ledger.CommittedBlock) (proto.Message, error)
		codec encoding.CodecV2
	}{
		{"baseline", baseline, encoding.GetCodecV2(grpcproto.Name)},
		{"shared", shared, encoding.GetCodecV2(grpcproto.Name)},
		{"shared-servercodec", shared, ServerCodec()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newBlockCache(DefaultBlocks)
			sendToStreams(b, streams, func(cb *ledger.CommittedBlock) error {
				m, err := bc.send(c, cb)
				if err != nil {
					return err
				}
				data, err := bc.codec.Marshal(m)
				if err != nil {
					return err
				}
				data.Free()
				return nil
			})
		})
	}
}
