package peersim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
)

// seedBuildAs puts the fixture's build into dataDir's build cache as the
// build of another package ID (the same sacc code under another label),
// so that a second package launches without a second go build.
func (fx *prodFixture) seedBuildAs(t testing.TB, dataDir, packageID string) {
	t.Helper()
	dst := fx.copyBuild(t, dataDir, packageID)
	info := filepath.Join(dst, "build-info.json")
	raw, err := os.ReadFile(info)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["package_id"] = packageID
	if raw, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(info, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProductionLifecycleLaunchesTheApprovedPackage follows Fabric 2.x's
// production flow with the real launcher and chaincode TLS: a committed
// definition whose package is not installed is refused naming the
// package; once installed, the init invoke launches it as its package ID;
// sequence 2 with a new package moves traffic to a new process and stops
// the old one.
func TestProductionLifecycleLaunchesTheApprovedPackage(t *testing.T) {
	fx := saccFixture(t)
	dir := t.TempDir()
	fx.seedBuild(t, dir)
	pkg2, err := ccpackage.Pack(ccpackage.PackOptions{Dir: filepath.Join(fx.module, "samples", "sacc"), Label: "sacc_2.0"})
	if err != nil {
		t.Fatal(err)
	}
	parsed2, err := ccpackage.Parse(pkg2)
	if err != nil {
		t.Fatal(err)
	}
	id2 := parsed2.ID()
	fx.seedBuildAs(t, dir, id2)
	n := startProd(t, dir, true)
	ch := DefaultChannel
	install := func(t *testing.T, pkg []byte, want string) {
		t.Helper()
		var res lb.InstallChaincodeResult
		resp, _ := n.lifecycleCall(t, n.admin, "", "InstallChaincode", &lb.InstallChaincodeArgs{ChaincodeInstallPackage: pkg}, &res)
		if resp.GetResponse().GetStatus() != 200 || res.GetPackageId() != want {
			t.Fatalf("install: %d %q, package %q, want %s", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), res.GetPackageId(), want)
		}
	}

	n.define2x(t, ch, "sacc", "1.0", 1, fx.id, true)
	resp, _ := n.invokeInit(t, ch, "sacc", "a", "10")
	if msg := resp.GetResponse().GetMessage(); resp.GetResponse().GetStatus() != 500 ||
		!strings.Contains(msg, "chaincode definition for 'sacc' exists, but chaincode is not installed") ||
		!strings.Contains(msg, "package ID "+fx.id+", which this org approved, is not installed") || !strings.Contains(msg, "peer lifecycle chaincode install") {
		t.Fatalf("init before install: %d %q, want the package ID and how to install it", resp.GetResponse().GetStatus(), msg)
	}

	install(t, fx.pkg, fx.id)
	if resp, code := n.invokeInit(t, ch, "sacc", "a", "10"); code != peer.TxValidationCode_VALID {
		t.Fatalf("init: %d %q, code %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
	}
	first := n.running(t, fx.id)
	if r := n.query(t, ch, "sacc", "get", "a"); string(r.GetPayload()) != "10" {
		t.Errorf("get a after init: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
	}

	install(t, pkg2, id2)
	n.define2x(t, ch, "sacc", "2.0", 2, id2, false)
	if resp, code := n.invoke(t, n.user, ch, "sacc", "set", "a", "20"); code != peer.TxValidationCode_VALID {
		t.Fatalf("invoke of sequence 2: %d %q, code %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
	}
	second := n.running(t, id2)
	if second.PID == first.PID {
		t.Errorf("sequence 2 runs in pid %d, the process of sequence 1", second.PID)
	}
	if r := n.query(t, ch, "sacc", "get", "a"); string(r.GetPayload()) != "20" {
		t.Errorf("get a on sequence 2: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
	}
	deadline := time.Now().Add(waitLimit)
	for !processGone(first.PID) {
		if time.Now().After(deadline) {
			t.Fatalf("the process of sequence 1 (pid %d) still runs", first.PID)
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	for _, r := range n.p.launcher.List() {
		if r.CCID == fx.id {
			t.Errorf("the launcher still lists %s: %+v", fx.id, r)
		}
	}
}
