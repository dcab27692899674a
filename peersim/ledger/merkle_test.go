package ledger

import (
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestSummarizeReadsShape(t *testing.T) {
	reads := func(n int) []*kvrwset.KVRead {
		out := make([]*kvrwset.KVRead, n)
		for i := range out {
			out[i] = &kvrwset.KVRead{Key: fmt.Sprintf("k%05d", i), Version: &kvrwset.Version{BlockNum: 1}}
		}
		return out
	}
	tests := []struct {
		name       string
		n          int
		wantRaw    bool
		wantLevel  uint32
		wantHashes int
	}{
		{"up to the maximum degree the reads stay raw", 50, true, 0, 0},
		{"one more read gives two leaf hashes", 51 + 1, false, 1, 2},
		{"51 groups of 51 reads fold into one hash a level up", 51 * 51, false, 2, 1},
		{"a partial second level is carried up", 51*51 + 1, false, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, sum := summarizeReads(reads(tc.n), rangeMaxDegree)
			if tc.wantRaw {
				if sum != nil || len(raw) != tc.n {
					t.Fatalf("raw %d, summary %v; want %d raw reads", len(raw), sum, tc.n)
				}
				return
			}
			if sum == nil || sum.MaxLevel != tc.wantLevel || len(sum.MaxLevelHashes) != tc.wantHashes || sum.MaxDegree != rangeMaxDegree {
				t.Fatalf("summary %v, want level %d with %d hashes", sum, tc.wantLevel, tc.wantHashes)
			}
		})
	}
}

func TestLargeRangeQueriesArePhantomCheckedThroughTheirMerkleSummary(t *testing.T) {
	l := newLedger(t)
	var kvs []string
	for i := range 120 {
		kvs = append(kvs, fmt.Sprintf("k%03d", i), "v")
	}
	put(t, l, "cc", kvs...)
	c := newClient(t, org1)
	scan := func(s *Simulator) error {
		it, err := s.GetStateRangeScanIterator("cc", "k", "l")
		if err != nil {
			return err
		}
		defer it.Close()
		for {
			kv, err := it.Next()
			if err != nil || kv == nil {
				return err
			}
		}
	}
	res, err := l.Simulate("peek", org1, scan)
	if err != nil {
		t.Fatal(err)
	}
	if rq := nsRWSet(t, res, "cc").RangeQueriesInfo[0]; rq.GetReadsMerkleHashes() == nil {
		t.Fatalf("a 120-result range query carries %T, want a Merkle summary as Fabric's does", rq.ReadsInfo)
	}
	tests := []struct {
		name  string
		first func(s *Simulator) error
		want  peer.TxValidationCode
	}{
		{"an unchanged range is valid", func(s *Simulator) error { return s.SetState("cc", "z", []byte("v")) }, peer.TxValidationCode_VALID},
		{"an insert in the middle of the range is a phantom read", func(s *Simulator) error { return s.SetState("cc", "k050a", []byte("v")) }, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"an update of one key is a phantom read", func(s *Simulator) error { return s.SetState("cc", "k099", []byte("w")) }, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			envs := []*common.Envelope{
				c.propose(t, "cc").endorse(t, l, tc.first),
				c.propose(t, "cc").endorse(t, l, scan),
			}
			cb := commit(t, l, envs...)
			if cb.Txs[1].Code != tc.want {
				t.Errorf("code %s (%v), want %s", cb.Txs[1].Code, cb.Txs[1].Err, tc.want)
			}
		})
	}
}
