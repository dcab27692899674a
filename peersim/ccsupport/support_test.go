package ccsupport

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// fakeServer is a chaincode server whose registrations the test controls:
// WaitReady returns when ready is closed, or when ctx ends.
type fakeServer struct {
	connected []string
	ready     chan struct{}
	execute   func(req chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error)
}

func (f *fakeServer) Connected() []string { return f.connected }

func (f *fakeServer) WaitReady(ctx context.Context, ccid string) (<-chan struct{}, error) {
	select {
	case <-f.ready:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *fakeServer) Execute(_ context.Context, _ string, req chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error) {
	return f.execute(req)
}

func (f *fakeServer) ServeDialed(peer.Chaincode_ConnectClient, chaincode.DialedAs) (bool, error) {
	return false, errors.New("not dialled in these tests")
}

// fakeLauncher launches nothing: Launch returns launchErr or an instance
// with no process, and Stop records the ccid.
type fakeLauncher struct {
	Launcher
	launchErr error
	stopped   []string
}

func (f *fakeLauncher) Launch(context.Context, string, *ccpackage.Package) (*launcher.Instance, error) {
	if f.launchErr != nil {
		return nil, f.launchErr
	}
	return &launcher.Instance{}, nil
}

func (f *fakeLauncher) Stop(_ context.Context, ccid string) error {
	f.stopped = append(f.stopped, ccid)
	return nil
}

type fakePackages struct{}

func (fakePackages) Load(name, version string) (*ccpackage.Package, error) { return nil, nil }

func (fakePackages) LoadPackage(packageID string) (*ccpackage.Package, error) { return nil, nil }

type launch struct {
	ccid         string
	ok, timedOut bool
}

func TestEnsureConnected(t *testing.T) {
	registered := make(chan struct{})
	close(registered)
	tests := []struct {
		name      string
		dev, wait bool
		connected []string
		ready     chan struct{} // nil: never registers
		launcher  *fakeLauncher // nil: none
		stopping  bool
		want      string // "" for success; else a substring of the error
		wantIs    error
		launches  []launch
		stopped   []string
	}{
		{name: "a connected chaincode needs nothing", connected: []string{"mycc:1.0"}},
		{name: "development mode names the start command for an invoke", dev: true,
			want:   "could not launch chaincode mycc:1.0: chaincode not connected: the peer runs in development mode and starts no chaincode; start it with: CORE_ID_CHAINCODE_NAME=mycc:1.0 CORE_CHAINCODE_ID_NAME=mycc:1.0 CORE_PEER_TLS_ENABLED=false CORE_PEER_LOCALMSPID=Org1MSP <binary> -peer.address 127.0.0.1:7052",
			wantIs: ErrChaincodeNotConnected},
		{name: "development mode waits for the developer on instantiate", dev: true, wait: true, ready: registered,
			launches: []launch{{ccid: "mycc:1.0", ok: true}}},
		{name: "development mode gives up at the startup timeout", dev: true, wait: true,
			want: "could not launch chaincode mycc:1.0: chaincode not connected within 10ms: start it with: CORE_ID_CHAINCODE_NAME=mycc:1.0", wantIs: ErrChaincodeNotConnected,
			launches: []launch{{ccid: "mycc:1.0", timedOut: true}}},
		{name: "a stopping peer ends the wait", dev: true, wait: true, stopping: true,
			want: "could not launch chaincode mycc:1.0: peer stopped", wantIs: ErrStopped,
			launches: []launch{{ccid: "mycc:1.0"}}},
		{name: "production mode needs a launcher",
			want: "could not launch chaincode mycc:1.0: production mode needs the launcher", wantIs: ErrNeedLauncher,
			launches: []launch{{ccid: "mycc:1.0"}}},
		{name: "a failed launch is reported", launcher: &fakeLauncher{launchErr: errors.New("build failed")},
			want:     "could not launch chaincode mycc:1.0: build failed",
			launches: []launch{{ccid: "mycc:1.0"}}},
		{name: "a launched chaincode that registers is ready", launcher: &fakeLauncher{}, ready: registered,
			launches: []launch{{ccid: "mycc:1.0", ok: true}}},
		{name: "a launched chaincode that never registers is stopped, with Fabric's text", launcher: &fakeLauncher{},
			want:     "could not launch chaincode mycc:1.0: timeout expired while starting chaincode mycc:1.0 for transaction",
			launches: []launch{{ccid: "mycc:1.0", timedOut: true}}, stopped: []string{"mycc:1.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stopping := make(chan struct{})
			if tt.stopping {
				close(stopping)
			}
			var launches []launch
			timeout := 10 * time.Millisecond
			if tt.ready != nil || tt.stopping {
				timeout = time.Minute // the outcome must come from the registration or the stop
			}
			s := New(Config{
				Dev: tt.dev, StartupTimeout: timeout, MSPID: "Org1MSP",
				ChaincodeAddress: func() string { return "127.0.0.1:7052" },
				Server:           &fakeServer{connected: tt.connected, ready: tt.ready},
				Packages:         fakePackages{},
				Launcher: func() Launcher {
					if tt.launcher == nil {
						return nil
					}
					return tt.launcher
				},
				Launched: func(ccid string, ok, timedOut bool, _ time.Duration) {
					launches = append(launches, launch{ccid: ccid, ok: ok, timedOut: timedOut})
				},
				Stopping: stopping,
			})
			err := s.EnsureConnected(context.Background(), "mycc", "1.0", tt.wait)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("EnsureConnected: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("EnsureConnected error = %v, want one containing %q", err, tt.want)
			case tt.wantIs != nil && !errors.Is(err, tt.wantIs):
				t.Fatalf("EnsureConnected error = %v, want errors.Is %v", err, tt.wantIs)
			}
			if !equalLaunches(launches, tt.launches) {
				t.Errorf("launches observed = %+v, want %+v", launches, tt.launches)
			}
			if tt.launcher != nil && strings.Join(tt.launcher.stopped, ",") != strings.Join(tt.stopped, ",") {
				t.Errorf("stopped = %v, want %v", tt.launcher.stopped, tt.stopped)
			}
		})
	}
}

func equalLaunches(a, b []launch) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExecute(t *testing.T) {
	completed := func(resp *peer.Response) func(chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error) {
		return func(chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error) {
			b, err := proto.Marshal(resp)
			return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_COMPLETED, Payload: b}, err
		}
	}
	tests := []struct {
		name    string
		init    bool
		execute func(chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error)
		want    *peer.Response
		wantErr string
		wantTyp string
		wantOK  bool
	}{
		{name: "a completed transaction returns the chaincode's response",
			execute: completed(&peer.Response{Status: 200, Payload: []byte("100")}),
			want:    &peer.Response{Status: 200, Payload: []byte("100")}, wantTyp: "TRANSACTION", wantOK: true},
		{name: "Init is sent as INIT", init: true,
			execute: completed(&peer.Response{Status: 200}),
			want:    &peer.Response{Status: 200}, wantTyp: "INIT", wantOK: true},
		{name: "an ERROR message is Fabric's transaction failure",
			execute: func(chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error) {
				return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Payload: []byte("panic: boom")}, nil
			},
			wantErr: "transaction returned with failure: panic: boom", wantTyp: "TRANSACTION"},
		{name: "a stream failure names the transaction",
			execute: func(chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error) {
				return nil, errors.New("chaincode stream terminated")
			},
			wantErr: "failed to execute transaction tx1: chaincode stream terminated", wantTyp: "TRANSACTION"},
		{name: "an undecodable response is refused",
			execute: func(chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error) {
				return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_COMPLETED, Payload: []byte{0xff}}, nil
			},
			wantErr: "failed to execute transaction tx1: decode chaincode response", wantTyp: "TRANSACTION", wantOK: true},
		{name: "an unexpected message type is refused",
			execute: func(chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error) {
				return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_GET_STATE}, nil
			},
			wantErr: "failed to execute transaction tx1: unexpected message type GET_STATE from chaincode mycc:1.0", wantTyp: "TRANSACTION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotTyp string
			var gotOK bool
			s := New(Config{
				Server: &fakeServer{execute: tt.execute},
				Executed: func(ccid, typ string, ok, _ bool, _ time.Duration) {
					gotTyp, gotOK = typ, ok
				},
			})
			resp, _, err := s.Execute(context.Background(), syscc.Execution{CCID: "mycc:1.0", TxID: "tx1", Init: tt.init})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Execute error = %v, want one containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if !proto.Equal(resp, tt.want) {
				t.Errorf("response = %v, want %v", resp, tt.want)
			}
			if gotTyp != tt.wantTyp || gotOK != tt.wantOK {
				t.Errorf("observed (%s, ok=%v), want (%s, ok=%v)", gotTyp, gotOK, tt.wantTyp, tt.wantOK)
			}
		})
	}
}

// deadlineServer is a chaincode server whose chaincode registers at once
// and that records whether the wait for it had a deadline.
type deadlineServer struct {
	fakeServer
	hadDeadline chan bool
}

func (d *deadlineServer) WaitReady(ctx context.Context, _ string) (<-chan struct{}, error) {
	_, ok := ctx.Deadline()
	d.hadDeadline <- ok
	return nil, nil
}

func TestTheStartupTimeoutBoundsTheDevelopmentModeWaitUnlessItIsZero(t *testing.T) {
	for _, tt := range []struct {
		timeout time.Duration
		want    bool
	}{{time.Minute, true}, {0, false}} {
		srv := &deadlineServer{hadDeadline: make(chan bool, 1)}
		s := New(Config{
			Dev: true, StartupTimeout: tt.timeout, MSPID: "Org1MSP",
			ChaincodeAddress: func() string { return "127.0.0.1:7052" },
			Server:           srv, Packages: fakePackages{},
			Launcher: func() Launcher { return nil },
			Stopping: make(chan struct{}),
		})
		if err := s.EnsureConnected(context.Background(), "mycc", "1.0", true); err != nil {
			t.Fatalf("StartupTimeout %s: EnsureConnected: %v", tt.timeout, err)
		}
		if got := <-srv.hadDeadline; got != tt.want {
			t.Errorf("StartupTimeout %s: the wait had a deadline: %v, want %v", tt.timeout, got, tt.want)
		}
	}
}

func TestTheDevelopmentModeStartCommandCarriesTheTLSSettings(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  func() []string
		want string
	}{
		{"without TLS", nil, "CORE_CHAINCODE_ID_NAME=mycc:1.0 CORE_PEER_TLS_ENABLED=false CORE_PEER_LOCALMSPID=Org1MSP <binary>"},
		{"with TLS", func() []string {
			return []string{"CORE_PEER_TLS_ENABLED=true", "CORE_PEER_TLS_ROOTCERT_FILE=/d/ca.crt"}
		},
			"CORE_CHAINCODE_ID_NAME=mycc:1.0 CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_ROOTCERT_FILE=/d/ca.crt CORE_PEER_LOCALMSPID=Org1MSP <binary>"},
	} {
		s := New(Config{Dev: true, StartupTimeout: time.Minute, MSPID: "Org1MSP", ChaincodeTLSEnv: tt.env,
			ChaincodeAddress: func() string { return "127.0.0.1:7052" }})
		if got := s.CommandFor("mycc:1.0"); !strings.Contains(got, tt.want) {
			t.Errorf("%s: CommandFor = %q, want it to contain %q", tt.name, got, tt.want)
		}
	}
}
