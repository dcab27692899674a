package ledger

import (
	"fmt"
	"regexp"
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
	memberPolicy    *common.SignaturePolicyEnvelope
	memberOnlyRead  bool
	memberOnlyWrite bool
	blockToLive     uint64
	endorsement     *peer.ApplicationPolicy
	// requiredPeers is requiredPeerCount: how many peers other than the
	// endorser's the endorser must disseminate the data to.
	requiredPeers int
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
			memberPolicy:    sp,
			memberOnlyRead:  sc.GetMemberOnlyRead(),
			memberOnlyWrite: sc.GetMemberOnlyWrite(),
			blockToLive:     sc.GetBlockToLive(),
			endorsement:     sc.GetEndorsementPolicy(),
			requiredPeers:   int(sc.GetRequiredPeerCount()),
		}
	}
	return out, nil
}

// isImplicit reports whether coll names an organisation's implicit
// collection.
func isImplicit(coll string) bool {
	return strings.HasPrefix(coll, ImplicitCollectionPrefix) && len(coll) > len(ImplicitCollectionPrefix)
}

// implicitCollection returns the implicit collection of an organisation.
// Its requiredPeerCount is 0, the default of Fabric's
// peer.gossip.pvtData.implicitCollectionDisseminationPolicy.
func implicitCollection(name string) *collectionInfo {
	msp := strings.TrimPrefix(name, ImplicitCollectionPrefix)
	// As in Fabric, writes to an organisation's implicit collection need
	// that organisation's Endorsement policy, whatever the chaincode's.
	return &collectionInfo{name: name, members: map[string]bool{msp: true}, endorsement: &peer.ApplicationPolicy{
		Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: "/Channel/Application/" + msp + "/Endorsement"},
	}}
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

// ValidateCollections checks a collection configuration package as the
// ledger will when a definition carrying it is written: static collections
// with valid, distinct names and well-formed member policies.
func ValidateCollections(pkg *peer.CollectionConfigPackage) error {
	_, err := parseCollections(pkg)
	return err
}
