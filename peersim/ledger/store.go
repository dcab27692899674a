package ledger

// The storage layer: an ordered key-value store with named buckets, read
// through snapshots and written only in whole batches. Both backends (memory
// and bbolt) implement it; everything above it is shared.

// Bucket names.
const (
	bucketState  = "state"  // ns 0 key -> stateRecord
	bucketHashed = "hashed" // ns 0 coll 0 sha256(key) -> stateRecord of the value hash
	// Clear private data. Which organisation's is where is recorded in
	// meta (metaPvtSpaces, spaces.go): pvt and pvtkeys hold the keep-all
	// space of a ledger without Config.PeerMSPIDs, or one organisation's
	// (the first of PeerMSPIDs when the store was created, as on a
	// single-organisation ledger); orgpvt and orgpvtkeys the others', keyed
	// by MSP ID first.
	bucketPvt        = "pvt"        // ns 0 coll 0 key -> stateRecord of the clear value
	bucketPvtKeys    = "pvtkeys"    // ns 0 coll 0 sha256(key) -> key, for clear values this peer holds
	bucketOrgPvt     = "orgpvt"     // mspid 0 ns 0 coll 0 key -> stateRecord of the clear value
	bucketOrgPvtKeys = "orgpvtkeys" // mspid 0 ns 0 coll 0 sha256(key) -> key
	bucketExpiry     = "expiry"     // be64(expiry block) ns 0 coll 0 sha256(key) -> version, key
	bucketHistory    = "history"    // ns 0 key 0 be64(^block) be64(^tx) -> historyRecord
	bucketBlocks     = "blocks"     // be64(number) -> marshaled common.Block
	bucketResults    = "results"    // be64(number) -> encoded verdicts
	bucketTxIDs      = "txids"      // txid -> be64(block) be64(tx)
	bucketMeta       = "meta"       // fixed keys
	// The private data of each block's transactions, for delivery with
	// private data (Fabric's private data store), its blockToLive schedule
	// and the purges that hide keys from it.
	bucketBlockPvt       = "blockpvt"       // be64(block) be64(tx) ns 0 coll -> the collection's clear KVRWSet as endorsed
	bucketBlockPvtExpiry = "blockpvtexpiry" // be64(expiry block) be64(block) be64(tx) ns 0 coll -> empty
	bucketPurged         = "purged"         // ns 0 coll 0 sha256(key) -> be64(block) be64(tx) of the key's last purge
)

var allBuckets = []string{bucketState, bucketHashed, bucketPvt, bucketPvtKeys, bucketExpiry, bucketHistory,
	bucketBlocks, bucketResults, bucketTxIDs, bucketMeta, bucketBlockPvt, bucketBlockPvtExpiry, bucketPurged,
	bucketOrgPvt, bucketOrgPvtKeys}

// pvtSpace is where one organisation's peer keeps its clear private data:
// the buckets and the prefix of its keys there. Keys given to its methods
// are the organisation-independent ones (collKey).
type pvtSpace struct {
	// mspID is the organisation; "" for a ledger without PeerMSPIDs, whose
	// one space keeps every collection's data.
	mspID      string
	pvt, keys  string // buckets: clear values, and clear keys by key hash
	prefix     []byte // nil, or mspid 0
	richPrefix string // distinguishes the space's documents in the rich-query index
	// hidden marks the space of an organisation the store holds data of
	// but this run does not serve (not in Config.PeerMSPIDs): it is never
	// read by a simulation and receives no new data, but deletes, purges
	// and blockToLive reach it, and Export includes it.
	hidden bool
}

// key returns the store key of k in the space.
func (p pvtSpace) key(k []byte) []byte {
	if p.prefix == nil {
		return k
	}
	return append(append(make([]byte, 0, len(p.prefix)+len(k)), p.prefix...), k...)
}

// keeps reports whether the space keeps the clear data of collection c
// that a transaction writes now.
func (p pvtSpace) keeps(c *collectionInfo) bool {
	return !p.hidden && (p.mspID == "" || c.isMember(p.mspID))
}

// store is a storage backend.
type store interface {
	// snapshot returns a consistent read view. The caller must release it.
	snapshot() (snapshot, error)
	// apply writes b atomically: after a crash either all of it or none of
	// it is visible. It keeps no key or value of b once it returns: the
	// caller may reuse their storage (CommitBlock reuses its block's).
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
