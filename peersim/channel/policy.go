package channel

import (
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// policyChecker is a channel ledger's PolicyChecker, backed by the MSP of
// the channel's organisations.
type policyChecker struct{ msp *identity.MSP }

func (c policyChecker) CheckCreator(creator, payload, signature []byte) error {
	if _, err := c.msp.Verify(creator, payload, signature); err != nil {
		return err
	}
	return nil
}

// CheckEndorsements evaluates the signature policy the writes need. A
// chaincode without a signature policy, a channel policy reference and the
// lifecycle namespace itself fall back to identity.AnyMember: one valid endorsement
// by a member of an organisation the peer knows (the single-organisation
// reading of Fabric's default endorsement policy).
func (c policyChecker) CheckEndorsements(p ledger.Policy, prp []byte, endorsements []*peer.Endorsement) error {
	env := p.Application.GetSignaturePolicy()
	if env == nil {
		env = identity.AnyMember(c.msp.IDs()...)
	}
	if err := c.msp.EvaluateEndorsements(env, prp, endorsements); err != nil {
		return fmt.Errorf("endorsement policy %s of %s: %w", identity.FormatPolicy(env), p.Namespace, err)
	}
	return nil
}
