package peersim

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
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
	l, err := n.p.chans.Ledger(DefaultChannel)
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
