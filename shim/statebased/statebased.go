package statebased

import (
	"fmt"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// stateEP is a KeyEndorsementPolicy: the role required of each organisation,
// by MSP ID.
type stateEP struct {
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
	ep := &stateEP{roles: make(map[string]msp.MSPRole_MSPRoleType)}
	if len(policy) == 0 {
		return ep, nil
	}
	envelope := &common.SignaturePolicyEnvelope{}
	if err := proto.Unmarshal(policy, envelope); err != nil {
		return nil, fmt.Errorf("unmarshal key-level endorsement policy of %d bytes as a SignaturePolicyEnvelope: %w", len(policy), err)
	}
	for i, principal := range envelope.GetIdentities() {
		if principal.GetPrincipalClassification() != msp.MSPPrincipal_ROLE {
			continue
		}
		role := &msp.MSPRole{}
		if err := proto.Unmarshal(principal.GetPrincipal(), role); err != nil {
			return nil, fmt.Errorf("unmarshal principal %d of key-level endorsement policy as an MSPRole: %w", i, err)
		}
		ep.roles[role.GetMspIdentifier()] = role.GetRole()
	}
	return ep, nil
}

// Policy serializes the policy. The organisations are sorted by MSP ID, so
// the same organisations and roles always give the same bytes.
func (ep *stateEP) Policy() ([]byte, error) {
	mspIDs := ep.ListOrgs()
	principals := make([]*msp.MSPPrincipal, len(mspIDs))
	signedBy := make([]*common.SignaturePolicy, len(mspIDs))
	for i, mspID := range mspIDs {
		role, err := proto.Marshal(&msp.MSPRole{MspIdentifier: mspID, Role: ep.roles[mspID]})
		if err != nil {
			return nil, fmt.Errorf("marshal role principal of %q: %w", mspID, err)
		}
		principals[i] = &msp.MSPPrincipal{
			PrincipalClassification: msp.MSPPrincipal_ROLE,
			Principal:               role,
		}
		signedBy[i] = &common.SignaturePolicy{
			Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(i)},
		}
	}
	envelope := &common.SignaturePolicyEnvelope{
		Version: 0,
		Rule: &common.SignaturePolicy{
			Type: &common.SignaturePolicy_NOutOf_{
				NOutOf: &common.SignaturePolicy_NOutOf{N: int32(len(mspIDs)), Rules: signedBy},
			},
		},
		Identities: principals,
	}
	b, err := proto.Marshal(envelope)
	if err != nil {
		return nil, fmt.Errorf("marshal key-level endorsement policy of %d organisations: %w", len(mspIDs), err)
	}
	return b, nil
}

// AddOrgs adds organisations with the role roleType; see KeyEndorsementPolicy.
func (ep *stateEP) AddOrgs(roleType RoleType, organizations ...string) error {
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
func (ep *stateEP) DelOrgs(organizations ...string) {
	for _, mspID := range organizations {
		delete(ep.roles, mspID)
	}
}

// ListOrgs returns the MSP IDs in the policy, sorted. (Fabric's returns them
// in map order; sorted is one of those orders, and a stable one.)
func (ep *stateEP) ListOrgs() []string {
	mspIDs := make([]string, 0, len(ep.roles))
	for mspID := range ep.roles {
		mspIDs = append(mspIDs, mspID)
	}
	slices.Sort(mspIDs)
	return mspIDs
}
