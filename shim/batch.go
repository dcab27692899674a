package shim

import "github.com/hyperledger/fabric-protos-go-apiv2/peer"

// writeTarget identifies what a buffered write replaces: a later write of the
// same kind to the same key in the same collection supersedes an earlier
// one, since the peer keeps only the last write per key anyway.
type writeTarget struct {
	collection string
	key        string
	metadata   bool
}

// pendingWrites buffers a transaction's writes between StartWriteBatch and
// FinishWriteBatch. Records keep the order of their first write, so what is
// sent does not depend on map iteration.
type pendingWrites struct {
	index   map[writeTarget]int
	records []*peer.WriteRecord
}

func newPendingWrites() *pendingWrites {
	return &pendingWrites{index: make(map[writeTarget]int)}
}

func (b *pendingWrites) add(rec *peer.WriteRecord) {
	k := writeTarget{collection: rec.Collection, key: rec.Key, metadata: rec.Type == peer.WriteRecord_PUT_STATE_METADATA}
	if i, ok := b.index[k]; ok {
		b.records[i] = rec
		return
	}
	b.index[k] = len(b.records)
	b.records = append(b.records, rec)
}
