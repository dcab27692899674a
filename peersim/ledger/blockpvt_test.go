package ledger

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// blockPvtLedger is a ledger of an Org1MSP peer whose chaincode cc has a
// collection of Org1 and Org2, one of Org1 alone living 2 blocks, and one
// of Org2 alone (this peer keeps no clear data of it).
func blockPvtLedger(t *testing.T, o testOpts) *Ledger {
	t.Helper()
	o.mutate = func(c *Config) { c.PeerMSPIDs = []string{org1} }
	l := openTestLedger(t, o)
	if l.Height() == 1 {
		define(t, l, &ChaincodeDefinition{Name: "cc", Version: "1", Collections: collections(
			collSpec{name: "shared", members: []string{org1, "Org2MSP"}, maxPeers: 3, memberOnlyRead: true},
			collSpec{name: "org1only", members: []string{org1}, maxPeers: 1, blockToLive: 2},
			collSpec{name: "org2only", members: []string{"Org2MSP"}, maxPeers: 1, memberOnlyRead: true},
		)})
	}
	return l
}

// pvtWrites endorses a transaction writing coll/key=value triples (an
// empty value purges the key) and returns its envelope.
func pvtWrites(t *testing.T, l *Ledger, triples ...string) *common.Envelope {
	t.Helper()
	return newClient(t, org1).propose(t, "cc").endorse(t, l, func(s *Simulator) error {
		for i := 0; i+2 < len(triples); i += 3 {
			var err error
			if triples[i+2] == "" {
				err = s.PurgePrivateData("cc", triples[i], triples[i+1])
			} else {
				err = s.SetPrivateData("cc", triples[i], triples[i+1], []byte(triples[i+2]))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// pvtSummary renders block private data as, per transaction index,
// "ns/coll: key=value ..." lines (a deleted key as "key deleted").
func pvtSummary(t *testing.T, m map[uint64]*rwset.TxPvtReadWriteSet) map[uint64][]string {
	t.Helper()
	out := map[uint64][]string{}
	for tx, pvt := range m {
		if pvt.GetDataModel() != rwset.TxReadWriteSet_KV {
			t.Errorf("transaction %d: data model %v", tx, pvt.GetDataModel())
		}
		for _, ns := range pvt.GetNsPvtRwset() {
			for _, c := range ns.GetCollectionPvtRwset() {
				kv := &kvrwset.KVRWSet{}
				if err := proto.Unmarshal(c.GetRwset(), kv); err != nil {
					t.Fatal(err)
				}
				var ws []string
				for _, w := range kv.GetWrites() {
					if w.GetIsDelete() {
						ws = append(ws, w.GetKey()+" deleted")
					} else {
						ws = append(ws, w.GetKey()+"="+string(w.GetValue()))
					}
				}
				sort.Strings(ws)
				out[tx] = append(out[tx], fmt.Sprintf("%s/%s: %s", ns.GetNamespace(), c.GetCollectionName(), strings.Join(ws, " ")))
			}
		}
	}
	return out
}

func TestBlockPrivateData(t *testing.T) {
	tests := []struct {
		name string
		// run commits what the case needs and returns the block to read.
		run  func(t *testing.T, l *Ledger) uint64
		want map[uint64][]string
	}{
		{
			name: "a valid transaction keeps the collections this peer is a member of",
			run: func(t *testing.T, l *Ledger) uint64 {
				return commitValid(t, l, pvtWrites(t, l, "shared", "a", "1", "org1only", "b", "2", "org2only", "c", "3")).Block.Header.Number
			},
			want: map[uint64][]string{0: {"cc/org1only: b=2", "cc/shared: a=1"}},
		},
		{
			name: "each transaction is under its index in the block",
			run: func(t *testing.T, l *Ledger) uint64 {
				public := newClient(t, org1).propose(t, "cc").endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "p", []byte("x")) })
				return commitValid(t, l, pvtWrites(t, l, "shared", "a", "1"), public, pvtWrites(t, l, "shared", "a", "2")).Block.Header.Number
			},
			want: map[uint64][]string{0: {"cc/shared: a=1"}, 2: {"cc/shared: a=2"}},
		},
		{
			name: "an invalid transaction keeps its private data, as on Fabric",
			run: func(t *testing.T, l *Ledger) uint64 {
				conflicting := func(v string) *common.Envelope {
					return newClient(t, org1).propose(t, "cc").endorse(t, l, func(s *Simulator) error {
						if _, err := s.GetState("cc", "k"); err != nil {
							return err
						}
						if err := s.SetState("cc", "k", []byte(v)); err != nil {
							return err
						}
						return s.SetPrivateData("cc", "shared", "a", []byte(v))
					})
				}
				cb := commit(t, l, conflicting("1"), conflicting("2"))
				if cb.Txs[1].Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
					t.Fatalf("second transaction %v, want an MVCC conflict", cb.Txs[1].Code)
				}
				return cb.Block.Header.Number
			},
			want: map[uint64][]string{0: {"cc/shared: a=1"}, 1: {"cc/shared: a=2"}},
		},
		{
			name: "a transaction whose private data never reached the peer has none",
			run: func(t *testing.T, l *Ledger) uint64 {
				p := newClient(t, org1).propose(t, "cc")
				res, err := l.Simulate(p.txID, org1, func(s *Simulator) error { return s.SetPrivateData("cc", "shared", "a", []byte("1")) })
				if err != nil {
					t.Fatal(err)
				}
				return commitValid(t, l, p.envelope(t, res)).Block.Header.Number
			},
			want: map[uint64][]string{},
		},
		{
			name: "a collection's data is gone after its blockToLive",
			run: func(t *testing.T, l *Ledger) uint64 {
				n := commitValid(t, l, pvtWrites(t, l, "shared", "a", "1", "org1only", "b", "2")).Block.Header.Number
				for i := range 2 {
					put(t, l, "cc", "filler", "x")
					got, err := l.BlockPrivateData(n)
					if err != nil {
						t.Fatal(err)
					}
					if len(got[0].GetNsPvtRwset()[0].GetCollectionPvtRwset()) != 2 {
						t.Fatalf("%d blocks later: %v, want both collections", i+1, pvtSummary(t, got))
					}
				}
				put(t, l, "cc", "filler", "y") // block n + 2 + 1
				return n
			},
			want: map[uint64][]string{0: {"cc/shared: a=1"}},
		},
		{
			name: "a purged key is left out of the blocks up to its purge",
			run: func(t *testing.T, l *Ledger) uint64 {
				n := commitValid(t, l, pvtWrites(t, l, "shared", "a", "1", "shared", "b", "2")).Block.Header.Number
				commitValid(t, l, pvtWrites(t, l, "shared", "a", ""))
				return n
			},
			want: map[uint64][]string{0: {"cc/shared: b=2"}},
		},
		{
			name: "a write after the purge is delivered",
			run: func(t *testing.T, l *Ledger) uint64 {
				commitValid(t, l, pvtWrites(t, l, "shared", "a", "1"))
				commitValid(t, l, pvtWrites(t, l, "shared", "a", ""))
				return commitValid(t, l, pvtWrites(t, l, "shared", "a", "again")).Block.Header.Number
			},
			want: map[uint64][]string{0: {"cc/shared: a=again"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := blockPvtLedger(t, testOpts{})
			n := tt.run(t, l)
			got, err := l.BlockPrivateData(n)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, pvtSummary(t, got)); diff != "" {
				t.Errorf("private data of block %d (-want +got):\n%s", n, diff)
			}
		})
	}
}

func TestBlockPrivateDataIsTheEndorsedReadWriteSet(t *testing.T) {
	l := blockPvtLedger(t, testOpts{})
	p := newClient(t, org1).propose(t, "cc")
	res, err := l.Simulate(p.txID, org1, func(s *Simulator) error { return s.SetPrivateData("cc", "shared", "a", []byte("1")) })
	if err != nil {
		t.Fatal(err)
	}
	l.PutTransient(p.txID, res.Private)
	cb := commitValid(t, l, p.envelope(t, res))
	got, err := l.BlockPrivateData(cb.Block.Header.Number)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]*rwset.TxPvtReadWriteSet{0: res.Private}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("private data (-want +got):\n%s", diff)
	}
}

func TestBlockPrivateDataSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	l := blockPvtLedger(t, testOpts{backend: BackendBolt, dir: dir})
	n := commitValid(t, l, pvtWrites(t, l, "shared", "a", "1", "org1only", "b", "2")).Block.Header.Number
	before, err := l.BlockPrivateData(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := blockPvtLedger(t, testOpts{backend: BackendBolt, dir: dir})
	after, err := l2.BlockPrivateData(n)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 1 {
		t.Fatalf("before reopen: %v", pvtSummary(t, before))
	}
	if diff := cmp.Diff(before, after, protocmp.Transform()); diff != "" {
		t.Errorf("after reopen (-before +after):\n%s", diff)
	}
	// The blockToLive schedule survives too.
	for range 3 {
		put(t, l2, "cc", "filler", "x")
	}
	expired, err := l2.BlockPrivateData(n)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[uint64][]string{0: {"cc/shared: a=1"}}, pvtSummary(t, expired)); diff != "" {
		t.Errorf("after blockToLive (-want +got):\n%s", diff)
	}
}

func TestBlockPrivateDataOfAMissingBlock(t *testing.T) {
	l := blockPvtLedger(t, testOpts{})
	if _, err := l.BlockPrivateData(l.Height()); !errors.Is(err, ErrBlockNotFound) {
		t.Errorf("error %v, want ErrBlockNotFound", err)
	}
}

func TestCollectionAccess(t *testing.T) {
	l := blockPvtLedger(t, testOpts{})
	tests := []struct {
		name    string
		ns      string
		coll    string
		want    CollectionAccess
		wantErr error
	}{
		{name: "a member-only-read collection carries its member orgs policy", ns: "cc", coll: "shared",
			want: CollectionAccess{MemberOnlyRead: true, MemberOrgsPolicy: anyOf(msp.MSPRole_MEMBER, org1, "Org2MSP")}},
		{name: "a collection readable by any client says so", ns: "cc", coll: "org1only",
			want: CollectionAccess{MemberOrgsPolicy: anyOf(msp.MSPRole_MEMBER, org1)}},
		{name: "an implicit collection is readable by its organisation's members only", ns: "cc", coll: "_implicit_org_Org2MSP",
			want: CollectionAccess{MemberOnlyRead: true, MemberOrgsPolicy: anyOf(msp.MSPRole_MEMBER, "Org2MSP")}},
		{name: "an unknown collection is not defined", ns: "cc", coll: "nope", wantErr: ErrCollectionNotDefined},
		{name: "a collection of an unknown chaincode is not defined", ns: "other", coll: "shared", wantErr: ErrCollectionNotDefined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.CollectionAccess(tt.ns, tt.coll)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("access (-want +got):\n%s", diff)
			}
		})
	}
}
