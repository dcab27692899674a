package identity

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// collectionJSON is one entry of a collections_config.json file.
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

// ParseCollectionsJSON converts a collections_config.json file (a JSON
// array of {name, policy, requiredPeerCount, maxPeerCount, blockToLive,
// memberOnlyRead, memberOnlyWrite, endorsementPolicy}) into the collection
// package a client sends with instantiate or upgrade. The member and
// endorsement policies are parsed by ParsePolicy, so each envelope is the
// one the peer CLI builds from the same text.
//
// Like the peer CLI it checks the file's form and its policies, not the
// collections themselves: names, duplicates and peer counts are checked by
// the peer when the definition is committed. Unlike the CLI, which ignores
// them, an unknown field and a missing requiredPeerCount or maxPeerCount
// are refused, since they are almost always typing mistakes. Errors wrap
// ErrInvalidCollectionConfig.
func ParseCollectionsJSON(data []byte) (*peer.CollectionConfigPackage, error) {
	var entries []collectionJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("%w: %v (expected a JSON array of collection objects)", ErrInvalidCollectionConfig, err)
	}
	pkg := &peer.CollectionConfigPackage{}
	for i, e := range entries {
		if e.RequiredPeerCount == nil || e.MaxPeerCount == nil {
			return nil, fmt.Errorf("%w: collection %d (%q): requiredPeerCount and maxPeerCount are required", ErrInvalidCollectionConfig, i, e.Name)
		}
		member, err := ParsePolicy(e.Policy)
		if err != nil {
			return nil, fmt.Errorf("%w: collection %q: policy: %w", ErrInvalidCollectionConfig, e.Name, err)
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
				return nil, fmt.Errorf("%w: collection %q: endorsementPolicy sets both signaturePolicy and channelConfigPolicy; use one",
					ErrInvalidCollectionConfig, e.Name)
			case ep.SignaturePolicy != "":
				sp, err := ParsePolicy(ep.SignaturePolicy)
				if err != nil {
					return nil, fmt.Errorf("%w: collection %q: endorsementPolicy: %w", ErrInvalidCollectionConfig, e.Name, err)
				}
				sc.EndorsementPolicy = &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: sp}}
			case ep.ChannelConfigPolicy != "":
				sc.EndorsementPolicy = &peer.ApplicationPolicy{
					Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: ep.ChannelConfigPolicy},
				}
			}
		}
		pkg.Config = append(pkg.Config, &peer.CollectionConfig{
			Payload: &peer.CollectionConfig_StaticCollectionConfig{StaticCollectionConfig: sc},
		})
	}
	return pkg, nil
}
