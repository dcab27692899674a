package peersim

import (
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
)

func TestPackageIndexesServeRichQueriesAcrossRestart(t *testing.T) {
	t.Run("lscc", func(t *testing.T) {
		testIndexesAcrossRestart(t, func(n *testNet) string {
			n.install(t, n.admin, "mycc", "1.0")
			n.startCC(t, "mycc:1.0", newTestCC())
			n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
			return "mycc:1.0"
		})
	})
	t.Run("_lifecycle", func(t *testing.T) {
		testIndexesAcrossRestart(t, func(n *testNet) string {
			var inst lb.InstallChaincodeResult
			resp, _ := n.lifecycleCall(t, n.admin, "", "InstallChaincode", &lb.InstallChaincodeArgs{ChaincodeInstallPackage: packageBytes(t, "mycc", "1.0")}, &inst)
			if resp.GetResponse().GetStatus() != 200 {
				t.Fatalf("install: %d %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
			}
			n.startCC(t, inst.GetPackageId(), newTestCC())
			n.define2x(t, DefaultChannel, "mycc", "1.0", 1, inst.GetPackageId(), false)
			return inst.GetPackageId()
		})
	})
}

// testIndexesAcrossRestart defines mycc with deploy, which returns the id
// the chaincode runs as, and checks that the index in its package serves a
// sort before and after a restart of the peer on the same data directory.
func testIndexesAcrossRestart(t *testing.T, deploy func(n *testNet) string) {
	dir := t.TempDir()
	n := startNet(t, dir, withLedger(LedgerBolt))
	ccid := deploy(n)
	for _, kv := range [][2]string{{"a1", `{"owner":"carol","size":1}`}, {"a2", `{"owner":"alice","size":2}`}} {
		if _, code := n.invoke(t, n.user, DefaultChannel, "mycc", "put", kv[0], kv[1]); code != peer.TxValidationCode_VALID {
			t.Fatalf("put %s: %v", kv[0], code)
		}
	}
	check := func(t *testing.T, n *testNet) {
		t.Helper()
		sorted := n.query(t, DefaultChannel, "mycc", "rich", `{"selector":{"owner":{"$gt":null}},"sort":[{"owner":"asc"}]}`)
		if sorted.GetStatus() != 200 || string(sorted.GetPayload()) != "a2,a1" {
			t.Errorf("sort on the packaged index: %d %q %q", sorted.GetStatus(), sorted.GetMessage(), sorted.GetPayload())
		}
		unindexed := n.query(t, DefaultChannel, "mycc", "rich", `{"selector":{"size":{"$gt":0}},"sort":[{"size":"asc"}]}`)
		if unindexed.GetStatus() != 500 || !strings.Contains(strings.ToLower(unindexed.GetMessage()), "index") {
			t.Errorf("sort without an index: %d %q %q", unindexed.GetStatus(), unindexed.GetMessage(), unindexed.GetPayload())
		}
	}
	check(t, n)
	n.stop()

	n2 := startNet(t, dir, withLedger(LedgerBolt))
	n2.startCC(t, ccid, newTestCC())
	check(t, n2)
}
