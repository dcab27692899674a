package shim

import "github.com/hyperledger/fabric-protos-go-apiv2/peer"

// batchKey identifies what a buffered write replaces: a later write of the
// same kind to the same key in the same collection supersedes an earlier
// one, since the peer keeps only the last write per key anyway.
type batchKey struct {
	collection string
	key        string
	metadata   bool
}

// writeBatch buffers a transaction's writes between StartWriteBatch and
// FinishWriteBatch. Records keep the order of their first write, so what is
// sent does not depend on map iteration.
type writeBatch struct {
	index   map[batchKey]int
	records []*peer.WriteRecord
}

func newWriteBatch() *writeBatch {
	return &writeBatch{index: make(map[batchKey]int)}
}

func (b *writeBatch) add(rec *peer.WriteRecord) {
	k := batchKey{collection: rec.Collection, key: rec.Key, metadata: rec.Type == peer.WriteRecord_PUT_STATE_METADATA}
	if i, ok := b.index[k]; ok {
		b.records[i] = rec
		return
	}
	b.index[k] = len(b.records)
	b.records = append(b.records, rec)
}
