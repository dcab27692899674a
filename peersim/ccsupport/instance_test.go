package ccsupport

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// instanceLauncher records the ids it launches and stops; ids of
// services' org instances fail with ErrServiceInstance, as the launcher's
// do for a chaincode server.
type instanceLauncher struct {
	Launcher
	services []string // ccids that run as a chaincode server

	mu       sync.Mutex
	launched []string
	stopped  []string
}

func (f *instanceLauncher) Launch(_ context.Context, ccid string, _ *ccpackage.Package) (*launcher.Instance, error) {
	if base, _, inst := launcher.InstanceOf(ccid); inst && slices.Contains(f.services, base) {
		return nil, fmt.Errorf("start the process of an organisation: %w", launcher.ErrServiceInstance)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.launched = append(f.launched, ccid)
	return &launcher.Instance{}, nil
}

func (f *instanceLauncher) Stop(_ context.Context, ccid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, ccid)
	return nil
}

// instanceServer is a chaincode server on which every launched id
// registers at once.
type instanceServer struct {
	fakeServer
	mu        sync.Mutex
	connected []string
	executed  []string
}

func (f *instanceServer) Connected() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.connected)
}

func (f *instanceServer) WaitReady(_ context.Context, ccid string) (<-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.connected = append(f.connected, ccid)
	return nil, nil
}

func (f *instanceServer) Execute(_ context.Context, ccid string, _ chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.executed = append(f.executed, ccid)
	payload, err := proto.Marshal(&peer.Response{Status: 200})
	if err != nil {
		return nil, err
	}
	return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_COMPLETED, Payload: payload}, nil
}

func TestAnOrgInstanceRunsItsOwnProcess(t *testing.T) {
	lscc := &ledger.ChaincodeDefinition{Name: "mycc", Version: "1.0"}
	seq1 := &ledger.ChaincodeDefinition{Name: "mycc", Version: "1.0", Sequence: 1}
	const pkgID = "mycc_1:abc"
	tests := []struct {
		name        string
		dev         bool
		orgInstance bool
		services    []string
		connected   []string // registered before Connect
		def         *ledger.ChaincodeDefinition
		want        string
		launched    []string
	}{
		{name: "the first organisation runs the package ID", def: seq1,
			want: pkgID, launched: []string{pkgID}},
		{name: "another organisation runs its own process of the package", orgInstance: true, def: seq1,
			want: pkgID + "@Org2MSP", launched: []string{pkgID + "@Org2MSP"}},
		{name: "another organisation's process runs beside the first's", orgInstance: true, def: seq1, connected: []string{pkgID},
			want: pkgID + "@Org2MSP", launched: []string{pkgID + "@Org2MSP"}},
		{name: "a connected instance is reused", orgInstance: true, def: seq1, connected: []string{pkgID + "@Org2MSP"},
			want: pkgID + "@Org2MSP"},
		{name: "an lscc chaincode runs on the organisation's process", orgInstance: true, def: lscc,
			want: "mycc:1.0@Org2MSP", launched: []string{"mycc:1.0@Org2MSP"}},
		{name: "a chaincode server is shared by the organisations", orgInstance: true, services: []string{pkgID}, def: seq1,
			want: pkgID, launched: []string{pkgID}},
		{name: "development mode shares the developer's one process", dev: true, orgInstance: true, def: seq1, connected: []string{pkgID},
			want: pkgID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl := &instanceLauncher{services: tt.services}
			srv := &instanceServer{connected: tt.connected}
			s := New(Config{
				Dev: tt.dev, StartupTimeout: time.Minute, MSPID: "Org2MSP", OrgInstance: tt.orgInstance,
				ChaincodeAddress: func() string { return "127.0.0.1:7052" },
				Server:           srv,
				Packages:         installedPackages{pkgID: true},
				Approval:         approvalFunc(map[string]string{"mycc#1": pkgID}),
				Launcher:         func() Launcher { return fl },
			})
			ctx := context.Background()
			for range 2 { // the second finds it connected
				got, err := s.Connect(ctx, "ch", tt.def)
				if err != nil {
					t.Fatalf("Connect: %v", err)
				}
				if got != tt.want {
					t.Fatalf("Connect = %q, want %q", got, tt.want)
				}
			}
			if !slices.Equal(fl.launched, tt.launched) {
				t.Errorf("launched %q, want %q", fl.launched, tt.launched)
			}
			// Execute given the package's own id, as lscc's Init is, runs
			// where Connect said.
			ccid := pkgID
			if tt.def.Sequence == 0 {
				ccid = "mycc:1.0"
			}
			if _, _, err := s.Execute(ctx, syscc.Execution{CCID: ccid, ChannelID: "ch", TxID: "tx1", Namespace: "mycc"}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Execute(ctx, syscc.Execution{CCID: tt.want, ChannelID: "ch", TxID: "tx2", Namespace: "mycc"}); err != nil {
				t.Fatal(err)
			}
			if want := []string{tt.want, tt.want}; !slices.Equal(srv.executed, want) {
				t.Errorf("executed on %q, want %q", srv.executed, want)
			}
		})
	}
}

func TestAnOrgInstanceLaunchesItsTwinAndStopsItsOwnProcess(t *testing.T) {
	fl := &instanceLauncher{}
	s := New(Config{
		StartupTimeout: time.Minute, MSPID: "Org2MSP", OrgInstance: true,
		Server:   &instanceServer{},
		Packages: installedPackages{"p1:a": true, "p2:b": true},
		Approval: approvalFunc(map[string]string{"mycc#1": "p1:a", "mycc#2": "p2:b"}),
		Launcher: func() Launcher { return fl },
		Stopping: make(chan struct{}),
	})
	ctx := context.Background()
	inst, err := s.Connect(ctx, "ch", &ledger.ChaincodeDefinition{Name: "mycc", Version: "1.0", Sequence: 1})
	if err != nil {
		t.Fatal(err)
	}
	twin, err := s.Twin(ctx, inst)
	if err != nil {
		t.Fatalf("Twin(%s): %v", inst, err)
	}
	if want := launcher.TwinOf("p1:a@Org2MSP"); twin != want {
		t.Errorf("Twin(%s) = %q, want %q", inst, twin, want)
	}
	if _, err := s.Connect(ctx, "ch", &ledger.ChaincodeDefinition{Name: "mycc", Version: "1.0", Sequence: 2}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"p1:a@Org2MSP"}; !slices.Equal(fl.stopped, want) {
		t.Errorf("a new sequence stopped %q, want the organisation's own old process %q", fl.stopped, want)
	}
	if got := strings.Join(fl.launched, ","); got != "p1:a@Org2MSP,p1:a@Org2MSP#twin,p2:b@Org2MSP" {
		t.Errorf("launched %s", got)
	}
}
