package peersim

import (
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
)

func TestAdmitDecidesFromTheStoreAndTheLauncher(t *testing.T) {
	fl := &fakeLauncher{t: t}
	prod := startNet(t, t.TempDir(), withProduction(fl))
	fl.n = prod
	prod.install(t, prod.admin, "mycc", "1.0")
	prod.install(t, prod.admin, "svc", "1.0")
	// The launcher is starting svc:1.0, and only it.
	fl.mu.Lock()
	fl.launched = append(fl.launched, "svc:1.0", "svc:1.0#twin")
	fl.mu.Unlock()

	dev := startNet(t, t.TempDir())
	dev.install(t, dev.admin, "mycc", "1.0")
	// Through _lifecycle: one package installed, and one package ID
	// approved (and committed) with nothing installed, as in Fabric's dev
	// mode.
	in, err := dev.p.store.InstallPackage(packageBytes(t, "lc", "1.0"))
	if err != nil {
		t.Fatal(err)
	}
	dev.define2x(t, DefaultChannel, "devcc", "1.0", 1, "devcc:1.0", false)

	tests := []struct {
		name    string
		net     *testNet
		ccid    string
		info    chaincode.ConnInfo
		wantErr string // empty: admitted
	}{
		{"dev mode admits an installed id", dev, "mycc:1.0", chaincode.ConnInfo{}, ""},
		{"dev mode refuses an uninstalled version, naming the installed ones", dev, "mycc:2.0", chaincode.ConnInfo{},
			"mycc:2.0 is not installed (installed versions of mycc: 1.0), mycc:2.0 is not the package ID of a package installed through _lifecycle, and no definition Org1MSP approved on this peer's channels names it (approved package IDs: devcc:1.0): install mycc:2.0 first, approve a definition with --package-id mycc:2.0"},
		{"an uninstalled name is refused saying none is installed", dev, "other:1.0", chaincode.ConnInfo{},
			"no version of other is installed, other:1.0 is not the package ID"},
		{"an id installed through _lifecycle is admitted", dev, in.PackageID, chaincode.ConnInfo{}, ""},
		{"a package ID approved on a channel is admitted", dev, "devcc:1.0", chaincode.ConnInfo{}, ""},
		{"a refusal lists the approved package IDs it looked for", dev, "devcc:2.0", chaincode.ConnInfo{},
			"no definition Org1MSP approved on this peer's channels names it (approved package IDs: devcc:1.0): install devcc:2.0 first, approve a definition with --package-id devcc:2.0"},
		{"an id without a version is refused", dev, "mycc", chaincode.ConnInfo{}, `chaincode id "mycc" is not <name>:<version>`},
		{"production mode admits an installed id the launcher is starting", prod, "svc:1.0", chaincode.ConnInfo{}, ""},
		{"production mode refuses an installed id the launcher did not start, with the launcher's reason", prod, "mycc:1.0", chaincode.ConnInfo{},
			"peer will not accept external chaincode connection mycc:1.0 (except in dev mode)"},
		{"production mode admits an installed chaincode server the peer dialled", prod, "mycc:1.0", chaincode.ConnInfo{Dialed: true}, ""},
		{"a dialled chaincode server must be installed too", prod, "other:1.0", chaincode.ConnInfo{Dialed: true},
			"no version of other is installed"},
		{"production mode admits the twin the launcher is starting for the determinism check", prod, "svc:1.0#twin", chaincode.ConnInfo{}, ""},
		{"production mode refuses a twin the launcher did not start", prod, "mycc:1.0#twin", chaincode.ConnInfo{},
			"peer will not accept external chaincode connection mycc:1.0#twin"},
		{"a twin of an uninstalled id is refused", prod, "other:1.0#twin", chaincode.ConnInfo{},
			"twin other:1.0#twin: no version of other is installed"},
		{"a dialled chaincode server cannot register as a twin", prod, "mycc:1.0#twin", chaincode.ConnInfo{Dialed: true},
			"chaincode id mycc:1.0#twin is the twin of mycc:1.0, which only a process this peer starts for the determinism check in production mode registers as"},
		{"dev mode refuses a twin id, saying which id to start as", dev, "mycc:1.0#twin", chaincode.ConnInfo{},
			"start the chaincode as mycc:1.0"},
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

func TestAdmitTakesAnOrgInstanceOnlyFromTheLauncher(t *testing.T) {
	fl := &fakeLauncher{t: t}
	prod := startNet(t, t.TempDir(), withOrgs("Org1MSP", "Org2MSP"), withProduction(fl))
	fl.n = prod
	prod.install(t, prod.admin, "mycc", "1.0")
	prod.install(t, prod.admin, "svc", "1.0")
	svc2 := launcher.OrgInstanceOf("svc:1.0", "Org2MSP")
	// The launcher is starting Org2MSP's process of svc:1.0 and its twin,
	// and only those.
	fl.mu.Lock()
	fl.launched = append(fl.launched, svc2, launcher.TwinOf(svc2))
	fl.mu.Unlock()

	dev := startNet(t, t.TempDir(), withOrgs("Org1MSP", "Org2MSP"))
	dev.install(t, dev.admin, "mycc", "1.0")

	devRefusal := "chaincode id mycc:1.0@Org2MSP is the process of Org2MSP that this peer starts for that organisation in production mode, which no other process registers as: start the chaincode as mycc:1.0"
	tests := []struct {
		name    string
		net     *testNet
		ccid    string
		info    chaincode.ConnInfo
		wantErr string // empty: admitted
	}{
		{"production mode admits the organisation's process the launcher is starting", prod, svc2, chaincode.ConnInfo{}, ""},
		{"production mode admits its twin the launcher is starting", prod, launcher.TwinOf(svc2), chaincode.ConnInfo{}, ""},
		{"production mode refuses an instance the launcher did not start, with the launcher's reason", prod, "mycc:1.0@Org2MSP", chaincode.ConnInfo{},
			"peer will not accept external chaincode connection mycc:1.0@Org2MSP (except in dev mode)"},
		{"production mode refuses the twin of an instance the launcher did not start", prod, launcher.TwinOf("mycc:1.0@Org2MSP"), chaincode.ConnInfo{},
			"peer will not accept external chaincode connection mycc:1.0@Org2MSP#twin"},
		{"a dialled chaincode server cannot register as an instance", prod, "svc:1.0@Org2MSP", chaincode.ConnInfo{Dialed: true},
			"chaincode id svc:1.0@Org2MSP is the process of Org2MSP that this peer starts for that organisation in production mode"},
		{"an instance of an uninstalled id is refused", prod, "other:1.0@Org2MSP", chaincode.ConnInfo{},
			"process other:1.0@Org2MSP of Org2MSP: no version of other is installed"},
		{"the first organisation has no instance: its process is the ccid", prod, "mycc:1.0@Org1MSP", chaincode.ConnInfo{},
			"chaincode id mycc:1.0@Org1MSP names organisation Org1MSP, which has no process of its own on this peer (the organisations with one are [Org2MSP]): start the chaincode as mycc:1.0"},
		{"an organisation the peer does not play has no instance", prod, "mycc:1.0@Org3MSP", chaincode.ConnInfo{},
			"names organisation Org3MSP, which has no process of its own on this peer"},
		{"dev mode refuses an instance id, saying which id to start as", dev, "mycc:1.0@Org2MSP", chaincode.ConnInfo{}, devRefusal},
		{"dev mode refuses the twin of an instance id", dev, launcher.TwinOf("mycc:1.0@Org2MSP"), chaincode.ConnInfo{},
			"only a process this peer starts for the determinism check in production mode registers as"},
		{"dev mode admits the one shared process", dev, "mycc:1.0", chaincode.ConnInfo{}, ""},
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
