package ledger

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// testCollections is Fabric's sample collections_config.json as a package.
func testCollections() *peer.CollectionConfigPackage {
	return collections(
		collSpec{name: "shared", members: []string{"Org1MSP", "Org2MSP"}, maxPeers: 3, memberOnlyRead: true, memberOnlyWrite: true},
		collSpec{name: "org1only", members: []string{"Org1MSP"}, maxPeers: 1, blockToLive: 2, memberOnlyRead: true},
	)
}

func pvtLedger(t *testing.T, peerMSP string) *Ledger {
	t.Helper()
	l := openTestLedger(t, testOpts{mutate: func(c *Config) {
		if peerMSP != "" {
			c.PeerMSPIDs = []string{peerMSP}
		}
	}})
	define(t, l, &ChaincodeDefinition{Name: "cc", Version: "1", Collections: testCollections()})
	return l
}

func putPvt(t *testing.T, l *Ledger, c client, coll, key, value string) {
	t.Helper()
	env := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
		return s.SetPrivateData("cc", coll, key, []byte(value))
	})
	commitValid(t, l, env)
}

func readPvt(l *Ledger, mspID, coll, key string) ([]byte, error) {
	var v []byte
	_, err := l.Simulate("read", mspID, func(s *Simulator) error {
		var err error
		v, err = s.GetPrivateData("cc", coll, key)
		return err
	})
	return v, err
}

func TestPrivateDataMembership(t *testing.T) {
	l := pvtLedger(t, "")
	putPvt(t, l, newClient(t, org1), "shared", "k", "secret")
	putPvt(t, l, newClient(t, org1), "org1only", "k", "mine")
	sum := sha256.Sum256([]byte("secret"))
	tests := []struct {
		name    string
		msp     string
		run     func(s *Simulator) ([]byte, error)
		want    []byte
		wantErr string
		is      error
	}{
		{"a member reads the clear value", "Org2MSP", func(s *Simulator) ([]byte, error) {
			return s.GetPrivateData("cc", "shared", "k")
		}, []byte("secret"), "", nil},
		{"a non-member cannot read a memberOnlyRead collection", "Org3MSP", func(s *Simulator) ([]byte, error) {
			return s.GetPrivateData("cc", "shared", "k")
		}, nil, "tx creator does not have read access permission on privatedata in chaincodeName:cc collectionName: shared", ErrAccessDenied},
		{"a non-member reads the hash", "Org3MSP", func(s *Simulator) ([]byte, error) {
			return s.GetPrivateDataHash("cc", "shared", "k")
		}, sum[:], "", nil},
		{"a non-member cannot write a memberOnlyWrite collection", "Org3MSP", func(s *Simulator) ([]byte, error) {
			return nil, s.SetPrivateData("cc", "shared", "k", []byte("x"))
		}, nil, "tx creator does not have write access permission on privatedata in chaincodeName:cc collectionName: shared", ErrAccessDenied},
		{"a non-member may write a collection without memberOnlyWrite", "Org3MSP", func(s *Simulator) ([]byte, error) {
			return nil, s.SetPrivateData("cc", "org1only", "k", []byte("x"))
		}, nil, "", nil},
		{"an undefined collection is Fabric's error", org1, func(s *Simulator) ([]byte, error) {
			return s.GetPrivateData("cc", "nope", "k")
		}, nil, "collection [nope] not defined in the collection config for chaincode [cc]", ErrCollectionNotDefined},
		{"a chaincode without collections is Fabric's error", org1, func(s *Simulator) ([]byte, error) {
			return s.GetPrivateData("other", "shared", "k")
		}, nil, "collection config not defined for chaincode [other], pass the collection configuration upon chaincode definition/instantiation", ErrCollectionNotDefined},
		{"an implicit collection exists for any organisation", "Org5MSP", func(s *Simulator) ([]byte, error) {
			return s.GetPrivateData("cc", "_implicit_org_Org5MSP", "k")
		}, nil, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := l.NewSimulator("tx", tc.msp)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Done()
			got, err := tc.run(s)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, tc.is) {
					t.Fatalf("error %v, want %q wrapping %v", err, tc.wantErr, tc.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPrivateDataOnANonMemberPeer(t *testing.T) {
	l := pvtLedger(t, "Org2MSP")
	putPvt(t, l, newClient(t, org1), "org1only", "k", "mine")
	_, err := readPvt(l, org1, "org1only", "k")
	want := "private data matching public hash version is not available. Public hash version = {BlockNum: 2, TxNum: 0}, Private data version = <nil>"
	if err == nil || err.Error() != want || !errors.Is(err, ErrPrivateDataUnavailable) {
		t.Fatalf("error %v, want %q", err, want)
	}
	v, err := readPvt(l, org1, "org1only", "absent")
	if err != nil || v != nil {
		t.Errorf("absent key: %q, %v; want nil, nil", v, err)
	}
}

func TestPrivateDataReadWriteSets(t *testing.T) {
	l := pvtLedger(t, "")
	res, err := l.Simulate("tx", org1, func(s *Simulator) error {
		if _, err := s.GetPrivateData("cc", "shared", "r"); err != nil {
			return err
		}
		return s.SetPrivateData("cc", "shared", "w", []byte("clear"))
	})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := res.PublicBytes()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(pub, []byte("clear")) {
		t.Error("the clear private value leaked into the public read-write set")
	}
	if res.Private == nil || len(res.Private.NsPvtRwset) != 1 || res.Private.NsPvtRwset[0].CollectionPvtRwset[0].CollectionName != "shared" {
		t.Fatalf("private read-write set %v lacks collection shared", res.Private)
	}
	coll := res.Public.NsRwset[0].CollectionHashedRwset[0]
	if !bytes.Equal(coll.PvtRwsetHash, hashBytes(res.Private.NsPvtRwset[0].CollectionPvtRwset[0].Rwset)) {
		t.Error("pvt_rwset_hash is not the hash of the private read-write set")
	}
}

func TestPrivateDataPurge(t *testing.T) {
	t.Run("blockToLive purges the value after that many blocks", func(t *testing.T) {
		l := pvtLedger(t, "")
		putPvt(t, l, newClient(t, org1), "org1only", "k", "mine") // block 2, blockToLive 2
		for i := range 2 {
			put(t, l, "cc", "filler", "x")
			if v, err := readPvt(l, org1, "org1only", "k"); err != nil || string(v) != "mine" {
				t.Fatalf("after %d more blocks: %q, %v; want the value", i+1, v, err)
			}
		}
		put(t, l, "cc", "filler", "y") // block 5 = 2 + 2 + 1
		if v, err := readPvt(l, org1, "org1only", "k"); err != nil || v != nil {
			t.Fatalf("after blockToLive: %q, %v; want purged", v, err)
		}
	})
	t.Run("PurgePrivateData removes the value and its hash", func(t *testing.T) {
		l := pvtLedger(t, "")
		c := newClient(t, org1)
		putPvt(t, l, c, "shared", "k", "secret")
		commitValid(t, l, c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
			return s.PurgePrivateData("cc", "shared", "k")
		}))
		if v, err := readPvt(l, org1, "shared", "k"); err != nil || v != nil {
			t.Fatalf("after purge: %q, %v; want nil", v, err)
		}
		_, err := l.Simulate("h", org1, func(s *Simulator) error {
			h, err := s.GetPrivateDataHash("cc", "shared", "k")
			if err == nil && h != nil {
				t.Errorf("hash %x survives the purge", h)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The peer checks a definition's collections when it is committed;
// clients only parse the file (identity.ParseCollectionsJSON).
func TestCollectionDefinitionsAreChecked(t *testing.T) {
	ok := collSpec{name: "c", members: []string{"A"}, maxPeers: 1}
	with := func(f func(c *collSpec)) collSpec {
		c := ok
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		pkg     *peer.CollectionConfigPackage
		errText string // "" when valid; else a part of the message
	}{
		{"Fabric's sample collections", testCollections(), ""},
		{"a collection with its own endorsement policy", collections(with(func(c *collSpec) { c.endorsers = []string{"A", "B"} })), ""},
		{"a name used twice", collections(ok, ok), "collection c: defined twice"},
		{"a reserved name", collections(with(func(c *collSpec) { c.name = "_c" })), `name "_c" must match`},
		{"an empty name", collections(with(func(c *collSpec) { c.name = "" })), `name "" must match`},
		{"requiredPeerCount above maxPeerCount", collections(with(func(c *collSpec) { c.requiredPeers = 2 })),
			"requiredPeerCount 2 must be between 0 and maxPeerCount 1"},
		{"a negative requiredPeerCount", collections(with(func(c *collSpec) { c.requiredPeers = -1 })),
			"requiredPeerCount -1 must be between 0 and maxPeerCount 1"},
		{"a missing member policy", &peer.CollectionConfigPackage{Config: []*peer.CollectionConfig{{
			Payload: &peer.CollectionConfig_StaticCollectionConfig{StaticCollectionConfig: &peer.StaticCollectionConfig{Name: "c", MaximumPeerCount: 1}},
		}}}, "member orgs policy is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCollections(tc.pkg)
			if tc.errText == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("error %v, want ErrInvalidArgument", err)
			}
			if !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("error %q, want it to contain %q", err, tc.errText)
			}
		})
	}
}

// Collection membership is every MSP a member policy names, however
// deeply nested and however often repeated.
func TestCollectionMembersAreTheMSPsOfTheMemberPolicy(t *testing.T) {
	role := func(id string, r msp.MSPRole_MSPRoleType) *msp.MSPPrincipal {
		b, err := proto.Marshal(&msp.MSPRole{MspIdentifier: id, Role: r})
		if err != nil {
			t.Fatal(err)
		}
		return &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: b}
	}
	signedBy := func(i int32) *common.SignaturePolicy {
		return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: i}}
	}
	nOutOf := func(n int32, rules ...*common.SignaturePolicy) *common.SignaturePolicy {
		return &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: n, Rules: rules}}}
	}
	// OutOf(2, 'Org1MSP.member', AND('Org2MSP.peer', 'Org1MSP.member'), 'Org3MSP.admin') as Fabric builds it.
	env := &common.SignaturePolicyEnvelope{
		Rule: nOutOf(2, signedBy(2), nOutOf(2, signedBy(0), signedBy(1)), signedBy(3)),
		Identities: []*msp.MSPPrincipal{role("Org2MSP", msp.MSPRole_PEER), role("Org1MSP", msp.MSPRole_MEMBER),
			role("Org1MSP", msp.MSPRole_MEMBER), role("Org3MSP", msp.MSPRole_ADMIN)},
	}
	ids, err := policyMSPIDs(env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"Org1MSP": true, "Org2MSP": true, "Org3MSP": true}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func TestPrivateDeleteWithoutTransientDataRemovesTheClearValue(t *testing.T) {
	l := pvtLedger(t, "")
	c := newClient(t, org1)
	putPvt(t, l, c, "shared", "k", "secret")
	p := c.propose(t, "cc")
	res, err := l.Simulate(p.txID, org1, func(s *Simulator) error { return s.DeletePrivateData("cc", "shared", "k") })
	if err != nil {
		t.Fatal(err)
	}
	commitValid(t, l, p.envelope(t, res)) // no PutTransient: the clear delete never reached this peer
	_, err = l.Simulate("scan", org1, func(s *Simulator) error {
		it, err := s.GetPrivateDataRangeScanIterator("cc", "shared", "", "")
		if err != nil {
			return err
		}
		if keys := drain(t, it); len(keys) != 0 {
			t.Errorf("private keys %q survive the delete", keys)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTransientDataOfUncommittedTransactionsIsDroppedAfterRetention(t *testing.T) {
	ts := newTransientStore()
	pvt := &rwset.TxPvtReadWriteSet{}
	ts.put("old", pvt, 5)
	ts.put("recent", pvt, 900)
	ts.put("committed", pvt, 900)
	ts.remove([]string{"committed"}, 5+transientRetention+1)
	if ts.get("old") != nil || ts.get("committed") != nil || ts.get("recent") == nil {
		t.Errorf("after pruning: old=%v committed=%v recent=%v; want only recent kept",
			ts.get("old") != nil, ts.get("committed") != nil, ts.get("recent") != nil)
	}
}
