package channel

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// policyChecker is a channel ledger's PolicyChecker, backed by the MSP of
// the peer's organisations and the channel's member organisations.
type policyChecker struct {
	msp     *identity.MSP
	members []string
}

func (c policyChecker) CheckCreator(creator, payload, signature []byte) error {
	if _, err := c.msp.Verify(creator, payload, signature); err != nil {
		return err
	}
	return nil
}

// CheckEndorsements evaluates the signature policy the writes need (see
// ResolvePolicy).
func (c policyChecker) CheckEndorsements(p ledger.Policy, prp []byte, endorsements []*peer.Endorsement) error {
	env, err := ResolvePolicy(p.Namespace, p.Application, c.members)
	if err != nil {
		return fmt.Errorf("endorsement policy of %s: %w", p.Namespace, err)
	}
	if err := c.msp.EvaluateEndorsements(env, prp, endorsements); err != nil {
		if _, ok := errors.AsType[*identity.PolicyError](err); ok {
			return err // it names the policy and what is missing
		}
		return fmt.Errorf("endorsement policy %s of %s: %w", identity.FormatPolicy(env), p.Namespace, err)
	}
	return nil
}

// ResolvePolicy returns the signature policy an application policy stands
// for on a channel whose member organisations are members, reading the
// channel policies as Fabric's test network defines them (configtx.yaml):
//
//   - a signature policy is itself;
//   - /Channel/Application/Endorsement and
//     /Channel/Application/LifecycleEndorsement are MAJORITY of the
//     members' Endorsement policies (identity.Majority);
//   - /Channel/Application/<MSPID>/Endorsement, the policy of an
//     organisation's implicit collection, is that organisation's peer;
//   - no policy is the lifecycle endorsement policy for the _lifecycle
//     namespace, and for lscc and a chaincode lscc defined without one,
//     one endorsement by a member of any member organisation (Fabric 1.4's
//     default).
func ResolvePolicy(namespace string, ap *peer.ApplicationPolicy, members []string) (*common.SignaturePolicyEnvelope, error) {
	if env := ap.GetSignaturePolicy(); env != nil {
		return env, nil
	}
	ref := ap.GetChannelConfigPolicyReference()
	switch {
	case ref == "" && namespace == ledger.LifecycleNamespace:
		return identity.Majority(members...), nil
	case ref == "":
		return identity.AnyMember(members...), nil
	case ref == identity.EndorsementRef || ref == identity.LifecycleEndorsementRef:
		return identity.Majority(members...), nil
	}
	if org, ok := strings.CutPrefix(ref, "/Channel/Application/"); ok {
		if org, ok = strings.CutSuffix(org, "/Endorsement"); ok && slices.Contains(members, org) {
			return identity.Majority(org), nil
		}
	}
	return nil, fmt.Errorf("channel policy %q is not defined: peersim's channels define %s, %s and /Channel/Application/<MSPID>/Endorsement for their organisations %v",
		ref, identity.EndorsementRef, identity.LifecycleEndorsementRef, members)
}
