package ledger

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func mustCollections(t testing.TB, js string) *peer.CollectionConfigPackage {
	t.Helper()
	pkg, err := ParseCollectionsJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

const testCollections = `[
 {"name":"shared","policy":"OR('Org1MSP.member','Org2MSP.member')","requiredPeerCount":0,"maxPeerCount":3,"blockToLive":0,"memberOnlyRead":true,"memberOnlyWrite":true},
 {"name":"org1only","policy":"OR('Org1MSP.member')","requiredPeerCount":0,"maxPeerCount":1,"blockToLive":2,"memberOnlyRead":true,"memberOnlyWrite":false}
]`

func pvtLedger(t *testing.T, peerMSP string) *Ledger {
	t.Helper()
	l := openTestLedger(t, testOpts{mutate: func(c *Config) { c.PeerMSPID = peerMSP }})
	define(t, l, &ChaincodeDefinition{Name: "cc", Version: "1", Collections: mustCollections(t, testCollections)})
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

func TestParseCollectionsJSON(t *testing.T) {
	tests := []struct {
		name    string
		js      string
		wantErr bool
	}{
		{"Fabric's sample file", testCollections, false},
		{"an endorsement policy per collection", `[{"name":"c","policy":"OR('A.member')","requiredPeerCount":0,"maxPeerCount":1,
			"endorsementPolicy":{"signaturePolicy":"AND('A.peer', OutOf(1, 'B.peer', 'C.peer'))"}}]`, false},
		{"a missing maxPeerCount", `[{"name":"c","policy":"OR('A.member')","requiredPeerCount":0}]`, true},
		{"an unknown field", `[{"name":"c","policy":"OR('A.member')","requiredPeerCount":0,"maxPeerCount":1,"colour":1}]`, true},
		{"a bad policy", `[{"name":"c","policy":"XOR('A.member')","requiredPeerCount":0,"maxPeerCount":1}]`, true},
		{"a bad role", `[{"name":"c","policy":"OR('A.king')","requiredPeerCount":0,"maxPeerCount":1}]`, true},
		{"a duplicate name", `[{"name":"c","policy":"OR('A.member')","requiredPeerCount":0,"maxPeerCount":1},{"name":"c","policy":"OR('A.member')","requiredPeerCount":0,"maxPeerCount":1}]`, true},
		{"a reserved name", `[{"name":"_c","policy":"OR('A.member')","requiredPeerCount":0,"maxPeerCount":1}]`, true},
		{"requiredPeerCount above maxPeerCount", `[{"name":"c","policy":"OR('A.member')","requiredPeerCount":2,"maxPeerCount":1}]`, true},
		{"not an array", `{"name":"c"}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCollectionsJSON([]byte(tc.js))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("error %v does not wrap ErrInvalidArgument", err)
			}
		})
	}
}

func TestParseSignaturePolicyMembers(t *testing.T) {
	env, err := ParseSignaturePolicy("OutOf(2, 'Org1MSP.member', AND('Org2MSP.peer', 'Org1MSP.member'), 'Org3MSP.admin')")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := policyMSPIDs(env)
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Identities) != 3 || !ids["Org1MSP"] || !ids["Org2MSP"] || !ids["Org3MSP"] {
		t.Errorf("identities %v, members %v", env.Identities, ids)
	}
	if n := env.Rule.GetNOutOf().GetN(); n != 2 {
		t.Errorf("N = %d, want 2", n)
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
