package ledger

// The storage layer: an ordered key-value store with named buckets, read
// through snapshots and written only in whole batches. Both backends (memory
// and bbolt) implement it; everything above it is shared.

// Bucket names.
const (
	bucketState   = "state"   // ns 0 key -> stateRecord
	bucketHashed  = "hashed"  // ns 0 coll 0 sha256(key) -> stateRecord of the value hash
	bucketPvt     = "pvt"     // ns 0 coll 0 key -> stateRecord of the clear value
	bucketPvtKeys = "pvtkeys" // ns 0 coll 0 sha256(key) -> key, for clear values this peer holds
	bucketExpiry  = "expiry"  // be64(expiry block) ns 0 coll 0 sha256(key) -> version, key
	bucketHistory = "history" // ns 0 key 0 be64(^block) be64(^tx) -> historyRecord
	bucketBlocks  = "blocks"  // be64(number) -> marshaled common.Block
	bucketResults = "results" // be64(number) -> encoded verdicts
	bucketTxIDs   = "txids"   // txid -> be64(block) be64(tx)
	bucketMeta    = "meta"    // fixed keys
	// The private data of each block's transactions, for delivery with
	// private data (Fabric's private data store), its blockToLive schedule
	// and the purges that hide keys from it.
	bucketBlockPvt       = "blockpvt"       // be64(block) be64(tx) ns 0 coll -> the collection's clear KVRWSet as endorsed
	bucketBlockPvtExpiry = "blockpvtexpiry" // be64(expiry block) be64(block) be64(tx) ns 0 coll -> empty
	bucketPurged         = "purged"         // ns 0 coll 0 sha256(key) -> be64(block) be64(tx) of the key's last purge
)

var allBuckets = []string{bucketState, bucketHashed, bucketPvt, bucketPvtKeys, bucketExpiry, bucketHistory,
	bucketBlocks, bucketResults, bucketTxIDs, bucketMeta, bucketBlockPvt, bucketBlockPvtExpiry, bucketPurged}

// store is a storage backend.
type store interface {
	// snapshot returns a consistent read view. The caller must release it.
	snapshot() (snapshot, error)
	// apply writes b atomically: after a crash either all of it or none of
	// it is visible.
	apply(b *batch) error
	close() error
}

// snapshot is a read view of a store.
type snapshot interface {
	// get returns the value of key in bucket, nil if absent. The returned
	// slice must not be modified and is valid until release.
	get(bucket string, key []byte) ([]byte, error)
	// scan returns a cursor over [start, end) of bucket in byte order; a nil
	// end means no upper bound.
	scan(bucket string, start, end []byte) cursor
	release()
}

// cursor walks keys in order.
type cursor interface {
	// next returns the next pair; ok is false when exhausted.
	next() (key, value []byte, ok bool, err error)
	close()
}

// op is one write of a batch; a nil value deletes.
type op struct {
	bucket string
	key    []byte
	value  []byte
	del    bool
}

// batch is an ordered list of writes applied atomically. hook, when set, is
// called before each op (tests use it to kill a commit midway).
type batch struct {
	ops  []op
	hook func(i int) error
}

func (b *batch) put(bucket string, key, value []byte) {
	if value == nil {
		value = []byte{}
	}
	b.ops = append(b.ops, op{bucket: bucket, key: key, value: value})
}

func (b *batch) delete(bucket string, key []byte) {
	b.ops = append(b.ops, op{bucket: bucket, key: key, del: true})
}
