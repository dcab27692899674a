package main

import (
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

const (
	valid   = peer.TxValidationCode_VALID
	refused = peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE
)

type step struct {
	args []string
	want peer.TxValidationCode
}

// The peersim peer endorses as Org1MSP: a key whose policy also requires
// Org2MSP can no longer be changed by it, not even to relax the policy.
func TestKeyLevelEndorsement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		steps     []step
		wantValue string
		wantOrgs  string
	}{
		{
			name:      "without a key policy the chaincode's policy applies",
			steps:     []step{{[]string{"setValue", "k", "v1"}, valid}},
			wantValue: "v1", wantOrgs: "[]",
		},
		{
			name: "a policy the peer's organisation satisfies lets writes through",
			steps: []step{
				{[]string{"setValue", "k", "v1"}, valid},
				{[]string{"addOrgs", "k", "Org1MSP"}, valid},
				{[]string{"setValue", "k", "v2"}, valid},
			},
			wantValue: "v2", wantOrgs: `["Org1MSP"]`,
		},
		{
			name: "a policy requiring another organisation fails writes at validation",
			steps: []step{
				{[]string{"setValue", "k", "v1"}, valid},
				{[]string{"addOrgs", "k", "Org1MSP", "Org2MSP"}, valid},
				{[]string{"setValue", "k", "v2"}, refused},
			},
			wantValue: "v1", wantOrgs: `["Org1MSP","Org2MSP"]`,
		},
		{
			name: "the key's own policy also guards changes to it",
			steps: []step{
				{[]string{"setValue", "k", "v1"}, valid},
				{[]string{"addOrgs", "k", "Org2MSP"}, valid},
				{[]string{"delOrgs", "k", "Org2MSP"}, refused},
				{[]string{"delPolicy", "k"}, refused},
			},
			wantValue: "v1", wantOrgs: `["Org2MSP"]`,
		},
		{
			name: "removing an organisation relaxes the policy",
			steps: []step{
				{[]string{"addOrgs", "k", "Org1MSP"}, valid},
				{[]string{"delOrgs", "k", "Org1MSP"}, valid},
				{[]string{"setValue", "k", "v1"}, valid},
			},
			wantValue: "v1", wantOrgs: "[]",
		},
		{
			name: "deleting the policy returns the key to the chaincode's policy",
			steps: []step{
				{[]string{"addOrgs", "k", "Org1MSP"}, valid},
				{[]string{"delPolicy", "k"}, valid},
				{[]string{"setValue", "k", "v1"}, valid},
			},
			wantValue: "v1", wantOrgs: "[]",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := peersimtest.New(t)
			cc := p.Deploy(t, "sbe", SBE{})
			for i, s := range tc.steps {
				r := cc.Submit(t, s.args[0], s.args[1:]...)
				if !r.Endorsed || r.Code != s.want {
					t.Fatalf("step %d %q: got %v, want endorsed and committed %s", i, s.args, r, s.want)
				}
			}
			if got := string(cc.Evaluate(t, "getValue", "k").Payload); got != tc.wantValue {
				t.Errorf("value of k = %q, want %q", got, tc.wantValue)
			}
			if got := string(cc.Evaluate(t, "listOrgs", "k").Payload); got != tc.wantOrgs {
				t.Errorf("orgs of k = %s, want %s", got, tc.wantOrgs)
			}
			// Other keys keep the chaincode's policy.
			if r := cc.Submit(t, "setValue", "other", "x"); r.Code != valid {
				t.Errorf("write to another key: %v", r)
			}
		})
	}
}

func TestSBERefusesBadArguments(t *testing.T) {
	t.Parallel()
	p := peersimtest.New(t)
	cc := p.Deploy(t, "sbe", SBE{})
	tests := []struct {
		name    string
		args    []string
		message string
	}{
		{"no key", []string{"setValue"}, "setValue needs a key as its first argument"},
		{"a value missing", []string{"setValue", "k"}, "setValue needs 2 arguments, a key and a value"},
		{"no organisation", []string{"addOrgs", "k"}, "addOrgs k: name at least one MSP ID"},
		{"an unknown function", []string{"grant", "k"}, `grant k: unknown function "grant"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cc.Evaluate(t, tc.args[0], tc.args[1:]...)
			if r.Status != 500 || r.Message != tc.message {
				t.Errorf("got %v, want status 500 %q", r, tc.message)
			}
		})
	}
}

// TestKeyLevelPoliciesAcrossOrganisations: on a peer of two organisations
// a key whose policy names Org2MSP is written only with Org2MSP's peer
// among the endorsers, whatever the chaincode's policy allows.
func TestKeyLevelPoliciesAcrossOrganisations(t *testing.T) {
	t.Parallel()
	p := peersimtest.New(t, peersimtest.WithOrgs("Org1MSP", "Org2MSP"))
	cc := p.Deploy(t, "sbe", SBE{}, peersimtest.Policy("OR('Org1MSP.peer', 'Org2MSP.peer')"))
	if r := cc.Tx("setValue", "k", "1").EndorsedBy("Org1MSP").Submit(t); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("setValue under the chaincode's OR policy, by Org1MSP: %v", r)
	}
	if r := cc.Tx("addOrgs", "k", "Org2MSP").EndorsedBy("Org1MSP").Submit(t); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("addOrgs k Org2MSP: %v", r)
	}
	tests := []struct {
		name string
		orgs []string
		want peer.TxValidationCode
	}{
		{"Org1MSP's peer alone", []string{"Org1MSP"}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{"Org2MSP's peer", []string{"Org2MSP"}, peer.TxValidationCode_VALID},
		{"both", []string{"Org1MSP", "Org2MSP"}, peer.TxValidationCode_VALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cc.Tx("setValue", "k", tt.name).EndorsedBy(tt.orgs...).Submit(t)
			if r.Code != tt.want {
				t.Fatalf("setValue k endorsed by %v: %v, want %v", tt.orgs, r, tt.want)
			}
			if r.Code != refused {
				return
			}
			if r.Trace == nil || r.Trace.Commit == nil || !strings.Contains(r.Trace.Commit.Reason, "endorse the proposal on a peer of Org2MSP") {
				t.Errorf("the trace's reason does not name Org2MSP: %+v", r.Trace)
			}
		})
	}
}
