package identity

import (
	"time"

	"github.com/chaincodekit/chaincodekit/internal/bounded"
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
type identityCache = bounded.Map[string, cachedIdentity]

type cachedIdentity struct {
	id          *Identity
	from, until time.Time
}

func newIdentityCache(max int) *identityCache {
	return bounded.New[string, cachedIdentity](max)
}

// cachedAt returns the identity serialized as key if it validated before
// and its chain is valid at now.
func cachedAt(c *identityCache, key []byte, now time.Time) *Identity {
	e, ok := c.Get(string(key))
	if !ok || now.Before(e.from) || now.After(e.until) {
		return nil
	}
	return e.id
}

// remember puts a validated identity in c, with its chain's validity.
func remember(c *identityCache, id *Identity) {
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
	c.Add(string(id.serialized), e)
}
