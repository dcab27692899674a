package identity

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
)

// maxPolicyDepth bounds gate nesting in parsed and evaluated policies.
const maxPolicyDepth = 64

// roleNames maps the role words of the policy language to MSP roles.
var roleNames = map[string]msp.MSPRole_MSPRoleType{
	"member":  msp.MSPRole_MEMBER,
	"admin":   msp.MSPRole_ADMIN,
	"client":  msp.MSPRole_CLIENT,
	"peer":    msp.MSPRole_PEER,
	"orderer": msp.MSPRole_ORDERER,
}

// ParsePolicy parses a signature policy in the language the peer CLI accepts
// for -P / --policy, e.g.
//
//	AND('Org1MSP.member', 'Org2MSP.peer')
//	OR('Org1MSP.admin', AND('Org2MSP.member', 'Org3MSP.member'))
//	OutOf(2, 'Org1MSP.member', 'Org2MSP.member', 'Org3MSP.member')
//
// Gates are AND/And/and, OR/Or/or and OutOf/outof/OUTOF; a principal is a
// quoted 'MSPID.role' with role member, admin, client, peer or orderer. The
// envelope is the one Fabric builds: one identity per principal occurrence
// (not deduplicated), numbered as Fabric numbers them (a gate's nested gates
// first, then its own principals), AND(n items) = OutOf(n), OR = OutOf(1),
// OutOf(t, n items) accepted for 0 ≤ t ≤ n+1.
func ParsePolicy(policy string) (*common.SignaturePolicyEnvelope, error) {
	p := &policyParser{src: policy}
	root, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("parse policy %q: %w", policy, err)
	}
	env := &common.SignaturePolicyEnvelope{Version: 0}
	env.Rule = root.build(env)
	return env, nil
}

// MustParsePolicy is ParsePolicy for policies written in code; it panics on a
// syntax error.
func MustParsePolicy(policy string) *common.SignaturePolicyEnvelope {
	env, err := ParsePolicy(policy)
	if err != nil {
		panic(err)
	}
	return env
}

// gateNode is a parsed gate: its threshold and its arguments, each either a
// nested gate or a principal.
type gateNode struct {
	n    int32
	args []policyArg
}

type policyArg struct {
	gate      *gateNode
	principal *msp.MSPPrincipal
}

// build appends the gate's principals to env in Fabric's order and returns
// its rule.
func (g *gateNode) build(env *common.SignaturePolicyEnvelope) *common.SignaturePolicy {
	rules := make([]*common.SignaturePolicy, len(g.args))
	for i, a := range g.args {
		if a.gate != nil {
			rules[i] = a.gate.build(env)
		}
	}
	for i, a := range g.args {
		if a.principal != nil {
			rules[i] = SignedBy(int32(len(env.Identities)))
			env.Identities = append(env.Identities, a.principal)
		}
	}
	return NOutOf(g.n, rules...)
}

type policyParser struct {
	src string
	pos int
}

func (p *policyParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *policyParser) skipSpace() {
	for p.pos < len(p.src) && strings.ContainsRune(" \t\r\n", rune(p.src[p.pos])) {
		p.pos++
	}
}

func (p *policyParser) parse() (*gateNode, error) {
	p.skipSpace()
	if p.pos == len(p.src) {
		return nil, fmt.Errorf("policy is empty: write e.g. AND('Org1MSP.member', 'Org2MSP.member')")
	}
	if c := p.src[p.pos]; c == '\'' || c == '"' {
		return nil, p.errorf("a policy must start with a gate AND(...), OR(...) or OutOf(n, ...), not a bare principal: write OR(%s)", strings.TrimSpace(p.src))
	}
	g, err := p.gate(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.errorf("unexpected %q after the end of the policy", p.src[p.pos:])
	}
	return g, nil
}

// word reads an identifier (letters, digits, '_', '.', '-').
func (p *policyParser) word() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '_' || c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			p.pos++
			continue
		}
		break
	}
	return p.src[start:p.pos]
}

func (p *policyParser) gate(depth int) (*gateNode, error) {
	if depth > maxPolicyDepth {
		return nil, p.errorf("gates nested deeper than %d levels", maxPolicyDepth)
	}
	p.skipSpace()
	start := p.pos
	name := p.word()
	if name == "" {
		if p.pos == len(p.src) {
			return nil, p.errorf("unexpected end of policy: expected AND, OR or OutOf")
		}
		return nil, p.errorf("unexpected %q: expected AND, OR or OutOf", p.src[p.pos])
	}
	var kind string
	switch name {
	case "AND", "And", "and":
		kind = "AND"
	case "OR", "Or", "or":
		kind = "OR"
	case "OutOf", "outof", "OUTOF":
		kind = "OutOf"
	default:
		p.pos = start
		return nil, p.errorf("unrecognized token '%s' in policy string: gates are AND, OR and OutOf (principals are quoted, e.g. 'Org1MSP.member')", name)
	}
	p.skipSpace()
	if p.pos == len(p.src) || p.src[p.pos] != '(' {
		return nil, p.errorf("expected '(' after %s", name)
	}
	p.pos++
	g := &gateNode{}
	if kind == "OutOf" {
		t, err := p.threshold()
		if err != nil {
			return nil, err
		}
		g.n = t
	}
	for {
		p.skipSpace()
		if p.pos == len(p.src) {
			return nil, p.errorf("unexpected end of policy: missing ')' to close %s(", name)
		}
		if p.src[p.pos] == ')' {
			p.pos++
			break
		}
		if len(g.args) > 0 || kind == "OutOf" {
			if p.src[p.pos] != ',' {
				return nil, p.errorf("expected ',' or ')' in %s(...), found %q", name, p.src[p.pos])
			}
			p.pos++
			p.skipSpace()
		}
		arg, err := p.arg(depth)
		if err != nil {
			return nil, err
		}
		g.args = append(g.args, arg)
	}
	n := int32(len(g.args))
	switch kind {
	case "AND":
		if n == 0 {
			return nil, p.errorf("%s() needs at least one principal or policy", name)
		}
		g.n = n
	case "OR":
		if n == 0 {
			return nil, p.errorf("%s() needs at least one principal or policy", name)
		}
		g.n = 1
	case "OutOf":
		if n == 0 {
			return nil, p.errorf("expected at least two arguments to %s: a threshold and one or more principals or policies", name)
		}
		// Fabric allows t = n+1, a policy nobody can satisfy (used to freeze keys).
		if g.n < 0 || g.n > n+1 {
			return nil, p.errorf("invalid t-out-of-n predicate, t %d, n %d: t must be between 0 and n+1", g.n, n)
		}
	}
	return g, nil
}

// threshold reads OutOf's first argument: an integer, bare or quoted.
func (p *policyParser) threshold() (int32, error) {
	p.skipSpace()
	var text string
	if p.pos < len(p.src) && (p.src[p.pos] == '\'' || p.src[p.pos] == '"') {
		s, err := p.quoted()
		if err != nil {
			return 0, err
		}
		text = s
	} else {
		start := p.pos
		if p.pos < len(p.src) && (p.src[p.pos] == '-' || p.src[p.pos] == '+') {
			p.pos++
		}
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		text = p.src[start:p.pos]
	}
	t, err := strconv.ParseInt(strings.TrimSpace(text), 10, 32)
	if err != nil {
		return 0, p.errorf("OutOf needs an integer threshold first, e.g. OutOf(2, 'A.member', 'B.member'), got %q", text)
	}
	return int32(t), nil
}

func (p *policyParser) quoted() (string, error) {
	quote := p.src[p.pos]
	start := p.pos
	p.pos++
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case quote:
			s := p.src[start+1 : p.pos]
			p.pos++
			return s, nil
		case '\\':
			return "", p.errorf("escape sequences are not supported in principals")
		}
		p.pos++
	}
	p.pos = start
	return "", p.errorf("unterminated string: missing closing %c", quote)
}

func (p *policyParser) arg(depth int) (policyArg, error) {
	if p.pos == len(p.src) {
		return policyArg{}, p.errorf("unexpected end of policy")
	}
	c := p.src[p.pos]
	if c != '\'' && c != '"' {
		g, err := p.gate(depth + 1)
		if err != nil {
			return policyArg{}, err
		}
		return policyArg{gate: g}, nil
	}
	start := p.pos
	s, err := p.quoted()
	if err != nil {
		return policyArg{}, err
	}
	principal, err := parsePrincipal(s)
	if err != nil {
		p.pos = start
		return policyArg{}, p.errorf("%v", err)
	}
	return policyArg{principal: principal}, nil
}

// parsePrincipal reads 'MSPID.role'.
func parsePrincipal(s string) (*msp.MSPPrincipal, error) {
	dot := strings.LastIndexByte(s, '.')
	bad := func() error {
		return fmt.Errorf("unrecognized token '%s' in policy string: a principal is 'MSPID.role' with role member, admin, client, peer or orderer, e.g. 'Org1MSP.member'", s)
	}
	if dot <= 0 {
		return nil, bad()
	}
	mspID, roleName := s[:dot], s[dot+1:]
	role, ok := roleNames[roleName]
	if !ok {
		return nil, bad()
	}
	for _, c := range mspID {
		if !(c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return nil, fmt.Errorf("MSP ID %q in principal '%s' has character %q: MSP IDs in policies use letters, digits, '.' and '-'", mspID, s, c)
		}
	}
	return RolePrincipal(mspID, role), nil
}
