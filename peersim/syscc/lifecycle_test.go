package syscc

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const testChannel = "mychannel"

// lcEnv is a _lifecycle chaincode on a one-channel memory ledger.
type lcEnv struct {
	t           *testing.T
	org         *identity.Org
	admin, user *identity.SigningIdentity
	store       *ccpackage.Store
	l           *ledger.Ledger
	cc          *LifecycleChaincode
}

type oneChannel struct{ l *ledger.Ledger }

func (c oneChannel) Names() []string { return []string{testChannel} }
func (c oneChannel) Ledger(name string) (*ledger.Ledger, error) {
	if name != testChannel {
		return nil, fmt.Errorf("channel %s not found", name)
	}
	return c.l, nil
}

func newLCEnv(t *testing.T, orgs ...string) *lcEnv {
	t.Helper()
	org, err := identity.EnsureOrg(t.TempDir(), identity.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	e := &lcEnv{t: t, org: org}
	if e.admin, err = org.Identity("Admin"); err != nil {
		t.Fatal(err)
	}
	if e.user, err = org.Identity("User1"); err != nil {
		t.Fatal(err)
	}
	if e.store, err = ccpackage.OpenStore(ccpackage.StoreConfig{Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	cfg := ledger.Config{Backend: ledger.BackendMemory, CheckTxID: true, PeerMSPIDs: []string{org.MSPID()}}
	if e.l, err = ledger.Open(testChannel, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.l.Close() })
	members := org.MSP().IDs()
	if len(orgs) > 0 {
		members = orgs
	}
	e.cc = &LifecycleChaincode{Store: e.store, OrgMSPID: org.MSPID(), Members: func(string) ([]string, error) { return members, nil }, Channels: oneChannel{e.l}, Log: slog.New(slog.DiscardHandler)}
	return e
}

// call invokes fn with in as signer on channel ("" for none).
func (e *lcEnv) call(signer *identity.SigningIdentity, channel, fn string, in proto.Message) (*identity.UnpackedProposal, *Result, error) {
	e.t.Helper()
	b, err := proto.Marshal(in)
	if err != nil {
		e.t.Fatal(err)
	}
	sp, _, err := signer.NewSignedProposal(identity.Invocation{ChannelID: channel, Chaincode: Lifecycle, Args: [][]byte{[]byte(fn), b}})
	if err != nil {
		e.t.Fatal(err)
	}
	up, err := e.org.MSP().ValidateProposal(sp)
	if err != nil {
		e.t.Fatal(err)
	}
	inv := &Invocation{Proposal: up}
	if channel != "" {
		inv.Ledger = e.l
	}
	res, err := e.cc.Invoke(context.Background(), inv)
	return up, res, err
}

// order commits the simulation of an endorsed result as one block and
// returns its validation code.
func (e *lcEnv) order(up *identity.UnpackedProposal, res *Result) peer.TxValidationCode {
	e.t.Helper()
	must := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			e.t.Fatal(err)
		}
		return b
	}
	results, err := res.Simulation.PublicBytes()
	if err != nil {
		e.t.Fatal(err)
	}
	e.l.PutTransient(up.TxID(), res.Simulation.Private)
	chdr := &common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: testChannel, TxId: up.TxID(),
		Timestamp: timestamppb.Now(), Extension: must(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: Lifecycle}})}
	shdr := up.SignatureHeader
	action := &peer.ChaincodeAction{Results: results, Response: res.Response, ChaincodeId: &peer.ChaincodeID{Name: Lifecycle}}
	prp := must(&peer.ProposalResponsePayload{ProposalHash: up.ProposalHash, Extension: must(action)})
	cap := &peer.ChaincodeActionPayload{ChaincodeProposalPayload: must(&peer.ChaincodeProposalPayload{}),
		Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp, Endorsements: []*peer.Endorsement{{Endorser: []byte("peer"), Signature: []byte("sig")}}}}
	tx := &peer.Transaction{Actions: []*peer.TransactionAction{{Header: must(shdr), Payload: must(cap)}}}
	payload := &common.Payload{Header: &common.Header{ChannelHeader: must(chdr), SignatureHeader: must(shdr)}, Data: must(tx)}
	cb, err := e.l.CommitBlock([]*common.Envelope{{Payload: must(payload), Signature: []byte("sig")}})
	if err != nil {
		e.t.Fatal(err)
	}
	return cb.Txs[0].Code
}

// do calls fn and, when it is endorsed with a simulation, orders it; it
// returns the response and the call's error text ("" for none).
func (e *lcEnv) do(signer *identity.SigningIdentity, channel, fn string, in proto.Message) (*peer.Response, string) {
	e.t.Helper()
	up, res, err := e.call(signer, channel, fn, in)
	if err != nil {
		if res != nil {
			e.t.Fatalf("%s returned a result and the error %v", fn, err)
		}
		return nil, err.Error()
	}
	if res.Simulation != nil {
		if code := e.order(up, res); code != peer.TxValidationCode_VALID {
			e.t.Fatalf("%s transaction: %v", fn, code)
		}
	}
	return res.Response, ""
}

// testPackage is a valid 2.x package labelled label.
func testPackage(t *testing.T, label string) []byte {
	t.Helper()
	dir := t.TempDir()
	for f, content := range map[string]string{"go.mod": "module example.com/cc\n\ngo 1.22\n", "main.go": "package main\n\nfunc main() {}\n"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pkg, err := ccpackage.Pack(ccpackage.PackOptions{Dir: dir, Label: label})
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

func approveArgs(name, version string, seq int64, pkgID string) *lb.ApproveChaincodeDefinitionForMyOrgArgs {
	a := &lb.ApproveChaincodeDefinitionForMyOrgArgs{Name: name, Version: version, Sequence: seq}
	if pkgID != "" {
		a.Source = &lb.ChaincodeSource{Type: &lb.ChaincodeSource_LocalPackage{LocalPackage: &lb.ChaincodeSource_Local{PackageId: pkgID}}}
	}
	return a
}

func commitArgs(name, version string, seq int64) *lb.CommitChaincodeDefinitionArgs {
	return &lb.CommitChaincodeDefinitionArgs{Name: name, Version: version, Sequence: seq}
}

// TestLifecycleRefusals checks every refusal _lifecycle makes of a call
// on a channel without definitions, and that none changes the ledger.
func TestLifecycleRefusals(t *testing.T) {
	e := newLCEnv(t)
	pkg := testPackage(t, "cc_1")
	if _, msg := e.do(e.admin, "", "InstallChaincode", &lb.InstallChaincodeArgs{ChaincodeInstallPackage: pkg}); msg != "" {
		t.Fatalf("install: %s", msg)
	}
	pkgID := ccpackage.PackageID("cc_1", pkg)
	badPolicy := approveArgs("cc", "1", 1, "")
	badPolicy.ValidationParameter = []byte("not a policy")
	emptyPolicy := approveArgs("cc", "1", 1, "")
	emptyPolicy.ValidationParameter = mustMarshalT(t, &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{}})
	tests := []struct {
		name          string
		signer        string // "admin" or "user"
		channel       string
		fn            string
		in            proto.Message
		want          string // the start of the error
		wantStatus404 string // or the message of a 404 answer
	}{
		{name: "an unknown function", signer: "admin", fn: "Nope", in: &lb.InstallChaincodeArgs{},
			want: "failed to invoke backing implementation of 'Nope': _lifecycle has no function \"Nope\""},
		{name: "install by a member", signer: "user", fn: "InstallChaincode", in: &lb.InstallChaincodeArgs{ChaincodeInstallPackage: pkg},
			want: "access denied for [_lifecycle/InstallChaincode]: "},
		{name: "install of garbage", signer: "admin", fn: "InstallChaincode", in: &lb.InstallChaincodeArgs{ChaincodeInstallPackage: []byte("x")},
			want: "failed to invoke backing implementation of 'InstallChaincode': could not parse as a chaincode install package: "},
		{name: "a second install", signer: "admin", fn: "InstallChaincode", in: &lb.InstallChaincodeArgs{ChaincodeInstallPackage: pkg},
			want: "failed to invoke backing implementation of 'InstallChaincode': chaincode already successfully installed (package ID '" + pkgID + "')"},
		{name: "queryinstalled by a member", signer: "user", fn: "QueryInstalledChaincodes", in: &lb.QueryInstalledChaincodesArgs{},
			want: "access denied for [_lifecycle/QueryInstalledChaincodes]: "},
		{name: "queryinstalled of an unknown package", signer: "admin", fn: "QueryInstalledChaincode", in: &lb.QueryInstalledChaincodeArgs{PackageId: "cc_1:abc"},
			wantStatus404: "chaincode install package 'cc_1:abc' not found"},
		{name: "getinstalledpackage of an unknown package", signer: "admin", fn: "GetInstalledChaincodePackage", in: &lb.GetInstalledChaincodePackageArgs{PackageId: "cc_1:abc"},
			wantStatus404: "chaincode install package 'cc_1:abc' not found"},
		{name: "approve by a member", signer: "user", channel: testChannel, fn: "ApproveChaincodeDefinitionForMyOrg", in: approveArgs("cc", "1", 1, pkgID),
			want: "access denied for [_lifecycle/ApproveChaincodeDefinitionForMyOrg]: "},
		{name: "queryapproved of all by a member", signer: "user", channel: testChannel, fn: "QueryApprovedChaincodeDefinitions", in: &lb.QueryApprovedChaincodeDefinitionsArgs{},
			want: "access denied for [_lifecycle/QueryApprovedChaincodeDefinitions]: "},
		{name: "approve without a channel", signer: "admin", fn: "ApproveChaincodeDefinitionForMyOrg", in: approveArgs("cc", "1", 1, pkgID),
			want: "_lifecycle ApproveChaincodeDefinitionForMyOrg needs a channel: name one in the proposal (-C)"},
		{name: "approve of sequence 0", signer: "admin", channel: testChannel, fn: "ApproveChaincodeDefinitionForMyOrg", in: approveArgs("cc", "1", 0, pkgID),
			want: "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': requested sequence is 0, but first definable sequence number is 1"},
		{name: "approve of a sequence too far ahead", signer: "admin", channel: testChannel, fn: "ApproveChaincodeDefinitionForMyOrg", in: approveArgs("cc", "1", 2, pkgID),
			want: "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': requested sequence 2 is larger than the next available sequence number 1"},
		{name: "approve of a bad name", signer: "admin", channel: testChannel, fn: "ApproveChaincodeDefinitionForMyOrg", in: approveArgs("my cc", "1", 1, pkgID),
			want: "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: invalid chaincode name 'my cc'."},
		{name: "approve of a system chaincode's name", signer: "admin", channel: testChannel, fn: "ApproveChaincodeDefinitionForMyOrg", in: approveArgs("lscc", "1", 1, pkgID),
			want: "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: chaincode name 'lscc' is the name of a system chaincode"},
		{name: "approve of a bad version", signer: "admin", channel: testChannel, fn: "ApproveChaincodeDefinitionForMyOrg", in: approveArgs("cc", "1/2", 1, pkgID),
			want: "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: invalid chaincode version '1/2'."},
		{name: "approve with an undecodable policy", signer: "admin", channel: testChannel, fn: "ApproveChaincodeDefinitionForMyOrg", in: badPolicy,
			want: "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: the validation parameter (endorsement policy) is not an ApplicationPolicy"},
		{name: "approve with an empty policy", signer: "admin", channel: testChannel, fn: "ApproveChaincodeDefinitionForMyOrg", in: emptyPolicy,
			want: "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: the endorsement policy names neither"},
		{name: "checkcommitreadiness of a sequence too far ahead", signer: "user", channel: testChannel, fn: "CheckCommitReadiness", in: &lb.CheckCommitReadinessArgs{Name: "cc", Version: "1", Sequence: 2},
			want: "failed to invoke backing implementation of 'CheckCommitReadiness': requested sequence is 2, but new definition must be sequence 1"},
		{name: "commit without an approval", signer: "admin", channel: testChannel, fn: "CommitChaincodeDefinition", in: commitArgs("cc", "1", 1),
			want: "failed to invoke backing implementation of 'CommitChaincodeDefinition': chaincode definition not agreed to by this org (Org1MSP)"},
		{name: "commit without a channel", signer: "admin", fn: "CommitChaincodeDefinition", in: commitArgs("cc", "1", 1),
			want: "_lifecycle CommitChaincodeDefinition needs a channel"},
		{name: "queryapproved of nothing approved", signer: "admin", channel: testChannel, fn: "QueryApprovedChaincodeDefinition", in: &lb.QueryApprovedChaincodeDefinitionArgs{Name: "cc"},
			want: "failed to invoke backing implementation of 'QueryApprovedChaincodeDefinition': could not fetch approved chaincode definition (name: 'cc', sequence: '0') on channel 'mychannel'"},
		{name: "querycommitted of nothing committed", signer: "user", channel: testChannel, fn: "QueryChaincodeDefinition", in: &lb.QueryChaincodeDefinitionArgs{Name: "cc"},
			wantStatus404: "namespace cc is not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer := e.admin
			if tt.signer == "user" {
				signer = e.user
			}
			before := e.l.Height()
			_, res, err := e.call(signer, tt.channel, tt.fn, tt.in)
			switch {
			case tt.wantStatus404 != "":
				if err != nil || res.Response.GetStatus() != 404 || res.Response.GetMessage() != tt.wantStatus404 {
					t.Errorf("got %v, %v; want status 404 %q", res, err, tt.wantStatus404)
				}
			case err == nil:
				t.Errorf("got %v, want the error %q", res, tt.want)
			case !strings.HasPrefix(err.Error(), tt.want):
				t.Errorf("error %q, want it to start with %q", err, tt.want)
			}
			if res != nil && res.Simulation != nil {
				t.Errorf("a refused call carries a simulation")
			}
			if e.l.Height() != before {
				t.Errorf("height %d, want %d", e.l.Height(), before)
			}
		})
	}
	t.Run("invalid argument counts", func(t *testing.T) {
		for _, a := range [][][]byte{nil, {[]byte("QueryInstalledChaincodes")}} {
			sp, _, err := e.admin.NewSignedProposal(identity.Invocation{Chaincode: Lifecycle, Args: a})
			if err != nil {
				t.Fatal(err)
			}
			up, err := e.org.MSP().ValidateProposal(sp)
			if err != nil {
				t.Fatal(err)
			}
			want := "lifecycle scc must be invoked with arguments"
			if len(a) == 1 {
				want = "lifecycle scc operations require exactly two arguments but received 1"
			}
			if _, err := e.cc.Invoke(context.Background(), &Invocation{Proposal: up}); err == nil || err.Error() != want {
				t.Errorf("%d arguments: %v, want %q", len(a), err, want)
			}
		}
	})
}

func mustMarshalT(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLifecycleSequences runs Fabric's sequence rules as one history of
// approvals and commits, each step's outcome depending on those before.
func TestLifecycleSequences(t *testing.T) {
	e := newLCEnv(t)
	coll := &peer.CollectionConfigPackage{Config: []*peer.CollectionConfig{{Payload: &peer.CollectionConfig_StaticCollectionConfig{
		StaticCollectionConfig: &peer.StaticCollectionConfig{Name: "secret", RequiredPeerCount: 0, MaximumPeerCount: 1, BlockToLive: 10,
			MemberOrgsPolicy: &peer.CollectionPolicyConfig{Payload: &peer.CollectionPolicyConfig_SignaturePolicy{SignaturePolicy: identity.MustParsePolicy("OR('Org1MSP.member')")}}},
	}}}}
	collNamed := func(name string, btl uint64) *peer.CollectionConfigPackage {
		c := proto.Clone(coll).(*peer.CollectionConfigPackage)
		c.Config[0].GetStaticCollectionConfig().Name, c.Config[0].GetStaticCollectionConfig().BlockToLive = name, btl
		return c
	}
	withColl := func(a *lb.ApproveChaincodeDefinitionForMyOrgArgs) *lb.ApproveChaincodeDefinitionForMyOrgArgs {
		a.Collections = coll
		return a
	}
	sigPolicy := mustMarshalT(t, &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: identity.MustParsePolicy("OR('Org1MSP.peer')")}})
	withPolicy := func(a *lb.ApproveChaincodeDefinitionForMyOrgArgs) *lb.ApproveChaincodeDefinitionForMyOrgArgs {
		a.ValidationParameter = sigPolicy
		return a
	}
	const approve, commit = "ApproveChaincodeDefinitionForMyOrg", "CommitChaincodeDefinition"
	steps := []struct {
		name string
		fn   string
		in   proto.Message
		want string // "" for success, else the error's end
	}{
		{"approve sequence 1", approve, withColl(approveArgs("cc", "1", 1, "cc_1:aa")), ""},
		{"the same approval again is unchanged content", approve, withColl(approveArgs("cc", "1", 1, "cc_1:aa")),
			"attempted to redefine uncommitted sequence (1) for namespace cc with unchanged content"},
		{"a re-approval of sequence 1 with another package", approve, withColl(approveArgs("cc", "1", 1, "cc_1:bb")), ""},
		{"commit of another version is not agreed", commit, commitArgs("cc", "2", 1), "chaincode definition not agreed to by this org (Org1MSP)"},
		{"commit of sequence 1", commit, &lb.CommitChaincodeDefinitionArgs{Name: "cc", Version: "1", Sequence: 1, Collections: coll}, ""},
		{"commit of sequence 1 again", commit, &lb.CommitChaincodeDefinitionArgs{Name: "cc", Version: "1", Sequence: 1, Collections: coll},
			"requested sequence is 1, but new definition must be sequence 2"},
		{"approve of the committed sequence, unchanged", approve, withColl(approveArgs("cc", "1", 1, "cc_1:bb")),
			"attempted to redefine the current committed sequence (1) for namespace cc"},
		{"approve of the committed sequence with other parameters", approve, withPolicy(withColl(approveArgs("cc", "9", 1, "cc_1:bb"))),
			"attempted to redefine the current committed sequence (1) for namespace cc with different parameters: [EndorsementInfo ValidationInfo] differ"},
		{"approve of the committed sequence with another package", approve, withColl(approveArgs("cc", "1", 1, "cc_1:cc")), ""},
		{"approve of sequence 0 once 1 is committed", approve, withColl(approveArgs("cc", "1", 0, "")), "currently defined sequence 1 is larger than requested sequence 0"},
		{"approve of sequence 3", approve, withColl(approveArgs("cc", "2", 3, "")), "requested sequence 3 is larger than the next available sequence number 2"},
		{"approve of sequence 2 without the collection", approve, approveArgs("cc", "2", 2, "cc_2:aa"),
			"error validating chaincode definition: the proposed collection config does not contain previously defined collections"},
		{"approve of sequence 2 replacing the collection", approve, &lb.ApproveChaincodeDefinitionForMyOrgArgs{Name: "cc", Version: "2", Sequence: 2, Collections: collNamed("other", 10)},
			"error validating chaincode definition: existing collection [secret] missing in the proposed collection configuration"},
		{"approve of sequence 2 changing BlockToLive", approve, &lb.ApproveChaincodeDefinitionForMyOrgArgs{Name: "cc", Version: "2", Sequence: 2, Collections: collNamed("secret", 11)},
			"error validating chaincode definition: the BlockToLive in an existing collection [secret] modified. Existing value [10]"},
		{"commit of sequence 2 dropping the collection", commit, commitArgs("cc", "2", 2),
			"error validating chaincode definition: the proposed collection config does not contain previously defined collections"},
		{"approve of sequence 2", approve, withColl(approveArgs("cc", "2", 2, "cc_2:aa")), ""},
		{"a re-approval of sequence 2 with a changed definition", approve, withColl(withPolicy(approveArgs("cc", "2", 2, "cc_2:aa"))), ""},
		{"commit of sequence 2", commit, &lb.CommitChaincodeDefinitionArgs{Name: "cc", Version: "2", Sequence: 2, ValidationParameter: sigPolicy, Collections: coll}, ""},
	}
	for _, s := range steps {
		_, msg := e.do(e.admin, testChannel, s.fn, s.in)
		switch {
		case s.want == "" && msg != "":
			t.Fatalf("%s: %s", s.name, msg)
		case s.want != "" && !strings.HasSuffix(msg, s.want):
			t.Fatalf("%s: error %q, want it to end with %q", s.name, msg, s.want)
		}
	}
	d, err := e.l.ChaincodeDefinition("cc")
	if err != nil || d.Sequence != 2 || d.Version != "2" || len(d.Collections.GetConfig()) != 1 ||
		identity.FormatPolicy(d.EndorsementPolicy.GetSignaturePolicy()) != identity.FormatPolicy(identity.MustParsePolicy("OR('Org1MSP.peer')")) {
		t.Fatalf("ledger definition %+v, %v; want sequence 2, version 2, one collection, OR('Org1MSP.peer')", d, err)
	}
	var approved lb.QueryApprovedChaincodeDefinitionResult
	resp, msg := e.do(e.admin, testChannel, "QueryApprovedChaincodeDefinition", &lb.QueryApprovedChaincodeDefinitionArgs{Name: "cc", Sequence: 1})
	if msg != "" || proto.Unmarshal(resp.GetPayload(), &approved) != nil || approved.GetSource().GetLocalPackage().GetPackageId() != "cc_1:cc" || approved.GetVersion() != "1" {
		t.Errorf("queryapproved sequence 1: %s %v; want version 1 with package cc_1:cc", msg, &approved)
	}
	var all lb.QueryChaincodeDefinitionsResult
	resp, msg = e.do(e.user, testChannel, "QueryChaincodeDefinitions", &lb.QueryChaincodeDefinitionsArgs{})
	if msg != "" || proto.Unmarshal(resp.GetPayload(), &all) != nil || len(all.GetChaincodeDefinitions()) != 1 || all.GetChaincodeDefinitions()[0].GetSequence() != 2 {
		t.Errorf("querycommitted: %s %v; want cc at sequence 2", msg, &all)
	}
	var approvals lb.QueryApprovedChaincodeDefinitionsResult
	resp, msg = e.do(e.admin, testChannel, "QueryApprovedChaincodeDefinitions", &lb.QueryApprovedChaincodeDefinitionsArgs{})
	if msg != "" || proto.Unmarshal(resp.GetPayload(), &approvals) != nil {
		t.Fatalf("queryapproved of all: %s", msg)
	}
	var listed []string
	for _, a := range approvals.GetApprovedChaincodeDefinitions() {
		listed = append(listed, fmt.Sprintf("%s#%d:%s:%s", a.GetName(), a.GetSequence(), a.GetVersion(), a.GetSource().GetLocalPackage().GetPackageId()))
	}
	if want := []string{"cc#1:1:cc_1:cc", "cc#2:2:cc_2:aa"}; !slices.Equal(listed, want) {
		t.Errorf("queryapproved of all lists %v, want %v", listed, want)
	}
	if id, err := ApprovedPackageID(e.l, "Org1MSP", "cc", 2); err != nil || id != "cc_2:aa" {
		t.Errorf("ApprovedPackageID = %q, %v; want cc_2:aa", id, err)
	}
}

// TestLifecycleApprovalsOfSeveralOrgs checks readiness reports each
// organisation of the channel and that an endorser of the commit checks
// only its own organisation's approval, as Fabric's does: the majority is
// the lifecycle endorsement policy's, applied at validation (this ledger
// accepts every endorsement; see peersim's multi-organisation tests).
func TestLifecycleApprovalsOfSeveralOrgs(t *testing.T) {
	tests := []struct {
		name      string
		orgs      []string
		wantReady map[string]bool
		want      string
	}{
		{"one org of one", []string{"Org1MSP"}, map[string]bool{"Org1MSP": true}, ""},
		{"one org of two endorses its own approval", []string{"Org1MSP", "Org2MSP"}, map[string]bool{"Org1MSP": true, "Org2MSP": false}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLCEnv(t, tt.orgs...)
			if _, msg := e.do(e.admin, testChannel, "ApproveChaincodeDefinitionForMyOrg", approveArgs("cc", "1", 1, "")); msg != "" {
				t.Fatal(msg)
			}
			var ready lb.CheckCommitReadinessResult
			resp, msg := e.do(e.user, testChannel, "CheckCommitReadiness", &lb.CheckCommitReadinessArgs{Name: "cc", Version: "1", Sequence: 1})
			if msg != "" || proto.Unmarshal(resp.GetPayload(), &ready) != nil {
				t.Fatalf("checkcommitreadiness: %s", msg)
			}
			if len(ready.GetApprovals()) != len(tt.wantReady) {
				t.Errorf("approvals %v, want %v", ready.GetApprovals(), tt.wantReady)
			}
			for org, want := range tt.wantReady {
				if got, ok := ready.GetApprovals()[org]; !ok || got != want {
					t.Errorf("approval of %s = %t (reported %t), want %t", org, got, ok, want)
				}
			}
			before := e.l.Height()
			_, msg = e.do(e.admin, testChannel, "CommitChaincodeDefinition", commitArgs("cc", "1", 1))
			if !strings.HasSuffix(msg, tt.want) || (tt.want == "") != (msg == "") {
				t.Errorf("commit: %q, want %q", msg, tt.want)
			}
			if tt.want != "" && e.l.Height() != before {
				t.Errorf("a refused commit changed the height to %d", e.l.Height())
			}
		})
	}
}

// TestLifecycleCommitsConflict checks that two commits of one sequence,
// endorsed before either is ordered, do not both take effect: the second
// is an MVCC conflict, as on Fabric.
func TestLifecycleCommitsConflict(t *testing.T) {
	e := newLCEnv(t)
	if _, msg := e.do(e.admin, testChannel, "ApproveChaincodeDefinitionForMyOrg", approveArgs("cc", "1", 1, "")); msg != "" {
		t.Fatal(msg)
	}
	up1, res1, err1 := e.call(e.admin, testChannel, "CommitChaincodeDefinition", commitArgs("cc", "1", 1))
	up2, res2, err2 := e.call(e.admin, testChannel, "CommitChaincodeDefinition", commitArgs("cc", "1", 1))
	if err1 != nil || err2 != nil {
		t.Fatalf("commit endorsements: %v, %v", err1, err2)
	}
	if code := e.order(up1, res1); code != peer.TxValidationCode_VALID {
		t.Fatalf("first commit: %v", code)
	}
	if code := e.order(up2, res2); code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Errorf("second commit: %v, want MVCC_READ_CONFLICT", code)
	}
	if d, err := e.l.ChaincodeDefinition("cc"); err != nil || d.Sequence != 1 {
		t.Errorf("definition %+v, %v; want sequence 1", d, err)
	}
}

// TestLSCCUpgradeOfALifecycleDefinition checks lscc refuses to upgrade a
// chaincode _lifecycle defined, whose definition would shadow lscc's.
func TestLSCCUpgradeOfALifecycleDefinition(t *testing.T) {
	e := newLCEnv(t)
	if _, err := e.store.Install("cc", "2", testPackage(t, "cc_2")); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		fn string
		in proto.Message
	}{{"ApproveChaincodeDefinitionForMyOrg", approveArgs("cc", "1", 1, "")}, {"CommitChaincodeDefinition", commitArgs("cc", "1", 1)}} {
		if _, msg := e.do(e.admin, testChannel, s.fn, s.in); msg != "" {
			t.Fatalf("%s: %s", s.fn, msg)
		}
	}
	cds := mustMarshalT(t, &peer.ChaincodeDeploymentSpec{ChaincodeSpec: &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: "cc", Version: "2"}}})
	sp, _, err := e.admin.NewSignedProposal(identity.Invocation{ChannelID: testChannel, Chaincode: LSCC, Args: [][]byte{[]byte("upgrade"), []byte(testChannel), cds}})
	if err != nil {
		t.Fatal(err)
	}
	up, err := e.org.MSP().ValidateProposal(sp)
	if err != nil {
		t.Fatal(err)
	}
	lscc := &LSCCChaincode{Store: e.store, Members: func(string) ([]string, error) { return e.org.MSP().IDs(), nil }, Log: slog.New(slog.DiscardHandler)}
	_, err = lscc.Invoke(context.Background(), &Invocation{Proposal: up, Ledger: e.l})
	want := "chaincode cc is defined on channel mychannel by _lifecycle (sequence 1), which takes precedence over lscc: change it with approveformyorg and commit at sequence 2"
	if err == nil || err.Error() != want {
		t.Errorf("lscc upgrade: %v, want %q", err, want)
	}
}
