package ledger

import (
	"bytes"
	"slices"
	"sort"
	"sync"
)

// memStore is the in-memory backend. Each bucket is a map plus a sorted key
// index rebuilt by merge after each batch; deleted keys stay in the index
// until the next compaction and are skipped by cursors.
type memStore struct {
	mu      sync.RWMutex
	buckets map[string]*memBucket
	closed  bool
}

type memBucket struct {
	m      map[string][]byte
	sorted []string
	stale  int // keys in sorted that are no longer in m
}

func newMemStore() *memStore {
	s := &memStore{buckets: make(map[string]*memBucket)}
	for _, b := range allBuckets {
		s.buckets[b] = &memBucket{m: make(map[string][]byte)}
	}
	return s
}

func (s *memStore) snapshot() (snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	return &memSnapshot{s: s}, nil
}

func (s *memStore) apply(b *batch) error {
	// Validate the hook first so a failing batch changes nothing, as the
	// bbolt backend's rollback guarantees.
	if b.hook != nil {
		for i := range b.ops {
			if err := b.hook(i); err != nil {
				return err
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	added := make(map[string][]string)
	for _, o := range b.ops {
		mb := s.buckets[o.bucket]
		k := string(o.key)
		_, exists := mb.m[k]
		if o.del {
			if exists {
				delete(mb.m, k)
				mb.stale++
			}
			continue
		}
		if !exists {
			added[o.bucket] = append(added[o.bucket], k)
		}
		mb.m[k] = bytes.Clone(o.value)
	}
	for name, keys := range added {
		s.buckets[name].merge(keys)
	}
	for _, mb := range s.buckets {
		if mb.stale > 0 && mb.stale*4 > len(mb.sorted) {
			mb.compact()
		}
	}
	return nil
}

// merge adds new keys to the sorted index. It never modifies the elements
// of the existing slice in place, so open cursors keep a stable view.
func (mb *memBucket) merge(keys []string) {
	slices.Sort(keys)
	keys = slices.Compact(keys)
	// A key deleted and re-added may still be in the index.
	fresh := keys[:0]
	for _, k := range keys {
		if i, found := slices.BinarySearch(mb.sorted, k); found {
			_ = i
			mb.stale--
			continue
		}
		fresh = append(fresh, k)
	}
	if len(fresh) == 0 {
		return
	}
	if len(mb.sorted) == 0 || mb.sorted[len(mb.sorted)-1] < fresh[0] {
		mb.sorted = append(mb.sorted[:len(mb.sorted):len(mb.sorted)], fresh...)
		return
	}
	out := make([]string, 0, len(mb.sorted)+len(fresh))
	i, j := 0, 0
	for i < len(mb.sorted) && j < len(fresh) {
		if mb.sorted[i] < fresh[j] {
			out = append(out, mb.sorted[i])
			i++
		} else {
			out = append(out, fresh[j])
			j++
		}
	}
	out = append(out, mb.sorted[i:]...)
	out = append(out, fresh[j:]...)
	mb.sorted = out
}

func (mb *memBucket) compact() {
	out := make([]string, 0, len(mb.m))
	for _, k := range mb.sorted {
		if _, ok := mb.m[k]; ok {
			out = append(out, k)
		}
	}
	mb.sorted = out
	mb.stale = 0
}

func (s *memStore) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// memSnapshot reads the live maps under the store's read lock, one call at
// a time. The ledger's commit lock keeps the view stable while a simulation
// runs; other readers (blocks, subscribers) only need per-call atomicity.
type memSnapshot struct {
	s *memStore
}

func (m *memSnapshot) get(bucket string, key []byte) ([]byte, error) {
	m.s.mu.RLock()
	defer m.s.mu.RUnlock()
	if m.s.closed {
		return nil, ErrClosed
	}
	return m.s.buckets[bucket].m[string(key)], nil
}

func (m *memSnapshot) scan(bucket string, start, end []byte) cursor {
	m.s.mu.RLock()
	defer m.s.mu.RUnlock()
	mb := m.s.buckets[bucket]
	keys := mb.sorted
	i := sort.SearchStrings(keys, string(start))
	keys = keys[i:]
	if end != nil {
		j := sort.SearchStrings(keys, string(end))
		keys = keys[:j]
	}
	return &memCursor{s: m.s, mb: mb, keys: keys}
}

func (m *memSnapshot) release() {}

type memCursor struct {
	s    *memStore
	mb   *memBucket
	keys []string
}

func (c *memCursor) next() ([]byte, []byte, bool, error) {
	c.s.mu.RLock()
	defer c.s.mu.RUnlock()
	if c.s.closed {
		return nil, nil, false, ErrClosed
	}
	for len(c.keys) > 0 {
		k := c.keys[0]
		c.keys = c.keys[1:]
		if v, ok := c.mb.m[k]; ok {
			return []byte(k), v, true, nil
		}
	}
	return nil, nil, false, nil
}

func (c *memCursor) close() { c.keys = nil }
