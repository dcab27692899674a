package shim

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/shim/internal/transport"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// benchPeer answers every request at once: REGISTER with REGISTERED and
// READY, GET_STATE with a fixed value, PUT_STATE with an empty RESPONSE.
// COMPLETED messages are handed to the benchmark.
type benchPeer struct {
	peer.UnimplementedChaincodeSupportServer
	value     []byte
	completed chan *peer.ChaincodeMessage
	shim      chan func(*peer.ChaincodeMessage) error // send function of each stream that registered
}

func (p *benchPeer) Register(stream peer.ChaincodeSupport_RegisterServer) error {
	var mu sync.Mutex
	send := func(m *peer.ChaincodeMessage) error {
		mu.Lock()
		defer mu.Unlock()
		return stream.Send(m)
	}
	for {
		m, err := stream.Recv()
		if err != nil {
			return nil
		}
		var reply *peer.ChaincodeMessage
		switch m.Type {
		case peer.ChaincodeMessage_REGISTER:
			if err := send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTERED}); err != nil {
				return err
			}
			reply = &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_READY}
			p.shim <- send
		case peer.ChaincodeMessage_GET_STATE:
			reply = &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_RESPONSE, Payload: p.value, Txid: m.Txid, ChannelId: m.ChannelId}
		case peer.ChaincodeMessage_PUT_STATE:
			reply = &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_RESPONSE, Txid: m.Txid, ChannelId: m.ChannelId}
		case peer.ChaincodeMessage_COMPLETED, peer.ChaincodeMessage_ERROR:
			p.completed <- m
			continue
		default:
			continue
		}
		if err := send(reply); err != nil {
			return err
		}
	}
}

// BenchmarkRoundTrip compares a stub round trip through the shim with a bare
// gRPC ping-pong of the same messages on the same kind of connection
// (loopback TCP, the shim's dial options). The shim sub-benchmarks report
// shim/raw, the ratio of their ns/op to the raw one measured just before.
func BenchmarkRoundTrip(b *testing.B) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	bp := &benchPeer{
		value:     bytes.Repeat([]byte("v"), 256),
		completed: make(chan *peer.ChaincodeMessage, 1),
		shim:      make(chan func(*peer.ChaincodeMessage) error, 1),
	}
	srv := grpc.NewServer(transport.ServerOptions(nil, nil)...)
	peer.RegisterChaincodeSupportServer(srv, bp)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	conn, err := transport.Dial(lis.Addr().String(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The shim, serving a chaincode that hands its stub to the benchmark.
	stubs := make(chan ChaincodeStubInterface)
	release := make(chan struct{})
	cc := &chaincodeFuncs{invoke: func(stub ChaincodeStubInterface) *peer.Response {
		stubs <- stub
		<-release
		return Success(nil)
	}}
	shimStream, err := peer.NewChaincodeSupportClient(conn).Register(ctx)
	if err != nil {
		b.Fatal(err)
	}
	shimDone := make(chan error, 1)
	go func() { shimDone <- chat("bench:1.0", shimStream, cc, slog.New(slog.DiscardHandler)) }()
	toShim := <-bp.shim

	// The raw client: a second stream on the same connection.
	raw, err := peer.NewChaincodeSupportClient(conn).Register(ctx)
	if err != nil {
		b.Fatal(err)
	}

	const channel = "mychannel"
	txid := strings.Repeat("ab", 32)
	key := "asset-000001"
	getReq := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_GET_STATE, Txid: txid, ChannelId: channel,
		Payload: mustMarshalB(b, &peer.GetState{Key: key})}
	putReq := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_PUT_STATE, Txid: txid, ChannelId: channel,
		Payload: mustMarshalB(b, &peer.PutState{Key: key, Value: bp.value})}

	txn := 0
	// inTransaction runs fn with the stub of a fresh transaction.
	inTransaction := func(fn func(ChaincodeStubInterface)) {
		txn++
		id := txid[:60] + string(rune('a'+txn%26)) + "000"
		if err := toShim(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_TRANSACTION, Txid: id, ChannelId: channel,
			Payload: mustMarshalB(b, &peer.ChaincodeInput{Args: [][]byte{[]byte("bench")}})}); err != nil {
			b.Fatal(err)
		}
		stub := <-stubs
		fn(stub)
		release <- struct{}{}
		if m := <-bp.completed; m.Type != peer.ChaincodeMessage_COMPLETED {
			b.Fatalf("transaction ended with %v", m)
		}
	}

	rawPingPong := func(req *peer.ChaincodeMessage) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := raw.Send(req); err != nil {
					b.Fatal(err)
				}
				if _, err := raw.Recv(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}

	ops := []struct {
		name string
		req  *peer.ChaincodeMessage
		call func(ChaincodeStubInterface) error
	}{
		{"GetState", getReq, func(s ChaincodeStubInterface) error { _, err := s.GetState(key); return err }},
		{"PutState", putReq, func(s ChaincodeStubInterface) error { return s.PutState(key, bp.value) }},
	}
	for _, op := range ops {
		// interleaved alternates one raw ping-pong and one shim call per
		// iteration, so that the load of a shared machine weighs on both
		// alike; its ns/op is the sum of the two, its shim/raw the ratio.
		b.Run(op.name+"/interleaved", func(b *testing.B) {
			var rawTotal, shimTotal time.Duration
			inTransaction(func(stub ChaincodeStubInterface) {
				for b.Loop() {
					t0 := time.Now()
					if err := raw.Send(op.req); err != nil {
						b.Fatal(err)
					}
					if _, err := raw.Recv(); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if err := op.call(stub); err != nil {
						b.Fatal(err)
					}
					shimTotal += time.Since(t1)
					rawTotal += t1.Sub(t0)
				}
			})
			b.ReportMetric(float64(shimTotal)/float64(rawTotal), "shim/raw")
		})
		var rawNs float64
		b.Run(op.name+"/raw", func(b *testing.B) {
			rawPingPong(op.req)(b)
			rawNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(op.name+"/shim", func(b *testing.B) {
			b.ReportAllocs()
			inTransaction(func(stub ChaincodeStubInterface) {
				for b.Loop() {
					if err := op.call(stub); err != nil {
						b.Fatal(err)
					}
				}
			})
			if rawNs > 0 {
				shimNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(shimNs/rawNs, "shim/raw")
			}
		})
	}

	_ = raw.CloseSend()
	cancel()
	<-shimDone
}

func mustMarshalB(b *testing.B, m proto.Message) []byte {
	b.Helper()
	out, err := proto.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return out
}
