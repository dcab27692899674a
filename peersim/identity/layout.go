package identity

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// maxLayoutOrgs bounds the organisations EndorsementLayouts enumerates the
// sets of (2^n of them).
const maxLayoutOrgs = 16

// EndorsementLayouts returns the minimal sets of organisations whose peers'
// endorsements, one '<org>.peer' endorsement per organisation, satisfy every
// policy together: what Fabric's discovery calls the layouts of an
// endorsement plan. A set is minimal when no organisation can be left out
// of it. Sets that contain local come first, then smaller sets before
// larger, then in the order of orgs; each set lists its organisations in
// the order of orgs.
//
// A peer satisfies '<org>.peer' and '<org>.member' of its organisation and
// no other principal (admin, client, an identity or an OU), and, as when a
// committing peer evaluates a policy, each endorsement satisfies one
// principal only and gates are evaluated without backtracking. When no set
// of orgs satisfies the policies the error wraps ErrNoEndorsementLayout.
func EndorsementLayouts(orgs []string, local string, policies ...*common.SignaturePolicyEnvelope) ([][]string, error) {
	if len(orgs) > maxLayoutOrgs {
		return nil, fmt.Errorf("plan endorsements over %d organisations: at most %d are supported", len(orgs), maxLayoutOrgs)
	}
	if len(policies) == 0 {
		return nil, fmt.Errorf("plan endorsements: no policy given")
	}
	// peerOf[i][j] is the MSP ID whose peer satisfies principal j of
	// policy i, or "".
	peerOf := make([][]string, len(policies))
	for i, p := range policies {
		if p == nil || p.Rule == nil {
			return nil, fmt.Errorf("plan endorsements: policy %d or its rule is nil", i)
		}
		if err := checkRule(p.Rule, len(p.Identities), 0); err != nil {
			return nil, fmt.Errorf("plan endorsements for %s: %w", FormatPolicy(p), err)
		}
		peerOf[i] = make([]string, len(p.Identities))
		for j, pr := range p.Identities {
			peerOf[i][j] = peerSatisfies(pr)
		}
	}
	var minimal [][]string
	masks := make([]uint32, 0, 1<<len(orgs))
	for mask := uint32(1); mask < 1<<len(orgs); mask++ {
		masks = append(masks, mask)
	}
	// By size, so that a set is kept only when no smaller kept set is in it.
	slices.SortStableFunc(masks, func(a, b uint32) int { return bits.OnesCount32(a) - bits.OnesCount32(b) })
	var kept []uint32
sets:
	for _, mask := range masks {
		for _, k := range kept {
			if mask&k == k {
				continue sets
			}
		}
		set := make([]string, 0, bits.OnesCount32(mask))
		for i, o := range orgs {
			if mask&(1<<i) != 0 {
				set = append(set, o)
			}
		}
		for i, p := range policies {
			used := make([]bool, len(set))
			if !peersSatisfy(p.Rule, peerOf[i], set, used) {
				continue sets
			}
		}
		kept = append(kept, mask)
		minimal = append(minimal, set)
	}
	if len(minimal) == 0 {
		names := make([]string, 0, len(policies))
		for _, p := range policies {
			names = append(names, FormatPolicy(p))
		}
		return nil, fmt.Errorf("%w: %s with one peer of each of [%s]", ErrNoEndorsementLayout, strings.Join(names, " and "), strings.Join(orgs, ", "))
	}
	slices.SortStableFunc(minimal, func(a, b []string) int {
		la, lb := slices.Contains(a, local), slices.Contains(b, local)
		switch {
		case la && !lb:
			return -1
		case lb && !la:
			return 1
		}
		return len(a) - len(b)
	})
	return minimal, nil
}

// peerSatisfies returns the MSP ID whose peers satisfy principal p, or ""
// when no peer's endorsement does by its role alone.
func peerSatisfies(p *msp.MSPPrincipal) string {
	if p.GetPrincipalClassification() != msp.MSPPrincipal_ROLE {
		return ""
	}
	var role msp.MSPRole
	if err := proto.Unmarshal(p.GetPrincipal(), &role); err != nil {
		return ""
	}
	if role.Role != msp.MSPRole_PEER && role.Role != msp.MSPRole_MEMBER {
		return ""
	}
	return role.MspIdentifier
}

// peersSatisfy is MSP.evaluate over one peer of each organisation in set:
// used marks the peers already consumed.
func peersSatisfy(rule *common.SignaturePolicy, peerOf []string, set []string, used []bool) bool {
	switch t := rule.Type.(type) {
	case *common.SignaturePolicy_SignedBy:
		want := peerOf[t.SignedBy]
		if want == "" {
			return false
		}
		for i, o := range set {
			if !used[i] && o == want {
				used[i] = true
				return true
			}
		}
		return false
	case *common.SignaturePolicy_NOutOf_:
		var verified int32
		trial := make([]bool, len(used))
		for _, sub := range t.NOutOf.Rules {
			copy(trial, used)
			if peersSatisfy(sub, peerOf, set, trial) {
				verified++
				copy(used, trial)
			}
		}
		return verified >= t.NOutOf.N
	}
	return false
}

// PolicyOrgs returns the MSP IDs that the role and organisational unit
// principals of policy name, each once, in principal order: the member
// organisations of a collection, from its member orgs policy.
func PolicyOrgs(policy *common.SignaturePolicyEnvelope) []string {
	var out []string
	for _, p := range policy.GetIdentities() {
		var id string
		switch p.GetPrincipalClassification() {
		case msp.MSPPrincipal_ROLE:
			var role msp.MSPRole
			if proto.Unmarshal(p.GetPrincipal(), &role) == nil {
				id = role.MspIdentifier
			}
		case msp.MSPPrincipal_ORGANIZATION_UNIT:
			var ou msp.OrganizationUnit
			if proto.Unmarshal(p.GetPrincipal(), &ou) == nil {
				id = ou.MspIdentifier
			}
		}
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
