package peersim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// privateWrites renders block private data as sorted
// "tx <n> <ns>/<coll>: <key>=<value>" lines.
func privateWrites(t *testing.T, m map[uint64]*rwset.TxPvtReadWriteSet) []string {
	t.Helper()
	var out []string
	for txNum, tx := range m {
		for _, ns := range tx.GetNsPvtRwset() {
			for _, c := range ns.GetCollectionPvtRwset() {
				kv := &kvrwset.KVRWSet{}
				if err := proto.Unmarshal(c.GetRwset(), kv); err != nil {
					t.Fatal(err)
				}
				for _, w := range kv.GetWrites() {
					out = append(out, fmt.Sprintf("tx %d %s/%s: %s=%s", txNum, ns.GetNamespace(), c.GetCollectionName(), w.GetKey(), w.GetValue()))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// The peer has one organisation, so the test tells a member from a
// non-member by role: Admin satisfies OR('Org1MSP.admin'), User1 does not,
// while the peer (of Org1MSP) keeps the clear data of every collection.
func TestDeliverWithPrivateData(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	colls, err := identity.ParseCollectionsJSON([]byte(`[
		{"name":"members","policy":"OR('Org1MSP.member')","requiredPeerCount":0,"maxPeerCount":1,"memberOnlyRead":true},
		{"name":"admins","policy":"OR('Org1MSP.admin')","requiredPeerCount":0,"maxPeerCount":1,"memberOnlyRead":true},
		{"name":"open","policy":"OR('Org1MSP.admin')","requiredPeerCount":0,"maxPeerCount":1,"memberOnlyRead":false}]`))
	if err != nil {
		t.Fatal(err)
	}
	if resp, code := n.deployFull(t, n.admin, "OR('Org1MSP.member')", colls, "deploy", DefaultChannel, "mycc", "1.0", "init"); code != peer.TxValidationCode_VALID {
		t.Fatalf("instantiate: %s %v", resp.GetResponse().GetMessage(), code)
	}
	l, err := n.p.chans.get(DefaultChannel)
	if err != nil {
		t.Fatal(err)
	}
	first := l.Height()
	written := []string{"members", "admins", "open", "_implicit_org_Org1MSP"}
	for _, coll := range written {
		if resp, code := n.invoke(t, n.user, DefaultChannel, "mycc", "pput", coll, "k", "in "+coll); code != peer.TxValidationCode_VALID {
			t.Fatalf("private write to %s: %s %v", coll, resp.GetResponse().GetMessage(), code)
		}
	}
	last := l.Height() - 1
	if last-first+1 != uint64(len(written)) {
		t.Fatalf("blocks %d to %d for %d writes; the test wants one block each", first, last, len(written))
	}

	tests := []struct {
		name   string
		signer *identity.SigningIdentity
		want   [][]string // per block, from first
	}{
		{
			name:   "a client reads the collections it is a member of and the open one; the others' blocks come without",
			signer: n.user,
			want: [][]string{
				{"tx 0 mycc/members: k=in members"},
				nil,
				{"tx 0 mycc/open: k=in open"},
				{"tx 0 mycc/_implicit_org_Org1MSP: k=in _implicit_org_Org1MSP"},
			},
		},
		{
			name:   "an admin satisfies every member orgs policy",
			signer: n.admin,
			want: [][]string{
				{"tx 0 mycc/members: k=in members"},
				{"tx 0 mycc/admins: k=in admins"},
				{"tx 0 mycc/open: k=in open"},
				{"tx 0 mycc/_implicit_org_Org1MSP: k=in _implicit_org_Org1MSP"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			del, err := peer.NewDeliverClient(n.client).DeliverWithPrivateData(ctx)
			if err != nil {
				t.Fatal(err)
			}
			start := &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: first}}}
			if err := del.Send(seekEnvelope(t, tt.signer, DefaultChannel, start, last, orderer.SeekInfo_FAIL_IF_NOT_READY)); err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for {
				r, err := del.Recv()
				if err != nil {
					t.Fatal(err)
				}
				bp := r.GetBlockAndPrivateData()
				if bp == nil {
					if r.GetStatus() != common.Status_SUCCESS {
						t.Errorf("final status %v", r.GetStatus())
					}
					break
				}
				if want := first + uint64(len(got)); bp.GetBlock().GetHeader().GetNumber() != want {
					t.Fatalf("block %d, want %d", bp.GetBlock().GetHeader().GetNumber(), want)
				}
				got = append(got, privateWrites(t, bp.GetPrivateDataMap()))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("private data per block (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadablePrivateData(t *testing.T) {
	coll := func(name string) *rwset.CollectionPvtReadWriteSet {
		return &rwset.CollectionPvtReadWriteSet{CollectionName: name, Rwset: []byte("rwset of " + name)}
	}
	tx := func(ns string, colls ...*rwset.CollectionPvtReadWriteSet) *rwset.TxPvtReadWriteSet {
		return &rwset.TxPvtReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsPvtRwset: []*rwset.NsPvtReadWriteSet{{Namespace: ns, CollectionPvtRwset: colls}}}
	}
	memberPolicy, otherPolicy := &common.SignaturePolicyEnvelope{Version: 1}, &common.SignaturePolicyEnvelope{Version: 2}
	rules := map[string]ledger.CollectionAccess{
		"open":       {MemberOrgsPolicy: otherPolicy},
		"mine":       {MemberOnlyRead: true, MemberOrgsPolicy: memberPolicy},
		"theirs":     {MemberOnlyRead: true, MemberOrgsPolicy: otherPolicy},
		"openTheirs": {MemberOnlyRead: false, MemberOrgsPolicy: otherPolicy},
	}
	errStore := errors.New("store failed")
	access := func(ns, c string) (ledger.CollectionAccess, error) {
		if c == "broken" {
			return ledger.CollectionAccess{}, errStore
		}
		a, ok := rules[c]
		if !ok {
			return ledger.CollectionAccess{}, fmt.Errorf("collection %s of %s: %w", c, ns, ledger.ErrCollectionNotDefined)
		}
		return a, nil
	}
	var evaluated int
	satisfies := func(p *common.SignaturePolicyEnvelope) bool {
		evaluated++
		return p == memberPolicy
	}
	tests := []struct {
		name    string
		in      map[uint64]*rwset.TxPvtReadWriteSet
		want    map[uint64]*rwset.TxPvtReadWriteSet
		wantErr error
	}{
		{name: "a collection without memberOnlyRead is readable whatever its policy",
			in:   map[uint64]*rwset.TxPvtReadWriteSet{0: tx("cc", coll("open"), coll("openTheirs"))},
			want: map[uint64]*rwset.TxPvtReadWriteSet{0: tx("cc", coll("open"), coll("openTheirs"))}},
		{name: "a memberOnlyRead collection is readable by a member and left out for others",
			in:   map[uint64]*rwset.TxPvtReadWriteSet{3: tx("cc", coll("mine"), coll("theirs"))},
			want: map[uint64]*rwset.TxPvtReadWriteSet{3: tx("cc", coll("mine"))}},
		{name: "a transaction left with nothing is left out",
			in:   map[uint64]*rwset.TxPvtReadWriteSet{0: tx("cc", coll("theirs")), 1: tx("cc", coll("mine"))},
			want: map[uint64]*rwset.TxPvtReadWriteSet{1: tx("cc", coll("mine"))}},
		{name: "a namespace left with nothing is left out",
			in: map[uint64]*rwset.TxPvtReadWriteSet{0: {DataModel: rwset.TxReadWriteSet_KV, NsPvtRwset: []*rwset.NsPvtReadWriteSet{
				{Namespace: "a", CollectionPvtRwset: []*rwset.CollectionPvtReadWriteSet{coll("theirs")}},
				{Namespace: "b", CollectionPvtRwset: []*rwset.CollectionPvtReadWriteSet{coll("mine")}},
			}}},
			want: map[uint64]*rwset.TxPvtReadWriteSet{0: tx("b", coll("mine"))}},
		{name: "a collection no longer defined is left out",
			in:   map[uint64]*rwset.TxPvtReadWriteSet{0: tx("cc", coll("gone"), coll("open"))},
			want: map[uint64]*rwset.TxPvtReadWriteSet{0: tx("cc", coll("open"))}},
		{name: "no private data gives an empty map",
			in:   map[uint64]*rwset.TxPvtReadWriteSet{},
			want: map[uint64]*rwset.TxPvtReadWriteSet{}},
		{name: "a failure to read a collection's rule is an error",
			in:      map[uint64]*rwset.TxPvtReadWriteSet{0: tx("cc", coll("broken"))},
			wantErr: errStore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readablePrivateData(tt.in, access, satisfies, slog.New(slog.DiscardHandler))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("readable (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("a collection's policy is evaluated once per block", func(t *testing.T) {
		evaluated = 0
		in := map[uint64]*rwset.TxPvtReadWriteSet{0: tx("cc", coll("mine")), 1: tx("cc", coll("mine")), 2: tx("cc", coll("mine"))}
		if _, err := readablePrivateData(in, access, satisfies, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		if evaluated != 1 {
			t.Errorf("policy evaluated %d times, want once", evaluated)
		}
	})
}
