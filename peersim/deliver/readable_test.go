package deliver

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"google.golang.org/protobuf/testing/protocmp"
)

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
