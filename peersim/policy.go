package peersim

import (
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// policyChecker is the ledger's PolicyChecker backed by the peer's MSP.
type policyChecker struct{ msp *identity.MSP }

func (c policyChecker) CheckCreator(creator, payload, signature []byte) error {
	if _, err := c.msp.Verify(creator, payload, signature); err != nil {
		return err
	}
	return nil
}

// CheckEndorsements evaluates the signature policy the writes need. A
// chaincode without a signature policy, a channel policy reference and the
// lifecycle namespace itself fall back to anyMember: one valid endorsement
// by a member of an organisation the peer knows (the single-organisation
// reading of Fabric's default endorsement policy).
func (c policyChecker) CheckEndorsements(p ledger.Policy, prp []byte, endorsements []*peer.Endorsement) error {
	env := p.Application.GetSignaturePolicy()
	if env == nil {
		env = anyMember(c.msp.IDs())
	}
	if err := c.msp.EvaluateEndorsements(env, prp, endorsements); err != nil {
		return fmt.Errorf("endorsement policy %s of %s: %w", identity.FormatPolicy(env), p.Namespace, err)
	}
	return nil
}

// anyMember is OR('<id>.member', ...) over the given MSP IDs.
func anyMember(mspIDs []string) *common.SignaturePolicyEnvelope {
	env := &common.SignaturePolicyEnvelope{}
	var rules []*common.SignaturePolicy
	for i, id := range mspIDs {
		env.Identities = append(env.Identities, identity.RolePrincipal(id, msp.MSPRole_MEMBER))
		rules = append(rules, identity.SignedBy(int32(i)))
	}
	env.Rule = identity.NOutOf(1, rules...)
	return env
}

// isAdmin checks that the proposal's creator is an admin, for the
// operations that need one.
func isAdmin(up *identity.UnpackedProposal, what string) error {
	if up.Creator == nil || !up.Creator.IsAdmin() {
		return fmt.Errorf("%w for [%s]: %s is not an admin of its organisation: use the Admin identity", ErrAccessDenied, what, up.Creator)
	}
	return nil
}
