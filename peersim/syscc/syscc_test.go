package syscc

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
)

// noChannels is a peer without channels.
type noChannels struct{}

func (noChannels) Names() []string { return nil }
func (noChannels) Ledger(name string) (*ledger.Ledger, error) {
	return nil, errors.New("channel " + name + " not found")
}

// TestRefusals checks the answers to calls a system chaincode refuses
// before it touches the peer: unknown functions, argument counts and the
// admin rule.
func TestRefusals(t *testing.T) {
	org, err := identity.EnsureOrg(t.TempDir(), identity.DefaultConfig())
	if err != nil {
		t.Fatalf("create organisation: %v", err)
	}
	user, err := org.Identity("User1")
	if err != nil {
		t.Fatalf("user identity: %v", err)
	}
	store, err := ccpackage.OpenStore(ccpackage.StoreConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	log := slog.New(slog.DiscardHandler)
	table := Table{
		LSCC: &LSCCChaincode{Store: store, Members: func(string) ([]string, error) { return org.MSP().IDs(), nil }, Log: log},
		CSCC: &CSCCChaincode{Channels: noChannels{}, Create: func(string, ...string) error { return nil }, Log: log},
		QSCC: &QSCCChaincode{Channels: noChannels{}},
		PSCC: &PSCCChaincode{Processes: func() Processes { return nil }, Installed: store.List, Channels: noChannels{}},
	}
	tests := []struct {
		cc   string
		args []string
		want string
	}{
		{LSCC, nil, "invalid number of arguments to lscc: 0"},
		{LSCC, []string{"nope"}, "invalid function to lscc: nope"},
		{LSCC, []string{"install"}, "access denied for [install]: "},
		{LSCC, []string{"getchaincodes"}, "getchaincodes needs a channel: name one in the proposal"},
		{LSCC, []string{"deploy"}, "access denied for [deploy]: "},
		{CSCC, nil, "Incorrect number of arguments, 0"},
		{CSCC, []string{"nope"}, "Requested function nope not found."},
		{CSCC, []string{"CreateChannel", "ch"}, "access denied for [CreateChannel]: "},
		{QSCC, []string{"GetChainInfo"}, "Incorrect number of arguments, 1: qscc takes a function and a channel name, e.g. GetChainInfo mychannel"},
		{QSCC, []string{"GetChainInfo", "nochannel"}, "failed to find ledger for channel: nochannel"},
		{PSCC, nil, "pscc needs a function: ListRunning, ListBuilds, GetTxReason, GetTrace or GetSnapshot"},
		{PSCC, []string{"nope"}, "Requested function nope not found: pscc knows ListRunning, ListBuilds, GetTxReason, GetTrace and GetSnapshot"},
		{PSCC, []string{"GetTxReason", "ch"}, "Incorrect number of arguments, 2: GetTxReason takes the channel and the transaction ID"},
		{PSCC, []string{"GetTxReason", "ch", "tx"}, "reason for transaction tx: channel ch not found"},
		{PSCC, []string{"GetTrace", "ch"}, "Incorrect number of arguments, 2: GetTrace takes the channel (or \"\") and the transaction ID"},
	}
	for _, tt := range tests {
		t.Run(tt.cc+" "+tt.want, func(t *testing.T) {
			args := make([][]byte, len(tt.args))
			for i, a := range tt.args {
				args[i] = []byte(a)
			}
			sp, _, err := user.NewSignedProposal(identity.Invocation{Chaincode: tt.cc, Args: args})
			if err != nil {
				t.Fatal(err)
			}
			up, err := org.MSP().ValidateProposal(sp)
			if err != nil {
				t.Fatal(err)
			}
			res, err := table[tt.cc].Invoke(context.Background(), &Invocation{Proposal: up})
			if err == nil {
				t.Fatalf("got %v, want the error %q", res, tt.want)
			}
			if got := err.Error(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
				t.Errorf("error %q, want it to start with %q", got, tt.want)
			}
		})
	}
	t.Run("pscc lists no processes in development mode", func(t *testing.T) {
		sp, _, err := user.NewSignedProposal(identity.Invocation{Chaincode: PSCC, Args: [][]byte{[]byte("ListRunning")}})
		if err != nil {
			t.Fatal(err)
		}
		up, err := org.MSP().ValidateProposal(sp)
		if err != nil {
			t.Fatal(err)
		}
		res, err := table[PSCC].Invoke(context.Background(), &Invocation{Proposal: up})
		if err != nil || res.Response.GetStatus() != 200 || string(res.Response.GetPayload()) != "[]" {
			t.Errorf("got %v, %v; want 200 []", res, err)
		}
	})
}
