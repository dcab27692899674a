package syscc

import (
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
)

// mapState is public state in a map, keyed namespace/key.
type mapState map[string]string

func (m mapState) GetState(ns, key string) ([]byte, error) {
	v, ok := m[ns+"/"+key]
	if !ok {
		return nil, nil
	}
	return []byte(v), nil
}

func (m mapState) SetState(ns, key string, value []byte) error {
	m[ns+"/"+key] = string(value)
	return nil
}

func TestCheckInit(t *testing.T) {
	required := &ledger.ChaincodeDefinition{Name: "mycc", Version: "2.0", Sequence: 2, InitRequired: true}
	notRequired := &ledger.ChaincodeDefinition{Name: "mycc", Version: "2.0", Sequence: 2}
	lscc := &ledger.ChaincodeDefinition{Name: "mycc", Version: "1.0"}
	key := "mycc/" + InitializedKey
	tests := []struct {
		name      string
		def       *ledger.ChaincodeDefinition
		state     mapState
		isInit    bool
		wantInit  bool
		wantErr   string
		wantState string // the initialized key afterwards
	}{
		{name: "an invoke of a chaincode without InitRequired runs", def: notRequired, state: mapState{}},
		{name: "init of a chaincode without InitRequired is refused", def: notRequired, state: mapState{}, isInit: true,
			wantErr: "chaincode 'mycc' does not require initialization but called as init"},
		{name: "init of an lscc chaincode is refused, as Fabric refuses it for legacy chaincode", def: lscc, state: mapState{}, isInit: true,
			wantErr: "chaincode 'mycc' does not require initialization but called as init"},
		{name: "an invoke before init is refused", def: required, state: mapState{},
			wantErr: "chaincode 'mycc' has not been initialized for this version, must call as init first"},
		{name: "the first init runs Init and records the version", def: required, state: mapState{}, isInit: true, wantInit: true, wantState: "2.0"},
		{name: "a second init is refused", def: required, state: mapState{key: "2.0"}, isInit: true,
			wantErr: "chaincode 'mycc' is already initialized but called as init", wantState: "2.0"},
		{name: "an invoke after init runs", def: required, state: mapState{key: "2.0"}, wantState: "2.0"},
		{name: "a new version needs init again", def: required, state: mapState{key: "1.0"},
			wantErr: "chaincode 'mycc' has not been initialized for this version", wantState: "1.0"},
		{name: "init of a new version runs", def: required, state: mapState{key: "1.0"}, isInit: true, wantInit: true, wantState: "2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			init, err := CheckInit(tt.state, tt.def, tt.isInit)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("CheckInit: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("CheckInit error = %v, want one containing %q", err, tt.wantErr)
			case init != tt.wantInit:
				t.Errorf("CheckInit init = %v, want %v", init, tt.wantInit)
			}
			if got := tt.state[key]; got != tt.wantState {
				t.Errorf("initialized key = %q, want %q", got, tt.wantState)
			}
		})
	}
}
