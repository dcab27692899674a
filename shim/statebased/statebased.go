package statebased

import (
	"fmt"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// orgPolicy is a KeyEndorsementPolicy: the role required of each
// organisation, by MSP ID.
type orgPolicy struct {
	roles map[string]msp.MSPRole_MSPRoleType
}

// NewStateEP returns the policy serialized in policy, to be edited, or an
// empty policy when policy is empty. It keeps the role principals of the
// policy (whatever their role) and drops the rest of it: principals of
// other kinds and the rule, which is rebuilt as one-of-each-organisation by
// Policy. It fails when policy is not a serialized
// common.SignaturePolicyEnvelope or one of its role principals is not a
// serialized msp.MSPRole.
func NewStateEP(policy []byte) (KeyEndorsementPolicy, error) {
	ep := &orgPolicy{roles: make(map[string]msp.MSPRole_MSPRoleType)}
	if len(policy) == 0 {
		return ep, nil
	}
	envelope := &common.SignaturePolicyEnvelope{}
	if err := proto.Unmarshal(policy, envelope); err != nil {
		return nil, fmt.Errorf("unmarshal key-level endorsement policy of %d bytes as a SignaturePolicyEnvelope: %w", len(policy), err)
	}
	for i, principal := range envelope.GetIdentities() {
		mspID, role, ok, err := roleOf(principal)
		if err != nil {
			return nil, fmt.Errorf("principal %d of key-level endorsement policy: %w", i, err)
		}
		if ok {
			ep.roles[mspID] = role
		}
	}
	return ep, nil
}

// roleOf returns the organisation and role of a role principal; ok is false
// for principals of other kinds, which a key-level policy does not keep.
func roleOf(principal *msp.MSPPrincipal) (mspID string, role msp.MSPRole_MSPRoleType, ok bool, err error) {
	if principal.GetPrincipalClassification() != msp.MSPPrincipal_ROLE {
		return "", 0, false, nil
	}
	r := &msp.MSPRole{}
	if err := proto.Unmarshal(principal.GetPrincipal(), r); err != nil {
		return "", 0, false, fmt.Errorf("unmarshal as an MSPRole: %w", err)
	}
	return r.GetMspIdentifier(), r.GetRole(), true, nil
}

// Policy serializes the policy: one signature from each organisation, in
// the role recorded for it. The organisations are sorted by MSP ID, so the
// same organisations and roles always give the same bytes.
func (ep *orgPolicy) Policy() ([]byte, error) {
	envelope := &common.SignaturePolicyEnvelope{}
	allOf := &common.SignaturePolicy_NOutOf{}
	for _, mspID := range ep.ListOrgs() {
		role, err := proto.Marshal(&msp.MSPRole{MspIdentifier: mspID, Role: ep.roles[mspID]})
		if err != nil {
			return nil, fmt.Errorf("marshal role principal of %q: %w", mspID, err)
		}
		// The rule refers to a principal by its index in Identities.
		index := int32(len(envelope.Identities))
		envelope.Identities = append(envelope.Identities, &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: role})
		allOf.Rules = append(allOf.Rules, &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: index}})
	}
	allOf.N = int32(len(allOf.Rules))
	envelope.Rule = &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: allOf}}
	b, err := proto.Marshal(envelope)
	if err != nil {
		return nil, fmt.Errorf("marshal key-level endorsement policy of %d organisations: %w", len(envelope.Identities), err)
	}
	return b, nil
}

// AddOrgs adds organisations with the role roleType; see KeyEndorsementPolicy.
func (ep *orgPolicy) AddOrgs(roleType RoleType, organizations ...string) error {
	var role msp.MSPRole_MSPRoleType
	switch roleType {
	case RoleTypeMember:
		role = msp.MSPRole_MEMBER
	case RoleTypePeer:
		role = msp.MSPRole_PEER
	default:
		return &RoleTypeDoesNotExistError{RoleType: roleType}
	}
	for _, mspID := range organizations {
		ep.roles[mspID] = role
	}
	return nil
}

// DelOrgs removes organisations; see KeyEndorsementPolicy.
func (ep *orgPolicy) DelOrgs(organizations ...string) {
	for _, mspID := range organizations {
		delete(ep.roles, mspID)
	}
}

// ListOrgs returns the MSP IDs in the policy, sorted. (Fabric's returns them
// in map order; sorted is one of those orders, and a stable one.)
func (ep *orgPolicy) ListOrgs() []string {
	mspIDs := make([]string, 0, len(ep.roles))
	for mspID := range ep.roles {
		mspIDs = append(mspIDs, mspID)
	}
	slices.Sort(mspIDs)
	return mspIDs
}
