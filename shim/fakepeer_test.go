package shim

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	grpcpeer "google.golang.org/grpc/peer"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// waitLimit bounds every wait in the tests, so a bug shows as a failure
// rather than a hung test binary.
const waitLimit = 30 * time.Second

// fakePeer is a scripted peer: each Register stream it accepts is handed to
// the test as a peerConn, which reads and writes the stream message by
// message.
type fakePeer struct {
	peer.UnimplementedChaincodeSupportServer
	conns chan *peerConn
}

// peerConn is the peer's end of one chaincode stream.
type peerConn struct {
	stream PeerChaincodeStream
	in     chan *peer.ChaincodeMessage // what the shim sent; closed when the shim's side ends
	end    func(error)                 // ends the stream; the error is what the peer's handler returns
	auth   credentials.AuthInfo        // the TLS state of the connection, nil without TLS

	sendMu sync.Mutex
}

// newPeerConn starts reading stream into the conn's in channel until the
// stream or ctx ends.
func newPeerConn(ctx context.Context, stream PeerChaincodeStream, end func(error)) *peerConn {
	c := &peerConn{stream: stream, in: make(chan *peer.ChaincodeMessage, 1024), end: end}
	if p, ok := grpcpeer.FromContext(ctx); ok {
		c.auth = p.AuthInfo
	}
	go func() {
		defer close(c.in)
		for {
			m, err := stream.Recv()
			if err != nil {
				return
			}
			select {
			case c.in <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	return c
}

func (f *fakePeer) Register(stream peer.ChaincodeSupport_RegisterServer) error {
	ended := make(chan error, 1)
	f.conns <- newPeerConn(stream.Context(), stream, func(err error) { ended <- err })
	select {
	case err := <-ended:
		return err
	case <-stream.Context().Done():
		return stream.Context().Err()
	}
}

// serveFakePeer serves a fakePeer on lis until the test ends.
func serveFakePeer(t *testing.T, lis net.Listener, opts ...grpc.ServerOption) *fakePeer {
	t.Helper()
	srv := grpc.NewServer(opts...)
	fp := &fakePeer{conns: make(chan *peerConn, 1)}
	peer.RegisterChaincodeSupportServer(srv, fp)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-served
	})
	return fp
}

// chaincodeFuncs is a Chaincode made of function fields; a nil field
// answers Success(nil).
type chaincodeFuncs struct {
	init   func(ChaincodeStubInterface) *peer.Response
	invoke func(ChaincodeStubInterface) *peer.Response
}

func (c *chaincodeFuncs) Init(stub ChaincodeStubInterface) *peer.Response {
	if c.init == nil {
		return Success(nil)
	}
	return c.init(stub)
}

func (c *chaincodeFuncs) Invoke(stub ChaincodeStubInterface) *peer.Response {
	if c.invoke == nil {
		return Success(nil)
	}
	return c.invoke(stub)
}

// harness runs the shim (StartInProc's loop) against a fakePeer over
// bufconn.
type harness struct {
	t      *testing.T
	name   string
	conn   *peerConn
	result chan error
	ended  bool
}

// newHarness starts the shim serving cc as name and waits for its stream to
// reach the fake peer. Cleanup ends the stream, waits for the shim to
// return and checks that no goroutine is left behind.
func newHarness(t *testing.T, name string, cc Chaincode) *harness {
	t.Helper()
	return newHarnessWith(t, name, func(stream ClientStream) error {
		return chat(name, stream, cc, slog.New(slog.DiscardHandler))
	})
}

// newHarnessWith is newHarness with the shim's loop given by serve. It also
// runs Fabric's shim, whose known send goroutine the leak check ignores
// (see leakcheck.Ignored).
func newHarnessWith(t *testing.T, name string, serve func(ClientStream) error) *harness {
	t.Helper()
	leakcheck.Check(t)
	lis := bufconn.Listen(1 << 20)
	fp := serveFakePeer(t, lis)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial bufconn: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := peer.NewChaincodeSupportClient(conn).Register(ctx)
	if err != nil {
		t.Fatalf("open Register stream: %v", err)
	}
	return attach(t, fp.conns, name, func() error { return serve(stream) })
}

// attach runs the shim with serve and waits for its stream to arrive on
// conns. Cleanup ends the stream (if the test did not) and waits for serve
// to return.
func attach(t *testing.T, conns <-chan *peerConn, name string, serve func() error) *harness {
	t.Helper()
	h := &harness{t: t, name: name, result: make(chan error, 1)}
	go func() { h.result <- serve() }()
	t.Cleanup(func() {
		if h.conn != nil && !h.ended {
			h.conn.end(nil)
		}
		if !h.ended {
			h.wait()
		}
	})
	select {
	case h.conn = <-conns:
	case err := <-h.result:
		h.ended = true
		t.Fatalf("the shim returned before its stream reached the fake peer: %v", err)
	case <-time.After(waitLimit):
		t.Fatal("the shim's stream never reached the fake peer")
	}
	return h
}

// recv returns the next message the shim sent.
func (h *harness) recv() *peer.ChaincodeMessage {
	h.t.Helper()
	select {
	case m, ok := <-h.conn.in:
		if !ok {
			h.t.Fatal("the shim closed its side of the stream while the peer expected a message")
		}
		return m
	case <-time.After(waitLimit):
		h.t.Fatal("timed out waiting for a message from the shim")
	}
	return nil
}

// recvClosed asserts that the shim sends nothing more and closes its side.
func (h *harness) recvClosed() {
	h.t.Helper()
	select {
	case m, ok := <-h.conn.in:
		if ok {
			h.t.Fatalf("expected the shim to close the stream, got %v", m)
		}
	case <-time.After(waitLimit):
		h.t.Fatal("timed out waiting for the shim to close the stream")
	}
}

// send writes msg to the shim.
func (h *harness) send(msg *peer.ChaincodeMessage) {
	h.t.Helper()
	h.conn.sendMu.Lock()
	defer h.conn.sendMu.Unlock()
	if err := h.conn.stream.Send(msg); err != nil {
		h.t.Fatalf("send %s to the shim: %v", msg.Type, err)
	}
}

// expect receives the next message and compares it with want.
func (h *harness) expect(want *peer.ChaincodeMessage) *peer.ChaincodeMessage {
	h.t.Helper()
	got := h.recv()
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		h.t.Fatalf("message from the shim differs (-want +got):\n%s", diff)
	}
	return got
}

// expectRequest receives the next message and checks that it is a request
// of type typ for txid on channel whose payload decodes to want.
func (h *harness) expectRequest(typ peer.ChaincodeMessage_Type, channel, txid string, want proto.Message) *peer.ChaincodeMessage {
	h.t.Helper()
	got := h.recv()
	if got.Type != typ || got.Txid != txid || got.ChannelId != channel {
		h.t.Fatalf("got %s txid %q channel %q (payload %q), want %s txid %q channel %q", got.Type, got.Txid, got.ChannelId, got.Payload, typ, txid, channel)
	}
	if want != nil {
		decoded := want.ProtoReflect().New().Interface()
		if err := proto.Unmarshal(got.Payload, decoded); err != nil {
			h.t.Fatalf("decode %s payload: %v", typ, err)
		}
		if diff := cmp.Diff(want, decoded, protocmp.Transform()); diff != "" {
			h.t.Fatalf("%s payload differs (-want +got):\n%s", typ, diff)
		}
	}
	return got
}

// handshake plays the peer's side of registration as a Fabric peer does:
// REGISTER in, an empty REGISTERED and READY (with readyPayload) out.
func (h *harness) handshake(readyPayload []byte) {
	h.t.Helper()
	h.handshakeWith(nil, readyPayload)
}

// handshakeWith is handshake with registeredPayload in REGISTERED.
func (h *harness) handshakeWith(registeredPayload, readyPayload []byte) {
	h.t.Helper()
	h.expect(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: mustMarshal(h.t, &peer.ChaincodeID{Name: h.name})})
	h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTERED, Payload: registeredPayload})
	h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_READY, Payload: readyPayload})
}

// reply answers req with a RESPONSE carrying payload (a proto.Message, raw
// bytes or nil).
func (h *harness) reply(req *peer.ChaincodeMessage, payload any) {
	h.t.Helper()
	var b []byte
	switch p := payload.(type) {
	case nil:
	case []byte:
		b = p
	case proto.Message:
		b = mustMarshal(h.t, p)
	default:
		h.t.Fatalf("reply payload of type %T", payload)
	}
	h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_RESPONSE, Payload: b, Txid: req.Txid, ChannelId: req.ChannelId})
}

// replyError answers req with an ERROR carrying text.
func (h *harness) replyError(req *peer.ChaincodeMessage, text string) {
	h.t.Helper()
	h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Payload: []byte(text), Txid: req.Txid, ChannelId: req.ChannelId})
}

// transaction sends a TRANSACTION (or INIT when init) with args.
func (h *harness) transaction(init bool, channel, txid string, args ...string) {
	h.t.Helper()
	typ := peer.ChaincodeMessage_TRANSACTION
	if init {
		typ = peer.ChaincodeMessage_INIT
	}
	h.send(&peer.ChaincodeMessage{Type: typ, Payload: mustMarshal(h.t, &peer.ChaincodeInput{Args: byteArgs(args...)}), Txid: txid, ChannelId: channel})
}

// expectCompleted receives the COMPLETED of txid and returns its response.
func (h *harness) expectCompleted(channel, txid string) (*peer.Response, *peer.ChaincodeEvent) {
	h.t.Helper()
	got := h.recv()
	if got.Type != peer.ChaincodeMessage_COMPLETED || got.Txid != txid || got.ChannelId != channel {
		h.t.Fatalf("got %s txid %q channel %q payload %q, want COMPLETED txid %q channel %q", got.Type, got.Txid, got.ChannelId, got.Payload, txid, channel)
	}
	res := &peer.Response{}
	if err := proto.Unmarshal(got.Payload, res); err != nil {
		h.t.Fatalf("decode COMPLETED payload: %v", err)
	}
	return res, got.ChaincodeEvent
}

// end makes the peer end the stream with err (nil: a clean end) and returns
// what the shim returned.
func (h *harness) end(err error) error {
	h.t.Helper()
	h.conn.end(err)
	return h.wait()
}

// wait returns the shim's result.
func (h *harness) wait() error {
	h.t.Helper()
	select {
	case err := <-h.result:
		h.ended = true
		return err
	case <-time.After(waitLimit):
		h.t.Fatal("timed out waiting for the shim to return")
	}
	return nil
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

func byteArgs(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// errContains reports whether err is not nil and its text contains want.
func errContains(err error, want string) bool {
	return err != nil && strings.Contains(err.Error(), want)
}

var errPeerBroke = errors.New("peer broke the stream")
