package identity

import (
	"sync"
	"time"
)

// DefaultIdentityCacheSize is how many validated identities an MSP
// remembers unless WithIdentityCache says otherwise.
const DefaultIdentityCacheSize = 1024

// identityCache remembers the identities that validated, keyed by their
// serialized bytes, with the window in which every certificate of their
// chain is valid: a lookup outside it misses, so an expired (or not yet
// valid) identity is validated again and refused. It is bounded and
// forgets the oldest entry first. Identities are never changed once
// validated, so a cached one is shared.
type identityCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cachedIdentity
	order   []string // ring of keys, oldest at next
	next    int
}

type cachedIdentity struct {
	id          *Identity
	from, until time.Time
}

func newIdentityCache(max int) *identityCache {
	if max <= 0 {
		return nil
	}
	return &identityCache{max: max, entries: make(map[string]cachedIdentity, max)}
}

// get returns the identity serialized as key if it validated before and
// its chain is valid at now.
func (c *identityCache) get(key []byte, now time.Time) *Identity {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	e, ok := c.entries[string(key)]
	c.mu.Unlock()
	if !ok || now.Before(e.from) || now.After(e.until) {
		return nil
	}
	return e.id
}

// put remembers a validated identity.
func (c *identityCache) put(id *Identity) {
	if c == nil {
		return
	}
	e := cachedIdentity{id: id, from: id.cert.NotBefore, until: id.cert.NotAfter}
	for _, cert := range id.chain {
		if cert.NotBefore.After(e.from) {
			e.from = cert.NotBefore
		}
		if cert.NotAfter.Before(e.until) {
			e.until = cert.NotAfter
		}
	}
	key := string(id.serialized)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		c.entries[key] = e
		return
	}
	if len(c.order) < c.max {
		c.order = append(c.order, key)
	} else {
		delete(c.entries, c.order[c.next])
		c.order[c.next] = key
		c.next = (c.next + 1) % c.max
	}
	c.entries[key] = e
}

func (c *identityCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
