package chaincode

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// connectServer is a chaincode server whose Connect calls the test
// scripts: each call's stream goes to streams, its messages from the peer
// to in, and the call returns, ending the stream cleanly, once end is
// closed.
type connectServer struct {
	peer.UnimplementedChaincodeServer
	streams chan peer.Chaincode_ConnectServer
	in      chan *peer.ChaincodeMessage
	end     chan struct{}
}

func (s *connectServer) Connect(st peer.Chaincode_ConnectServer) error {
	s.streams <- st
	go func() {
		defer close(s.in)
		for {
			m, err := st.Recv()
			if err != nil {
				return
			}
			s.in <- m
		}
	}()
	select {
	case <-s.end:
	case <-st.Context().Done():
	}
	return nil
}

// served is what ServeDialed returned.
type served struct {
	registered bool
	err        error
}

// dialedCC is the chaincode side of a stream the peer dialled: the test
// sends as the chaincode server and reads what the peer sends it.
type dialedCC struct {
	t      *testing.T
	srv    *connectServer
	stream peer.Chaincode_ConnectServer
	done   chan served // receives ServeDialed's result
	endOne sync.Once
}

// dial starts a chaincode server on bufconn, opens the peer's stream to it
// and serves that stream with e.srv.ServeDialed(stream, as). Cleanup ends
// the stream and waits for ServeDialed and the server.
func (e *env) dial(as DialedAs) *dialedCC {
	e.t.Helper()
	srv := &connectServer{streams: make(chan peer.Chaincode_ConnectServer, 1), in: make(chan *peer.ChaincodeMessage, 100), end: make(chan struct{})}
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	peer.RegisterChaincodeServer(gs, srv)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = gs.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///ccserver", append(DialOptions(),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		e.t.Fatalf("dial bufconn: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := peer.NewChaincodeClient(conn).Connect(ctx)
	if err != nil {
		cancel()
		e.t.Fatalf("open Connect stream: %v", err)
	}
	c := &dialedCC{t: e.t, srv: srv, done: make(chan served, 1)}
	go func() {
		registered, err := e.srv.ServeDialed(stream, as)
		c.done <- served{registered, err}
	}()
	e.t.Cleanup(func() {
		c.end()
		// Hang guard only: the peer ends its side once the server has.
		select {
		case <-c.done:
		case <-time.After(waitLimit):
			e.t.Errorf("ServeDialed did not return")
		}
		cancel()
		conn.Close()
		gs.Stop()
		<-stopped
	})
	select {
	case c.stream = <-srv.streams:
	case <-time.After(waitLimit):
		e.t.Fatalf("the peer's stream never reached the chaincode server")
	}
	return c
}

// end returns from the server's Connect: a clean end of the stream.
func (c *dialedCC) end() { c.endOne.Do(func() { close(c.srv.end) }) }

func (c *dialedCC) send(m *peer.ChaincodeMessage) {
	c.t.Helper()
	if err := c.stream.Send(m); err != nil {
		c.t.Fatalf("send %s: %v", m.Type, err)
	}
}

// expect returns the next message from the peer, which must be of type typ.
func (c *dialedCC) expect(typ peer.ChaincodeMessage_Type) *peer.ChaincodeMessage {
	c.t.Helper()
	select {
	case m, ok := <-c.srv.in:
		if !ok {
			c.t.Fatalf("the stream ended while %s was expected", typ)
		}
		if m.Type != typ {
			c.t.Fatalf("got %s (payload %q), want %s", m.Type, m.Payload, typ)
		}
		return m
	case <-time.After(waitLimit):
		c.t.Fatalf("no %s from the peer", typ)
	}
	return nil
}

// served waits for ServeDialed to return.
func (c *dialedCC) served() served {
	c.t.Helper()
	select {
	case r := <-c.done:
		c.done <- r // for Cleanup
		return r
	case <-time.After(waitLimit):
		c.t.Fatalf("ServeDialed did not return")
	}
	return served{}
}

func TestServeDialedRegistersTheServerAsTheCCID(t *testing.T) {
	as := DialedAs{CCID: "svc:1.0", PackageID: "svc_1.0:abcd", Address: "127.0.0.1:9999"}
	notInstalled := errors.New("svc:1.0 is not installed: install it first")
	tests := []struct {
		name      string
		register  string // the REGISTER's name
		admitErr  error  // the Admission's answer
		wantCCID  string // registered as; empty when refused
		wantAsked string // the ccid the Admission is asked about; empty when it is not asked
		wantError string // the ERROR payload when refused
	}{
		{
			name:      "a server registering with the ccid it was dialled for is registered as it",
			register:  "svc:1.0",
			wantCCID:  "svc:1.0",
			wantAsked: "svc:1.0",
		},
		{
			name:      "a server registering with the package ID is registered as the ccid",
			register:  "svc_1.0:abcd",
			wantCCID:  "svc:1.0",
			wantAsked: "svc:1.0",
		},
		{
			name:      "a server registering with another name is refused and told what to set",
			register:  "svc_1.0:0000",
			wantError: "peer will not accept external chaincode connection svc_1.0:0000: the chaincode server at 127.0.0.1:9999 was dialled for svc:1.0 (package ID svc_1.0:abcd): set its CCID to the package ID",
		},
		{
			name:      "a server registering with another chaincode's ccid is refused",
			register:  "other:1.0",
			wantError: "peer will not accept external chaincode connection other:1.0: the chaincode server at 127.0.0.1:9999 was dialled for svc:1.0 (package ID svc_1.0:abcd): set its CCID to the package ID",
		},
		{
			name:      "an empty name is refused as a name the server was not dialled for",
			register:  "",
			wantError: "peer will not accept external chaincode connection : the chaincode server at 127.0.0.1:9999 was dialled for svc:1.0 (package ID svc_1.0:abcd): set its CCID to the package ID",
		},
		{
			name:      "the Admission decides on the renamed ccid and its refusal is sent",
			register:  "svc_1.0:abcd",
			admitErr:  notInstalled,
			wantAsked: "svc:1.0",
			wantError: "svc:1.0 is not installed: install it first",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			var askedInfo ConnInfo
			var hooked []string
			var mu sync.Mutex
			e := newEnv(t, DefaultConfig(),
				WithAdmission(AdmitFunc(func(ccid string, info ConnInfo) error {
					mu.Lock()
					defer mu.Unlock()
					asked, askedInfo = append(asked, ccid), info
					return tt.admitErr
				})),
				WithDisconnectHook(func(ccid string, _ error) {
					mu.Lock()
					defer mu.Unlock()
					hooked = append(hooked, ccid)
				}))
			c := e.dial(as)
			c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Txid: "reg", Payload: mustMarshal(t, &peer.ChaincodeID{Name: tt.register})})

			if tt.wantCCID != "" {
				c.expect(peer.ChaincodeMessage_REGISTERED)
				c.expect(peer.ChaincodeMessage_READY)
				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				defer cancel()
				if _, err := e.srv.WaitReady(ctx, tt.wantCCID); err != nil {
					t.Fatalf("WaitReady(%s): %v", tt.wantCCID, err)
				}
				if diff := cmp.Diff([]string{tt.wantCCID}, e.srv.Connected()); diff != "" {
					t.Errorf("Connected (-want +got):\n%s", diff)
				}
				c.end()
				got := c.served()
				if !got.registered || got.err != nil {
					t.Errorf("ServeDialed returned %v, %v; want registered and a clean end", got.registered, got.err)
				}
			} else {
				m := c.expect(peer.ChaincodeMessage_ERROR)
				if string(m.Payload) != tt.wantError || m.Txid != "reg" {
					t.Errorf("ERROR %q for txid %q, want %q for reg", m.Payload, m.Txid, tt.wantError)
				}
				got := c.served()
				if got.registered {
					t.Error("ServeDialed reports a refused server as registered")
				}
				if !errors.Is(got.err, ErrRegistrationRefused) || got.err == nil || !strings.Contains(got.err.Error(), tt.wantError) {
					t.Errorf("ServeDialed returned %v, want %v carrying %q", got.err, ErrRegistrationRefused, tt.wantError)
				}
				if tt.admitErr != nil && !errors.Is(got.err, tt.admitErr) {
					t.Errorf("ServeDialed returned %v, want it to wrap the Admission's %v", got.err, tt.admitErr)
				}
				if got := e.srv.Connected(); len(got) != 0 {
					t.Errorf("Connected() = %v after a refusal, want none", got)
				}
			}

			mu.Lock()
			defer mu.Unlock()
			var wantAsked []string
			if tt.wantAsked != "" {
				wantAsked = []string{tt.wantAsked}
				if !askedInfo.Dialed {
					t.Errorf("the Admission saw %+v, want Dialed set", askedInfo)
				}
			}
			if diff := cmp.Diff(wantAsked, asked); diff != "" {
				t.Errorf("ccids the Admission was asked about (-want +got):\n%s", diff)
			}
			var wantHooked []string
			if tt.wantCCID != "" {
				wantHooked = []string{tt.wantCCID}
			}
			if diff := cmp.Diff(wantHooked, hooked); diff != "" {
				t.Errorf("disconnect hook calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServeDialedReportsAServerThatNeverRegistered(t *testing.T) {
	hooked := make(chan string, 1)
	e := newEnv(t, DefaultConfig(), WithDisconnectHook(func(ccid string, _ error) { hooked <- ccid }))
	c := e.dial(DialedAs{CCID: "svc:1.0", PackageID: "svc_1.0:abcd", Address: "127.0.0.1:9999"})
	c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_KEEPALIVE})
	c.end()
	got := c.served()
	if got.registered || got.err != nil {
		t.Errorf("ServeDialed returned %v, %v; want not registered and a clean end", got.registered, got.err)
	}
	select {
	case ccid := <-hooked:
		t.Errorf("the disconnect hook ran for %s, which never registered", ccid)
	default:
	}
}

func TestServeDialedRefusesAnEmptyCCID(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.dial(DialedAs{PackageID: "svc_1.0:abcd", Address: "127.0.0.1:9999"})
	got := c.served()
	want := "serve chaincode server 127.0.0.1:9999 (package ID svc_1.0:abcd): DialedAs.CCID is empty"
	if got.registered || got.err == nil || got.err.Error() != want {
		t.Errorf("ServeDialed returned %v, %v; want not registered and %q", got.registered, got.err, want)
	}
}
