package identity

import (
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// SignedData is one signature offered to a policy: who signed (a marshalled
// msp.SerializedIdentity), what was signed, and the signature.
type SignedData struct {
	Identity  []byte
	Data      []byte
	Signature []byte
}

// EndorsementSignedData returns what an endorsement signs, in the form a
// policy evaluates: Data = proposal response payload ‖ endorser identity.
func EndorsementSignedData(proposalResponsePayload []byte, e *peer.Endorsement) SignedData {
	data := make([]byte, 0, len(proposalResponsePayload)+len(e.GetEndorser()))
	data = append(data, proposalResponsePayload...)
	data = append(data, e.GetEndorser()...)
	return SignedData{Identity: e.GetEndorser(), Data: data, Signature: e.GetSignature()}
}

// EvaluateEndorsements evaluates policy against the endorsements of a
// proposal response payload, as a committing peer validates a transaction
// (each endorsement signs payload ‖ endorser). Its arguments are protobuf
// types only, so a caller can declare it in its own interface without
// importing this package.
func (m *MSP) EvaluateEndorsements(policy *common.SignaturePolicyEnvelope, proposalResponsePayload []byte, endorsements []*peer.Endorsement) error {
	signed := make([]SignedData, 0, len(endorsements))
	for _, e := range endorsements {
		signed = append(signed, EndorsementSignedData(proposalResponsePayload, e))
	}
	err := m.EvaluatePolicy(policy, signed)
	if perr, ok := err.(*PolicyError); ok {
		perr.Endorsements = true
	}
	return err
}

// EvaluatePolicy checks that the signatures satisfy the policy, with Fabric's
// semantics: signatures from unknown MSPs, invalid certificates or that do not
// verify are ignored; a signer that appears more than once counts once; each
// signature satisfies at most one SignedBy; an n-out-of gate tries every
// sub-policy in order and keeps the signatures consumed by those that pass (no
// backtracking, as in Fabric). A nil error means satisfied; otherwise the error
// is a *PolicyError naming the principals without a usable signature.
func (m *MSP) EvaluatePolicy(policy *common.SignaturePolicyEnvelope, signed []SignedData) error {
	if policy == nil || policy.Rule == nil {
		return fmt.Errorf("evaluate policy: policy or its rule is nil")
	}
	if err := checkRule(policy.Rule, len(policy.Identities), 0); err != nil {
		return fmt.Errorf("evaluate policy %s: %w", FormatPolicy(policy), err)
	}
	var (
		ids     []*Identity
		ignored []string
		seen    = map[string]int{}
	)
	for i, sd := range signed {
		id, err := m.DeserializeIdentity(sd.Identity)
		if err != nil {
			ignored = append(ignored, fmt.Sprintf("signature %d: %v", i, err))
			continue
		}
		if first, dup := seen[id.key()]; dup {
			ignored = append(ignored, fmt.Sprintf("signature %d: %s already signed (signature %d); a signer counts once", i, id, first))
			continue
		}
		if err := m.verifyBy(id, sd.Data, sd.Signature); err != nil {
			ignored = append(ignored, fmt.Sprintf("signature %d: by %s: %v", i, id, err))
			continue
		}
		seen[id.key()] = i
		ids = append(ids, id)
	}
	used := make([]bool, len(ids))
	ok, missing := m.evaluate(policy.Rule, policy.Identities, ids, used)
	if ok {
		return nil
	}
	perr := &PolicyError{Policy: FormatPolicy(policy), Ignored: ignored}
	for _, idx := range missing.principals(nil) {
		perr.Unsatisfied = append(perr.Unsatisfied, formatPrincipal(policy.Identities[idx]))
	}
	if len(perr.Unsatisfied) == 0 { // a gate asks for more than it has
		return perr
	}
	perr.Missing = missing.render(func(i int32) string { return formatPrincipal(policy.Identities[i]) }, true)
	if orgs, ok := missing.orgs(policy.Identities); ok {
		perr.MissingOrgs = orgs
	}
	return perr
}

// need is what a rule lacks: a principal's signature, or n more of the
// needs of a gate's unsatisfied sub-policies.
type need struct {
	principal int32 // for a SignedBy; -1 for a gate
	n         int32
	subs      []*need
}

// principals appends the principal indexes of nd's leaves, in policy
// order.
func (nd *need) principals(out []int32) []int32 {
	if nd.principal >= 0 {
		return append(out, nd.principal)
	}
	for _, sub := range nd.subs {
		out = sub.principals(out)
	}
	return out
}

// render writes nd in words: 'A.peer' and 'B.peer', 'A.peer' or 'B.peer',
// 2 of ('A.peer', 'B.peer', 'C.peer'), with parentheses around nested
// gates.
func (nd *need) render(leaf func(int32) string, top bool) string {
	if nd.principal >= 0 {
		return leaf(nd.principal)
	}
	parts := make([]string, 0, len(nd.subs))
	for _, sub := range nd.subs {
		parts = append(parts, sub.render(leaf, false))
	}
	var s string
	switch {
	case int(nd.n) == len(parts):
		s = strings.Join(parts, " and ")
	case nd.n == 1:
		s = strings.Join(parts, " or ")
	default:
		return fmt.Sprintf("%d of (%s)", nd.n, strings.Join(parts, ", "))
	}
	if top {
		return s
	}
	return "(" + s + ")"
}

// orgs says, when every principal of nd is a peer or member role, whose
// peers' endorsements would supply nd: a peer of Org2MSP, a peer of
// Org2MSP or Org3MSP, peers of Org2MSP and Org3MSP.
func (nd *need) orgs(principals []*msp.MSPPrincipal) (string, bool) {
	for _, idx := range nd.principals(nil) {
		if peerSatisfies(principals[idx]) == "" {
			return "", false
		}
	}
	orgs := nd.render(func(i int32) string { return peerSatisfies(principals[i]) }, true)
	if nd.principal >= 0 || nd.n == 1 {
		return "a peer of " + orgs, true
	}
	return "peers of " + orgs, true
}

// checkRule rejects malformed rules before evaluation: unknown types,
// identity indexes out of range, negative thresholds, absurd nesting.
func checkRule(rule *common.SignaturePolicy, nIdentities, depth int) error {
	if depth > maxPolicyDepth {
		return fmt.Errorf("policy nested deeper than %d levels", maxPolicyDepth)
	}
	switch t := rule.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		if t.SignedBy < 0 || int(t.SignedBy) >= nIdentities {
			return fmt.Errorf("identity index out of range, requested %d, but identities length is %d", t.SignedBy, nIdentities)
		}
	case *common.SignaturePolicy_NOutOf_:
		if t.NOutOf == nil {
			return fmt.Errorf("n_out_of is nil")
		}
		if t.NOutOf.N < 0 {
			return fmt.Errorf("n_out_of has negative n %d", t.NOutOf.N)
		}
		for _, sub := range t.NOutOf.Rules {
			if sub == nil {
				return fmt.Errorf("n_out_of has a nil rule")
			}
			if err := checkRule(sub, nIdentities, depth+1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unknown signature policy type %T", rule.GetType())
	}
	return nil
}

// evaluate runs the rule over the identities; used marks identities already
// consumed. It returns whether the rule holds and, if not, what it lacks.
func (m *MSP) evaluate(rule *common.SignaturePolicy, principals []*msp.MSPPrincipal, ids []*Identity, used []bool) (bool, *need) {
	switch t := rule.Type.(type) {
	case *common.SignaturePolicy_SignedBy:
		p := principals[t.SignedBy]
		for i, id := range ids {
			if used[i] {
				continue
			}
			if m.SatisfiesPrincipal(id, p) == nil {
				used[i] = true
				return true, nil
			}
		}
		return false, &need{principal: t.SignedBy}
	case *common.SignaturePolicy_NOutOf_:
		var (
			verified int32
			missing  []*need
			trial    = make([]bool, len(used))
		)
		for _, sub := range t.NOutOf.Rules {
			copy(trial, used)
			ok, miss := m.evaluate(sub, principals, ids, trial)
			if ok {
				verified++
				copy(used, trial)
				continue
			}
			missing = append(missing, miss)
		}
		if verified >= t.NOutOf.N {
			return true, nil
		}
		if n := t.NOutOf.N - verified; n != 1 || len(missing) != 1 {
			return false, &need{principal: -1, n: n, subs: missing}
		}
		return false, missing[0] // one more of one: that one

	}
	return false, &need{principal: -1}
}

// FormatPolicy renders a signature policy in the peer CLI's language:
// AND(...) when every sub-policy is needed, OR(...) when one is, OutOf(n, ...)
// otherwise. Principals that are not ROLE render descriptively.
func FormatPolicy(policy *common.SignaturePolicyEnvelope) string {
	if policy == nil || policy.Rule == nil {
		return "<nil policy>"
	}
	var b strings.Builder
	formatRule(&b, policy.Rule, policy.Identities, 0)
	return b.String()
}

func formatRule(b *strings.Builder, rule *common.SignaturePolicy, principals []*msp.MSPPrincipal, depth int) {
	if depth > maxPolicyDepth {
		b.WriteString("...")
		return
	}
	switch t := rule.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		if t.SignedBy < 0 || int(t.SignedBy) >= len(principals) {
			fmt.Fprintf(b, "SignedBy(%d: out of range)", t.SignedBy)
			return
		}
		b.WriteString(formatPrincipal(principals[t.SignedBy]))
	case *common.SignaturePolicy_NOutOf_:
		n, rules := t.NOutOf.GetN(), t.NOutOf.GetRules()
		switch {
		case int(n) == len(rules) && n > 0:
			b.WriteString("AND(")
		case n == 1:
			b.WriteString("OR(")
		default:
			fmt.Fprintf(b, "OutOf(%d, ", n)
		}
		for i, sub := range rules {
			if i > 0 {
				b.WriteString(", ")
			}
			if sub == nil {
				b.WriteString("<nil>")
				continue
			}
			formatRule(b, sub, principals, depth+1)
		}
		b.WriteString(")")
	default:
		fmt.Fprintf(b, "<unknown %T>", rule.GetType())
	}
}

// formatPrincipal renders a principal the way the policy language writes it.
func formatPrincipal(p *msp.MSPPrincipal) string {
	switch p.GetPrincipalClassification() {
	case msp.MSPPrincipal_ROLE:
		var role msp.MSPRole
		if err := proto.Unmarshal(p.GetPrincipal(), &role); err != nil {
			return "<malformed role principal>"
		}
		return fmt.Sprintf("'%s.%s'", role.MspIdentifier, strings.ToLower(role.Role.String()))
	case msp.MSPPrincipal_IDENTITY:
		var sid msp.SerializedIdentity
		if err := proto.Unmarshal(p.GetPrincipal(), &sid); err != nil {
			return "<malformed identity principal>"
		}
		if cert, err := parseCertPEM(sid.IdBytes); err == nil {
			return fmt.Sprintf("identity %s/%s", sid.Mspid, cert.Subject.CommonName)
		}
		return fmt.Sprintf("identity of %s", sid.Mspid)
	case msp.MSPPrincipal_ORGANIZATION_UNIT:
		var ou msp.OrganizationUnit
		if err := proto.Unmarshal(p.GetPrincipal(), &ou); err != nil {
			return "<malformed organization unit principal>"
		}
		return fmt.Sprintf("OU %s of %s", ou.OrganizationalUnitIdentifier, ou.MspIdentifier)
	default:
		return fmt.Sprintf("<%s principal>", p.GetPrincipalClassification())
	}
}

// RolePrincipal returns a ROLE principal, e.g. RolePrincipal("Org1MSP",
// msp.MSPRole_PEER) for 'Org1MSP.peer'.
func RolePrincipal(mspID string, role msp.MSPRole_MSPRoleType) *msp.MSPPrincipal {
	b, _ := proto.Marshal(&msp.MSPRole{MspIdentifier: mspID, Role: role})
	return &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: b}
}

// IdentityPrincipal returns an IDENTITY principal for a marshalled
// msp.SerializedIdentity (what SigningIdentity.Serialize returns).
func IdentityPrincipal(serialized []byte) *msp.MSPPrincipal {
	return &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_IDENTITY, Principal: append([]byte(nil), serialized...)}
}

// SignedBy returns the rule "signed by principal index i".
func SignedBy(i int32) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: i}}
}

// NOutOf returns the rule "n of these rules".
func NOutOf(n int32, rules ...*common.SignaturePolicy) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: n, Rules: rules}}}
}

// AnyMember returns OR('<id>.member', ...) over mspIDs: one signature by a
// member of any of those organisations.
func AnyMember(mspIDs ...string) *common.SignaturePolicyEnvelope {
	env := &common.SignaturePolicyEnvelope{}
	rules := make([]*common.SignaturePolicy, 0, len(mspIDs))
	for i, id := range mspIDs {
		env.Identities = append(env.Identities, RolePrincipal(id, msp.MSPRole_MEMBER))
		rules = append(rules, SignedBy(int32(i)))
	}
	env.Rule = NOutOf(1, rules...)
	return env
}

// Channel policy references a chaincode definition may name instead of a
// signature policy (peer.ApplicationPolicy's ChannelConfigPolicyReference),
// as Fabric's configtx.yaml defines them for the application group.
const (
	// EndorsementRef is the default endorsement policy of a _lifecycle
	// definition: MAJORITY of the channel organisations' Endorsement
	// policies.
	EndorsementRef = "/Channel/Application/Endorsement"
	// LifecycleEndorsementRef is the policy a _lifecycle commit must
	// satisfy: MAJORITY of the organisations' Endorsement policies.
	LifecycleEndorsementRef = "/Channel/Application/LifecycleEndorsement"
)

// Majority returns Fabric's MAJORITY implicit-meta policy over the
// organisations' Endorsement policies, with each organisation's
// Endorsement policy the test network's OR('<id>.peer'): OutOf(n/2+1,
// '<id>.peer', ...) over mspIDs, in their order. For one organisation it
// is the one peer's signature.
func Majority(mspIDs ...string) *common.SignaturePolicyEnvelope {
	env := &common.SignaturePolicyEnvelope{}
	rules := make([]*common.SignaturePolicy, 0, len(mspIDs))
	for i, id := range mspIDs {
		env.Identities = append(env.Identities, RolePrincipal(id, msp.MSPRole_PEER))
		rules = append(rules, SignedBy(int32(i)))
	}
	env.Rule = NOutOf(int32(len(mspIDs)/2+1), rules...)
	return env
}
