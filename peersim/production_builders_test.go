package peersim

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/client"
	ckshim "github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
)

// externalRun is an external builder's bin/run for the sacc binary: it
// reads chaincode.json (Fabric's fields, PEM strings with \n escapes),
// writes the TLS material to files and starts the chaincode with the
// CORE_* environment, as a run script must do itself.
const externalRun = `set -e
json=$(cat "$2/chaincode.json")
field() { printf '%s' "$json" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
printf '%b\n' "$(field client_cert)" > "$2/cc.crt"
printf '%b\n' "$(field client_key)" > "$2/cc.key"
printf '%b\n' "$(field root_cert)" > "$2/root.crt"
echo "run: starting $(field chaincode_id) for $(field mspid)"
export CORE_CHAINCODE_ID_NAME="$(field chaincode_id)" CORE_PEER_LOCALMSPID="$(field mspid)" CORE_PEER_TLS_ENABLED=true
export CORE_TLS_CLIENT_CERT_FILE="$2/cc.crt" CORE_TLS_CLIENT_KEY_FILE="$2/cc.key" CORE_PEER_TLS_ROOTCERT_FILE="$2/root.crt"
exec "$1/chaincode" -peer.address="$(field peer_address)"`

// TestProductionModeExternalBuilder runs sacc through an external builder
// written as shell scripts with Fabric's contract: detect claims the
// package by its label, build copies the chaincode binary into
// BUILD_DIR, release runs, and run starts the chaincode from
// chaincode.json over mutual TLS.
func TestProductionModeExternalBuilder(t *testing.T) {
	fx := saccFixture(t)
	builder := filepath.Join(t.TempDir(), "shellbuilder")
	writeFiles(t, filepath.Join(builder, "bin"), 0o755, map[string]string{
		"detect":  "#!/bin/sh\necho \"detect $#\"\ngrep -q '\"label\":\"saccext_' \"$2/metadata.json\"\n",
		"build":   "#!/bin/sh\nset -e\necho \"build $#\"\ntest -f \"$1/src/go.mod\"\ncp '" + fx.binary + "' \"$3/chaincode\"\n",
		"release": "#!/bin/sh\necho \"release $#\"\necho released > \"$2/marker\"\n",
		"run":     "#!/bin/sh\n" + externalRun + "\n",
	})
	pkg, err := ccpackage.Pack(ccpackage.PackOptions{Dir: filepath.Join(fx.module, "samples", "sacc"), Label: "saccext_1.0"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n := startProd(t, dir, true, func(c *Config) { c.ExternalBuilders = []string{builder} })
	n.installOK(t, "saccext", "1.0", pkg)
	n.instantiate(t, DefaultChannel, "saccext", "1.0", "a", "7")
	if resp, code := n.invoke(t, n.user, DefaultChannel, "saccext", "set", "a", "8"); code != peer.TxValidationCode_VALID {
		t.Fatalf("set: %s %v", resp.GetResponse().GetMessage(), code)
	}
	if r := n.query(t, DefaultChannel, "saccext", "get", "a"); string(r.GetPayload()) != "8" {
		t.Errorf("get a: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
	}
	for _, line := range []string{"detect 2", "build 3", "release 2", "run: starting saccext:1.0 for Org1MSP"} {
		n.log.wait(t, line)
	}
	parsed, err := ccpackage.Parse(pkg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "builds", parsed.ID(), "release", "marker")); err != nil {
		t.Errorf("release output not kept with the build: %v", err)
	}
	pid := n.running(t, "saccext:1.0").PID
	n.stop()
	if !processGone(pid) {
		t.Errorf("the run process %d survived the peer", pid)
	}
}

// TestProductionModeChaincodeAsAService installs a package whose
// connection.json names a chaincode server (our shim.ChaincodeServer,
// registering with the package ID as Fabric's does) and checks the peer
// dials it and serves instantiate, invoke and query through it.
func TestProductionModeChaincodeAsAService(t *testing.T) {
	goroutines := peerGoroutines(leakcheck.Take())
	pkg, addr := chaincodeServer(t, "svc_1.0", func(packageID string) string { return packageID })

	func() {
		n := startProd(t, t.TempDir(), true)
		n.installOK(t, "svc", "1.0", pkg)
		n.instantiate(t, DefaultChannel, "svc", "1.0", "hello", "world")
		if resp, code := n.invoke(t, n.user, DefaultChannel, "svc", "put", "k", "v"); code != peer.TxValidationCode_VALID {
			t.Fatalf("put: %s %v", resp.GetResponse().GetMessage(), code)
		}
		for key, want := range map[string]string{"k": "v", "init": "hello world"} {
			if r := n.query(t, DefaultChannel, "svc", "get", key); string(r.GetPayload()) != want {
				t.Errorf("get %s: %d %q %q, want %q", key, r.GetStatus(), r.GetMessage(), r.GetPayload(), want)
			}
		}
		c, err := client.New(n.client, n.admin)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		running, err := c.RunningChaincodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(running) != 1 || running[0].CCID != "svc:1.0" || running[0].Address != addr || strings.Join(running[0].Channels, ",") != DefaultChannel {
			t.Errorf("running %+v, want svc:1.0 at %s on %s", running, addr, DefaultChannel)
		}
		if got := n.running(t, "svc:1.0"); got.Address != addr || got.PID != 0 {
			t.Errorf("launcher lists %+v, want the server address and no pid", got)
		}
		n.stop()
	}()
	goroutines.Verify(t)
}

// A chaincode server that registers under another name than the package
// the peer dialled it for is refused at once, not at the startup timeout.
func TestProductionModeChaincodeServerWithAnotherCCIDIsRefused(t *testing.T) {
	pkg, addr := chaincodeServer(t, "svc_1.0", func(string) string { return "svc_1.0:0000" })
	n := startProd(t, t.TempDir(), true, func(c *Config) { c.ChaincodeStartupTimeout = 10 * waitLimit })
	n.installOK(t, "svc", "1.0", pkg)
	resp := n.endorseDeploy(t, DefaultChannel, "svc", "1.0", "init")
	msg := resp.GetResponse().GetMessage()
	for _, want := range []string{
		"could not launch chaincode svc:1.0: chaincode registration failed: ",
		"peer will not accept external chaincode connection svc_1.0:0000: the chaincode server at " + addr + " was dialled for svc:1.0",
	} {
		if resp.GetResponse().GetStatus() != 500 || !strings.Contains(msg, want) {
			t.Errorf("deploy: %d %q, want %q", resp.GetResponse().GetStatus(), msg, want)
		}
	}
	if got := n.p.launcher.List(); len(got) != 0 {
		t.Errorf("the launcher still lists %+v", got)
	}
}

// chaincodeServer packs a chaincode-as-a-service package labelled label
// whose connection.json names a shim.ChaincodeServer serving testCC on
// 127.0.0.1:0, registering with ccid(package ID). It returns the package
// and the server's address; the server stops when the test ends.
func chaincodeServer(t *testing.T, label string, ccid func(packageID string) string) ([]byte, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := json.Marshal(ccpackage.Connection{Address: lis.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	writeFiles(t, src, 0o644, map[string]string{ccpackage.ConnectionFile: string(conn)})
	pkg, err := ccpackage.Pack(ccpackage.PackOptions{Dir: src, Label: label, Type: ccpackage.TypeCCaaS})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ccpackage.Parse(pkg)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	peer.RegisterChaincodeServer(srv, &ckshim.ChaincodeServer{CCID: ccid(parsed.ID()), CC: newTestCC(), TLSProps: ckshim.TLSProperties{Disabled: true}})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-served; err != nil {
			t.Errorf("chaincode server: %v", err)
		}
	})
	return pkg, lis.Addr().String()
}
