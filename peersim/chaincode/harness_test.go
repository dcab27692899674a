package chaincode

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
)

// waitLimit bounds every wait in these tests; it is a hang guard, not a
// timing assertion.
const waitLimit = 30 * time.Second

// logSink records log messages so tests can wait for one.
type logSink struct {
	mu   sync.Mutex
	msgs []string
	cond chan struct{}
}

func newLogSink() *logSink { return &logSink{cond: make(chan struct{})} }

func (l *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (l *logSink) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logSink) WithGroup(string) slog.Handler            { return l }
func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	close(l.cond)
	l.cond = make(chan struct{})
	return nil
}

// waitFor blocks until a message containing s has been logged.
func (l *logSink) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		l.mu.Lock()
		for _, m := range l.msgs {
			if strings.Contains(m, s) {
				l.mu.Unlock()
				return
			}
		}
		cond := l.cond
		l.mu.Unlock()
		select {
		case <-cond:
		case <-deadline:
			t.Fatalf("log message %q never came", s)
		}
	}
}

// env is a Server on bufconn with a client connection to it.
type env struct {
	t    *testing.T
	srv  *Server
	conn *grpc.ClientConn
	logs *logSink
}

func newEnv(t *testing.T, cfg Config, opts ...Option) *env {
	t.Helper()
	leakcheck.Check(t)
	logs := newLogSink()
	srv, err := NewServer(cfg, slog.New(logs), opts...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	conn := serveOnBufconn(t, srv, nil, nil)
	return &env{t: t, srv: srv, conn: conn, logs: logs}
}

// serveOnBufconn serves srv on an in-memory listener, with extra server and
// dial options, and returns a client connection to it. Cleanup closes the
// connection and the server and waits for the gRPC server to return.
func serveOnBufconn(t testing.TB, srv *Server, serverOpts []grpc.ServerOption, dialOpts []grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer(append(ServerOptions(), serverOpts...)...)
	peer.RegisterChaincodeSupportServer(gs, srv)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///bufnet", append([]grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}, dialOpts...)...)
	if err != nil {
		t.Fatalf("dial bufconn: %v", err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Close()
		gs.Stop()
		<-served
	})
	return conn
}

// fakeCC is a scripted chaincode: the test sends and expects raw messages.
type fakeCC struct {
	t      *testing.T
	stream peer.ChaincodeSupport_RegisterClient
	cancel context.CancelFunc
	in     chan *peer.ChaincodeMessage
	ended  chan error // receives the stream's final error
}

// open starts a stream without registering.
func (e *env) open() *fakeCC {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := peer.NewChaincodeSupportClient(e.conn).Register(ctx)
	if err != nil {
		cancel()
		e.t.Fatalf("open Register stream: %v", err)
	}
	c := &fakeCC{t: e.t, stream: stream, cancel: cancel, in: make(chan *peer.ChaincodeMessage, 1000), ended: make(chan error, 1)}
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				c.ended <- err
				close(c.in)
				return
			}
			c.in <- m
		}
	}()
	e.t.Cleanup(c.close)
	return c
}

// register opens a stream and completes the handshake as ccid.
func (e *env) register(ccid string) *fakeCC {
	e.t.Helper()
	c := e.open()
	c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: mustMarshal(e.t, &peer.ChaincodeID{Name: ccid})})
	c.expect(peer.ChaincodeMessage_REGISTERED)
	c.expect(peer.ChaincodeMessage_READY)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if _, err := e.srv.WaitReady(ctx, ccid); err != nil {
		e.t.Fatalf("WaitReady(%s): %v", ccid, err)
	}
	return c
}

// close ends the stream from the chaincode side and waits until the peer
// has seen it. It half-closes first and waits for the peer to end the
// stream, so the peer sees a clean end of stream rather than a cancelled
// call (cancelling at once races the half-close); only a peer that does not
// end the stream within waitLimit is cancelled.
func (c *fakeCC) close() {
	_ = c.stream.CloseSend()
	deadline := time.After(waitLimit)
	for open := true; open; {
		select {
		case _, open = <-c.in:
		case <-deadline:
			c.cancel()
			for range c.in {
			}
			open = false
		}
	}
	c.cancel()
}

// disconnect closes the stream and waits until the server dropped ccid.
func (c *fakeCC) disconnect(srv *Server, ccid string, done <-chan struct{}) {
	c.t.Helper()
	c.close()
	select {
	case <-done:
	case <-time.After(waitLimit):
		c.t.Fatalf("server never noticed %s disconnecting", ccid)
	}
}

func (c *fakeCC) send(m *peer.ChaincodeMessage) {
	c.t.Helper()
	if err := c.stream.Send(m); err != nil {
		c.t.Fatalf("send %s: %v", m.Type, err)
	}
}

// sendRaw sends bytes as a ChaincodeMessage without validating them.
func (c *fakeCC) sendRaw(raw []byte) {
	c.t.Helper()
	if err := c.stream.SendMsg(&rawMessage{b: raw}); err != nil {
		c.t.Fatalf("send raw message: %v", err)
	}
}

// next returns the next message other than KEEPALIVE.
func (c *fakeCC) next() *peer.ChaincodeMessage {
	c.t.Helper()
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				c.t.Fatalf("stream ended while a message was expected")
			}
			if m.Type == peer.ChaincodeMessage_KEEPALIVE {
				continue
			}
			return m
		case <-time.After(waitLimit):
			c.t.Fatalf("no message from the peer")
		}
	}
}

func (c *fakeCC) expect(typ peer.ChaincodeMessage_Type) *peer.ChaincodeMessage {
	c.t.Helper()
	m := c.next()
	if m.Type != typ {
		c.t.Fatalf("got %s (payload %q), want %s", m.Type, m.Payload, typ)
	}
	return m
}

// expectEnd waits for the stream to end and returns its error.
func (c *fakeCC) expectEnd() error {
	c.t.Helper()
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				return <-c.ended
			}
			if m.Type != peer.ChaincodeMessage_KEEPALIVE {
				c.t.Fatalf("got %s (payload %q), want the stream to end", m.Type, m.Payload)
			}
		case <-time.After(waitLimit):
			c.t.Fatalf("stream did not end")
		}
	}
}

// request sends a request in a transaction and returns the reply.
func (c *fakeCC) request(typ peer.ChaincodeMessage_Type, channelID, txID string, payload proto.Message) *peer.ChaincodeMessage {
	c.t.Helper()
	c.send(&peer.ChaincodeMessage{Type: typ, Txid: txID, ChannelId: channelID, Payload: mustMarshal(c.t, payload)})
	m := c.next()
	if m.Txid != txID || m.ChannelId != channelID {
		c.t.Fatalf("reply to %s is for %q/%q, want %q/%q", typ, m.ChannelId, m.Txid, channelID, txID)
	}
	return m
}

// ok sends a request and expects RESPONSE, returning its payload.
func (c *fakeCC) ok(typ peer.ChaincodeMessage_Type, channelID, txID string, payload proto.Message) []byte {
	c.t.Helper()
	m := c.request(typ, channelID, txID, payload)
	if m.Type != peer.ChaincodeMessage_RESPONSE {
		c.t.Fatalf("%s: got %s %q, want RESPONSE", typ, m.Type, m.Payload)
	}
	return m.Payload
}

// fails sends a request and expects ERROR, returning its text.
func (c *fakeCC) fails(typ peer.ChaincodeMessage_Type, channelID, txID string, payload proto.Message) string {
	c.t.Helper()
	m := c.request(typ, channelID, txID, payload)
	if m.Type != peer.ChaincodeMessage_ERROR {
		c.t.Fatalf("%s: got %s, want ERROR", typ, m.Type)
	}
	return string(m.Payload)
}

// complete answers a transaction with COMPLETED carrying resp.
func (c *fakeCC) complete(channelID, txID string, resp *peer.Response, event *peer.ChaincodeEvent) {
	c.t.Helper()
	c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_COMPLETED, Txid: txID, ChannelId: channelID,
		Payload: mustMarshal(c.t, resp), ChaincodeEvent: event})
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	if m == nil {
		return nil
	}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

func mustUnmarshal(t *testing.T, b []byte, m proto.Message) {
	t.Helper()
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatalf("unmarshal %T: %v", m, err)
	}
}

// execution is an Execute running in the background.
type execution struct {
	resp *peer.ChaincodeMessage
	err  error
	done chan struct{}
}

// start runs Execute in a goroutine.
func (e *env) start(ctx context.Context, ccid string, req ExecuteRequest) *execution {
	x := &execution{done: make(chan struct{})}
	go func() {
		defer close(x.done)
		x.resp, x.err = e.srv.Execute(ctx, ccid, req)
	}()
	e.t.Cleanup(func() { <-x.done })
	return x
}

func (x *execution) wait(t *testing.T) (*peer.ChaincodeMessage, error) {
	t.Helper()
	select {
	case <-x.done:
		return x.resp, x.err
	case <-time.After(waitLimit):
		t.Fatalf("Execute did not return")
		return nil, nil
	}
}

// begin starts a TRANSACTION on ccid and waits until the chaincode got it.
func (e *env) begin(c *fakeCC, ccid, channelID, txID string, sim TxSimulator) *execution {
	e.t.Helper()
	return e.beginType(c, ccid, peer.ChaincodeMessage_TRANSACTION, channelID, txID, sim)
}

func (e *env) beginType(c *fakeCC, ccid string, typ peer.ChaincodeMessage_Type, channelID, txID string, sim TxSimulator) *execution {
	e.t.Helper()
	x := e.start(context.Background(), ccid, ExecuteRequest{
		Type: typ, ChannelID: channelID, TxID: txID, Namespace: nameOf(ccid),
		Input: &peer.ChaincodeInput{Args: [][]byte{[]byte("fn")}}, Simulator: sim,
	})
	m := c.expect(typ)
	if m.Txid != txID || m.ChannelId != channelID {
		e.t.Fatalf("%s for %q/%q, want %q/%q", typ, m.ChannelId, m.Txid, channelID, txID)
	}
	return x
}

// finish completes a transaction with status 200 and checks Execute's
// result.
func (e *env) finish(c *fakeCC, x *execution, channelID, txID string) {
	e.t.Helper()
	c.complete(channelID, txID, &peer.Response{Status: 200}, nil)
	resp, err := x.wait(e.t)
	if err != nil {
		e.t.Fatalf("Execute %s: %v", txID, err)
	}
	if resp.Type != peer.ChaincodeMessage_COMPLETED {
		e.t.Fatalf("Execute %s: got %s, want COMPLETED", txID, resp.Type)
	}
}

func nameOf(ccid string) string {
	name, _, _ := strings.Cut(ccid, ":")
	return name
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

var errBoom = errors.New("boom")

// contains reports whether b holds s; for readable assertions on payloads.
func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
