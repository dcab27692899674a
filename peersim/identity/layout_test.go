package identity

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

func TestEndorsementLayoutsAreTheMinimalSetsOfOrganisations(t *testing.T) {
	two := []string{"Org1MSP", "Org2MSP"}
	three := []string{"Org1MSP", "Org2MSP", "Org3MSP"}
	p := MustParsePolicy
	tests := []struct {
		name     string
		policies []*common.SignaturePolicyEnvelope
		orgs     []string
		local    string
		want     [][]string
		wantErr  error
	}{
		{name: "AND needs both organisations", policies: []*common.SignaturePolicyEnvelope{p("AND('Org1MSP.peer', 'Org2MSP.peer')")},
			orgs: two, local: "Org1MSP", want: [][]string{{"Org1MSP", "Org2MSP"}}},
		{name: "OR is each organisation alone, the local one first", policies: []*common.SignaturePolicyEnvelope{p("OR('Org1MSP.peer', 'Org2MSP.peer')")},
			orgs: two, local: "Org2MSP", want: [][]string{{"Org2MSP"}, {"Org1MSP"}}},
		{name: "a member principal is satisfied by the organisation's peer", policies: []*common.SignaturePolicyEnvelope{p("OR('Org2MSP.member')")},
			orgs: two, local: "Org1MSP", want: [][]string{{"Org2MSP"}}},
		{name: "OutOf 2 of 3 is every pair, those with the local organisation first", policies: []*common.SignaturePolicyEnvelope{p("OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')")},
			orgs: three, local: "Org2MSP", want: [][]string{{"Org1MSP", "Org2MSP"}, {"Org2MSP", "Org3MSP"}, {"Org1MSP", "Org3MSP"}}},
		{name: "nested gates: a smaller set without the local organisation comes after the sets with it",
			policies: []*common.SignaturePolicyEnvelope{p("OR('Org3MSP.peer', AND('Org1MSP.peer', 'Org2MSP.peer'))")},
			orgs:     three, local: "Org1MSP", want: [][]string{{"Org1MSP", "Org2MSP"}, {"Org3MSP"}}},
		{name: "MAJORITY of one organisation is its peer", policies: []*common.SignaturePolicyEnvelope{Majority("Org1MSP")},
			orgs: []string{"Org1MSP"}, local: "Org1MSP", want: [][]string{{"Org1MSP"}}},
		{name: "MAJORITY of two organisations is both", policies: []*common.SignaturePolicyEnvelope{Majority(two...)},
			orgs: two, local: "Org1MSP", want: [][]string{{"Org1MSP", "Org2MSP"}}},
		{name: "MAJORITY of three organisations is any two", policies: []*common.SignaturePolicyEnvelope{Majority(three...)},
			orgs: three, local: "Org3MSP", want: [][]string{{"Org1MSP", "Org3MSP"}, {"Org2MSP", "Org3MSP"}, {"Org1MSP", "Org2MSP"}}},
		{name: "several policies are satisfied together (a key-level policy on top of the chaincode's)",
			policies: []*common.SignaturePolicyEnvelope{p("OR('Org1MSP.peer', 'Org2MSP.peer')"), p("OR('Org3MSP.peer')")},
			orgs:     three, local: "Org1MSP", want: [][]string{{"Org1MSP", "Org3MSP"}, {"Org2MSP", "Org3MSP"}}},
		{name: "an organisation without a peer here is left out of the sets", policies: []*common.SignaturePolicyEnvelope{Majority(three...)},
			orgs: two, local: "Org1MSP", want: [][]string{{"Org1MSP", "Org2MSP"}}},
		{name: "AND with an organisation that is not present cannot be satisfied", policies: []*common.SignaturePolicyEnvelope{p("AND('Org1MSP.peer', 'Org3MSP.peer')")},
			orgs: two, local: "Org1MSP", wantErr: ErrNoEndorsementLayout},
		{name: "one peer cannot sign twice for its organisation", policies: []*common.SignaturePolicyEnvelope{p("AND('Org1MSP.peer', 'Org1MSP.member')")},
			orgs: two, local: "Org1MSP", wantErr: ErrNoEndorsementLayout},
		{name: "a peer is not an admin", policies: []*common.SignaturePolicyEnvelope{p("OR('Org1MSP.admin')")},
			orgs: two, local: "Org1MSP", wantErr: ErrNoEndorsementLayout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EndorsementLayouts(tt.orgs, tt.local, tt.policies...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("EndorsementLayouts error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("EndorsementLayouts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEndorsementLayoutsRefusesAMalformedPolicy(t *testing.T) {
	bad := &common.SignaturePolicyEnvelope{Rule: SignedBy(3)}
	if _, err := EndorsementLayouts([]string{"Org1MSP"}, "Org1MSP", bad); err == nil || errors.Is(err, ErrNoEndorsementLayout) {
		t.Fatalf("EndorsementLayouts(out-of-range principal) = %v, want a malformed-policy error", err)
	}
}

func TestPolicyOrgsNamesEachOrganisationOnce(t *testing.T) {
	got := PolicyOrgs(MustParsePolicy("OR('Org2MSP.member', AND('Org1MSP.peer', 'Org2MSP.admin'))"))
	if diff := cmp.Diff([]string{"Org1MSP", "Org2MSP"}, got); diff != "" {
		t.Errorf("PolicyOrgs (-want +got):\n%s", diff)
	}
}
