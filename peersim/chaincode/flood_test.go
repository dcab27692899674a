package chaincode

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The flood tests need gRPC to buffer a known, small amount: fixed 64 KiB
// flow-control windows on both ends (which also turns off the BDP
// estimator that would grow them) mean a side that stops reading stops its
// peer after about 64 KiB.
const floodWindow = 64 << 10

// floodRequests is far more than the windows and MaxInFlight can hold: a
// chaincode that got all of them onto the stream was not held back.
const floodRequests = 20000

// newFloodServer serves srv on bufconn with fixed windows and returns a
// client connection to it.
func newFloodServer(t *testing.T, cfg Config, logger *slog.Logger) (*Server, *grpc.ClientConn) {
	t.Helper()
	srv, err := NewServer(cfg, logger)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	conn := serveOnBufconn(t, srv,
		[]grpc.ServerOption{grpc.InitialWindowSize(floodWindow), grpc.InitialConnWindowSize(floodWindow)},
		[]grpc.DialOption{grpc.WithInitialWindowSize(floodWindow), grpc.WithInitialConnWindowSize(floodWindow)})
	return srv, conn
}

// startTx executes transaction tx1 on channel ch, which reads a large
// committed value, and waits until the flooder has received it; the channel
// receives Execute's error.
func (f *flooder) startTx(srv *Server) <-chan error {
	f.t.Helper()
	sim := newFakeSim().commit("cc", "big", bigValue)
	x := make(chan error, 1)
	go func() {
		_, err := srv.Execute(context.Background(), "cc:1", ExecuteRequest{Type: peer.ChaincodeMessage_TRANSACTION,
			ChannelID: "ch", TxID: "tx1", Namespace: "cc", Input: &peer.ChaincodeInput{}, Simulator: sim})
		x <- err
	}()
	f.recv(peer.ChaincodeMessage_TRANSACTION)
	return x
}

// wantTerminated waits for the Execute started by startTx and fails unless
// it ended with the stream.
func wantTerminated(t *testing.T, x <-chan error) {
	t.Helper()
	select {
	case err := <-x:
		if !errors.Is(err, ErrStreamTerminated) {
			t.Errorf("Execute = %v, want ErrStreamTerminated", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Execute did not return after the stream ended")
	}
}

// flooder is a raw chaincode stream that registers, receives a
// transaction, and then only sends.
type flooder struct {
	t      *testing.T
	stream peer.ChaincodeSupport_RegisterClient
	cancel context.CancelFunc
	sent   atomic.Int64
	done   chan error // the error that stopped the flood, nil if all were sent
}

func startFlooder(t *testing.T, srv *Server, conn *grpc.ClientConn, ccid string) *flooder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := peer.NewChaincodeSupportClient(conn).Register(ctx)
	if err != nil {
		t.Fatalf("open Register stream: %v", err)
	}
	f := &flooder{t: t, stream: stream, cancel: cancel, done: make(chan error, 1)}
	if err := stream.Send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: mustMarshal(t, &peer.ChaincodeID{Name: ccid})}); err != nil {
		t.Fatalf("send REGISTER: %v", err)
	}
	f.recv(peer.ChaincodeMessage_REGISTERED)
	f.recv(peer.ChaincodeMessage_READY)
	wctx, wcancel := context.WithTimeout(ctx, waitLimit)
	defer wcancel()
	if _, err := srv.WaitReady(wctx, ccid); err != nil {
		t.Fatalf("WaitReady(%s): %v", ccid, err)
	}
	return f
}

func (f *flooder) recv(typ peer.ChaincodeMessage_Type) *peer.ChaincodeMessage {
	f.t.Helper()
	m, err := f.stream.Recv()
	if err != nil {
		f.t.Fatalf("receive %s: %v", typ, err)
	}
	if m.Type != typ {
		f.t.Fatalf("got %s (payload %q), want %s", m.Type, m.Payload, typ)
	}
	return m
}

// flood sends n GET_STATE requests for txID without reading the replies,
// in the background.
func (f *flooder) flood(channelID, txID string, n int) {
	msg := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_GET_STATE, Txid: txID, ChannelId: channelID,
		Payload: mustMarshal(f.t, &peer.GetState{Key: "big"})}
	go func() {
		for range n {
			if err := f.stream.Send(msg); err != nil {
				f.done <- err
				return
			}
			f.sent.Add(1)
		}
		f.done <- nil
	}()
}

// waitFor polls the server's gauges until cond holds; the deadline is a
// hang guard only.
func waitFor(t *testing.T, srv *Server, what string, cond func(Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond(srv.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("never %s: %+v", what, srv.Stats())
		}
		time.Sleep(time.Millisecond) // polling with a deadline, not synchronisation
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// bigValue makes every GET_STATE reply 4 KiB, so a few replies fill the
// chaincode's receive window.
var bigValue = strings.Repeat("v", 4<<10)

func TestFloodWithoutReadingIsHeldBackAndReleasedWhenTheStreamEnds(t *testing.T) {
	leakcheck.Check(t)
	cfg := DefaultConfig()
	cfg.MaxInFlight, cfg.MaxInFlightPerTx = 32, 32 // back-pressure only
	srv, conn := newFloodServer(t, cfg, slog.New(slog.DiscardHandler))

	goroutinesBefore, heapBefore := runtime.NumGoroutine(), heapAlloc()
	f := startFlooder(t, srv, conn, "cc:1")
	x := f.startTx(srv)
	f.flood("ch", "tx1", floodRequests)

	waitFor(t, srv, "held MaxInFlight requests", func(s Stats) bool { return s.InFlight == cfg.MaxInFlight })
	// Every request the peer reads now waits for a slot; the workers, the
	// replies and gRPC's buffers are all it holds. Unbounded, this is one
	// goroutine and several KiB per request: 20,000 goroutines and
	// ~100 MiB.
	if got, limit := runtime.NumGoroutine(), goroutinesBefore+cfg.MaxInFlight+50; got > limit {
		t.Errorf("%d goroutines while flooded, want at most %d (%d before)", got, limit, goroutinesBefore)
	}
	if got, limit := heapAlloc(), heapBefore+16<<20; got > limit {
		t.Errorf("heap %d bytes while flooded, want at most %d (%d before)", got, limit, heapBefore)
	}
	// The count moves while gRPC's buffers take replies and the peer reads
	// more requests: it never passes the bound.
	if s := srv.Stats(); s.Connected != 1 || len(s.Streams) != 1 || s.Streams[0].CCID != "cc:1" ||
		s.Streams[0].InFlight > cfg.MaxInFlight || s.Streams[0].Transactions != 1 {
		t.Errorf("Stats() = %+v, want one ready cc:1 with at most %d in flight and 1 transaction", s, cfg.MaxInFlight)
	}

	f.cancel()
	select {
	case err := <-f.done:
		if err == nil {
			t.Fatalf("all %d requests went onto the stream: the peer kept reading", floodRequests)
		}
	case <-time.After(waitLimit):
		t.Fatal("the flood did not stop when its stream was cancelled")
	}
	t.Logf("the peer let %d of %d requests onto the stream", f.sent.Load(), floodRequests)
	wantTerminated(t, x)
	waitFor(t, srv, "forgot the stream", func(s Stats) bool { return len(s.Streams) == 0 && s.InFlight == 0 })
	// leakcheck then waits for the workers and the sender to return.
}

func TestFloodDrainsWhenTheChaincodeReadsAgain(t *testing.T) {
	leakcheck.Check(t)
	cfg := DefaultConfig()
	cfg.MaxInFlight, cfg.MaxInFlightPerTx = 8, 8
	srv, conn := newFloodServer(t, cfg, slog.New(slog.DiscardHandler))
	f := startFlooder(t, srv, conn, "cc:1")
	x := f.startTx(srv)
	const n = 2000
	f.flood("ch", "tx1", n)
	waitFor(t, srv, "held MaxInFlight requests", func(s Stats) bool { return s.InFlight == cfg.MaxInFlight })

	// Read again: every request is answered (or dropped, when another of
	// the transaction's requests was being served) and the flood ends.
	replies := make(chan int, 1)
	go func() {
		count := 0
		for {
			m, err := f.stream.Recv()
			if err != nil {
				replies <- count
				return
			}
			if m.Type == peer.ChaincodeMessage_RESPONSE && string(m.Payload) == bigValue {
				count++
			}
		}
	}()
	select {
	case err := <-f.done:
		if err != nil {
			t.Fatalf("flood stopped: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("the flood never drained: %d of %d sent", f.sent.Load(), n)
	}
	waitFor(t, srv, "answered every request", func(s Stats) bool { return s.InFlight == 0 })
	if err := f.stream.Send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_COMPLETED, Txid: "tx1", ChannelId: "ch",
		Payload: mustMarshal(t, &peer.Response{Status: 200})}); err != nil {
		t.Fatalf("send COMPLETED: %v", err)
	}
	select {
	case err := <-x:
		if err != nil {
			t.Fatalf("Execute: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Execute did not return")
	}
	if err := f.stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	select {
	case got := <-replies:
		if got == 0 || got > n {
			t.Errorf("%d GET_STATE answers, want between 1 and %d", got, n)
		}
	case <-time.After(waitLimit):
		t.Fatal("the peer did not end the stream after CloseSend")
	}
}

func TestTooManyRequestsForOneTransactionEndTheStream(t *testing.T) {
	leakcheck.Check(t)
	cfg := DefaultConfig()
	cfg.MaxInFlight, cfg.MaxInFlightPerTx = 64, 4
	logs := newLogSink()
	srv, conn := newFloodServer(t, cfg, slog.New(logs))
	f := startFlooder(t, srv, conn, "cc:1")
	x := f.startTx(srv)
	f.flood("ch", "tx1", floodRequests)

	logs.waitFor(t, "ending chaincode stream: too many requests in flight for one transaction")
	wantTerminated(t, x)
	// The chaincode reads what was sent before the end, then the status.
	var err error
	for err == nil {
		_, err = f.stream.Recv()
	}
	st, _ := status.FromError(err)
	if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "MaxInFlightPerTx 4") {
		t.Errorf("stream ended with %v, want ResourceExhausted naming MaxInFlightPerTx 4", err)
	}
	select {
	case <-f.done:
	case <-time.After(waitLimit):
		t.Fatal("the flood did not stop when the peer ended its stream")
	}
	waitFor(t, srv, "forgot the stream", func(s Stats) bool { return len(s.Streams) == 0 })
}
