package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/chaincodekit/chaincodekit/peersim"
)

func TestEnvPrintsTheExportsOfFabricsCLI(t *testing.T) {
	const address = "127.0.0.1:40001"
	tests := []struct {
		name string
		args []string
		// running writes a live peer's address file first.
		running bool
		// want is stdout, with DIR for the data directory; wantErr a
		// substring of stderr when the command fails.
		want, wantErr string
	}{
		{
			name: "Admin by default", running: true,
			want: `export FABRIC_CFG_PATH=DIR
export CORE_PEER_ADDRESS=127.0.0.1:40001
export CORE_PEER_TLS_ENABLED=false
export CORE_PEER_LOCALMSPID=Org1MSP
export CORE_PEER_MSPCONFIGPATH=DIR/organizations/peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp
export ORDERER_ADDRESS=127.0.0.1:40001
`,
		},
		{
			name: "another identity", args: []string{"--identity", "User1"}, running: true,
			want: `export FABRIC_CFG_PATH=DIR
export CORE_PEER_ADDRESS=127.0.0.1:40001
export CORE_PEER_TLS_ENABLED=false
export CORE_PEER_LOCALMSPID=Org1MSP
export CORE_PEER_MSPCONFIGPATH=DIR/organizations/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp
export ORDERER_ADDRESS=127.0.0.1:40001
`,
		},
		{
			name: "an unknown identity names the known", args: []string{"--identity", "nobody"}, running: true,
			wantErr: `unknown identity "nobody"`,
		},
		{
			name:    "no running peer says how to start one",
			wantErr: "no peer runs on DIR (no peer wrote DIR/peer.addresses.json): start one with `peersim node start --data-dir DIR`",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := peersim.Identities(dir); err != nil { // creates the organisation, as a peer's first start
				t.Fatal(err)
			}
			if tt.running {
				writeAddressFile(t, dir, peersim.AddressFile{Address: address, ChaincodeAddress: "127.0.0.1:40002", PID: os.Getpid(), Dev: true, MSPID: "Org1MSP"})
			}
			r := runCLI(context.Background(), nil, func(a *app) { a.lookupEnv = onlyDataDir(dir) }, append([]string{"env"}, tt.args...)...)
			if tt.wantErr != "" {
				want := strings.ReplaceAll(tt.wantErr, "DIR", dir)
				if r.code == exitOK || !strings.Contains(r.stderr, want) {
					t.Fatalf("exit %d, stderr %q; want a failure saying %q", r.code, r.stderr, want)
				}
				return
			}
			if r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if diff := cmp.Diff(strings.ReplaceAll(tt.want, "DIR", dir), r.stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}
