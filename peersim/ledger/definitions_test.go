package ledger

import (
	"slices"
	"testing"
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
