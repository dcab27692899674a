package endorser

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

const channel = "mychannel"

// sysFunc is a system chaincode made of a func.
type sysFunc func(ctx context.Context, inv *syscc.Invocation) (*syscc.Result, error)

func (f sysFunc) Invoke(ctx context.Context, inv *syscc.Invocation) (*syscc.Result, error) {
	return f(ctx, inv)
}

// fakeRunner is a chaincode that answers resp after writing k=v (or
// running exec), or fails to connect with connectErr.
type fakeRunner struct {
	connectErr error
	resp       *peer.Response
	event      *peer.ChaincodeEvent
	execErr    error
	exec       func(sim *ledger.Simulator, ns string) error
}

func (r *fakeRunner) EnsureConnected(context.Context, string, string, bool) error {
	return r.connectErr
}

// Connect runs an lscc definition as name:version and a _lifecycle one as
// the package ID "pkg-<version>".
func (r *fakeRunner) Connect(_ context.Context, _ string, def *ledger.ChaincodeDefinition) (string, error) {
	if r.connectErr != nil {
		return "", r.connectErr
	}
	if def.Sequence > 0 {
		return "pkg-" + def.Version, nil
	}
	return def.Name + ":" + def.Version, nil
}

func (r *fakeRunner) Execute(_ context.Context, ex syscc.Execution) (*peer.Response, *peer.ChaincodeEvent, error) {
	if r.execErr != nil {
		return nil, nil, r.execErr
	}
	write := r.exec
	if write == nil {
		write = func(sim *ledger.Simulator, ns string) error { return sim.SetState(ns, "k", []byte("v")) }
	}
	if err := write(ex.Simulator, ex.Namespace); err != nil {
		return nil, nil, err
	}
	return r.resp, r.event, nil
}

// oneChannel is a peer with one channel.
type oneChannel struct{ l *ledger.Ledger }

func (c oneChannel) Ledger(name string) (*ledger.Ledger, error) {
	if name != channel {
		return nil, errors.New("no such channel")
	}
	return c.l, nil
}

func (c oneChannel) NotJoined(string) string { return "this peer's channels are " + channel }

// acceptAll is a ledger policy checker that accepts every signature.
type acceptAll struct{}

func (acceptAll) CheckCreator(_, _, _ []byte) error { return nil }
func (acceptAll) CheckEndorsements(ledger.Policy, []byte, []*peer.Endorsement) error {
	return nil
}

type fixture struct {
	e      *Endorser
	org    *identity.Org
	admin  *identity.SigningIdentity
	l      *ledger.Ledger
	runner *fakeRunner
	facts  []Facts
	mu     sync.Mutex
	stop   chan struct{}
}

func newFixture(t *testing.T, system syscc.Table) *fixture {
	t.Helper()
	org, err := identity.EnsureOrg(t.TempDir(), identity.DefaultConfig())
	if err != nil {
		t.Fatalf("create organisation: %v", err)
	}
	admin, err := org.Identity("Admin")
	if err != nil {
		t.Fatalf("admin identity: %v", err)
	}
	l, err := ledger.Open(channel, ledger.MemoryConfig(), ledger.WithPolicyChecker(acceptAll{}))
	if err != nil {
		t.Fatalf("open ledger: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	f := &fixture{org: org, admin: admin, l: l, runner: &fakeRunner{resp: &peer.Response{Status: 200, Payload: []byte("ok")}}, stop: make(chan struct{})}
	if system == nil {
		system = syscc.Table{}
	}
	// The validator lets lscc write chaincode definitions.
	system[syscc.LSCC] = sysFunc(func(_ context.Context, inv *syscc.Invocation) (*syscc.Result, error) {
		sim, err := inv.Ledger.NewSimulator(inv.Proposal.TxID(), "")
		if err != nil {
			return nil, err
		}
		defer sim.Done()
		if err := sim.PutChaincodeDefinition(&ledger.ChaincodeDefinition{Name: "cc", Version: "1.0"}); err != nil {
			return nil, err
		}
		sim.Done()
		res, err := sim.Results()
		if err != nil {
			return nil, err
		}
		return &syscc.Result{Response: &peer.Response{Status: 200}, Simulation: res}, nil
	})
	f.e = New(Config{
		Verifier: org.MSP(), Channels: oneChannel{l}, System: system, Chaincodes: f.runner, Signer: org.Peer(),
		Observe: func(_ *peer.ProposalResponse, facts Facts, _ time.Duration) {
			f.mu.Lock()
			f.facts = append(f.facts, facts)
			f.mu.Unlock()
		},
		Stopping: f.stop,
	})
	return f
}

func (f *fixture) propose(t *testing.T, inv identity.Invocation) (*peer.ProposalResponse, *peer.Proposal) {
	t.Helper()
	prop, _, err := f.admin.NewProposal(inv)
	if err != nil {
		t.Fatalf("new proposal: %v", err)
	}
	sp, err := f.admin.SignProposal(prop)
	if err != nil {
		t.Fatalf("sign proposal: %v", err)
	}
	resp, err := f.e.ProcessProposal(context.Background(), sp)
	if err != nil {
		t.Fatalf("ProcessProposal returned a gRPC error: %v", err)
	}
	return resp, prop
}

// define commits the definition of cc:1.0.
func (f *fixture) define(t *testing.T) {
	t.Helper()
	resp, prop := f.propose(t, identity.Invocation{ChannelID: channel, Chaincode: syscc.LSCC})
	env, err := client.NewSignedTx(prop, f.admin, resp)
	if err != nil {
		t.Fatalf("assemble the definition's transaction: %v", err)
	}
	cb, err := f.l.CommitBlock([]*common.Envelope{env})
	if err != nil {
		t.Fatalf("commit the definition: %v", err)
	}
	if cb.Txs[0].Code != peer.TxValidationCode_VALID {
		t.Fatalf("the definition's transaction is %s: %v", cb.Txs[0].Code, cb.Txs[0].Err)
	}
}

// lastFacts returns what Observe was last told.
func (f *fixture) lastFacts() Facts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.facts[len(f.facts)-1]
}

// action decodes the ChaincodeAction a response's payload carries.
func action(t *testing.T, resp *peer.ProposalResponse) *peer.ChaincodeAction {
	t.Helper()
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(resp.GetPayload(), prp); err != nil {
		t.Fatalf("decode proposal response payload: %v", err)
	}
	a := &peer.ChaincodeAction{}
	if err := proto.Unmarshal(prp.GetExtension(), a); err != nil {
		t.Fatalf("decode chaincode action: %v", err)
	}
	return a
}

func TestProcessProposal(t *testing.T) {
	system := syscc.Table{
		"echo": sysFunc(func(_ context.Context, inv *syscc.Invocation) (*syscc.Result, error) {
			return &syscc.Result{Response: &peer.Response{Status: 200, Payload: inv.Args()[0]}}, nil
		}),
		"broken": sysFunc(func(context.Context, *syscc.Invocation) (*syscc.Result, error) {
			return nil, errors.New("Incorrect number of arguments, 0")
		}),
	}
	tests := []struct {
		name     string
		inv      identity.Invocation
		runner   fakeRunner
		status   int32
		message  string // a part of the response's message
		endorsed bool
		payload  bool // the response carries a ProposalResponsePayload
		facts    Facts
	}{
		{name: "a system chaincode's result is endorsed under its name", inv: identity.Invocation{Chaincode: "echo", Args: [][]byte{[]byte("hi")}},
			status: 200, endorsed: true, payload: true, facts: Facts{Chaincode: "echo", Validated: true, ChannelFound: true}},
		{name: "a system chaincode's error is a 500 with its text", inv: identity.Invocation{Chaincode: "broken"},
			status: 500, message: "Incorrect number of arguments, 0", facts: Facts{Chaincode: "broken", Validated: true, ChannelFound: true}},
		{name: "an unknown channel says which channels there are", inv: identity.Invocation{ChannelID: "other", Chaincode: "cc"},
			status: 500, message: "channel 'other' not found: this peer's channels are mychannel", facts: Facts{Channel: "other", Chaincode: "cc", Validated: true}},
		{name: "a user chaincode needs a channel", inv: identity.Invocation{Chaincode: "cc"},
			status: 500, message: "chaincode cc can only be invoked on a channel: the proposal names none", facts: Facts{Chaincode: "cc", Validated: true, ChannelFound: true}},
		{name: "an undefined chaincode is not instantiated", inv: identity.Invocation{ChannelID: channel, Chaincode: "nope"},
			status: 500, message: "could not find chaincode with name 'nope' - make sure the chaincode nope has been successfully instantiated", facts: Facts{Channel: channel, Chaincode: "nope", Validated: true, ChannelFound: true}},
		{name: "status 200 is endorsed", inv: identity.Invocation{ChannelID: channel, Chaincode: "cc"},
			runner: fakeRunner{resp: &peer.Response{Status: 200}}, status: 200, endorsed: true, payload: true, facts: Facts{Channel: channel, Chaincode: "cc", Validated: true, ChannelFound: true}},
		{name: "status 404 carries the response only", inv: identity.Invocation{ChannelID: channel, Chaincode: "cc"},
			runner: fakeRunner{resp: &peer.Response{Status: 404, Message: "no asset"}}, status: 404, message: "no asset", facts: Facts{Channel: channel, Chaincode: "cc", Validated: true, ChannelFound: true}},
		{name: "status 500 carries the payload, unsigned", inv: identity.Invocation{ChannelID: channel, Chaincode: "cc"},
			runner: fakeRunner{resp: &peer.Response{Status: 500, Message: "broke"}}, status: 500, message: "broke", payload: true, facts: Facts{Channel: channel, Chaincode: "cc", Validated: true, ChannelFound: true}},
		{name: "a chaincode that does not connect fails the simulation", inv: identity.Invocation{ChannelID: channel, Chaincode: "cc"},
			runner: fakeRunner{connectErr: errors.New("not connected")}, status: 500, message: "error in simulation: failed to execute transaction ", facts: Facts{Channel: channel, Chaincode: "cc", Validated: true, ChannelFound: true}},
		{name: "an execute error fails the simulation", inv: identity.Invocation{ChannelID: channel, Chaincode: "cc"},
			runner: fakeRunner{execErr: errors.New("transaction returned with failure: boom")}, status: 500, message: "error in simulation: transaction returned with failure: boom", facts: Facts{Channel: channel, Chaincode: "cc", Validated: true, ChannelFound: true}},
	}
	f := newFixture(t, system)
	f.define(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*f.runner = tt.runner
			resp, _ := f.propose(t, tt.inv)
			if got := resp.GetResponse().GetStatus(); got != tt.status {
				t.Errorf("status %d (%q), want %d", got, resp.GetResponse().GetMessage(), tt.status)
			}
			if !strings.Contains(resp.GetResponse().GetMessage(), tt.message) {
				t.Errorf("message %q, want it to contain %q", resp.GetResponse().GetMessage(), tt.message)
			}
			if got := resp.GetEndorsement() != nil; got != tt.endorsed {
				t.Errorf("endorsed %v, want %v", got, tt.endorsed)
			}
			if got := len(resp.GetPayload()) > 0; got != tt.payload {
				t.Errorf("payload present %v, want %v", got, tt.payload)
			}
			if tt.payload {
				if got := action(t, resp).GetChaincodeId().GetName(); got != tt.inv.Chaincode {
					t.Errorf("action's chaincode %q, want %q", got, tt.inv.Chaincode)
				}
			}
			got := f.lastFacts()
			if (got.Proposal != nil) != got.Validated || got.Proposal != nil && got.Proposal.TxID() == "" {
				t.Errorf("facts carry proposal %v, want it exactly when the proposal validated (%v)", got.Proposal, got.Validated)
			}
			got.Proposal = nil
			if got != tt.facts {
				t.Errorf("facts %+v, want %+v", got, tt.facts)
			}
		})
	}
}

func TestProcessProposalRefusals(t *testing.T) {
	t.Run("a bad signature fails validation", func(t *testing.T) {
		f := newFixture(t, nil)
		prop, _, err := f.admin.NewProposal(identity.Invocation{ChannelID: channel, Chaincode: "cc"})
		if err != nil {
			t.Fatal(err)
		}
		sp, err := f.admin.SignProposal(prop)
		if err != nil {
			t.Fatal(err)
		}
		sp.Signature[len(sp.Signature)-1] ^= 1
		resp, err := f.e.ProcessProposal(context.Background(), sp)
		if err != nil || resp.GetResponse().GetStatus() != 500 || resp.GetEndorsement() != nil {
			t.Fatalf("got %v, %v; want a 500 without endorsement", resp, err)
		}
		if got := f.lastFacts(); got.Validated {
			t.Errorf("facts %+v: a refused signature is not validated", got)
		}
	})
	t.Run("a transaction ID being endorsed is a duplicate", func(t *testing.T) {
		entered, release := make(chan struct{}), make(chan struct{})
		f := newFixture(t, syscc.Table{"slow": sysFunc(func(context.Context, *syscc.Invocation) (*syscc.Result, error) {
			close(entered)
			<-release
			return &syscc.Result{Response: &peer.Response{Status: 200}}, nil
		})})
		prop, txID, err := f.admin.NewProposal(identity.Invocation{ChannelID: channel, Chaincode: "slow"})
		if err != nil {
			t.Fatal(err)
		}
		sp, err := f.admin.SignProposal(prop)
		if err != nil {
			t.Fatal(err)
		}
		first := make(chan *peer.ProposalResponse)
		go func() {
			resp, _ := f.e.ProcessProposal(context.Background(), sp)
			first <- resp
		}()
		<-entered
		if n := f.e.InFlight(); n != 1 {
			t.Errorf("InFlight %d while one proposal is endorsed, want 1", n)
		}
		resp, _ := f.e.ProcessProposal(context.Background(), sp)
		if msg := resp.GetResponse().GetMessage(); resp.GetResponse().GetStatus() != 500 || !strings.HasPrefix(msg, "duplicate transaction found ["+txID+"]") {
			t.Errorf("second proposal: %d %q, want a duplicate", resp.GetResponse().GetStatus(), msg)
		}
		close(release)
		if resp := <-first; resp.GetResponse().GetStatus() != 200 {
			t.Errorf("first proposal: %v", resp)
		}
		f.e.Wait()
		if n := f.e.InFlight(); n != 0 {
			t.Errorf("InFlight %d after the endorsement, want 0", n)
		}
	})
	t.Run("a stopping peer refuses proposals", func(t *testing.T) {
		f := newFixture(t, nil)
		close(f.stop)
		resp, _ := f.propose(t, identity.Invocation{ChannelID: channel, Chaincode: syscc.LSCC})
		if resp.GetResponse().GetStatus() != 500 || resp.GetResponse().GetMessage() != "peer is stopping" {
			t.Errorf("got %v, want 500 peer is stopping", resp.GetResponse())
		}
	})
}
