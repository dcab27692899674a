package peersim

import (
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// An invoke endorsed against version 1.0 and committed after an upgrade to
// 2.0 read lscc/mycc at the old version, as Fabric 1.4's endorser records
// it, so it is an MVCC conflict on that key; pscc GetTxReason names it.
func TestAnInvokeEndorsedBeforeAnUpgradeConflictsOnTheDefinition(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.install(t, n.admin, "mycc", "2.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.startCC(t, "mycc:2.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")

	resp, prop, _ := n.propose(t, n.user, invocation(DefaultChannel, "mycc", "put", "untouched", "x"))
	if resp.GetEndorsement() == nil {
		t.Fatalf("invoke not endorsed: %s", resp.GetResponse().GetMessage())
	}
	if up, code := n.deploy(t, n.admin, "upgrade", DefaultChannel, "mycc", "2.0", "init"); code != peer.TxValidationCode_VALID {
		t.Fatalf("upgrade: %d %q, code %v", up.GetResponse().GetStatus(), up.GetResponse().GetMessage(), code)
	}
	if code := n.submit(t, n.user, DefaultChannel, prop, resp)[0]; code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("invoke endorsed before the upgrade committed with %s, want MVCC_READ_CONFLICT (its read of lscc/mycc is stale)", code)
	}
	reason := n.propose1(t, invocation("", psccName, "GetTxReason", DefaultChannel, txIDOf(t, prop)))
	if reason.GetStatus() != 200 || !strings.Contains(string(reason.GetPayload()), `key "mycc" in lscc`) {
		t.Errorf("GetTxReason: %d %q payload %q; want the conflict on key mycc in lscc", reason.GetStatus(), reason.GetMessage(), reason.GetPayload())
	}
	if r := n.query(t, DefaultChannel, "mycc", "get", "untouched"); len(r.GetPayload()) != 0 {
		t.Errorf("the invalid invoke's write was applied: %q", r.GetPayload())
	}
}

// A chaincode-to-chaincode call reads the callee's definition through the
// caller's simulator, as Fabric 1.4's handler does: an upgrade of the callee
// committed first invalidates the caller's transaction.
func TestACalleeUpgradedBeforeCommitInvalidatesTheCaller(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.install(t, n.admin, "mycc", "2.0")
	n.install(t, n.admin, "caller", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.startCC(t, "mycc:2.0", newTestCC())
	n.startCC(t, "caller:1.0", callerCC{})
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	n.instantiate(t, DefaultChannel, "caller", "1.0", "init")

	resp, prop, _ := n.propose(t, n.user, invocation(DefaultChannel, "caller", "mycc", "put", "via", "caller"))
	if resp.GetEndorsement() == nil {
		t.Fatalf("cc2cc invoke not endorsed: %s %s", resp.GetResponse().GetMessage(), resp.GetResponse().GetPayload())
	}
	if up, code := n.deploy(t, n.admin, "upgrade", DefaultChannel, "mycc", "2.0", "init"); code != peer.TxValidationCode_VALID {
		t.Fatalf("upgrade: %d %q, code %v", up.GetResponse().GetStatus(), up.GetResponse().GetMessage(), code)
	}
	if code := n.submit(t, n.user, DefaultChannel, prop, resp)[0]; code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("caller's transaction committed with %s, want MVCC_READ_CONFLICT on the callee's definition", code)
	}
	reason := n.propose1(t, invocation("", psccName, "GetTxReason", DefaultChannel, txIDOf(t, prop)))
	if !strings.Contains(string(reason.GetPayload()), `key "mycc" in lscc`) {
		t.Errorf("GetTxReason: %d %q payload %q; want the conflict on key mycc in lscc", reason.GetStatus(), reason.GetMessage(), reason.GetPayload())
	}
}

func TestGetTxReason(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	resp, prop, _ := n.propose(t, n.user, invocation(DefaultChannel, "mycc", "put", "k", "v"))
	if code := n.submit(t, n.user, DefaultChannel, prop, resp)[0]; code != peer.TxValidationCode_VALID {
		t.Fatalf("put committed with %s", code)
	}
	validTx := txIDOf(t, prop)

	tests := []struct {
		name        string
		args        []string
		wantStatus  int32
		wantPayload string
		wantMessage string
	}{
		{"a valid transaction has no reason", []string{"GetTxReason", DefaultChannel, validTx}, 200, "", ""},
		{"an unknown txid is an error naming it", []string{"GetTxReason", DefaultChannel, "nope"}, 500, "", "explain transaction: transaction nope on mychannel: transaction not found"},
		{"an unknown channel is an error naming it", []string{"GetTxReason", "other", validTx}, 500, "", `channel "other"`},
		{"a missing txid says what the function takes", []string{"GetTxReason", DefaultChannel}, 500, "", "GetTxReason takes the channel and the transaction ID"},
		{"an unknown function lists the known ones", []string{"Nope"}, 500, "", "pscc knows ListRunning, ListBuilds, GetTxReason, GetTrace and GetSnapshot"},
		{"no function lists the known ones", nil, 500, "", "ListRunning, ListBuilds, GetTxReason, GetTrace or GetSnapshot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := n.propose1(t, invocation("", psccName, tt.args...))
			if r.GetStatus() != tt.wantStatus || string(r.GetPayload()) != tt.wantPayload || !strings.Contains(r.GetMessage(), tt.wantMessage) {
				t.Errorf("got %d %q payload %q; want %d, a message containing %q, payload %q",
					r.GetStatus(), r.GetMessage(), r.GetPayload(), tt.wantStatus, tt.wantMessage, tt.wantPayload)
			}
		})
	}
}

// propose1 sends a proposal as User1 and returns the chaincode response.
func (n *testNet) propose1(t testing.TB, inv identity.Invocation) *peer.Response {
	t.Helper()
	resp, _, _ := n.propose(t, n.user, inv)
	return resp.GetResponse()
}
