package peersim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestEndorsementPoliciesAreCheckedAtCommit(t *testing.T) {
	n := startNet(t, t.TempDir())
	for _, name := range []string{"open", "closed"} {
		n.install(t, n.admin, name, "1.0")
		n.startCC(t, name+":1.0", newTestCC())
	}
	n.instantiate(t, DefaultChannel, "open", "1.0", "init")
	policy := "AND('Org1MSP.member', 'Org2MSP.member')" // Org2 has no peer here
	if resp, code := n.deployWithPolicy(t, n.admin, policy, "deploy", DefaultChannel, "closed", "1.0", "init"); code != peer.TxValidationCode_VALID {
		t.Fatalf("instantiate closed: %s %v", resp.GetResponse().GetMessage(), code)
	}

	tests := []struct {
		name   string
		cc     string
		tamper func(*peer.ProposalResponse)
		want   peer.TxValidationCode
	}{
		{name: "an endorsement satisfying the policy is valid", cc: "open", want: peer.TxValidationCode_VALID},
		{name: "a policy the peer's organisation cannot satisfy fails", cc: "closed", want: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{name: "a forged endorsement signature fails", cc: "open", want: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE,
			tamper: func(r *peer.ProposalResponse) { r.Endorsement.Signature[len(r.Endorsement.Signature)-1] ^= 1 }},
		{name: "an endorsement by a client identity still counts as a member", cc: "open", want: peer.TxValidationCode_VALID,
			tamper: endorsedAs(t, n.user)},
		// The peer records the endorsements it signs, so that validation
		// need not verify them again: its own signature moved to other
		// bytes or to another endorser must still be verified, and fail.
		{name: "the peer's own signature of another response fails", cc: "open", want: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE,
			tamper: func(r *peer.ProposalResponse) {
				other, _, _ := n.propose(t, n.user, invocation(DefaultChannel, "open", "put", "other", "x"))
				r.Endorsement.Signature = other.GetEndorsement().GetSignature()
			}},
		{name: "the peer's own signature presented as another endorser's fails", cc: "open", want: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE,
			tamper: func(r *peer.ProposalResponse) { r.Endorsement.Endorser = n.user.Serialize() }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := n.submitTampered(t, invocation(DefaultChannel, tt.cc, "put", "k", string(rune('a'+i))), tt.tamper); got != tt.want {
				t.Errorf("code %v, want %v", got, tt.want)
			}
		})
	}
}

// TestChannelPolicyReferences defines chaincodes whose endorsement policy
// is one of the channel's application policies, as the peer CLI's
// --channel-config-policy does, and checks who satisfies each: as in
// Fabric's test network, a peer is a reader but not a writer or an admin.
func TestChannelPolicyReferences(t *testing.T) {
	n := startNet(t, t.TempDir())
	endorseAs := func(signer *identity.SigningIdentity) func(*peer.ProposalResponse) { return endorsedAs(t, signer) }
	tests := []struct {
		name   string
		policy string
		tamper func(*peer.ProposalResponse)
		want   peer.TxValidationCode
	}{
		{name: "the peer is a reader", policy: "/Channel/Application/Readers", want: peer.TxValidationCode_VALID},
		{name: "the peer is not a writer", policy: "/Channel/Application/Writers", want: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{name: "a client is a writer", policy: "/Channel/Application/Writers", tamper: endorseAs(n.user), want: peer.TxValidationCode_VALID},
		{name: "the peer is not an admin", policy: "/Channel/Application/Admins", want: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{name: "the admin is the admins' majority", policy: "/Channel/Application/Admins", tamper: endorseAs(n.admin), want: peer.TxValidationCode_VALID},
		{name: "the organisation's own Writers", policy: "/Channel/Application/Org1MSP/Writers", tamper: endorseAs(n.user), want: peer.TxValidationCode_VALID},
		{name: "an undefined policy fails every transaction", policy: "/Channel/Application/Owners", want: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("ref%d", i)
			n.install(t, n.admin, name, "1.0")
			n.startCC(t, name+":1.0", newTestCC())
			ref := &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: tt.policy}}
			n.define2xWithPolicy(t, DefaultChannel, name, "1.0", 1, name+":1.0", false, ref)

			if got := n.submitTampered(t, invocation(DefaultChannel, name, "put", "k", "v"), tt.tamper); got != tt.want {
				t.Errorf("code %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrivateDataThroughTheTransientStore(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	colls, err := identity.ParseCollectionsJSON([]byte(`[{"name":"secrets","policy":"OR('Org1MSP.member')","requiredPeerCount":0,"maxPeerCount":1,"blockToLive":0,"memberOnlyRead":true}]`))
	if err != nil {
		t.Fatal(err)
	}
	if resp, code := n.deployFull(t, n.admin, "OR('Org1MSP.member')", colls, "deploy", DefaultChannel, "mycc", "1.0", "init"); code != peer.TxValidationCode_VALID {
		t.Fatalf("instantiate: %s %v", resp.GetResponse().GetMessage(), code)
	}
	if resp, code := n.invoke(t, n.user, DefaultChannel, "mycc", "pput", "secrets", "k", "hidden"); code != peer.TxValidationCode_VALID {
		t.Fatalf("private write: %s %v", resp.GetResponse().GetMessage(), code)
	}
	if r := n.query(t, DefaultChannel, "mycc", "pget", "secrets", "k"); r.GetStatus() != 200 || string(r.GetPayload()) != "hidden" {
		t.Errorf("private read: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
	}
	if r := n.query(t, DefaultChannel, "mycc", "pget", "nosuch", "k"); r.GetStatus() != 500 || !strings.Contains(r.GetMessage(), "collection [nosuch] not defined") {
		t.Errorf("undefined collection: %d %q", r.GetStatus(), r.GetMessage())
	}
}

// endorsedAs returns a tamper function that replaces a response's
// endorsement by signer's endorsement of the same payload.
func endorsedAs(t *testing.T, signer *identity.SigningIdentity) func(*peer.ProposalResponse) {
	return func(r *peer.ProposalResponse) {
		e, err := signer.Endorse(r.GetPayload())
		if err != nil {
			t.Fatal(err)
		}
		r.Endorsement = e
	}
}

// submitTampered endorses inv as the user, lets tamper (if not nil) change
// the response, orders it and returns its validation code.
func (n *testNet) submitTampered(t *testing.T, inv identity.Invocation, tamper func(*peer.ProposalResponse)) peer.TxValidationCode {
	t.Helper()
	resp, prop, _ := n.propose(t, n.user, inv)
	if resp.GetEndorsement() == nil {
		t.Fatalf("not endorsed: %s", resp.GetResponse().GetMessage())
	}
	if tamper != nil {
		tamper(resp)
	}
	return n.submit(t, n.user, inv.ChannelID, prop, resp)[0]
}
