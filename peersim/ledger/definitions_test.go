package ledger

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestChaincodeDefinitionsListsCommittedOnes(t *testing.T) {
	tests := []struct {
		name   string
		define []*ChaincodeDefinition
		want   []string // name:version, in order
	}{
		{"a bare ledger has none", nil, nil},
		{"one", []*ChaincodeDefinition{{Name: "cc", Version: "1"}}, []string{"cc:1"}},
		{"in name order, whatever the commit order", []*ChaincodeDefinition{{Name: "zeta", Version: "1"}, {Name: "alpha", Version: "2"}},
			[]string{"alpha:2", "zeta:1"}},
		{"an upgrade replaces the version", []*ChaincodeDefinition{{Name: "cc", Version: "1"}, {Name: "cc", Version: "2"}}, []string{"cc:2"}},
	}
	for _, backend := range []string{BackendMemory, BackendBolt} {
		for _, tt := range tests {
			t.Run(backend+"/"+tt.name, func(t *testing.T) {
				l := openTestLedger(t, testOpts{backend: backend, bare: true})
				for _, d := range tt.define {
					define(t, l, d)
				}
				defs, err := l.ChaincodeDefinitions()
				if err != nil {
					t.Fatalf("ChaincodeDefinitions: %v", err)
				}
				var got []string
				for _, d := range defs {
					got = append(got, d.Name+":"+d.Version)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	}
}

// defineLifecycle commits a _lifecycle definition.
func defineLifecycle(t testing.TB, l *Ledger, def *ChaincodeDefinition) {
	t.Helper()
	env := newClient(t, org1).propose(t, LifecycleNamespace).endorse(t, l, func(s *Simulator) error {
		return s.PutLifecycleDefinition(def)
	})
	commitValid(t, l, env)
}

// TestLifecycleDefinitions checks that _lifecycle definitions are seen by
// every lookup, win over lscc's for the same name, and keep their sequence
// and InitRequired.
func TestLifecycleDefinitions(t *testing.T) {
	tests := []struct {
		name      string
		lscc      []*ChaincodeDefinition
		lifecycle []*ChaincodeDefinition
		want      []string // name:version:sequence:init, in order
	}{
		{"one _lifecycle definition", nil, []*ChaincodeDefinition{{Name: "cc", Version: "1", Sequence: 1, InitRequired: true}}, []string{"cc:1:1:true"}},
		{"_lifecycle wins over lscc for a name", []*ChaincodeDefinition{{Name: "cc", Version: "0.9"}},
			[]*ChaincodeDefinition{{Name: "cc", Version: "1", Sequence: 1}}, []string{"cc:1:1:false"}},
		{"both kinds listed in name order", []*ChaincodeDefinition{{Name: "zeta", Version: "1"}},
			[]*ChaincodeDefinition{{Name: "alpha", Version: "2", Sequence: 1}}, []string{"alpha:2:1:false", "zeta:1:0:false"}},
		{"a new sequence replaces the old", nil,
			[]*ChaincodeDefinition{{Name: "cc", Version: "1", Sequence: 1}, {Name: "cc", Version: "2", Sequence: 2}}, []string{"cc:2:2:false"}},
	}
	for _, backend := range []string{BackendMemory, BackendBolt} {
		for _, tt := range tests {
			t.Run(backend+"/"+tt.name, func(t *testing.T) {
				l := openTestLedger(t, testOpts{backend: backend, bare: true})
				for _, d := range tt.lscc {
					define(t, l, d)
				}
				for _, d := range tt.lifecycle {
					defineLifecycle(t, l, d)
				}
				defs, err := l.ChaincodeDefinitions()
				if err != nil {
					t.Fatalf("ChaincodeDefinitions: %v", err)
				}
				str := func(d *ChaincodeDefinition) string {
					return fmt.Sprintf("%s:%s:%d:%t", d.Name, d.Version, d.Sequence, d.InitRequired)
				}
				var got []string
				for _, d := range defs {
					got = append(got, str(d))
					one, err := l.ChaincodeDefinition(d.Name)
					if err != nil || str(one) != str(d) {
						t.Errorf("ChaincodeDefinition(%s) = %v, %v; want %s", d.Name, one, err, str(d))
					}
					sim, err := l.NewSimulator("q", org1)
					if err != nil {
						t.Fatal(err)
					}
					viaSim, err := sim.GetChaincodeDefinition(d.Name)
					sim.Done()
					if err != nil || str(viaSim) != str(d) {
						t.Errorf("Simulator.GetChaincodeDefinition(%s) = %v, %v; want %s", d.Name, viaSim, err, str(d))
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	}
}

// TestLifecycleDefinitionWritesAreChecked checks the validator refuses a
// malformed _lifecycle definition as INVALID_WRITESET and leaves other
// _lifecycle keys (approvals' bookkeeping) alone.
func TestLifecycleDefinitionWritesAreChecked(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		value []byte
		want  peer.TxValidationCode
	}{
		{"a definition that is not JSON", LifecycleDefinitionKey("cc"), []byte("nope"), peer.TxValidationCode_INVALID_WRITESET},
		{"a definition under another name's key", LifecycleDefinitionKey("other"), []byte(`{"name":"cc","version":"1","sequence":1}`), peer.TxValidationCode_INVALID_WRITESET},
		{"a definition without a sequence", LifecycleDefinitionKey("cc"), []byte(`{"name":"cc","version":"1"}`), peer.TxValidationCode_INVALID_WRITESET},
		{"a delete of a definition", LifecycleDefinitionKey("cc"), nil, peer.TxValidationCode_INVALID_WRITESET},
		{"a well-formed definition", LifecycleDefinitionKey("cc"), []byte(`{"name":"cc","version":"1","sequence":1}`), peer.TxValidationCode_VALID},
		{"a key that is no definition", "other/key", []byte("x"), peer.TxValidationCode_VALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTestLedger(t, testOpts{bare: true})
			env := newClient(t, org1).propose(t, LifecycleNamespace).endorse(t, l, func(s *Simulator) error {
				if tt.value == nil {
					return s.DeleteState(LifecycleNamespace, tt.key)
				}
				return s.SetState(LifecycleNamespace, tt.key, tt.value)
			})
			cb := commit(t, l, env)
			if got := cb.Txs[0].Code; got != tt.want {
				t.Errorf("code %v (%v), want %v", got, cb.Txs[0].Err, tt.want)
			}
		})
	}
}

func TestChaincodeDefinedSaysWhetherADefinitionIsCommitted(t *testing.T) {
	for _, backend := range []string{BackendMemory, BackendBolt} {
		l := openTestLedger(t, testOpts{backend: backend, bare: true})
		define(t, l, &ChaincodeDefinition{Name: "legacy", Version: "1"})
		defineLifecycle(t, l, &ChaincodeDefinition{Name: "modern", Version: "1", Sequence: 1})
		for _, tc := range []struct {
			name string
			want bool
		}{{"legacy", true}, {"modern", true}, {"absent", false}} {
			got, err := l.ChaincodeDefined(tc.name)
			if err != nil || got != tc.want {
				t.Errorf("%s: ChaincodeDefined(%q) = %v, %v; want %v, nil", backend, tc.name, got, err, tc.want)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := l.ChaincodeDefined("legacy"); err == nil {
			t.Errorf("%s: ChaincodeDefined on a closed ledger succeeded, want its error", backend)
		}
	}
}
