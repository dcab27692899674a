package client

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// endorsedProposal makes a proposal by user and n responses endorsed by the
// org's peer.
func endorsedProposal(t *testing.T, org *identity.Org, user *identity.SigningIdentity) (*peer.Proposal, *peer.ProposalResponse) {
	t.Helper()
	prop, _, err := user.NewProposal(identity.Invocation{
		ChannelID: "mychannel",
		Chaincode: "basic",
		Args:      [][]byte{[]byte("put"), []byte("a"), []byte("1")},
		Transient: map[string][]byte{"secret": []byte("never in the transaction")},
	})
	if err != nil {
		t.Fatalf("new proposal: %v", err)
	}
	sp, err := user.SignProposal(prop)
	if err != nil {
		t.Fatalf("sign proposal: %v", err)
	}
	resp, err := endorseWith(org, 200, "", []byte("ok"))(context.Background(), sp)
	if err != nil {
		t.Fatalf("endorse: %v", err)
	}
	return prop, resp
}

// checkTransaction takes an envelope apart and checks it is the transaction
// Fabric's clients build for prop and resps, signed by signer.
func checkTransaction(t *testing.T, org *identity.Org, env *common.Envelope, prop *peer.Proposal, signer *identity.SigningIdentity, endorsements []*peer.Endorsement, prp []byte) {
	t.Helper()
	if _, err := org.MSP().Verify(signer.Serialize(), env.GetPayload(), env.GetSignature()); err != nil {
		t.Errorf("envelope signature does not verify as the creator's: %v", err)
	}
	payload := &common.Payload{}
	mustUnmarshal(t, env.GetPayload(), payload)
	propHdr := &common.Header{}
	mustUnmarshal(t, prop.GetHeader(), propHdr)
	if diff := cmp.Diff(propHdr, payload.GetHeader(), protocmp.Transform()); diff != "" {
		t.Errorf("payload header is not the proposal's header (-want +got):\n%s", diff)
	}
	tx := &peer.Transaction{}
	mustUnmarshal(t, payload.GetData(), tx)
	if len(tx.GetActions()) != 1 {
		t.Fatalf("transaction has %d actions, want 1", len(tx.GetActions()))
	}
	action := tx.GetActions()[0]
	if !bytes.Equal(action.GetHeader(), propHdr.GetSignatureHeader()) {
		t.Errorf("action header is not the proposal's signature header bytes")
	}
	actionPayload := &peer.ChaincodeActionPayload{}
	mustUnmarshal(t, action.GetPayload(), actionPayload)
	propPayload := &peer.ChaincodeProposalPayload{}
	mustUnmarshal(t, prop.GetPayload(), propPayload)
	txPropPayload := &peer.ChaincodeProposalPayload{}
	mustUnmarshal(t, actionPayload.GetChaincodeProposalPayload(), txPropPayload)
	if len(txPropPayload.GetTransientMap()) != 0 {
		t.Errorf("transaction carries the transient map %v; Fabric strips it", txPropPayload.GetTransientMap())
	}
	if !bytes.Equal(txPropPayload.GetInput(), propPayload.GetInput()) {
		t.Errorf("transaction input differs from the proposal's")
	}
	if !bytes.Equal(actionPayload.GetAction().GetProposalResponsePayload(), prp) {
		t.Errorf("endorsed action payload is not the proposal response payload")
	}
	if diff := cmp.Diff(endorsements, actionPayload.GetAction().GetEndorsements(), protocmp.Transform()); diff != "" {
		t.Errorf("endorsements (-want +got):\n%s", diff)
	}
	for _, e := range actionPayload.GetAction().GetEndorsements() {
		if _, err := org.MSP().VerifyEndorsement(actionPayload.GetAction().GetProposalResponsePayload(), e); err != nil {
			t.Errorf("endorsement does not verify: %v", err)
		}
	}
}

func mustUnmarshal(t *testing.T, b []byte, m proto.Message) {
	t.Helper()
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatalf("unmarshal %T: %v", m, err)
	}
}

func TestNewSignedTxBuildsFabricsTransaction(t *testing.T) {
	org := newOrg(t)
	user := userOf(t, org, "User1")
	prop, resp := endorsedProposal(t, org, user)

	// The same endorser twice counts once, as in Fabric.
	env, err := NewSignedTx(prop, user, resp, resp)
	if err != nil {
		t.Fatalf("NewSignedTx: %v", err)
	}
	checkTransaction(t, org, env, prop, user, []*peer.Endorsement{resp.GetEndorsement()}, resp.GetPayload())
}

func TestNewSignedTxRefusals(t *testing.T) {
	org := newOrg(t)
	user := userOf(t, org, "User1")
	admin := userOf(t, org, "Admin")
	prop, resp := endorsedProposal(t, org, user)

	failed := proto.Clone(resp).(*peer.ProposalResponse)
	failed.Response = &peer.Response{Status: 500, Message: "boom"}
	other := proto.Clone(resp).(*peer.ProposalResponse)
	other.Payload = append([]byte("x"), other.Payload...)
	unendorsed := proto.Clone(resp).(*peer.ProposalResponse)
	unendorsed.Endorsement = nil
	noResponse := proto.Clone(resp).(*peer.ProposalResponse)
	noResponse.Response = nil

	tests := []struct {
		name    string
		prop    *peer.Proposal
		signer  Signer
		resps   []*peer.ProposalResponse
		wantErr string
	}{
		{"a nil proposal is refused", nil, user, []*peer.ProposalResponse{resp}, "the proposal is nil"},
		{"a nil signer is refused", prop, nil, []*peer.ProposalResponse{resp}, "the signer is nil"},
		{"no responses is refused", prop, user, nil, "no proposal responses"},
		{"a signer other than the creator is refused", prop, admin, []*peer.ProposalResponse{resp}, "not the proposal's creator"},
		{"an unsuccessful response is refused", prop, user, []*peer.ProposalResponse{resp, failed}, "response 1 was not successful: status 500: boom"},
		{"a response without a response is refused", prop, user, []*peer.ProposalResponse{noResponse}, "response 0 has no response"},
		{"responses with different payloads are refused", prop, user, []*peer.ProposalResponse{resp, other}, "response 1 differs"},
		{"responses without endorsements are refused", prop, user, []*peer.ProposalResponse{unendorsed}, "no endorsement"},
		{"a proposal with a bad header is refused", &peer.Proposal{Header: []byte{0xff}}, user, []*peer.ProposalResponse{resp}, "unmarshal proposal header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := NewSignedTx(tt.prop, tt.signer, tt.resps...)
			if err == nil {
				t.Fatalf("NewSignedTx = %v, want an error containing %q", env, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}
