// Package bounded holds Map, a map of at most a fixed number of entries
// that forgets the oldest entry first: the shape of every cache the peer
// keeps of what it has already checked or built (validated identities,
// verified signatures, filtered blocks).
package bounded

import "sync"

// Map holds at most max entries; adding one more forgets the entry added
// longest ago. It is safe for concurrent use. A nil *Map (New with a max
// of 0 or less) holds nothing: Get misses and Add keeps nothing.
type Map[K comparable, V any] struct {
	mu      sync.Mutex
	max     int
	entries map[K]V
	order   []K // ring of keys, oldest at next
	next    int
}

// New returns a Map of at most max entries, or nil when max <= 0.
func New[K comparable, V any](max int) *Map[K, V] {
	if max <= 0 {
		return nil
	}
	return &Map[K, V]{max: max, entries: make(map[K]V, max)}
}

// Get returns the value of k, if the map holds it.
func (m *Map[K, V]) Get(k K) (V, bool) {
	if m == nil {
		var zero V
		return zero, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.entries[k]
	return v, ok
}

// Add sets the value of k, replacing one it has without changing its
// age, and returns it.
func (m *Map[K, V]) Add(k K, v V) V {
	return m.add(k, v, true)
}

// AddIfAbsent adds v under k unless the map holds k already, and returns
// the value the map then holds (v, or the one it had).
func (m *Map[K, V]) AddIfAbsent(k K, v V) V {
	return m.add(k, v, false)
}

func (m *Map[K, V]) add(k K, v V, replace bool) V {
	if m == nil {
		return v
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.entries[k]; ok {
		if !replace {
			return old
		}
		m.entries[k] = v
		return v
	}
	if len(m.order) < m.max {
		m.order = append(m.order, k)
	} else {
		delete(m.entries, m.order[m.next])
		m.order[m.next] = k
		m.next = (m.next + 1) % m.max
	}
	m.entries[k] = v
	return v
}

// Len returns how many entries the map holds.
func (m *Map[K, V]) Len() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
