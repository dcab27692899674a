package peersim

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"
)

// orgIdentity loads identity name of organisation mspID.
func (n *testNet) orgIdentity(t *testing.T, mspID, name string) *identity.SigningIdentity {
	t.Helper()
	id, err := n.orgIdentityOrg(t, mspID).Identity(name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// endorseOn signs inv as signer and sends the one signed proposal to the
// virtual peer of each of orgs, as Fabric's peer CLI does with several
// --peerAddresses.
func (n *testNet) endorseOn(t *testing.T, signer *identity.SigningIdentity, inv identity.Invocation, orgs ...string) (*peer.Proposal, []*peer.ProposalResponse) {
	t.Helper()
	prop, sp := signedProposal(t, signer, inv)
	var resps []*peer.ProposalResponse
	for _, org := range orgs {
		ctx, cancel := context.WithTimeout(context.Background(), n.timeout)
		resp, err := peer.NewEndorserClient(n.orgs[org]).ProcessProposal(ctx, sp)
		cancel()
		if err != nil {
			t.Fatalf("ProcessProposal on %s: %v", org, err)
		}
		resps = append(resps, resp)
	}
	return prop, resps
}

// submitAll orders prop with every response's endorsement.
func (n *testNet) submitAll(t *testing.T, signer *identity.SigningIdentity, channel string, prop *peer.Proposal, resps []*peer.ProposalResponse) peer.TxValidationCode {
	t.Helper()
	for i, r := range resps {
		if r.GetResponse().GetStatus() != 200 {
			t.Fatalf("endorsement %d: %d %q", i, r.GetResponse().GetStatus(), r.GetResponse().GetMessage())
		}
	}
	return n.submitEnvelope(t, signer, channel, prop, resps...)
}

// endorserMSP is the MSP ID of the identity that signed an endorsement.
func endorserMSP(t *testing.T, r *peer.ProposalResponse) string {
	t.Helper()
	sid := &msp.SerializedIdentity{}
	if err := proto.Unmarshal(r.GetEndorsement().GetEndorser(), sid); err != nil {
		t.Fatal(err)
	}
	return sid.GetMspid()
}

func TestEachOrganisationEndorsesWithItsOwnPeer(t *testing.T) {
	n := startNet(t, t.TempDir(), withOrgs("Org1MSP", "Org2MSP"))
	ch := DefaultChannel
	if resp := n.install(t, n.admin, "cc", "1"); resp.GetResponse().GetStatus() != 200 {
		t.Fatalf("install: %q", resp.GetResponse().GetMessage())
	}
	n.startCC(t, "cc:1", newTestCC())
	if resp, code := n.deployWithPolicy(t, n.admin, "AND('Org1MSP.peer', 'Org2MSP.peer')", "deploy", ch, "cc", "1"); code != peer.TxValidationCode_VALID {
		t.Fatalf("deploy: %q, %v", resp.GetResponse().GetMessage(), code)
	}
	user2 := n.orgIdentity(t, "Org2MSP", "User1")

	tests := []struct {
		name   string
		signer *identity.SigningIdentity
		orgs   []string
		want   peer.TxValidationCode
	}{
		{"both organisations endorse", n.user, []string{"Org1MSP", "Org2MSP"}, peer.TxValidationCode_VALID},
		{"a client of Org2MSP, both endorse", user2, []string{"Org2MSP", "Org1MSP"}, peer.TxValidationCode_VALID},
		{"Org1MSP alone is too few", n.user, []string{"Org1MSP"}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{"Org2MSP alone is too few", n.user, []string{"Org2MSP"}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "k" + string(rune('0'+i))
			prop, resps := n.endorseOn(t, tt.signer, invocation(ch, "cc", "put", key, "v"), tt.orgs...)
			for j, r := range resps {
				if got := endorserMSP(t, r); got != tt.orgs[j] {
					t.Errorf("the peer of %s endorsed as %s", tt.orgs[j], got)
				}
			}
			if code := n.submitAll(t, tt.signer, ch, prop, resps); code != tt.want {
				t.Fatalf("validation code %v, want %v", code, tt.want)
			}
			want := ""
			if tt.want == peer.TxValidationCode_VALID {
				want = "v"
			}
			if got := n.query(t, ch, "cc", "get", key); string(got.GetPayload()) != want {
				t.Errorf("get %s = %q, want %q", key, got.GetPayload(), want)
			}
		})
	}
}

func TestEachOrganisationApprovesOnItsOwnPeer(t *testing.T) {
	n := startNet(t, t.TempDir(), withOrgs("Org1MSP", "Org2MSP"))
	ch := DefaultChannel
	admin2 := n.orgIdentity(t, "Org2MSP", "Admin")
	def := &lb.ApproveChaincodeDefinitionForMyOrgArgs{
		Name: "mycc", Version: "1.0", Sequence: 1,
		Source: &lb.ChaincodeSource{Type: &lb.ChaincodeSource_LocalPackage{LocalPackage: &lb.ChaincodeSource_Local{PackageId: "mycc:1.0"}}},
	}
	call := func(signer *identity.SigningIdentity, fn string, in proto.Message, orgs ...string) (*peer.Proposal, []*peer.ProposalResponse) {
		return n.endorseOn(t, signer, identity.Invocation{ChannelID: ch, Chaincode: syscc.Lifecycle, Args: [][]byte{[]byte(fn), mustMarshal(t, in)}}, orgs...)
	}
	readiness := func(org string) map[string]bool {
		_, resps := call(n.user, "CheckCommitReadiness", &lb.CheckCommitReadinessArgs{Name: "mycc", Version: "1.0", Sequence: 1}, org)
		var out lb.CheckCommitReadinessResult
		if resps[0].GetResponse().GetStatus() != 200 || proto.Unmarshal(resps[0].GetResponse().GetPayload(), &out) != nil {
			t.Fatalf("checkcommitreadiness on %s: %q", org, resps[0].GetResponse().GetMessage())
		}
		return out.GetApprovals()
	}
	commit := &lb.CommitChaincodeDefinitionArgs{Name: "mycc", Version: "1.0", Sequence: 1}

	// Org1 approves on its peer.
	prop, resps := call(n.admin, "ApproveChaincodeDefinitionForMyOrg", def, "Org1MSP")
	if code := n.submitAll(t, n.admin, ch, prop, resps); code != peer.TxValidationCode_VALID {
		t.Fatalf("Org1MSP's approval: %v", code)
	}
	// Org2's admin cannot approve on Org1's peer.
	_, resps = call(admin2, "ApproveChaincodeDefinitionForMyOrg", def, "Org1MSP")
	if msg := resps[0].GetResponse().GetMessage(); !strings.Contains(msg, "is an admin of Org2MSP, not of the peer's organisation Org1MSP") {
		t.Errorf("Org2MSP's admin approving on Org1MSP's peer: %d %q", resps[0].GetResponse().GetStatus(), msg)
	}
	for _, org := range []string{"Org1MSP", "Org2MSP"} {
		if got := readiness(org); !got["Org1MSP"] || got["Org2MSP"] || len(got) != 2 {
			t.Errorf("readiness on %s after Org1MSP approved: %v", org, got)
		}
	}
	// Org2's peer refuses to endorse a commit its organisation did not
	// approve; Org1's endorses, but one endorsement is no majority of two.
	_, resps = call(n.admin, "CommitChaincodeDefinition", commit, "Org2MSP")
	if msg := resps[0].GetResponse().GetMessage(); !strings.Contains(msg, "chaincode definition not agreed to by this org (Org2MSP)") {
		t.Errorf("commit on Org2MSP's peer before its approval: %q", msg)
	}
	prop, resps = call(n.admin, "CommitChaincodeDefinition", commit, "Org1MSP")
	if code := n.submitAll(t, n.admin, ch, prop, resps); code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
		t.Fatalf("commit endorsed by Org1MSP alone: %v, want ENDORSEMENT_POLICY_FAILURE", code)
	}

	// Org2 approves on its own peer; both endorse the commit.
	prop, resps = call(admin2, "ApproveChaincodeDefinitionForMyOrg", def, "Org2MSP")
	if code := n.submitAll(t, admin2, ch, prop, resps); code != peer.TxValidationCode_VALID {
		t.Fatalf("Org2MSP's approval: %v", code)
	}
	if got := readiness("Org1MSP"); !got["Org1MSP"] || !got["Org2MSP"] {
		t.Errorf("readiness after both approved: %v", got)
	}
	prop, resps = call(n.admin, "CommitChaincodeDefinition", commit, "Org1MSP", "Org2MSP")
	if code := n.submitAll(t, n.admin, ch, prop, resps); code != peer.TxValidationCode_VALID {
		t.Fatalf("commit endorsed by both: %v", code)
	}

	// The default endorsement policy is the channel's MAJORITY
	// Endorsement: both organisations' peers.
	n.startCC(t, "mycc:1.0", newTestCC())
	prop, resps = n.endorseOn(t, n.user, invocation(ch, "mycc", "put", "a", "1"), "Org1MSP")
	if code := n.submitAll(t, n.user, ch, prop, resps); code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
		t.Errorf("invoke endorsed by Org1MSP alone: %v, want ENDORSEMENT_POLICY_FAILURE", code)
	}
	prop, resps = n.endorseOn(t, n.user, invocation(ch, "mycc", "put", "a", "2"), "Org1MSP", "Org2MSP")
	if code := n.submitAll(t, n.user, ch, prop, resps); code != peer.TxValidationCode_VALID {
		t.Errorf("invoke endorsed by both: %v", code)
	}
	if got := n.query(t, ch, "mycc", "get", "a"); string(got.GetPayload()) != "2" {
		t.Errorf("get a = %q, want 2", got.GetPayload())
	}
}

func TestAnOrganisationsPeerServesOnlyItsChannels(t *testing.T) {
	n := startNet(t, t.TempDir(), withOrgs("Org1MSP", "Org2MSP"))
	if err := n.p.CreateChannel("solo", "Org1MSP"); err != nil {
		t.Fatal(err)
	}
	inv := identity.Invocation{ChannelID: "solo", Chaincode: syscc.QSCC, Args: args("GetChainInfo", "solo")}
	_, resps := n.endorseOn(t, n.user, inv, "Org1MSP", "Org2MSP")
	if st := resps[0].GetResponse().GetStatus(); st != 200 {
		t.Errorf("qscc on Org1MSP's peer: %d %q", st, resps[0].GetResponse().GetMessage())
	}
	if msg := resps[1].GetResponse().GetMessage(); resps[1].GetResponse().GetStatus() == 200 || !strings.Contains(msg, "the peer of Org2MSP has not joined it") {
		t.Errorf("qscc on Org2MSP's peer of a channel without Org2MSP: %d %q", resps[1].GetResponse().GetStatus(), msg)
	}
	members, err := n.p.chans.Members("solo")
	if err != nil || len(members) != 1 || members[0] != "Org1MSP" {
		t.Errorf("members of solo = %v, %v", members, err)
	}
}

func TestPrivateDataStaysWithTheMemberOrganisations(t *testing.T) {
	n := startNet(t, t.TempDir(), withOrgs("Org1MSP", "Org2MSP"))
	ch := DefaultChannel
	colls, err := identity.ParseCollectionsJSON([]byte(`[
		{"name":"org1only","policy":"OR('Org1MSP.member')","requiredPeerCount":0,"maxPeerCount":1,"blockToLive":0},
		{"name":"shared","policy":"OR('Org1MSP.member','Org2MSP.member')","requiredPeerCount":1,"maxPeerCount":1,"blockToLive":0},
		{"name":"toomany","policy":"OR('Org1MSP.member','Org2MSP.member')","requiredPeerCount":2,"maxPeerCount":2,"blockToLive":0}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	if resp := n.install(t, n.admin, "pcc", "1"); resp.GetResponse().GetStatus() != 200 {
		t.Fatalf("install: %q", resp.GetResponse().GetMessage())
	}
	n.startCC(t, "pcc:1", newTestCC())
	if resp, code := n.deployFull(t, n.admin, "OR('Org1MSP.peer', 'Org2MSP.peer')", colls, "deploy", ch, "pcc", "1"); code != peer.TxValidationCode_VALID {
		t.Fatalf("deploy: %q, %v", resp.GetResponse().GetMessage(), code)
	}
	write := func(coll, key, value string, orgs ...string) peer.TxValidationCode {
		t.Helper()
		prop, resps := n.endorseOn(t, n.user, invocation(ch, "pcc", "pput", coll, key, value), orgs...)
		return n.submitAll(t, n.user, ch, prop, resps)
	}
	if code := write("org1only", "k", "secret", "Org1MSP"); code != peer.TxValidationCode_VALID {
		t.Fatalf("write to org1only: %v", code)
	}
	if code := write("shared", "k", "both", "Org2MSP"); code != peer.TxValidationCode_VALID {
		t.Fatalf("write to shared: %v", code)
	}
	if code := write(ledgerImplicit("Org2MSP"), "k", "mine", "Org2MSP"); code != peer.TxValidationCode_VALID {
		t.Fatalf("write to Org2MSP's implicit collection endorsed by Org2MSP: %v", code)
	}
	if code := write(ledgerImplicit("Org2MSP"), "k", "forged", "Org1MSP"); code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
		t.Errorf("write to Org2MSP's implicit collection endorsed by Org1MSP: %v, want ENDORSEMENT_POLICY_FAILURE", code)
	}

	unavailable := "private data matching public hash version is not available"
	tests := []struct {
		name, coll, org string
		want, wantErr   string
	}{
		{name: "a member reads the value", coll: "org1only", org: "Org1MSP", want: "secret"},
		{name: "a non-member's peer has only the hash", coll: "org1only", org: "Org2MSP", wantErr: unavailable},
		{name: "both members of shared read it", coll: "shared", org: "Org1MSP", want: "both"},
		{name: "the endorsing member reads shared", coll: "shared", org: "Org2MSP", want: "both"},
		{name: "Org2MSP reads its implicit collection", coll: ledgerImplicit("Org2MSP"), org: "Org2MSP", want: "mine"},
		{name: "Org1MSP's peer lacks Org2MSP's implicit data", coll: ledgerImplicit("Org2MSP"), org: "Org1MSP", wantErr: unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resps := n.endorseOn(t, n.user, invocation(ch, "pcc", "pget", tt.coll, "k"), tt.org)
			r := resps[0].GetResponse()
			if tt.wantErr != "" {
				if r.GetStatus() != 500 || !strings.Contains(r.GetMessage(), tt.wantErr) {
					t.Errorf("pget on %s: %d %q, want an error containing %q", tt.org, r.GetStatus(), r.GetMessage(), tt.wantErr)
				}
			} else if r.GetStatus() != 200 || string(r.GetPayload()) != tt.want {
				t.Errorf("pget on %s: %d %q %q, want %q", tt.org, r.GetStatus(), r.GetMessage(), r.GetPayload(), tt.want)
			}
			// Every peer of the channel holds the hash.
			_, resps = n.endorseOn(t, n.user, invocation(ch, "pcc", "phash", tt.coll, "k"), tt.org)
			if r := resps[0].GetResponse(); r.GetStatus() != 200 || len(r.GetPayload()) != 64 {
				t.Errorf("phash on %s: %d %q %q", tt.org, r.GetStatus(), r.GetMessage(), r.GetPayload())
			}
		})
	}

	// Each organisation's Deliver sends the private data its peer holds
	// (to a client of Org1MSP, which may not read Org2MSP's implicit
	// collection): Org2MSP's peer has none of org1only.
	for org, want := range map[string][]string{
		"Org1MSP": {"pcc/org1only", "pcc/shared"},
		"Org2MSP": {"pcc/shared"},
	} {
		if got := n.deliveredCollections(t, org); !slices.Equal(got, want) {
			t.Errorf("DeliverWithPrivateData on %s's peer gave the collections %v, want %v", org, got, want)
		}
	}

	// A collection that must reach two other peers cannot: the channel has
	// one other organisation.
	_, resps := n.endorseOn(t, n.user, invocation(ch, "pcc", "pput", "toomany", "k", "v"), "Org1MSP")
	want := "error in simulation: failed to distribute private collection"
	if r := resps[0].GetResponse(); r.GetStatus() != 500 || !strings.Contains(r.GetMessage(), want) || !strings.Contains(r.GetMessage(), "required to disseminate to at least 2 peers, but know of only 1 eligible peers") {
		t.Errorf("write to toomany: %d %q, want %q", r.GetStatus(), r.GetMessage(), want)
	}
}

// ledgerImplicit names an organisation's implicit collection.
func ledgerImplicit(mspID string) string { return "_implicit_org_" + mspID }

// committedEndorsers returns the MSP IDs of the endorsements of committed
// transaction txID, read back through qscc.
func (n *testNet) committedEndorsers(t *testing.T, channel, txID string) []string {
	t.Helper()
	resp, _, _ := n.propose(t, n.user, identity.Invocation{ChannelID: channel, Chaincode: syscc.QSCC, Args: args("GetTransactionByID", channel, txID)})
	pt := &peer.ProcessedTransaction{}
	if resp.GetResponse().GetStatus() != 200 || proto.Unmarshal(resp.GetResponse().GetPayload(), pt) != nil {
		t.Fatalf("GetTransactionByID %s: %d %q", txID, resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
	}
	payload := &common.Payload{}
	tx := &peer.Transaction{}
	cap := &peer.ChaincodeActionPayload{}
	if proto.Unmarshal(pt.GetTransactionEnvelope().GetPayload(), payload) != nil || proto.Unmarshal(payload.GetData(), tx) != nil ||
		len(tx.GetActions()) != 1 || proto.Unmarshal(tx.GetActions()[0].GetPayload(), cap) != nil {
		t.Fatalf("decode transaction %s", txID)
	}
	var out []string
	for _, e := range cap.GetAction().GetEndorsements() {
		out = append(out, endorserMSP(t, &peer.ProposalResponse{Endorsement: e}))
	}
	slices.Sort(out)
	return out
}

func TestTheGatewayGathersTheOrganisationsThePolicyNeeds(t *testing.T) {
	orgs := []string{"Org1MSP", "Org2MSP", "Org3MSP"}
	n := startNet(t, t.TempDir(), withOrgs(orgs...))
	ch := DefaultChannel
	policies := map[string]string{
		"andcc":   "AND('Org1MSP.peer', 'Org2MSP.peer')",
		"orcc":    "OR('Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
		"outofcc": "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
	}
	for name, policy := range policies {
		n.install(t, n.admin, name, "1")
		n.startCC(t, name+":1", newTestCC())
		if resp, code := n.deployWithPolicy(t, n.admin, policy, "deploy", ch, name, "1"); code != peer.TxValidationCode_VALID {
			t.Fatalf("deploy %s: %q, %v", name, resp.GetResponse().GetMessage(), code)
		}
	}
	// An application of Org2MSP connected to its own organisation's peer.
	u := loadOrgGatewayUser(t, n.orgIdentityOrg(t, "Org2MSP"), "User1")
	gw, err := client.Connect(u.id, client.WithSign(u.sign), client.WithClientConnection(n.orgs["Org2MSP"]))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	network := gw.GetNetwork(ch)

	tests := []struct {
		name, cc    string
		endorsing   []string
		want        []string // the committed endorsements' organisations
		wantInvalid bool
	}{
		{name: "AND needs another organisation's peer", cc: "andcc", want: []string{"Org1MSP", "Org2MSP"}},
		{name: "OR is satisfied by the local peer", cc: "orcc", want: []string{"Org2MSP"}},
		{name: "two of three: the local peer and one more", cc: "outofcc", want: nil},
		{name: "endorsing organisations are honoured", cc: "orcc", endorsing: []string{"Org1MSP", "Org3MSP"}, want: []string{"Org1MSP", "Org3MSP"}},
		{name: "too few chosen by hand fail at commit", cc: "andcc", endorsing: []string{"Org3MSP"}, wantInvalid: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("k%d", i)
			proposal, err := network.GetContract(tt.cc).NewProposal("put", client.WithArguments(key, "v"), client.WithEndorsingOrganizations(tt.endorsing...))
			if err != nil {
				t.Fatal(err)
			}
			tx, err := proposal.Endorse()
			if err != nil {
				t.Fatalf("endorse: %v", err)
			}
			commit, err := tx.Submit()
			if err != nil {
				t.Fatalf("submit: %v", err)
			}
			st, err := commit.Status()
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantInvalid {
				if st.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
					t.Fatalf("commit code %v, want ENDORSEMENT_POLICY_FAILURE", st.Code)
				}
				return
			}
			if !st.Successful {
				t.Fatalf("commit code %v", st.Code)
			}
			got := n.committedEndorsers(t, ch, tx.TransactionID())
			if tt.want == nil { // two of three, Org2MSP's among them
				if len(got) != 2 || !slices.Contains(got, "Org2MSP") {
					t.Errorf("endorsements by %v, want Org2MSP's and one other", got)
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("endorsements by %v, want %v", got, tt.want)
			}
		})
	}
}

// orgIdentityOrg returns organisation mspID of the peer.
func (n *testNet) orgIdentityOrg(t *testing.T, mspID string) *identity.Org {
	t.Helper()
	org, err := n.p.OrgOf(mspID)
	if err != nil {
		t.Fatal(err)
	}
	return org
}

func TestAPackageAnyOrganisationApprovedMayRegister(t *testing.T) {
	n := startNet(t, t.TempDir(), withOrgs("Org1MSP", "Org2MSP"))
	admin2 := n.orgIdentity(t, "Org2MSP", "Admin")
	def := &lb.ApproveChaincodeDefinitionForMyOrgArgs{
		Name: "only2", Version: "1.0", Sequence: 1,
		Source: &lb.ChaincodeSource{Type: &lb.ChaincodeSource_LocalPackage{LocalPackage: &lb.ChaincodeSource_Local{PackageId: "only2:1.0"}}},
	}
	if err := n.p.admit("only2:1.0", chaincode.ConnInfo{}); err == nil || !strings.Contains(err.Error(), "no definition any of Org1MSP, Org2MSP approved") {
		t.Fatalf("admit before any approval: %v", err)
	}
	prop, resps := n.endorseOn(t, admin2, identity.Invocation{ChannelID: DefaultChannel, Chaincode: syscc.Lifecycle, Args: [][]byte{[]byte("ApproveChaincodeDefinitionForMyOrg"), mustMarshal(t, def)}}, "Org2MSP")
	if code := n.submitAll(t, admin2, DefaultChannel, prop, resps); code != peer.TxValidationCode_VALID {
		t.Fatalf("Org2MSP's approval: %v", code)
	}
	if err := n.p.admit("only2:1.0", chaincode.ConnInfo{}); err != nil {
		t.Errorf("admit a package only Org2MSP approved: %v", err)
	}
}

// deliveredCollections returns the namespace/collection pairs whose private
// data organisation org's peer delivers (DeliverWithPrivateData from block
// 0 to the newest, as User1 of Org1MSP), sorted, once each.
func (n *testNet) deliveredCollections(t *testing.T, org string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	del, err := peer.NewDeliverClient(n.orgs[org]).DeliverWithPrivateData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := &orderer.SeekPosition{Type: &orderer.SeekPosition_Oldest{Oldest: &orderer.SeekOldest{}}}
	newest := &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}}
	if err := del.Send(seekEnvelopeTo(t, n.user, DefaultChannel, start, newest, orderer.SeekInfo_FAIL_IF_NOT_READY)); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for {
		r, err := del.Recv()
		if err != nil {
			t.Fatal(err)
		}
		bp := r.GetBlockAndPrivateData()
		if bp == nil {
			if r.GetStatus() != common.Status_SUCCESS {
				t.Fatalf("DeliverWithPrivateData on %s: status %v", org, r.GetStatus())
			}
			break
		}
		for _, tx := range bp.GetPrivateDataMap() {
			for _, ns := range tx.GetNsPvtRwset() {
				for _, c := range ns.GetCollectionPvtRwset() {
					seen[ns.GetNamespace()+"/"+c.GetCollectionName()] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// TestACrossChannelCallRunsOnTheCallersPeer calls a chaincode on another
// channel from each organisation's peer: the callee sees the channels and
// the private data of the caller's peer, as on Fabric, where the call runs
// on the peer that endorses.
func TestACrossChannelCallRunsOnTheCallersPeer(t *testing.T) {
	n := startNet(t, t.TempDir(), withOrgs("Org1MSP", "Org2MSP"))
	for _, c := range []struct{ name, orgs string }{{"org1only", "Org1MSP"}, {"both", ""}} {
		var orgs []string
		if c.orgs != "" {
			orgs = []string{c.orgs}
		}
		if err := n.p.CreateChannel(c.name, orgs...); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"pcc", "caller"} {
		if resp := n.install(t, n.admin, name, "1"); resp.GetResponse().GetStatus() != 200 {
			t.Fatalf("install %s: %q", name, resp.GetResponse().GetMessage())
		}
	}
	n.startCC(t, "pcc:1", newTestCC())
	n.startCC(t, "caller:1", callerCC{})
	n.instantiate(t, DefaultChannel, "caller", "1")
	n.instantiate(t, "org1only", "pcc", "1", "init", "org1only")
	colls, err := identity.ParseCollectionsJSON([]byte(`[{"name":"secrets","policy":"OR('Org1MSP.member')","requiredPeerCount":0,"maxPeerCount":1,"blockToLive":0}]`))
	if err != nil {
		t.Fatal(err)
	}
	if resp, code := n.deployFull(t, n.admin, "OR('Org1MSP.peer', 'Org2MSP.peer')", colls, "deploy", "both", "pcc", "1"); code != peer.TxValidationCode_VALID {
		t.Fatalf("deploy pcc on both: %q, %v", resp.GetResponse().GetMessage(), code)
	}
	prop, resps := n.endorseOn(t, n.user, invocation("both", "pcc", "pput", "secrets", "k", "org1's"), "Org1MSP")
	if code := n.submitAll(t, n.user, "both", prop, resps); code != peer.TxValidationCode_VALID {
		t.Fatalf("private write on both: %v", code)
	}

	tests := []struct {
		name, org string
		call      []string
		want      string // the answer, or a part of the error
		ok        bool
	}{
		{name: "Org1MSP's peer reaches a channel of Org1MSP", org: "Org1MSP", call: []string{"pcc", "@org1only", "get", "init"}, want: "init org1only", ok: true},
		{name: "Org2MSP's peer has no ledger of a channel without Org2MSP", org: "Org2MSP", call: []string{"pcc", "@org1only", "get", "init"}, want: "failed to find ledger for channel: org1only"},
		{name: "Org1MSP's peer reads its collection on the other channel", org: "Org1MSP", call: []string{"pcc", "@both", "pget", "secrets", "k"}, want: "org1's", ok: true},
		{name: "Org2MSP's peer holds only the hash there", org: "Org2MSP", call: []string{"pcc", "@both", "pget", "secrets", "k"}, want: "private data matching public hash version is not available"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer := n.orgIdentity(t, tt.org, "User1")
			_, resps := n.endorseOn(t, signer, invocation(DefaultChannel, "caller", tt.call...), tt.org)
			r := resps[0].GetResponse()
			if tt.ok {
				if r.GetStatus() != 200 || string(r.GetPayload()) != tt.want {
					t.Errorf("got %d %q %q, want 200 %q", r.GetStatus(), r.GetMessage(), r.GetPayload(), tt.want)
				}
				return
			}
			if got := r.GetMessage() + " " + string(r.GetPayload()); !strings.Contains(got, tt.want) {
				t.Errorf("got %d %q, want a failure containing %q", r.GetStatus(), got, tt.want)
			}
		})
	}
}
