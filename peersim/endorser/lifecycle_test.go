package endorser

import (
	"context"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// recordingRunner is a fakeRunner that remembers the executions it ran.
type recordingRunner struct {
	fakeRunner
	ran []syscc.Execution
}

func (r *recordingRunner) Execute(ctx context.Context, ex syscc.Execution) (*peer.Response, *peer.ChaincodeEvent, error) {
	r.ran = append(r.ran, ex)
	return r.fakeRunner.Execute(ctx, ex)
}

// TestInvokeOfALifecycleDefinition checks that an invoke of a _lifecycle
// definition runs on the ccid Connect gives, and applies Fabric's init
// rule through the transaction's simulator.
func TestInvokeOfALifecycleDefinition(t *testing.T) {
	system := syscc.Table{
		syscc.Lifecycle: sysFunc(func(_ context.Context, inv *syscc.Invocation) (*syscc.Result, error) {
			sim, err := inv.Ledger.NewSimulator(inv.Proposal.TxID(), "")
			if err != nil {
				return nil, err
			}
			defer sim.Done()
			if err := sim.PutLifecycleDefinition(&ledger.ChaincodeDefinition{Name: "cc", Version: "1.0", Sequence: 1, InitRequired: true}); err != nil {
				return nil, err
			}
			sim.Done()
			res, err := sim.Results()
			if err != nil {
				return nil, err
			}
			return &syscc.Result{Response: &peer.Response{Status: 200}, Simulation: res}, nil
		}),
	}
	f := newFixture(t, system)
	runner := &recordingRunner{fakeRunner: *f.runner}
	f.e.cfg.Chaincodes = runner
	commit := func(t *testing.T, prop *peer.Proposal, resp *peer.ProposalResponse) peer.TxValidationCode {
		t.Helper()
		env, err := client.NewSignedTx(prop, f.admin, resp)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := f.l.CommitBlock([]*common.Envelope{env})
		if err != nil {
			t.Fatal(err)
		}
		return cb.Txs[0].Code
	}
	resp, prop := f.propose(t, identity.Invocation{ChannelID: channel, Chaincode: syscc.Lifecycle})
	if code := commit(t, prop, resp); code != peer.TxValidationCode_VALID {
		t.Fatalf("the definition's transaction is %s", code)
	}

	steps := []struct {
		name     string
		isInit   bool
		wantMsg  string // "" for an endorsed response
		wantInit bool
	}{
		{"an invoke before init is refused", false, "invalid invocation: chaincode 'cc' has not been initialized for this version, must call as init first", false},
		{"the init runs as INIT on the approved package", true, "", true},
		{"a second init is refused", true, "invalid invocation: chaincode 'cc' is already initialized but called as init", false},
		{"an invoke after init runs as TRANSACTION", false, "", false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(runner.ran)
			resp, prop := f.propose(t, identity.Invocation{ChannelID: channel, Chaincode: "cc", Args: [][]byte{[]byte("x")}, IsInit: st.isInit})
			if st.wantMsg != "" {
				want := st.wantMsg
				msg := resp.GetResponse().GetMessage()
				if resp.GetResponse().GetStatus() != 500 || !strings.HasPrefix(msg, "error in simulation: failed to execute transaction ") || !strings.Contains(msg, want) {
					t.Fatalf("got %d %q, want 500 %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), want)
				}
				if len(runner.ran) != before {
					t.Errorf("the chaincode ran for a refused invocation")
				}
				return
			}
			if resp.GetResponse().GetStatus() != 200 || resp.GetEndorsement() == nil {
				t.Fatalf("got %d %q, want an endorsement", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
			}
			ex := runner.ran[len(runner.ran)-1]
			if ex.CCID != "pkg-1.0" || ex.Init != st.wantInit || ex.Namespace != "cc" {
				t.Errorf("ran %s init=%v in %s, want pkg-1.0 init=%v in cc", ex.CCID, ex.Init, ex.Namespace, st.wantInit)
			}
			if code := commit(t, prop, resp); code != peer.TxValidationCode_VALID {
				t.Fatalf("transaction is %s", code)
			}
		})
	}
}
