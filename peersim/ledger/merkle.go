package ledger

import (
	"bytes"
	"crypto/sha256"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/protobuf/proto"
)

// rangeMaxDegree is the maximum degree of the Merkle tree that summarises
// range query results, 50 as on a Fabric peer: up to this many results
// travel as raw reads, more are summarised.
const rangeMaxDegree = 50

// rangeRecord is what a range iterator observed, turned into a
// RangeQueryInfo when the results are built.
type rangeRecord struct {
	startKey  string
	endKey    string
	exhausted bool
	reads     []*kvrwset.KVRead
}

func (r *rangeRecord) info() *kvrwset.RangeQueryInfo {
	info := &kvrwset.RangeQueryInfo{StartKey: r.startKey, EndKey: r.endKey, ItrExhausted: r.exhausted}
	raw, sum := summarizeReads(r.reads, rangeMaxDegree)
	if sum != nil {
		info.ReadsInfo = &kvrwset.RangeQueryInfo_ReadsMerkleHashes{ReadsMerkleHashes: sum}
	} else {
		info.ReadsInfo = &kvrwset.RangeQueryInfo_RawReads{RawReads: &kvrwset.QueryReads{KvReads: raw}}
	}
	return info
}

// summarizeReads reproduces Fabric's range query results helper: at most
// maxDegree reads stay raw; otherwise reads are hashed in groups of
// maxDegree+1 (each group marshaled as QueryReads), and any level holding
// more than maxDegree hashes is hashed into one node of the level above.
func summarizeReads(reads []*kvrwset.KVRead, maxDegree uint32) ([]*kvrwset.KVRead, *kvrwset.QueryReadsMerkleSummary) {
	if uint32(len(reads)) <= maxDegree || maxDegree < 2 {
		return reads, nil
	}
	levels := map[uint32][][]byte{}
	maxLevel := uint32(1)
	addLeaf := func(h []byte) {
		levels[1] = append(levels[1], h)
		for lvl := uint32(1); uint32(len(levels[lvl])) > maxDegree; lvl++ {
			combined := combineHashes(levels[lvl])
			delete(levels, lvl)
			levels[lvl+1] = append(levels[lvl+1], combined)
			maxLevel = max(maxLevel, lvl+1)
		}
	}
	group := int(maxDegree) + 1
	for i := 0; i < len(reads); i += group {
		b, _ := proto.Marshal(&kvrwset.QueryReads{KvReads: reads[i:min(i+group, len(reads))]})
		sum := sha256.Sum256(b)
		addLeaf(sum[:])
	}
	// Close the tree: carry each lower level up to the top level.
	for lvl := uint32(1); lvl < maxLevel; lvl++ {
		hs := levels[lvl]
		if len(hs) == 0 {
			continue
		}
		h := hs[0]
		if len(hs) > 1 {
			h = combineHashes(hs)
		}
		delete(levels, lvl)
		levels[lvl+1] = append(levels[lvl+1], h)
	}
	if top := levels[maxLevel]; uint32(len(top)) > maxDegree {
		delete(levels, maxLevel)
		maxLevel++
		levels[maxLevel] = [][]byte{combineHashes(top)}
	}
	return nil, &kvrwset.QueryReadsMerkleSummary{MaxDegree: maxDegree, MaxLevel: maxLevel, MaxLevelHashes: levels[maxLevel]}
}

func combineHashes(hs [][]byte) []byte {
	sum := sha256.Sum256(bytes.Join(hs, nil))
	return sum[:]
}
