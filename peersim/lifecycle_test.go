package peersim

import (
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	ckshim "github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"
)

// lifecycleCall sends one _lifecycle function as Fabric's peer CLI does
// (function name, marshalled Args) and returns the response, the proposal
// and the decoded answer into out (when status 200).
func (n *testNet) lifecycleCall(t *testing.T, signer *identity.SigningIdentity, channel, fn string, in, out proto.Message) (*peer.ProposalResponse, *peer.Proposal) {
	t.Helper()
	resp, prop, _ := n.propose(t, signer, identity.Invocation{ChannelID: channel, Chaincode: syscc.Lifecycle, Args: [][]byte{[]byte(fn), mustMarshal(t, in)}})
	if resp.GetResponse().GetStatus() == 200 && out != nil {
		if err := proto.Unmarshal(resp.GetResponse().GetPayload(), out); err != nil {
			t.Fatalf("%s answer: %v", fn, err)
		}
	}
	return resp, prop
}

// TestLifecycle drives Fabric 2.x's flow through the peer: install a
// package, find it, approve, check readiness, commit through the orderer
// and query the committed definition; then the refusals.
func TestLifecycle(t *testing.T) {
	n := startNet(t, t.TempDir())
	ch := DefaultChannel

	pkg := packageBytes(t, "basic", "1.0")
	var inst lb.InstallChaincodeResult
	resp, _ := n.lifecycleCall(t, n.admin, "", "InstallChaincode", &lb.InstallChaincodeArgs{ChaincodeInstallPackage: pkg}, &inst)
	if resp.GetResponse().GetStatus() != 200 || inst.GetLabel() != "basic_1.0" || !strings.HasPrefix(inst.GetPackageId(), "basic_1.0:") {
		t.Fatalf("install: %d %q, result %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), &inst)
	}
	pkgID := inst.GetPackageId()

	var installed lb.QueryInstalledChaincodesResult
	resp, _ = n.lifecycleCall(t, n.admin, "", "QueryInstalledChaincodes", &lb.QueryInstalledChaincodesArgs{}, &installed)
	if len(installed.GetInstalledChaincodes()) != 1 || installed.GetInstalledChaincodes()[0].GetPackageId() != pkgID {
		t.Fatalf("queryinstalled: %d %q, %v; want the one package %s", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), &installed, pkgID)
	}

	def := func(seq int64) *lb.ApproveChaincodeDefinitionForMyOrgArgs {
		return &lb.ApproveChaincodeDefinitionForMyOrgArgs{
			Name: "basic", Version: "1.0", Sequence: seq, InitRequired: true,
			Source: &lb.ChaincodeSource{Type: &lb.ChaincodeSource_LocalPackage{LocalPackage: &lb.ChaincodeSource_Local{PackageId: pkgID}}},
		}
	}
	resp, prop := n.lifecycleCall(t, n.admin, ch, "ApproveChaincodeDefinitionForMyOrg", def(1), nil)
	if resp.GetResponse().GetStatus() != 200 {
		t.Fatalf("approve: %d %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
	}
	if code := n.submit(t, n.admin, ch, prop, resp)[0]; code != peer.TxValidationCode_VALID {
		t.Fatalf("approve transaction: %v", code)
	}

	check := &lb.CheckCommitReadinessArgs{Name: "basic", Version: "1.0", Sequence: 1, InitRequired: true}
	var ready lb.CheckCommitReadinessResult
	resp, _ = n.lifecycleCall(t, n.user, ch, "CheckCommitReadiness", check, &ready)
	if resp.GetResponse().GetStatus() != 200 || !ready.GetApprovals()["Org1MSP"] {
		t.Fatalf("checkcommitreadiness: %d %q, approvals %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), ready.GetApprovals())
	}
	notReady := &lb.CheckCommitReadinessArgs{Name: "basic", Version: "2.0", Sequence: 1, InitRequired: true}
	resp, _ = n.lifecycleCall(t, n.user, ch, "CheckCommitReadiness", notReady, &ready)
	if ready.GetApprovals()["Org1MSP"] || ready.GetMismatches()["Org1MSP"] == nil {
		t.Errorf("checkcommitreadiness of an unapproved version: %d %q, approvals %v; want Org1MSP false", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), ready.GetApprovals())
	}

	commit := &lb.CommitChaincodeDefinitionArgs{Name: "basic", Version: "1.0", Sequence: 1, InitRequired: true}
	resp, prop = n.lifecycleCall(t, n.admin, ch, "CommitChaincodeDefinition", commit, nil)
	if resp.GetResponse().GetStatus() != 200 {
		t.Fatalf("commit: %d %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
	}
	if code := n.submit(t, n.admin, ch, prop, resp)[0]; code != peer.TxValidationCode_VALID {
		t.Fatalf("commit transaction: %v", code)
	}

	var got lb.QueryChaincodeDefinitionResult
	resp, _ = n.lifecycleCall(t, n.user, ch, "QueryChaincodeDefinition", &lb.QueryChaincodeDefinitionArgs{Name: "basic"}, &got)
	if resp.GetResponse().GetStatus() != 200 || got.GetSequence() != 1 || got.GetVersion() != "1.0" || !got.GetInitRequired() || !got.GetApprovals()["Org1MSP"] {
		t.Fatalf("querycommitted: %d %q, %v; want sequence 1, version 1.0, init required, approved by Org1MSP", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), &got)
	}
	l, err := n.p.chans.Ledger(ch)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := l.ChaincodeDefinition("basic"); err != nil || d.Sequence != 1 || !d.InitRequired ||
		d.EndorsementPolicy.GetChannelConfigPolicyReference() != syscc.DefaultEndorsementPolicyRef {
		t.Errorf("ledger definition: %+v, %v; want sequence 1, init required, policy %s", d, err, syscc.DefaultEndorsementPolicyRef)
	}

	t.Run("the package references the committed definition", func(t *testing.T) {
		var q lb.QueryInstalledChaincodeResult
		resp, _ := n.lifecycleCall(t, n.admin, "", "QueryInstalledChaincode", &lb.QueryInstalledChaincodeArgs{PackageId: pkgID}, &q)
		refs := q.GetReferences()[ch].GetChaincodes()
		if resp.GetResponse().GetStatus() != 200 || len(refs) != 1 || refs[0].GetName() != "basic" {
			t.Errorf("queryinstalled %s: %d %q, %v", pkgID, resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), &q)
		}
	})

	t.Run("a wrong-sequence approve is refused with Fabric's message", func(t *testing.T) {
		before := l.Height()
		resp, _ := n.lifecycleCall(t, n.admin, ch, "ApproveChaincodeDefinitionForMyOrg", def(3), nil)
		want := "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': requested sequence 3 is larger than the next available sequence number 2"
		if resp.GetResponse().GetStatus() != 500 || resp.GetResponse().GetMessage() != want || resp.GetEndorsement() != nil {
			t.Errorf("got %d %q, want 500 %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), want)
		}
		resp, _ = n.lifecycleCall(t, n.admin, ch, "CommitChaincodeDefinition", &lb.CommitChaincodeDefinitionArgs{Name: "basic", Version: "1.0", Sequence: 1}, nil)
		want = "failed to invoke backing implementation of 'CommitChaincodeDefinition': requested sequence is 1, but new definition must be sequence 2"
		if resp.GetResponse().GetMessage() != want {
			t.Errorf("commit again: %d %q, want %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), want)
		}
		if l.Height() != before {
			t.Errorf("height %d after refusals, want %d", l.Height(), before)
		}
	})

	t.Run("a non-admin approve is refused", func(t *testing.T) {
		resp, _ := n.lifecycleCall(t, n.user, ch, "ApproveChaincodeDefinitionForMyOrg", def(2), nil)
		msg := resp.GetResponse().GetMessage()
		if resp.GetResponse().GetStatus() != 500 || !strings.Contains(msg, "access denied for [_lifecycle/ApproveChaincodeDefinitionForMyOrg]") || !strings.Contains(msg, "use the Admin identity") {
			t.Errorf("got %d %q, want an access-denied refusal", resp.GetResponse().GetStatus(), msg)
		}
	})

	t.Run("querycommitted of an undefined chaincode is Fabric's 404", func(t *testing.T) {
		resp, _ := n.lifecycleCall(t, n.user, ch, "QueryChaincodeDefinition", &lb.QueryChaincodeDefinitionArgs{Name: "nope"}, nil)
		if resp.GetResponse().GetStatus() != 404 || resp.GetResponse().GetMessage() != "namespace nope is not defined" {
			t.Errorf("got %d %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
		}
	})

}

// define2x approves (as the admin of the peer's org) and commits a
// _lifecycle definition of name at seq naming packageID, ordering both
// transactions, and fails the test unless both are valid.
func (n *testNet) define2x(t *testing.T, channel, name, version string, seq int64, packageID string, initRequired bool) {
	t.Helper()
	n.define2xWithPolicy(t, channel, name, version, seq, packageID, initRequired, nil)
}

// define2xWithPolicy is define2x with an endorsement policy (nil for the
// channel's default).
func (n *testNet) define2xWithPolicy(t *testing.T, channel, name, version string, seq int64, packageID string, initRequired bool, policy *peer.ApplicationPolicy) {
	t.Helper()
	var validation []byte
	if policy != nil {
		validation = mustMarshal(t, policy)
	}
	approve := &lb.ApproveChaincodeDefinitionForMyOrgArgs{
		Name: name, Version: version, Sequence: seq, InitRequired: initRequired, ValidationParameter: validation,
		Source: &lb.ChaincodeSource{Type: &lb.ChaincodeSource_LocalPackage{LocalPackage: &lb.ChaincodeSource_Local{PackageId: packageID}}},
	}
	resp, prop := n.lifecycleCall(t, n.admin, channel, "ApproveChaincodeDefinitionForMyOrg", approve, nil)
	if resp.GetResponse().GetStatus() != 200 {
		t.Fatalf("approve %s sequence %d: %d %q", name, seq, resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
	}
	if code := n.submit(t, n.admin, channel, prop, resp)[0]; code != peer.TxValidationCode_VALID {
		t.Fatalf("approve transaction: %v", code)
	}
	commit := &lb.CommitChaincodeDefinitionArgs{Name: name, Version: version, Sequence: seq, InitRequired: initRequired, ValidationParameter: validation}
	resp, prop = n.lifecycleCall(t, n.admin, channel, "CommitChaincodeDefinition", commit, nil)
	if resp.GetResponse().GetStatus() != 200 {
		t.Fatalf("commit %s sequence %d: %d %q", name, seq, resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
	}
	if code := n.submit(t, n.admin, channel, prop, resp)[0]; code != peer.TxValidationCode_VALID {
		t.Fatalf("commit transaction: %v", code)
	}
}

// invokeInit is invoke with --isInit.
func (n *testNet) invokeInit(t *testing.T, channel, cc string, a ...string) (*peer.ProposalResponse, peer.TxValidationCode) {
	t.Helper()
	resp, prop, _ := n.propose(t, n.user, identity.Invocation{ChannelID: channel, Chaincode: cc, Args: args(a...), IsInit: true})
	if resp.GetResponse().GetStatus() >= 400 || resp.GetEndorsement() == nil {
		return resp, -1
	}
	return resp, n.submit(t, n.user, channel, prop, resp)[0]
}

// TestLifecycleDevMode runs Fabric 2.x's development-mode recipe: approve
// and commit with --package-id mycc:1.0 and nothing installed, start the
// chaincode as mycc:1.0, invoke.
func TestLifecycleDevMode(t *testing.T) {
	n := startNet(t, t.TempDir())
	ch := DefaultChannel

	// Before any approval the id is unknown, and the refusal says what the
	// peer looked for.
	if err := n.p.admit("mycc:1.0", chaincode.ConnInfo{}); err == nil ||
		!strings.Contains(err.Error(), "no definition Org1MSP approved on this peer's channels names it (approved package IDs: none)") {
		t.Fatalf("admit before approval = %v, want a refusal naming the approvals it looked for", err)
	}

	n.define2x(t, ch, "mycc", "1.0", 1, "mycc:1.0", false)

	resp, _ := n.invoke(t, n.user, ch, "mycc", "put", "a", "1")
	if msg := resp.GetResponse().GetMessage(); resp.GetResponse().GetStatus() != 500 ||
		!strings.Contains(msg, "could not launch chaincode mycc:1.0") || !strings.Contains(msg, "CORE_CHAINCODE_ID_NAME=mycc:1.0") {
		t.Fatalf("invoke before the chaincode runs: %d %q, want the start command", resp.GetResponse().GetStatus(), msg)
	}

	n.startCC(t, "mycc:1.0", newTestCC())
	if resp, code := n.invoke(t, n.user, ch, "mycc", "put", "a", "1"); code != peer.TxValidationCode_VALID {
		t.Fatalf("invoke: %d %q, code %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
	}
	if got := n.query(t, ch, "mycc", "get", "a"); got.GetStatus() != 200 || string(got.GetPayload()) != "1" {
		t.Errorf("query: %d %q %q, want 1", got.GetStatus(), got.GetMessage(), got.GetPayload())
	}
	resp, _ = n.invokeInit(t, ch, "mycc", "init")
	if want := "chaincode 'mycc' does not require initialization but called as init"; !strings.Contains(resp.GetResponse().GetMessage(), want) {
		t.Errorf("--isInit without InitRequired: %d %q, want %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), want)
	}
}

// TestLifecycleInitRequired checks Fabric's init-exactly-once rule for a
// definition with InitRequired, and that a new version needs init again.
func TestLifecycleInitRequired(t *testing.T) {
	n := startNet(t, t.TempDir())
	ch := DefaultChannel
	n.define2x(t, ch, "mycc", "1.0", 1, "mycc:1.0", true)

	// As Fabric checks the invocation before it launches the chaincode,
	// the init rule refuses even while no chaincode runs.
	notInit := "chaincode 'mycc' has not been initialized for this version, must call as init first"
	resp, _ := n.invoke(t, n.user, ch, "mycc", "put", "a", "1")
	if resp.GetResponse().GetStatus() != 500 || !strings.Contains(resp.GetResponse().GetMessage(), notInit) {
		t.Fatalf("invoke before init, chaincode not started: %d %q, want %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), notInit)
	}

	cc := newTestCC()
	n.startCC(t, "mycc:1.0", cc)
	resp, _ = n.invoke(t, n.user, ch, "mycc", "put", "a", "1")
	if resp.GetResponse().GetStatus() != 500 || !strings.Contains(resp.GetResponse().GetMessage(), notInit) {
		t.Fatalf("invoke before init: %d %q, want %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), notInit)
	}
	if resp, code := n.invokeInit(t, ch, "mycc", "setup", "x"); code != peer.TxValidationCode_VALID {
		t.Fatalf("init: %d %q, code %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
	}
	if cc.initCount(ch) != 1 {
		t.Errorf("Init ran %d times, want once", cc.initCount(ch))
	}
	if got := n.query(t, ch, "mycc", "get", "init"); string(got.GetPayload()) != "setup x" {
		t.Errorf("Init's write: %d %q %q, want \"setup x\"", got.GetStatus(), got.GetMessage(), got.GetPayload())
	}
	resp, _ = n.invokeInit(t, ch, "mycc", "setup", "again")
	if want := "chaincode 'mycc' is already initialized but called as init"; resp.GetResponse().GetStatus() != 500 || !strings.Contains(resp.GetResponse().GetMessage(), want) {
		t.Errorf("second init: %d %q, want %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), want)
	}
	if resp, code := n.invoke(t, n.user, ch, "mycc", "put", "a", "1"); code != peer.TxValidationCode_VALID {
		t.Fatalf("invoke after init: %d %q, code %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
	}

	t.Run("two inits endorsed together: only the first commits", func(t *testing.T) {
		n.define2x(t, ch, "mycc", "2.0", 2, "mycc:2.0", true)
		n.startCC(t, "mycc:2.0", newTestCC())
		resp, _ := n.invoke(t, n.user, ch, "mycc", "put", "a", "2")
		if !strings.Contains(resp.GetResponse().GetMessage(), notInit) {
			t.Fatalf("invoke of the new version before init: %d %q, want %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), notInit)
		}
		r1, p1, _ := n.propose(t, n.user, identity.Invocation{ChannelID: ch, Chaincode: "mycc", Args: args("one"), IsInit: true})
		r2, p2, _ := n.propose(t, n.user, identity.Invocation{ChannelID: ch, Chaincode: "mycc", Args: args("two"), IsInit: true})
		if r1.GetResponse().GetStatus() != 200 || r2.GetResponse().GetStatus() != 200 {
			t.Fatalf("endorse two inits: %q, %q", r1.GetResponse().GetMessage(), r2.GetResponse().GetMessage())
		}
		if code := n.submit(t, n.user, ch, p1, r1)[0]; code != peer.TxValidationCode_VALID {
			t.Fatalf("first init: %v", code)
		}
		if code := n.submit(t, n.user, ch, p2, r2)[0]; code != peer.TxValidationCode_MVCC_READ_CONFLICT {
			t.Errorf("second init: %v, want MVCC_READ_CONFLICT", code)
		}
	})
}

// forwardCC forwards every invoke to the chaincode named by its first
// argument, with the rest as that chaincode's arguments.
type forwardCC struct{}

func (forwardCC) Init(ckshim.ChaincodeStubInterface) *peer.Response { return ckshim.Success(nil) }

func (forwardCC) Invoke(stub ckshim.ChaincodeStubInterface) *peer.Response {
	a := stub.GetArgs()
	return stub.InvokeChaincode(string(a[0]), a[1:], "")
}

// TestLifecycleChaincodeToChaincode checks that a call from one chaincode
// to another defined through _lifecycle reaches the callee's approved
// package ID, and that the callee's init rule applies.
func TestLifecycleChaincodeToChaincode(t *testing.T) {
	n := startNet(t, t.TempDir())
	ch := DefaultChannel
	n.define2x(t, ch, "caller", "1.0", 1, "caller:1.0", false)
	n.define2x(t, ch, "callee", "1.0", 1, "callee_pkg:1", true)
	n.startCC(t, "caller:1.0", forwardCC{})
	n.startCC(t, "callee_pkg:1", newTestCC())

	resp, _ := n.invoke(t, n.user, ch, "caller", "callee", "put", "a", "1")
	// The caller's shim answers the refused call with its text as the
	// response's payload, which the caller returns.
	if want := "chaincode 'callee' has not been initialized for this version, must call as init first"; !strings.Contains(string(resp.GetResponse().GetPayload()), want) {
		t.Fatalf("call before the callee's init: %d %q %q, want %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), resp.GetResponse().GetPayload(), want)
	}
	if resp, code := n.invokeInit(t, ch, "callee", "setup"); code != peer.TxValidationCode_VALID {
		t.Fatalf("callee init: %d %q, code %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
	}
	if resp, code := n.invoke(t, n.user, ch, "caller", "callee", "put", "a", "1"); code != peer.TxValidationCode_VALID {
		t.Fatalf("call: %d %q, code %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
	}
	if got := n.query(t, ch, "callee", "get", "a"); string(got.GetPayload()) != "1" {
		t.Errorf("the callee's write: %d %q %q, want 1", got.GetStatus(), got.GetMessage(), got.GetPayload())
	}
}
