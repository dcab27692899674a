package statebased_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	fabricsb "github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/chaincodekit/chaincodekit/shim/statebased"
)

// op is one edit, applied the same way to our policy and to Fabric's.
type op struct {
	add  bool
	role string
	orgs []string
}

func add(role string, orgs ...string) op { return op{add: true, role: role, orgs: orgs} }
func del(orgs ...string) op              { return op{orgs: orgs} }

// state is what a policy shows after some edits.
type state struct {
	Policy    []byte
	PolicyErr string
	Orgs      []string
	AddErrs   []string
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func applyOurs(t *testing.T, initial []byte, ops []op) state {
	t.Helper()
	ep, err := statebased.NewStateEP(initial)
	if err != nil {
		t.Fatalf("our NewStateEP: %v", err)
	}
	var s state
	for _, o := range ops {
		if o.add {
			s.AddErrs = append(s.AddErrs, errText(ep.AddOrgs(statebased.RoleType(o.role), o.orgs...)))
		} else {
			ep.DelOrgs(o.orgs...)
		}
	}
	policy, err := ep.Policy()
	s.Policy, s.PolicyErr = policy, errText(err)
	s.Orgs = ep.ListOrgs()
	return s
}

func applyFabrics(t *testing.T, initial []byte, ops []op) state {
	t.Helper()
	ep, err := fabricsb.NewStateEP(initial)
	if err != nil {
		t.Fatalf("Fabric's NewStateEP: %v", err)
	}
	var s state
	for _, o := range ops {
		if o.add {
			s.AddErrs = append(s.AddErrs, errText(ep.AddOrgs(fabricsb.RoleType(o.role), o.orgs...)))
		} else {
			ep.DelOrgs(o.orgs...)
		}
	}
	policy, err := ep.Policy()
	s.Policy, s.PolicyErr = policy, errText(err)
	s.Orgs = ep.ListOrgs()
	slices.Sort(s.Orgs) // Fabric lists in map order
	return s
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

// foreignPolicy is a policy neither package wrote: an ADMIN role, a
// non-role principal and a 1-of-3 rule.
func foreignPolicy(t *testing.T) []byte {
	t.Helper()
	rolePrincipal := func(mspID string, role msp.MSPRole_MSPRoleType) *msp.MSPPrincipal {
		return &msp.MSPPrincipal{
			PrincipalClassification: msp.MSPPrincipal_ROLE,
			Principal:               marshal(t, &msp.MSPRole{MspIdentifier: mspID, Role: role}),
		}
	}
	signedBy := func(i int32) *common.SignaturePolicy {
		return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: i}}
	}
	return marshal(t, &common.SignaturePolicyEnvelope{
		Version: 3,
		Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{
			N: 1, Rules: []*common.SignaturePolicy{signedBy(0), signedBy(1), signedBy(2)},
		}}},
		Identities: []*msp.MSPPrincipal{
			rolePrincipal("Org3MSP", msp.MSPRole_ADMIN),
			{PrincipalClassification: msp.MSPPrincipal_ORGANIZATION_UNIT, Principal: marshal(t, &msp.OrganizationUnit{MspIdentifier: "Org4MSP"})},
			rolePrincipal("Org1MSP", msp.MSPRole_CLIENT),
			rolePrincipal("Org3MSP", msp.MSPRole_PEER),
		},
	})
}

func TestPolicyBytesEqualFabrics(t *testing.T) {
	tests := []struct {
		name    string
		initial []byte
		ops     []op
	}{
		{name: "a new policy with no organisations"},
		{name: "an empty but non-nil initial policy", initial: []byte{}},
		{name: "one peer organisation", ops: []op{add("PEER", "Org1MSP")}},
		{name: "one member organisation", ops: []op{add("MEMBER", "Org1MSP")}},
		{name: "organisations added out of order are sorted", ops: []op{add("PEER", "Org3MSP", "Org1MSP", "org2MSP", "Org10MSP", "")}},
		{name: "roles mixed across calls", ops: []op{add("PEER", "Org2MSP"), add("MEMBER", "Org1MSP")}},
		{name: "adding an organisation again changes its role", ops: []op{add("PEER", "Org1MSP", "Org2MSP"), add("MEMBER", "Org1MSP")}},
		{name: "an unknown role is refused and changes nothing", ops: []op{add("PEER", "Org1MSP"), add("ADMIN", "Org2MSP"), add("peer", "Org3MSP"), add("", "Org4MSP")}},
		{name: "deleting organisations, present or not", ops: []op{add("PEER", "Org1MSP", "Org2MSP", "Org3MSP"), del("Org2MSP", "Org9MSP")}},
		{name: "deleting every organisation", ops: []op{add("MEMBER", "Org1MSP"), del("Org1MSP")}},
		{name: "MSP IDs outside ASCII", ops: []op{add("PEER", "Örg1MSP", "組織2", "Org1MSP")}},
		{name: "duplicates in one call", ops: []op{add("PEER", "Org1MSP", "Org1MSP")}},
		{name: "a foreign policy read back as it is", initial: foreignPolicy(t)},
		{name: "a foreign policy edited", initial: foreignPolicy(t), ops: []op{add("MEMBER", "Org2MSP"), del("Org1MSP")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := applyFabrics(t, tt.initial, tt.ops)
			got := applyOurs(t, tt.initial, tt.ops)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("differs from Fabric's statebased (-fabric +ours):\n%s", diff)
			}
			// Each package reads the other's bytes back to the same policy.
			if diff := cmp.Diff(applyFabrics(t, got.Policy, nil), applyOurs(t, want.Policy, nil)); diff != "" {
				t.Errorf("round trip through the other package differs (-fabric +ours):\n%s", diff)
			}
		})
	}
}

func TestRandomEditsEqualFabrics(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	roles := []string{"PEER", "MEMBER", "ADMIN"}
	for run := range 200 {
		var ops []op
		for range rng.IntN(8) {
			var orgs []string
			for range rng.IntN(4) {
				orgs = append(orgs, fmt.Sprintf("Org%dMSP", rng.IntN(12)))
			}
			if rng.IntN(3) == 0 {
				ops = append(ops, del(orgs...))
			} else {
				ops = append(ops, add(roles[rng.IntN(len(roles))], orgs...))
			}
		}
		want := applyFabrics(t, nil, ops)
		got := applyOurs(t, nil, ops)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("run %d, edits %+v: differs from Fabric's (-fabric +ours):\n%s", run, ops, diff)
		}
	}
}

func TestPolicyIsOneSignatureFromEachOrganisation(t *testing.T) {
	ep, err := statebased.NewStateEP(nil)
	if err != nil {
		t.Fatalf("NewStateEP: %v", err)
	}
	if err := ep.AddOrgs(statebased.RoleTypePeer, "Org2MSP", "Org1MSP"); err != nil {
		t.Fatalf("AddOrgs: %v", err)
	}
	b, err := ep.Policy()
	if err != nil {
		t.Fatalf("Policy: %v", err)
	}
	got := &common.SignaturePolicyEnvelope{}
	if err := proto.Unmarshal(b, got); err != nil {
		t.Fatalf("unmarshal policy: %v", err)
	}
	peer := func(mspID string) *msp.MSPPrincipal {
		return &msp.MSPPrincipal{
			PrincipalClassification: msp.MSPPrincipal_ROLE,
			Principal:               marshal(t, &msp.MSPRole{MspIdentifier: mspID, Role: msp.MSPRole_PEER}),
		}
	}
	want := &common.SignaturePolicyEnvelope{
		Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{
			N: 2,
			Rules: []*common.SignaturePolicy{
				{Type: &common.SignaturePolicy_SignedBy{SignedBy: 0}},
				{Type: &common.SignaturePolicy_SignedBy{SignedBy: 1}},
			},
		}}},
		Identities: []*msp.MSPPrincipal{peer("Org1MSP"), peer("Org2MSP")},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("policy (-want +got):\n%s", diff)
	}
}

func TestUnknownRoleError(t *testing.T) {
	ep, err := statebased.NewStateEP(nil)
	if err != nil {
		t.Fatalf("NewStateEP: %v", err)
	}
	err = ep.AddOrgs("ADMIN", "Org1MSP")
	var roleErr *statebased.RoleTypeDoesNotExistError
	if !errors.As(err, &roleErr) {
		t.Fatalf("AddOrgs error = %v, want a *RoleTypeDoesNotExistError", err)
	}
	if roleErr.RoleType != "ADMIN" {
		t.Errorf("RoleType = %q, want ADMIN", roleErr.RoleType)
	}
	if got, want := err.Error(), "role type ADMIN does not exist"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if orgs := ep.ListOrgs(); len(orgs) != 0 {
		t.Errorf("ListOrgs after a refused AddOrgs = %v, want none", orgs)
	}
}

func TestNewStateEPRejectsBadPolicies(t *testing.T) {
	badPrincipal := marshal(t, &common.SignaturePolicyEnvelope{Identities: []*msp.MSPPrincipal{
		{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: []byte{0xff}},
	}})
	tests := []struct {
		name   string
		policy []byte
	}{
		{"bytes that are not protobuf", []byte{0xff, 0xff}},
		{"a role principal that is not an MSPRole", badPrincipal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := statebased.NewStateEP(tt.policy); err == nil {
				t.Errorf("NewStateEP succeeded, want an error")
			}
			if _, err := fabricsb.NewStateEP(tt.policy); err == nil {
				t.Errorf("Fabric's NewStateEP succeeded; the two now differ")
			}
		})
	}
}
