package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// ImplicitCollectionPrefix starts the name of an organisation's implicit
// collection: "_implicit_org_<MSPID>".
const ImplicitCollectionPrefix = "_implicit_org_"

var collectionNamePattern = regexp.MustCompile(`^[A-Za-z0-9-]+[A-Za-z0-9_-]*$`)

// collectionInfo is a collection definition prepared for the checks the
// simulator and the committer make.
type collectionInfo struct {
	name            string
	members         map[string]bool // MSP IDs among the member policy's principals
	memberOnlyRead  bool
	memberOnlyWrite bool
	blockToLive     uint64
	endorsement     *peer.ApplicationPolicy
}

func (c *collectionInfo) isMember(mspID string) bool { return c.members[mspID] }

// parseCollections checks a collection package and indexes it by name.
func parseCollections(pkg *peer.CollectionConfigPackage) (map[string]*collectionInfo, error) {
	out := make(map[string]*collectionInfo)
	for i, cc := range pkg.GetConfig() {
		sc := cc.GetStaticCollectionConfig()
		if sc == nil {
			return nil, fmt.Errorf("collection config %d: not a static collection config: %w", i, ErrInvalidArgument)
		}
		name := sc.GetName()
		if !collectionNamePattern.MatchString(name) {
			return nil, fmt.Errorf("collection config %d: name %q must match %s (names starting with _ are reserved): %w",
				i, name, collectionNamePattern, ErrInvalidArgument)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("collection %s: defined twice: %w", name, ErrInvalidArgument)
		}
		if sc.GetRequiredPeerCount() < 0 || sc.GetMaximumPeerCount() < sc.GetRequiredPeerCount() {
			return nil, fmt.Errorf("collection %s: requiredPeerCount %d must be between 0 and maxPeerCount %d: %w",
				name, sc.GetRequiredPeerCount(), sc.GetMaximumPeerCount(), ErrInvalidArgument)
		}
		sp := sc.GetMemberOrgsPolicy().GetSignaturePolicy()
		if sp == nil {
			return nil, fmt.Errorf("collection %s: member orgs policy is missing: %w", name, ErrInvalidArgument)
		}
		members, err := policyMSPIDs(sp)
		if err != nil {
			return nil, fmt.Errorf("collection %s: member orgs policy: %w", name, err)
		}
		out[name] = &collectionInfo{
			name:            name,
			members:         members,
			memberOnlyRead:  sc.GetMemberOnlyRead(),
			memberOnlyWrite: sc.GetMemberOnlyWrite(),
			blockToLive:     sc.GetBlockToLive(),
			endorsement:     sc.GetEndorsementPolicy(),
		}
	}
	return out, nil
}

// implicitCollection returns the implicit collection of an organisation.
func implicitCollection(name string) *collectionInfo {
	msp := strings.TrimPrefix(name, ImplicitCollectionPrefix)
	return &collectionInfo{name: name, members: map[string]bool{msp: true}}
}

// policyMSPIDs returns the MSP IDs named by the role principals of a
// signature policy.
func policyMSPIDs(env *common.SignaturePolicyEnvelope) (map[string]bool, error) {
	out := make(map[string]bool)
	for i, p := range env.GetIdentities() {
		switch p.GetPrincipalClassification() {
		case msp.MSPPrincipal_ROLE:
			role := &msp.MSPRole{}
			if err := proto.Unmarshal(p.GetPrincipal(), role); err != nil {
				return nil, fmt.Errorf("principal %d: %v: %w", i, err, ErrInvalidArgument)
			}
			out[role.GetMspIdentifier()] = true
		case msp.MSPPrincipal_ORGANIZATION_UNIT:
			ou := &msp.OrganizationUnit{}
			if err := proto.Unmarshal(p.GetPrincipal(), ou); err != nil {
				return nil, fmt.Errorf("principal %d: %v: %w", i, err, ErrInvalidArgument)
			}
			out[ou.GetMspIdentifier()] = true
		default:
			// Identity and other principals name no MSP by ID here.
		}
	}
	return out, nil
}

// collectionJSON is one entry of Fabric's collections_config.json.
type collectionJSON struct {
	Name              string `json:"name"`
	Policy            string `json:"policy"`
	RequiredPeerCount *int32 `json:"requiredPeerCount"`
	MaxPeerCount      *int32 `json:"maxPeerCount"`
	BlockToLive       uint64 `json:"blockToLive"`
	MemberOnlyRead    bool   `json:"memberOnlyRead"`
	MemberOnlyWrite   bool   `json:"memberOnlyWrite"`
	EndorsementPolicy *struct {
		SignaturePolicy     string `json:"signaturePolicy"`
		ChannelConfigPolicy string `json:"channelConfigPolicy"`
	} `json:"endorsementPolicy"`
}

// ParseCollectionsJSON converts the collections_config.json form (a JSON
// array of {name, policy, requiredPeerCount, maxPeerCount, blockToLive,
// memberOnlyRead, memberOnlyWrite, endorsementPolicy}) into the proto the
// ledger stores. Policies use Fabric's signature policy language, e.g.
// "OR('Org1MSP.member','Org2MSP.member')".
func ParseCollectionsJSON(data []byte) (*peer.CollectionConfigPackage, error) {
	var entries []collectionJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("parse collection config: %v (expected a JSON array of collection objects): %w", err, ErrInvalidArgument)
	}
	pkg := &peer.CollectionConfigPackage{}
	for i, e := range entries {
		if e.RequiredPeerCount == nil || e.MaxPeerCount == nil {
			return nil, fmt.Errorf("parse collection config: collection %d (%q): requiredPeerCount and maxPeerCount are required: %w", i, e.Name, ErrInvalidArgument)
		}
		member, err := ParseSignaturePolicy(e.Policy)
		if err != nil {
			return nil, fmt.Errorf("parse collection config: collection %q: policy: %w", e.Name, err)
		}
		sc := &peer.StaticCollectionConfig{
			Name: e.Name,
			MemberOrgsPolicy: &peer.CollectionPolicyConfig{
				Payload: &peer.CollectionPolicyConfig_SignaturePolicy{SignaturePolicy: member},
			},
			RequiredPeerCount: *e.RequiredPeerCount,
			MaximumPeerCount:  *e.MaxPeerCount,
			BlockToLive:       e.BlockToLive,
			MemberOnlyRead:    e.MemberOnlyRead,
			MemberOnlyWrite:   e.MemberOnlyWrite,
		}
		if ep := e.EndorsementPolicy; ep != nil {
			switch {
			case ep.SignaturePolicy != "" && ep.ChannelConfigPolicy != "":
				return nil, fmt.Errorf("parse collection config: collection %q: endorsementPolicy sets both signaturePolicy and channelConfigPolicy; use one: %w", e.Name, ErrInvalidArgument)
			case ep.SignaturePolicy != "":
				sp, err := ParseSignaturePolicy(ep.SignaturePolicy)
				if err != nil {
					return nil, fmt.Errorf("parse collection config: collection %q: endorsementPolicy: %w", e.Name, err)
				}
				sc.EndorsementPolicy = &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: sp}}
			case ep.ChannelConfigPolicy != "":
				sc.EndorsementPolicy = &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: ep.ChannelConfigPolicy}}
			}
		}
		pkg.Config = append(pkg.Config, &peer.CollectionConfig{
			Payload: &peer.CollectionConfig_StaticCollectionConfig{StaticCollectionConfig: sc},
		})
	}
	if _, err := parseCollections(pkg); err != nil {
		return nil, fmt.Errorf("parse collection config: %w", err)
	}
	return pkg, nil
}

// ParseSignaturePolicy parses Fabric's signature policy language: a
// principal 'MSPID.role' (role member, admin, client, peer or orderer), or
// AND(...), OR(...), OutOf(n, ...) of policies.
func ParseSignaturePolicy(s string) (*common.SignaturePolicyEnvelope, error) {
	p := &policyParser{src: s, index: make(map[string]int32)}
	rule, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("signature policy %q: %w", s, err)
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("signature policy %q: unexpected %q at offset %d: %w", s, p.src[p.pos:], p.pos, ErrInvalidArgument)
	}
	return &common.SignaturePolicyEnvelope{Version: 0, Rule: rule, Identities: p.ids}, nil
}

type policyParser struct {
	src   string
	pos   int
	ids   []*msp.MSPPrincipal
	index map[string]int32
}

func (p *policyParser) skipSpace() {
	for p.pos < len(p.src) && strings.ContainsRune(" \t\r\n", rune(p.src[p.pos])) {
		p.pos++
	}
}

func (p *policyParser) errf(format string, args ...any) error {
	return fmt.Errorf("offset %d: "+format+": %w", append(append([]any{p.pos}, args...), ErrInvalidArgument)...)
}

func (p *policyParser) parse() (*common.SignaturePolicy, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errf("expected a principal or AND/OR/OutOf")
	}
	if c := p.src[p.pos]; c == '\'' || c == '"' {
		return p.principal(c)
	}
	start := p.pos
	for p.pos < len(p.src) && (p.src[p.pos] >= 'A' && p.src[p.pos] <= 'Z' || p.src[p.pos] >= 'a' && p.src[p.pos] <= 'z') {
		p.pos++
	}
	word := strings.ToLower(p.src[start:p.pos])
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil, p.errf("expected ( after %q", p.src[start:p.pos])
	}
	p.pos++
	var n int
	switch word {
	case "and", "or":
	case "outof":
		p.skipSpace()
		ns := p.pos
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		v, err := strconv.Atoi(p.src[ns:p.pos])
		if err != nil {
			return nil, p.errf("OutOf needs a count first")
		}
		n = v
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ',' {
			return nil, p.errf("expected , after the OutOf count")
		}
		p.pos++
	default:
		return nil, p.errf("unknown operator %q; use AND, OR or OutOf", p.src[start:p.pos])
	}
	var rules []*common.SignaturePolicy
	for {
		r, err := p.parse()
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errf("missing )")
		}
		if p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.src[p.pos] == ')' {
			p.pos++
			break
		}
		return nil, p.errf("expected , or )")
	}
	switch word {
	case "and":
		n = len(rules)
	case "or":
		n = 1
	}
	if n < 1 || n > len(rules) {
		return nil, p.errf("OutOf count %d must be between 1 and the number of policies %d", n, len(rules))
	}
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{
		NOutOf: &common.SignaturePolicy_NOutOf{N: int32(n), Rules: rules},
	}}, nil
}

var roleNames = map[string]msp.MSPRole_MSPRoleType{
	"member": msp.MSPRole_MEMBER, "admin": msp.MSPRole_ADMIN, "client": msp.MSPRole_CLIENT,
	"peer": msp.MSPRole_PEER, "orderer": msp.MSPRole_ORDERER,
}

func (p *policyParser) principal(quote byte) (*common.SignaturePolicy, error) {
	p.pos++
	end := strings.IndexByte(p.src[p.pos:], quote)
	if end < 0 {
		return nil, p.errf("unterminated principal")
	}
	text := p.src[p.pos : p.pos+end]
	p.pos += end + 1
	dot := strings.LastIndexByte(text, '.')
	if dot <= 0 {
		return nil, p.errf("principal %q must be 'MSPID.role'", text)
	}
	role, ok := roleNames[text[dot+1:]]
	if !ok {
		return nil, p.errf("principal %q: role %q must be member, admin, client, peer or orderer", text, text[dot+1:])
	}
	idx, seen := p.index[text]
	if !seen {
		b, err := proto.Marshal(&msp.MSPRole{MspIdentifier: text[:dot], Role: role})
		if err != nil {
			return nil, fmt.Errorf("marshal principal %q: %w", text, err)
		}
		idx = int32(len(p.ids))
		p.index[text] = idx
		p.ids = append(p.ids, &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: b})
	}
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: idx}}, nil
}
