package endorser

import (
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

func TestAnEndorsedResponseCarriesTheChaincodeInterestOfItsWrites(t *testing.T) {
	org3 := identity.MustParsePolicy("OR('Org3MSP.peer')")
	vp, err := proto.Marshal(org3)
	if err != nil {
		t.Fatal(err)
	}
	// Before each test, key "sbe" has the key-level policy org3.
	setup := func(sim *ledger.Simulator, ns string) error {
		if err := sim.SetState(ns, "sbe", []byte("v")); err != nil {
			return err
		}
		return sim.SetStateMetadata(ns, "sbe", map[string][]byte{validationParameter: vp})
	}
	tests := []struct {
		name string
		exec func(sim *ledger.Simulator, ns string) error
		want *peer.ChaincodeInterest
	}{
		{name: "a write of a key without a policy needs the chaincode's",
			exec: func(sim *ledger.Simulator, ns string) error { return sim.SetState(ns, "plain", []byte("v")) },
			want: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{{Name: "cc"}}}},
		{name: "a read only needs the chaincode's policy",
			exec: func(sim *ledger.Simulator, ns string) error { _, err := sim.GetState(ns, "plain"); return err },
			want: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{{Name: "cc"}}}},
		{name: "a write of a key with a key-level policy needs that policy only",
			exec: func(sim *ledger.Simulator, ns string) error { return sim.SetState(ns, "sbe", []byte("w")) },
			want: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{{Name: "cc", KeyPolicies: []*common.SignaturePolicyEnvelope{org3}, DisregardNamespacePolicy: true}}}},
		{name: "writes of keys with and without a key-level policy need both",
			exec: func(sim *ledger.Simulator, ns string) error {
				if err := sim.SetState(ns, "sbe", []byte("w")); err != nil {
					return err
				}
				return sim.SetState(ns, "plain", []byte("w"))
			},
			want: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{{Name: "cc", KeyPolicies: []*common.SignaturePolicyEnvelope{org3}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, interestAfter(t, setup, tt.exec), protocmp.Transform()); diff != "" {
				t.Errorf("Interest (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPrivateKeyWithAKeyLevelPolicyNeedsThatPolicyNotTheCollections(t *testing.T) {
	org3 := identity.MustParsePolicy("OR('Org3MSP.peer')")
	vp, err := proto.Marshal(org3)
	if err != nil {
		t.Fatal(err)
	}
	coll := ledger.ImplicitCollectionPrefix + "Org1MSP"
	// Before each test, private key "sbe" has the key-level policy org3.
	setup := func(sim *ledger.Simulator, ns string) error {
		if err := sim.SetPrivateData(ns, coll, "sbe", []byte("v")); err != nil {
			return err
		}
		return sim.SetPrivateDataMetadata(ns, coll, "sbe", map[string][]byte{validationParameter: vp})
	}
	tests := []struct {
		name string
		exec func(sim *ledger.Simulator, ns string) error
		want *peer.ChaincodeInterest
	}{
		{name: "a rewrite of a key with a key-level policy needs that policy only",
			exec: func(sim *ledger.Simulator, ns string) error { return sim.SetPrivateData(ns, coll, "sbe", []byte("w")) },
			want: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{{Name: "cc", KeyPolicies: []*common.SignaturePolicyEnvelope{org3}, DisregardNamespacePolicy: true}}}},
		{name: "a metadata write of a key with a key-level policy needs that policy only",
			exec: func(sim *ledger.Simulator, ns string) error {
				return sim.SetPrivateDataMetadata(ns, coll, "sbe", map[string][]byte{validationParameter: vp})
			},
			want: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{{Name: "cc", KeyPolicies: []*common.SignaturePolicyEnvelope{org3}, DisregardNamespacePolicy: true}}}},
		{name: "a write of a key without a policy needs the collection's",
			exec: func(sim *ledger.Simulator, ns string) error {
				return sim.SetPrivateData(ns, coll, "plain", []byte("w"))
			},
			want: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{{Name: "cc", CollectionNames: []string{coll}, NoPrivateReads: true}}}},
		{name: "writes of keys with and without a key-level policy need both",
			exec: func(sim *ledger.Simulator, ns string) error {
				if err := sim.SetPrivateData(ns, coll, "sbe", []byte("w")); err != nil {
					return err
				}
				return sim.SetPrivateData(ns, coll, "plain", []byte("w"))
			},
			want: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{
				{Name: "cc", KeyPolicies: []*common.SignaturePolicyEnvelope{org3}, DisregardNamespacePolicy: true},
				{Name: "cc", CollectionNames: []string{coll}, NoPrivateReads: true},
			}}},
		{name: "a key with a key-level policy read and rewritten names the collection as read",
			exec: func(sim *ledger.Simulator, ns string) error {
				if _, err := sim.GetPrivateData(ns, coll, "sbe"); err != nil {
					return err
				}
				return sim.SetPrivateData(ns, coll, "sbe", []byte("w"))
			},
			want: &peer.ChaincodeInterest{Chaincodes: []*peer.ChaincodeCall{
				{Name: "cc", KeyPolicies: []*common.SignaturePolicyEnvelope{org3}, DisregardNamespacePolicy: true},
				{Name: "cc", CollectionNames: []string{coll}},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, interestAfter(t, setup, tt.exec), protocmp.Transform()); diff != "" {
				t.Errorf("Interest (-want +got):\n%s", diff)
			}
		})
	}
}

// interestAfter commits what setup writes (key-level policies) and returns
// the ChaincodeInterest of a proposal that runs exec after it.
func interestAfter(t *testing.T, setup, exec func(sim *ledger.Simulator, ns string) error) *peer.ChaincodeInterest {
	t.Helper()
	f := newFixture(t, nil)
	f.define(t)
	f.runner.exec = setup
	resp, prop := f.propose(t, identity.Invocation{ChannelID: channel, Chaincode: "cc"})
	env, err := client.NewSignedTx(prop, f.admin, resp)
	if err != nil {
		t.Fatal(err)
	}
	if cb, err := f.l.CommitBlock([]*common.Envelope{env}); err != nil || cb.Txs[0].Code != peer.TxValidationCode_VALID {
		t.Fatalf("commit the key-level policy: %v %v", err, cb)
	}
	f.runner.exec = exec
	resp, _ = f.propose(t, identity.Invocation{ChannelID: channel, Chaincode: "cc"})
	if resp.GetResponse().GetStatus() != 200 {
		t.Fatalf("response %v", resp.GetResponse())
	}
	return resp.GetInterest()
}
