package channel

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
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
//   - /Channel/Application/Readers and /Channel/Application/Writers are
//     ANY of the members' Readers or Writers, and
//     /Channel/Application/Admins is MAJORITY of the members' Admins;
//   - /Channel/Application/<MSPID>/<policy> is a member organisation's
//     own policy: Endorsement OR('<MSPID>.peer') (the policy of its
//     implicit collection), Readers OR of its admin, peer and client,
//     Writers OR of its admin and client, Admins OR('<MSPID>.admin');
//   - no policy is the lifecycle endorsement policy for the _lifecycle
//     namespace, and for lscc and a chaincode lscc defined without one,
//     one endorsement by a member of any member organisation (Fabric 1.4's
//     default).
//
// Another reference is an error that lists the policies a channel has.
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
	name, ok := strings.CutPrefix(ref, applicationGroup)
	if !ok {
		return nil, undefinedPolicy(ref, members)
	}
	if roles, ok := orgPolicy(name); ok && name != endorsementPolicy {
		if name == adminsPolicy {
			return majorityOf(members, roles), nil
		}
		return anyOf(members, roles), nil
	}
	if org, name, ok := strings.Cut(name, "/"); ok && slices.Contains(members, org) {
		if roles, ok := orgPolicy(name); ok {
			return anyOf([]string{org}, roles), nil
		}
	}
	return nil, undefinedPolicy(ref, members)
}

// applicationGroup is the path of a channel's application policies.
const applicationGroup = "/Channel/Application/"

// The names of an organisation's policies in the test network's
// configtx.yaml.
const (
	endorsementPolicy = "Endorsement"
	readersPolicy     = "Readers"
	writersPolicy     = "Writers"
	adminsPolicy      = "Admins"
)

// orgPolicy returns what an organisation's policy of that name accepts:
// one signature by any of these roles of the organisation.
func orgPolicy(name string) ([]msp.MSPRole_MSPRoleType, bool) {
	switch name {
	case endorsementPolicy:
		return []msp.MSPRole_MSPRoleType{msp.MSPRole_PEER}, true
	case readersPolicy:
		return []msp.MSPRole_MSPRoleType{msp.MSPRole_ADMIN, msp.MSPRole_PEER, msp.MSPRole_CLIENT}, true
	case writersPolicy:
		return []msp.MSPRole_MSPRoleType{msp.MSPRole_ADMIN, msp.MSPRole_CLIENT}, true
	case adminsPolicy:
		return []msp.MSPRole_MSPRoleType{msp.MSPRole_ADMIN}, true
	}
	return nil, false
}

// anyOf is one signature by any of roles of any of orgs (an ANY implicit
// meta policy over one organisation policy, or that policy itself).
func anyOf(orgs []string, roles []msp.MSPRole_MSPRoleType) *common.SignaturePolicyEnvelope {
	env := &common.SignaturePolicyEnvelope{}
	rules := make([]*common.SignaturePolicy, 0, len(orgs)*len(roles))
	for _, org := range orgs {
		for _, role := range roles {
			rules = append(rules, identity.SignedBy(int32(len(env.Identities))))
			env.Identities = append(env.Identities, identity.RolePrincipal(org, role))
		}
	}
	env.Rule = identity.NOutOf(1, rules...)
	return env
}

// majorityOf is a MAJORITY implicit meta policy over one organisation
// policy: more than half of orgs each give one signature by one of roles.
func majorityOf(orgs []string, roles []msp.MSPRole_MSPRoleType) *common.SignaturePolicyEnvelope {
	env := &common.SignaturePolicyEnvelope{}
	perOrg := make([]*common.SignaturePolicy, 0, len(orgs))
	for _, org := range orgs {
		rules := make([]*common.SignaturePolicy, 0, len(roles))
		for _, role := range roles {
			rules = append(rules, identity.SignedBy(int32(len(env.Identities))))
			env.Identities = append(env.Identities, identity.RolePrincipal(org, role))
		}
		if len(rules) == 1 {
			perOrg = append(perOrg, rules[0])
			continue
		}
		perOrg = append(perOrg, identity.NOutOf(1, rules...))
	}
	env.Rule = identity.NOutOf(int32(len(orgs)/2+1), perOrg...)
	return env
}

func undefinedPolicy(ref string, members []string) error {
	return fmt.Errorf("channel policy %q is not defined: peersim's channels define %s, %s, %sReaders, Writers and Admins, and %s<MSPID>/Endorsement, Readers, Writers and Admins for their organisations %v",
		ref, identity.EndorsementRef, identity.LifecycleEndorsementRef, applicationGroup, applicationGroup, members)
}
