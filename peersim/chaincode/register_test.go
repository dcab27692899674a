package chaincode

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/testing/protocmp"
)

func TestRegistration(t *testing.T) {
	installed := AdmitFunc(func(ccid string, _ ConnInfo) error {
		if ccid == "mycc:1.0" {
			return nil
		}
		return fmt.Errorf("%s is not installed; installed versions of mycc: 1.0", ccid)
	})
	tests := []struct {
		name     string
		first    func(t *testing.T) *peer.ChaincodeMessage
		wantText string
		wantCode codes.Code
	}{
		{
			name: "an id the admission refuses gets ERROR with the reason and the stream closes",
			first: func(t *testing.T) *peer.ChaincodeMessage {
				return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: mustMarshal(t, &peer.ChaincodeID{Name: "mycc:2.0"})}
			},
			wantText: "mycc:2.0 is not installed; installed versions of mycc: 1.0",
			wantCode: codes.PermissionDenied,
		},
		{
			name: "an empty name is refused",
			first: func(t *testing.T) *peer.ChaincodeMessage {
				return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: mustMarshal(t, &peer.ChaincodeID{})}
			},
			wantText: "error in handling register chaincode, chaincodeID name is empty",
			wantCode: codes.InvalidArgument,
		},
		{
			name: "a REGISTER whose payload is not a ChaincodeID is refused",
			first: func(*testing.T) *peer.ChaincodeMessage {
				return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: []byte{0xff, 0xff}}
			},
			wantText: "REGISTER payload is not a ChaincodeID: unmarshal failed",
			wantCode: codes.InvalidArgument,
		},
		{
			name: "a REGISTER whose name is not UTF-8 is refused",
			first: func(*testing.T) *peer.ChaincodeMessage {
				name := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "my\xffcc:1.0")
				return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: name}
			},
			wantText: "REGISTER payload is not a ChaincodeID: unmarshal failed: string field contains invalid UTF-8",
			wantCode: codes.InvalidArgument,
		},
		{
			name: "a first message other than REGISTER is refused",
			first: func(*testing.T) *peer.ChaincodeMessage {
				return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_GET_STATE, Txid: "tx1"}
			},
			wantText: "[tx1] peer cannot handle message (GET_STATE) while in created state: the first message must be REGISTER",
			wantCode: codes.InvalidArgument,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, DefaultConfig(), WithAdmission(installed))
			c := e.open()
			c.send(tt.first(t))
			m := c.expect(peer.ChaincodeMessage_ERROR)
			if !strings.Contains(string(m.Payload), tt.wantText) {
				t.Errorf("ERROR payload %q does not contain %q", m.Payload, tt.wantText)
			}
			err := c.expectEnd()
			if got := status.Code(err); got != tt.wantCode {
				t.Errorf("stream ended with %v, want code %v", err, tt.wantCode)
			}
			if got := e.srv.Connected(); len(got) != 0 {
				t.Errorf("Connected() = %v after a refusal, want none", got)
			}
		})
	}
}

func TestRegistrationAcceptedSendsRegisteredThenReadyWithParams(t *testing.T) {
	fabricDefaults := &peer.ChaincodeAdditionalParams{UseWriteBatch: true, MaxSizeWriteBatch: 1000, UseGetMultipleKeys: true, MaxSizeGetMultipleKeys: 1000}
	tests := []struct {
		name           string
		cfg            func(*Config)
		opts           []Option
		want           *peer.ChaincodeAdditionalParams
		wantRegistered *msp.SerializedIdentity // nil: an empty REGISTERED, as a Fabric peer sends
	}{
		{
			name: "defaults advertise Fabric 3.1's shipped core.yaml",
			cfg:  func(*Config) {},
			want: fabricDefaults,
		},
		{
			name:           "the peer's MSP ID is announced in REGISTERED",
			cfg:            func(*Config) {},
			opts:           []Option{WithPeerMSPID("Org2MSP")},
			want:           fabricDefaults,
			wantRegistered: &msp.SerializedIdentity{Mspid: "Org2MSP"},
		},
		{
			name: "the MSP ID of the organisation the registering ccid runs for is announced",
			cfg:  func(*Config) {},
			opts: []Option{WithPeerMSPIDOf(func(ccid string) string {
				return map[string]string{"mycc:1.0": "Org3MSP"}[ccid]
			})},
			want:           fabricDefaults,
			wantRegistered: &msp.SerializedIdentity{Mspid: "Org3MSP"},
		},
		{
			name: "no MSP ID for the ccid leaves REGISTERED empty",
			cfg:  func(*Config) {},
			opts: []Option{WithPeerMSPIDOf(func(string) string { return "" })},
			want: fabricDefaults,
		},
		{
			name: "configured values are advertised",
			cfg: func(c *Config) {
				c.UseWriteBatch, c.MaxSizeWriteBatch, c.UseGetMultipleKeys, c.MaxSizeGetMultipleKeys = false, 7, true, 9
			},
			want: &peer.ChaincodeAdditionalParams{MaxSizeWriteBatch: 7, UseGetMultipleKeys: true, MaxSizeGetMultipleKeys: 9},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.cfg(&cfg)
			var got ConnInfo
			e := newEnv(t, cfg, append(tt.opts, WithAdmission(AdmitFunc(func(_ string, info ConnInfo) error { got = info; return nil })))...)
			c := e.open()
			// KEEPALIVE before REGISTER is ignored.
			c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_KEEPALIVE})
			c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: mustMarshal(t, &peer.ChaincodeID{Name: "mycc:1.0"})})
			reg := c.expect(peer.ChaincodeMessage_REGISTERED)
			if reg.Txid != "" || reg.ChannelId != "" {
				t.Errorf("REGISTERED carries %v, want no txid or channel", reg)
			}
			if tt.wantRegistered == nil {
				if len(reg.Payload) != 0 {
					t.Errorf("REGISTERED payload %x, want none", reg.Payload)
				}
			} else {
				announced := &msp.SerializedIdentity{}
				mustUnmarshal(t, reg.Payload, announced)
				if diff := cmp.Diff(tt.wantRegistered, announced, protocmp.Transform()); diff != "" {
					t.Errorf("REGISTERED payload (-want +got):\n%s", diff)
				}
			}
			ready := c.expect(peer.ChaincodeMessage_READY)
			params := &peer.ChaincodeAdditionalParams{}
			mustUnmarshal(t, ready.Payload, params)
			if diff := cmp.Diff(tt.want, params, protocmp.Transform()); diff != "" {
				t.Errorf("READY params (-want +got):\n%s", diff)
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			if _, err := e.srv.WaitReady(ctx, "mycc:1.0"); err != nil {
				t.Fatalf("WaitReady: %v", err)
			}
			if got.Addr == nil || got.Dialed {
				t.Errorf("admission saw %+v, want the remote address and Dialed false", got)
			}
			if diff := cmp.Diff([]string{"mycc:1.0"}, e.srv.Connected()); diff != "" {
				t.Errorf("Connected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDuplicateRegistrationIsRefusedAndTheFirstKeepsWorking(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	first := e.register("mycc:1.0")

	second := e.open()
	second.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: mustMarshal(t, &peer.ChaincodeID{Name: "mycc:1.0"})})
	m := second.expect(peer.ChaincodeMessage_ERROR)
	if !strings.HasPrefix(string(m.Payload), "duplicate chaincodeID: mycc:1.0") {
		t.Errorf("ERROR payload %q, want it to start with %q", m.Payload, "duplicate chaincodeID: mycc:1.0")
	}
	if err := second.expectEnd(); status.Code(err) != codes.AlreadyExists {
		t.Errorf("duplicate stream ended with %v, want AlreadyExists", err)
	}

	x := e.begin(first, "mycc:1.0", "ch1", "tx1", newFakeSim())
	e.finish(first, x, "ch1", "tx1")
}

func TestReRegistrationAfterDisconnectIsAccepted(t *testing.T) {
	var mu sync.Mutex
	var hooked []string
	e := newEnv(t, DefaultConfig(), WithDisconnectHook(func(ccid string, cause error) {
		mu.Lock()
		defer mu.Unlock()
		hooked = append(hooked, fmt.Sprintf("%s %v", ccid, cause))
	}))
	first := e.register("mycc:1.0")
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	done, err := e.srv.WaitReady(ctx, "mycc:1.0")
	if err != nil {
		t.Fatal(err)
	}
	first.disconnect(e.srv, "mycc:1.0", done)

	if _, err := e.srv.Execute(ctx, "mycc:1.0", ExecuteRequest{Type: peer.ChaincodeMessage_TRANSACTION, TxID: "tx0", Namespace: "mycc", Simulator: newFakeSim()}); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("Execute after disconnect: %v, want ErrNotRegistered", err)
	}

	second := e.register("mycc:1.0")
	x := e.begin(second, "mycc:1.0", "ch1", "tx1", newFakeSim())
	e.finish(second, x, "ch1", "tx1")

	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"mycc:1.0 <nil>"}, hooked); diff != "" {
		t.Errorf("disconnect hook calls (-want +got):\n%s", diff)
	}
}

func TestWaitReady(t *testing.T) {
	e := newEnv(t, DefaultConfig())

	t.Run("it gives up when the context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := e.srv.WaitReady(ctx, "absent:1")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WaitReady = %v, want context.Canceled", err)
		}
	})

	t.Run("it returns once the chaincode registers", func(t *testing.T) {
		waited := make(chan error, 1)
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		go func() {
			_, err := e.srv.WaitReady(ctx, "late:1")
			waited <- err
		}()
		e.register("late:1")
		if err := <-waited; err != nil {
			t.Errorf("WaitReady = %v", err)
		}
	})
}

func TestKeepalive(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Keepalive = time.Millisecond
	e := newEnv(t, cfg)
	c := e.register("mycc:1.0")
	for {
		m, ok := <-c.in
		if !ok {
			t.Fatal("stream ended before a KEEPALIVE came")
		}
		if m.Type == peer.ChaincodeMessage_KEEPALIVE {
			if m.Txid != "" || len(m.Payload) != 0 {
				t.Errorf("KEEPALIVE carries %v, want an empty message", m)
			}
			break
		}
	}
	// Echoed and unsolicited KEEPALIVEs are ignored; the stream keeps working.
	c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_KEEPALIVE})
	x := e.begin(c, "mycc:1.0", "ch1", "tx1", newFakeSim())
	e.finish(c, x, "ch1", "tx1")
}

func TestCloseEndsStreamsAndRefusesNewOnes(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")
	x := e.begin(c, "mycc:1.0", "ch1", "tx1", newFakeSim())
	e.srv.Close()
	if _, err := x.wait(t); !errors.Is(err, ErrStreamTerminated) {
		t.Errorf("Execute during Close = %v, want ErrStreamTerminated", err)
	}
	if err := c.expectEnd(); status.Code(err) != codes.Unavailable {
		t.Errorf("stream ended with %v, want Unavailable", err)
	}
	if _, err := e.srv.WaitReady(context.Background(), "mycc:1.0"); !errors.Is(err, ErrServerClosed) {
		t.Errorf("WaitReady after Close = %v, want ErrServerClosed", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"the defaults are valid", func(*Config) {}, ""},
		{"no execute timeout is valid", func(c *Config) { c.ExecuteTimeout = 0 }, ""},
		{"a negative execute timeout is refused", func(c *Config) { c.ExecuteTimeout = -time.Second }, "ExecuteTimeout -1s"},
		{"a negative keepalive is refused", func(c *Config) { c.Keepalive = -1 }, "Keepalive -1ns"},
		{"a zero total query limit is refused", func(c *Config) { c.TotalQueryLimit = 0 }, "TotalQueryLimit 0"},
		{"a zero write batch size is refused", func(c *Config) { c.MaxSizeWriteBatch = 0 }, "MaxSizeWriteBatch 0"},
		{"a zero get-multiple size is refused", func(c *Config) { c.MaxSizeGetMultipleKeys = 0 }, "MaxSizeGetMultipleKeys 0"},
		{"MaxInFlight must be positive", func(c *Config) { c.MaxInFlight = 0 }, "MaxInFlight 0 must be positive"},
		{"MaxInFlightPerTx must be positive", func(c *Config) { c.MaxInFlightPerTx = -1 }, "MaxInFlightPerTx -1 must be positive"},
		{"MaxInFlightPerTx may not exceed MaxInFlight", func(c *Config) { c.MaxInFlight, c.MaxInFlightPerTx = 4, 5 }, "MaxInFlightPerTx 5 exceeds MaxInFlight 4"},
		{"MaxInFlightPerTx may equal MaxInFlight", func(c *Config) { c.MaxInFlight, c.MaxInFlightPerTx = 4, 4 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if tt.want == "" && err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
			if tt.want != "" && !strings.Contains(errText(err), tt.want) {
				t.Errorf("Validate() = %v, want it to name %q", err, tt.want)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("TESTCC_EXECUTE_TIMEOUT", "5s")
	t.Setenv("TESTCC_USE_WRITE_BATCH", "false")
	t.Setenv("TESTCC_MAX_INFLIGHT", "7")
	t.Setenv("TESTCC_MAX_INFLIGHT_PER_TX", "3")
	cfg, err := ConfigFromEnv("TESTCC")
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.ExecuteTimeout = 5 * time.Second
	want.UseWriteBatch = false
	want.MaxInFlight, want.MaxInFlightPerTx = 7, 3
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if def := DefaultConfig(); def.MaxInFlight != 128 || def.MaxInFlightPerTx != 16 {
		t.Errorf("defaults %d/%d, want 128/16 as the envconfig tags say", def.MaxInFlight, def.MaxInFlightPerTx)
	}

	t.Setenv("TESTCC_EXECUTE_TIMEOUT", "5")
	if _, err := ConfigFromEnv("TESTCC"); err == nil {
		t.Errorf("a duration without unit was accepted")
	}
}
