package ccsupport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
)

// installedPackages is a package store holding the package IDs given.
type installedPackages map[string]bool

func (installedPackages) Load(name, version string) (*ccpackage.Package, error) { return nil, nil }

func (p installedPackages) LoadPackage(packageID string) (*ccpackage.Package, error) {
	if !p[packageID] {
		return nil, fmt.Errorf("%w: package ID %s", ccpackage.ErrNotInstalled, packageID)
	}
	return nil, nil
}

// approvalFunc answers Config.Approval from a table keyed name#sequence;
// a missing key is no approval.
func approvalFunc(approved map[string]string) func(string, string, int64) (string, bool, error) {
	return func(_, name string, seq int64) (string, bool, error) {
		id, ok := approved[fmt.Sprintf("%s#%d", name, seq)]
		return id, ok, nil
	}
}

func TestConnect(t *testing.T) {
	registered := make(chan struct{})
	close(registered)
	lscc := &ledger.ChaincodeDefinition{Name: "mycc", Version: "1.0"}
	seq1 := &ledger.ChaincodeDefinition{Name: "mycc", Version: "1.0", Sequence: 1}
	tests := []struct {
		name      string
		dev       bool
		def       *ledger.ChaincodeDefinition
		approved  map[string]string
		installed installedPackages
		connected []string
		ready     chan struct{}
		want      string // the ccid on success
		wantErr   string // a substring of the error
		wantIs    error
		launches  []launch
	}{
		{name: "an lscc definition runs as name:version", def: lscc, connected: []string{"mycc:1.0"}, want: "mycc:1.0"},
		{name: "a _lifecycle definition runs as the approved package ID", dev: true, def: seq1,
			approved: map[string]string{"mycc#1": "mycc:1.0"}, connected: []string{"mycc:1.0"}, want: "mycc:1.0"},
		{name: "a definition this org did not approve is refused with Fabric's text", dev: true, def: seq1,
			wantErr: "chaincode definition for 'mycc' at sequence 1 on channel 'ch' has not yet been approved by this org", wantIs: ErrNotApproved},
		{name: "development mode names the start command for the approved package ID", dev: true, def: seq1,
			approved: map[string]string{"mycc#1": "mycc:dev"},
			wantErr:  "could not launch chaincode mycc:dev: chaincode not connected: the peer runs in development mode and starts no chaincode; start it with: CORE_ID_CHAINCODE_NAME=mycc:dev CORE_CHAINCODE_ID_NAME=mycc:dev",
			wantIs:   ErrChaincodeNotConnected},
		{name: "development mode runs an approval without a package as name:version, as Fabric's", dev: true, def: seq1,
			approved: map[string]string{"mycc#1": ""}, connected: []string{"mycc:1.0"}, want: "mycc:1.0"},
		{name: "production mode refuses an approval without a package", def: seq1, approved: map[string]string{"mycc#1": ""},
			wantErr: "chaincode definition for 'mycc' exists, but chaincode is not installed: this org approved sequence 1 without a package ID"},
		{name: "production mode names the uninstalled package and how to install it", def: seq1,
			approved: map[string]string{"mycc#1": "mycc_1:abc"}, installed: installedPackages{},
			wantErr: "could not launch chaincode mycc_1:abc: chaincode definition for 'mycc' exists, but chaincode is not installed: package ID mycc_1:abc, which this org approved, is not installed on this peer; install it with peer lifecycle chaincode install",
			wantIs:  ccpackage.ErrNotInstalled, launches: []launch{{ccid: "mycc_1:abc"}}},
		{name: "production mode launches the approved package as its ID", def: seq1,
			approved: map[string]string{"mycc#1": "mycc_1:abc"}, installed: installedPackages{"mycc_1:abc": true}, ready: registered,
			want: "mycc_1:abc", launches: []launch{{ccid: "mycc_1:abc", ok: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var launches []launch
			s := New(Config{
				Dev: tt.dev, StartupTimeout: time.Minute, MSPID: "Org1MSP",
				ChaincodeAddress: func() string { return "127.0.0.1:7052" },
				Server:           &fakeServer{connected: tt.connected, ready: tt.ready},
				Packages:         tt.installed,
				Approval:         approvalFunc(tt.approved),
				Launcher:         func() Launcher { return &fakeLauncher{} },
				Launched: func(ccid string, ok, timedOut bool, _ time.Duration) {
					launches = append(launches, launch{ccid: ccid, ok: ok, timedOut: timedOut})
				},
			})
			got, err := s.Connect(context.Background(), "ch", tt.def)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Connect: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Connect error = %v, want one containing %q", err, tt.wantErr)
			case tt.wantIs != nil && !errors.Is(err, tt.wantIs):
				t.Fatalf("Connect error = %v, want errors.Is %v", err, tt.wantIs)
			case got != tt.want:
				t.Errorf("Connect = %q, want %q", got, tt.want)
			}
			if !equalLaunches(launches, tt.launches) {
				t.Errorf("launches observed = %+v, want %+v", launches, tt.launches)
			}
		})
	}
}

// TestConnectMovesTrafficToANewPackage checks that production mode stops
// the process of the previous sequence's package once a new one runs the
// chaincode, and keeps a package another channel still runs.
func TestConnectMovesTrafficToANewPackage(t *testing.T) {
	approved := map[string]string{"mycc#1": "p1:a", "mycc#2": "p2:b"}
	fl := &fakeLauncher{}
	s := New(Config{
		StartupTimeout: time.Minute,
		Server:         &fakeServer{connected: []string{"p1:a", "p2:b"}},
		Packages:       installedPackages{"p1:a": true, "p2:b": true},
		Approval:       approvalFunc(approved),
		Launcher:       func() Launcher { return fl },
	})
	ctx := context.Background()
	def := func(seq int64) *ledger.ChaincodeDefinition {
		return &ledger.ChaincodeDefinition{Name: "mycc", Version: "1.0", Sequence: seq}
	}
	for _, step := range []struct {
		channel string
		seq     int64
		stopped string
	}{
		{"ch1", 1, ""},
		{"ch2", 1, ""},
		{"ch1", 2, ""}, // ch2 still runs p1:a
		{"ch1", 2, ""},
		{"ch2", 2, "p1:a"},
	} {
		if _, err := s.Connect(ctx, step.channel, def(step.seq)); err != nil {
			t.Fatalf("Connect %s sequence %d: %v", step.channel, step.seq, err)
		}
		if got := strings.Join(fl.stopped, ","); got != step.stopped {
			t.Fatalf("after %s sequence %d stopped = %q, want %q", step.channel, step.seq, got, step.stopped)
		}
	}
	// An invoke that read sequence 1 before sequence 2 committed does not
	// relaunch the package sequence 2 replaced.
	if _, err := s.Connect(ctx, "ch1", def(1)); err == nil || !strings.Contains(err.Error(), "chaincode mycc moved from sequence 1 to 2 while the invocation was being prepared: send it again") {
		t.Errorf("Connect of a stale sequence = %v, want a refusal", err)
	}
}
