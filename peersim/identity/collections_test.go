package identity

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/testing/protocmp"
)

// staticCollection wraps one static collection config the way the CLI
// sends it.
func staticCollection(sc *peer.StaticCollectionConfig) *peer.CollectionConfig {
	return &peer.CollectionConfig{Payload: &peer.CollectionConfig_StaticCollectionConfig{StaticCollectionConfig: sc}}
}

func memberOrgs(env *common.SignaturePolicyEnvelope) *peer.CollectionPolicyConfig {
	return &peer.CollectionPolicyConfig{Payload: &peer.CollectionPolicyConfig_SignaturePolicy{SignaturePolicy: env}}
}

// The envelopes below are those Fabric's policy parser builds for the same
// text (see TestParsePolicyBuildsFabricsEnvelope): one identity per principal
// occurrence, nested gates numbered first.
func TestParseCollectionsJSONBuildsFabricsEnvelopes(t *testing.T) {
	member, peerRole := msp.MSPRole_MEMBER, msp.MSPRole_PEER
	tests := []struct {
		name string
		js   string
		want *peer.CollectionConfigPackage
	}{
		{
			name: "a member policy of two organisations",
			js: `[{"name":"shared","policy":"OR('Org1MSP.member','Org2MSP.member')","requiredPeerCount":0,"maxPeerCount":3,
				"blockToLive":7,"memberOnlyRead":true,"memberOnlyWrite":true}]`,
			want: &peer.CollectionConfigPackage{Config: []*peer.CollectionConfig{staticCollection(&peer.StaticCollectionConfig{
				Name: "shared",
				MemberOrgsPolicy: memberOrgs(&common.SignaturePolicyEnvelope{
					Rule:       NOutOf(1, SignedBy(0), SignedBy(1)),
					Identities: []*msp.MSPPrincipal{role("Org1MSP", member), role("Org2MSP", member)},
				}),
				RequiredPeerCount: 0, MaximumPeerCount: 3, BlockToLive: 7, MemberOnlyRead: true, MemberOnlyWrite: true,
			})}},
		},
		{
			name: "a repeated principal and a nested gate, where the ledger's old parser merged and renumbered",
			js: `[{"name":"c","policy":"OR('Org1MSP.member', AND('Org2MSP.member', 'Org1MSP.member'))","requiredPeerCount":1,"maxPeerCount":2,
				"endorsementPolicy":{"signaturePolicy":"OutOf('1', 'Org1MSP.peer', 'Org2MSP.peer')"}}]`,
			want: &peer.CollectionConfigPackage{Config: []*peer.CollectionConfig{staticCollection(&peer.StaticCollectionConfig{
				Name: "c",
				MemberOrgsPolicy: memberOrgs(&common.SignaturePolicyEnvelope{
					Rule:       NOutOf(1, SignedBy(2), NOutOf(2, SignedBy(0), SignedBy(1))),
					Identities: []*msp.MSPPrincipal{role("Org2MSP", member), role("Org1MSP", member), role("Org1MSP", member)},
				}),
				RequiredPeerCount: 1, MaximumPeerCount: 2,
				EndorsementPolicy: &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: &common.SignaturePolicyEnvelope{
					Rule:       NOutOf(1, SignedBy(0), SignedBy(1)),
					Identities: []*msp.MSPPrincipal{role("Org1MSP", peerRole), role("Org2MSP", peerRole)},
				}}},
			})}},
		},
		{
			name: "OutOf(n+1) is kept, as Fabric keeps it (never satisfied), and a channel policy reference is passed on",
			js: `[{"name":"c","policy":"OutOf(2, 'Org1MSP.member')","requiredPeerCount":0,"maxPeerCount":1,
				"endorsementPolicy":{"channelConfigPolicy":"/Channel/Application/Endorsement"}}]`,
			want: &peer.CollectionConfigPackage{Config: []*peer.CollectionConfig{staticCollection(&peer.StaticCollectionConfig{
				Name: "c",
				MemberOrgsPolicy: memberOrgs(&common.SignaturePolicyEnvelope{
					Rule:       NOutOf(2, SignedBy(0)),
					Identities: []*msp.MSPPrincipal{role("Org1MSP", member)},
				}),
				MaximumPeerCount: 1,
				EndorsementPolicy: &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{
					ChannelConfigPolicyReference: "/Channel/Application/Endorsement"}},
			})}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCollectionsJSON([]byte(tc.js))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("collection package (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCollectionsJSONRefusesBadFiles(t *testing.T) {
	tests := []struct {
		name    string
		js      string
		errText string // a part of the message
	}{
		{"a missing maxPeerCount", `[{"name":"c","policy":"OR('A.member')","requiredPeerCount":0}]`,
			`collection 0 ("c"): requiredPeerCount and maxPeerCount are required`},
		{"an unknown field", `[{"name":"c","policy":"OR('A.member')","requiredPeerCount":0,"maxPeerCount":1,"colour":1}]`, `unknown field "colour"`},
		{"an unknown gate", `[{"name":"c","policy":"XOR('A.member')","requiredPeerCount":0,"maxPeerCount":1}]`, `collection "c": policy: parse policy`},
		{"an unknown role", `[{"name":"c","policy":"OR('A.king')","requiredPeerCount":0,"maxPeerCount":1}]`, `collection "c": policy: parse policy`},
		{"a bare principal, which Fabric's parser refuses", `[{"name":"c","policy":"'A.member'","requiredPeerCount":0,"maxPeerCount":1}]`,
			"not a bare principal"},
		{"an empty policy", `[{"name":"c","requiredPeerCount":0,"maxPeerCount":1}]`, "policy is empty"},
		{"a bad endorsement policy", `[{"name":"c","policy":"OR('A.member')","requiredPeerCount":0,"maxPeerCount":1,
			"endorsementPolicy":{"signaturePolicy":"OR("}}]`, `collection "c": endorsementPolicy: parse policy`},
		{"both kinds of endorsement policy", `[{"name":"c","policy":"OR('A.member')","requiredPeerCount":0,"maxPeerCount":1,
			"endorsementPolicy":{"signaturePolicy":"OR('A.peer')","channelConfigPolicy":"Endorsement"}}]`, "sets both"},
		{"not an array", `{"name":"c"}`, "expected a JSON array of collection objects"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCollectionsJSON([]byte(tc.js))
			if !errors.Is(err, ErrInvalidCollectionConfig) {
				t.Fatalf("error %v, want ErrInvalidCollectionConfig", err)
			}
			if !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("error %q, want it to contain %q", err, tc.errText)
			}
		})
	}
}
