package peersim

import (
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
)

func TestAdmitDecidesFromTheStoreAndTheLauncher(t *testing.T) {
	fl := &fakeLauncher{t: t}
	prod := startNet(t, t.TempDir(), withProduction(fl))
	fl.n = prod
	prod.install(t, prod.admin, "mycc", "1.0")
	prod.install(t, prod.admin, "svc", "1.0")
	// The launcher is starting svc:1.0, and only it.
	fl.mu.Lock()
	fl.launched = append(fl.launched, "svc:1.0")
	fl.mu.Unlock()

	dev := startNet(t, t.TempDir())
	dev.install(t, dev.admin, "mycc", "1.0")

	tests := []struct {
		name    string
		net     *testNet
		ccid    string
		info    chaincode.ConnInfo
		wantErr string // empty: admitted
	}{
		{"dev mode admits an installed id", dev, "mycc:1.0", chaincode.ConnInfo{}, ""},
		{"dev mode refuses an uninstalled version, naming the installed ones", dev, "mycc:2.0", chaincode.ConnInfo{},
			"mycc:2.0 is not installed (installed versions of mycc: 1.0), mycc:2.0 is not the package ID of a package installed through _lifecycle, and no definition Org1MSP approved on this peer's channels names it (approved package IDs: none): install mycc:2.0 first, approve a definition with --package-id mycc:2.0"},
		{"an uninstalled name is refused saying none is installed", dev, "other:1.0", chaincode.ConnInfo{},
			"no version of other is installed, other:1.0 is not the package ID"},
		{"an id without a version is refused", dev, "mycc", chaincode.ConnInfo{}, `chaincode id "mycc" is not <name>:<version>`},
		{"production mode admits an installed id the launcher is starting", prod, "svc:1.0", chaincode.ConnInfo{}, ""},
		{"production mode refuses an installed id the launcher did not start, with the launcher's reason", prod, "mycc:1.0", chaincode.ConnInfo{},
			"peer will not accept external chaincode connection mycc:1.0 (except in dev mode)"},
		{"production mode admits an installed chaincode server the peer dialled", prod, "mycc:1.0", chaincode.ConnInfo{Dialed: true}, ""},
		{"a dialled chaincode server must be installed too", prod, "other:1.0", chaincode.ConnInfo{Dialed: true},
			"no version of other is installed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.net.p.admit(tt.ccid, tt.info)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("admit(%s) = %v, want it admitted", tt.ccid, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("admit(%s) = %v, want a refusal containing %q", tt.ccid, err, tt.wantErr)
			}
		})
	}
}
