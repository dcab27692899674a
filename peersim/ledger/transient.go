package ledger

import (
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
)

// transientStore keeps the clear private writes of endorsed transactions
// until the block holding them commits. It lives in memory: after a restart
// a transaction endorsed before it commits without its clear private data,
// as on a Fabric peer whose transient store lost it.
type transientStore struct {
	mu sync.Mutex
	m  map[string]*rwset.TxPvtReadWriteSet
}

func newTransientStore() *transientStore {
	return &transientStore{m: make(map[string]*rwset.TxPvtReadWriteSet)}
}

func (t *transientStore) put(txID string, pvt *rwset.TxPvtReadWriteSet) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[txID] = pvt
}

func (t *transientStore) get(txID string) *rwset.TxPvtReadWriteSet {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[txID]
}

func (t *transientStore) remove(txIDs []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range txIDs {
		delete(t.m, id)
	}
}
