package endorser

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/determinism"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// countingRunner is a chaincode that reads key "k" and writes "out": the
// value of k followed, when counts is set, by the number of the call (a
// package-level counter in a real chaincode).
type countingRunner struct {
	fakeRunner
	counts bool

	mu    sync.Mutex
	calls int
	ccids []string
}

func (r *countingRunner) Execute(_ context.Context, ex syscc.Execution) (*peer.Response, *peer.ChaincodeEvent, error) {
	r.mu.Lock()
	r.calls++
	n := r.calls
	r.ccids = append(r.ccids, ex.CCID)
	r.mu.Unlock()
	k, err := ex.Simulator.GetState(ex.Namespace, "k")
	if err != nil {
		return nil, nil, err
	}
	v := append([]byte("k="), k...)
	if r.counts {
		v = append(v, []byte(" call "+strconv.Itoa(n))...)
	}
	if err := ex.Simulator.SetState(ex.Namespace, "out", v); err != nil {
		return nil, nil, err
	}
	return &peer.Response{Status: 200}, nil, nil
}

func (r *countingRunner) ran() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ccids...)
}

// checking returns an endorser over f's channel that runs r, with cfg's
// determinism settings.
func (f *fixture) checking(r *countingRunner, check bool, second func(context.Context, string) (string, error)) *Endorser {
	return New(Config{
		Verifier: f.org.MSP(), Channels: oneChannel{f.l}, System: syscc.Table{}, Chaincodes: r, Signer: f.org.Peer(),
		Stopping: f.stop, CheckDeterminism: check, SecondInstance: second,
	})
}

func (f *fixture) proposeTo(t *testing.T, e *Endorser, ctx context.Context) (*peer.ProposalResponse, *peer.Proposal) {
	t.Helper()
	prop, _, err := f.admin.NewProposal(identity.Invocation{ChannelID: channel, Chaincode: "cc"})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := f.admin.SignProposal(prop)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.ProcessProposal(ctx, sp)
	if err != nil {
		t.Fatalf("ProcessProposal returned a gRPC error: %v", err)
	}
	return resp, prop
}

// writes decodes the writes to namespace cc of an endorsed response.
func writes(t *testing.T, resp *peer.ProposalResponse) map[string]string {
	t.Helper()
	out := map[string]string{}
	res := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(action(t, resp).GetResults(), res); err != nil {
		t.Fatal(err)
	}
	for _, ns := range res.GetNsRwset() {
		if ns.GetNamespace() != "cc" {
			continue
		}
		kv := &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(ns.GetRwset(), kv); err != nil {
			t.Fatal(err)
		}
		for _, w := range kv.GetWrites() {
			out[w.GetKey()] = string(w.GetValue())
		}
	}
	return out
}

func TestDeterminismCheck(t *testing.T) {
	requested := metadata.NewIncomingContext(context.Background(), metadata.Pairs(determinism.Header, "true"))
	twin := func(_ context.Context, ccid string) (string, error) { return ccid + "#2", nil }
	for _, tc := range []struct {
		name      string
		counts    bool
		check     bool
		ctx       context.Context
		second    func(context.Context, string) (string, error)
		wantRan   []string
		wantMsg   string // a 500 whose message starts with this and names the write
		wantWrite string // else an endorsement writing out=wantWrite
	}{
		{name: "without the check a nondeterministic chaincode runs once and is endorsed", counts: true, ctx: context.Background(),
			wantRan: []string{"cc:1.0"}, wantWrite: "k= call 1"},
		{name: "the peer option checks every proposal and endorses agreeing simulations", check: true, ctx: context.Background(),
			wantRan: []string{"cc:1.0", "cc:1.0"}, wantWrite: "k="},
		{name: "the second simulation runs on the second instance when there is one", check: true, ctx: context.Background(), second: twin,
			wantRan: []string{"cc:1.0", "cc:1.0#2"}, wantWrite: "k="},
		{name: "the header asks for the check on one proposal, which a mismatch refuses", counts: true, ctx: requested,
			wantRan: []string{"cc:1.0", "cc:1.0"}, wantMsg: determinism.Phrase + ": transaction "},
		{name: "a second instance that cannot start fails the proposal", check: true, ctx: context.Background(),
			second:  func(context.Context, string) (string, error) { return "", errors.New("no launcher") },
			wantRan: []string{"cc:1.0"}, wantMsg: "determinism check of transaction "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.define(t)
			r := &countingRunner{counts: tc.counts}
			resp, _ := f.proposeTo(t, f.checking(r, tc.check, tc.second), tc.ctx)
			if got := r.ran(); strings.Join(got, " ") != strings.Join(tc.wantRan, " ") {
				t.Errorf("ran on %q, want %q", got, tc.wantRan)
			}
			msg := resp.GetResponse().GetMessage()
			if tc.wantMsg != "" {
				if resp.GetResponse().GetStatus() != 500 || !strings.HasPrefix(msg, tc.wantMsg) || resp.GetEndorsement() != nil {
					t.Fatalf("got %d %q endorsed=%v, want an unendorsed 500 starting %q", resp.GetResponse().GetStatus(), msg, resp.GetEndorsement() != nil, tc.wantMsg)
				}
				if tc.counts && !strings.Contains(msg, `write cc key "out": differs from byte 8`) {
					t.Errorf("message does not name the write:\n%s", msg)
				}
				return
			}
			if resp.GetResponse().GetStatus() != 200 || resp.GetEndorsement() == nil {
				t.Fatalf("got %d %q, want an endorsement", resp.GetResponse().GetStatus(), msg)
			}
			if got := writes(t, resp)["out"]; got != tc.wantWrite {
				t.Errorf("endorsed out=%q, want %q (the first simulation's)", got, tc.wantWrite)
			}
		})
	}
}

func TestDeterminismCheckEndorsesTheFirstSimulationWhenABlockCommitsBetween(t *testing.T) {
	f := newFixture(t, nil)
	f.define(t)
	r := &countingRunner{}
	// Between the two simulations, a transaction sets k: the second reads
	// and writes something else, but because of the commit, not of the
	// chaincode.
	between := func(_ context.Context, ccid string) (string, error) {
		resp, prop := f.propose(t, identity.Invocation{ChannelID: channel, Chaincode: "cc"})
		env, err := client.NewSignedTx(prop, f.admin, resp)
		if err != nil {
			return "", err
		}
		if _, err := f.l.CommitBlock([]*common.Envelope{env}); err != nil {
			return "", err
		}
		return ccid, nil
	}
	resp, prop := f.proposeTo(t, f.checking(r, true, between), context.Background())
	if resp.GetResponse().GetStatus() != 200 || resp.GetEndorsement() == nil {
		t.Fatalf("got %d %q, want the first simulation endorsed", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
	}
	if got := writes(t, resp)["out"]; got != "k=" {
		t.Errorf("endorsed out=%q, want the first simulation's \"k=\"", got)
	}
	// The endorsed transaction read k before the commit: MVCC says so.
	env, err := client.NewSignedTx(prop, f.admin, resp)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := f.l.CommitBlock([]*common.Envelope{env})
	if err != nil {
		t.Fatal(err)
	}
	if code := cb.Txs[0].Code; code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Errorf("transaction is %s, want MVCC_READ_CONFLICT", code)
	}
	sim, err := f.l.NewSimulator("read", "")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Done()
	if v, err := sim.GetState("cc", "out"); err != nil || v != nil {
		t.Errorf("out = %q, %v: neither simulation may write the ledger", v, err)
	}
}
