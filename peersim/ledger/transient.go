package ledger

import (
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
)

// transientRetention is how many blocks the clear private writes of an
// endorsed transaction wait for it to commit before they are dropped, as
// Fabric's peer.gossip.pvtData.transientstoreMaxBlockRetention (default
// 1000). It bounds what evaluated-but-never-submitted proposals leave behind.
const transientRetention = 1000

// transientStore keeps the clear private writes of endorsed transactions
// until the block holding them commits. It lives in memory: after a restart
// a transaction endorsed before it commits without its clear private data,
// as on a Fabric peer whose transient store lost it.
type transientStore struct {
	mu sync.Mutex
	m  map[string]transientEntry
}

type transientEntry struct {
	pvt    *rwset.TxPvtReadWriteSet
	height uint64 // ledger height when stored
}

func newTransientStore() *transientStore {
	return &transientStore{m: make(map[string]transientEntry)}
}

func (t *transientStore) put(txID string, pvt *rwset.TxPvtReadWriteSet, height uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[txID] = transientEntry{pvt: pvt, height: height}
}

func (t *transientStore) get(txID string) *rwset.TxPvtReadWriteSet {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[txID].pvt
}

// remove drops the entries of committed transactions and those stored more
// than transientRetention blocks before height.
func (t *transientStore) remove(txIDs []string, height uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range txIDs {
		delete(t.m, id)
	}
	if height <= transientRetention {
		return
	}
	for id, e := range t.m {
		if e.height < height-transientRetention {
			delete(t.m, id)
		}
	}
}
