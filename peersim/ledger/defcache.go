package ledger

import (
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/internal/bounded"
)

// definitionCacheSize bounds how many decoded chaincode definitions a
// ledger keeps: a channel has few chaincodes, and each upgrade leaves one
// stale entry until it is evicted.
const definitionCacheSize = 64

// definitionCache remembers decoded chaincode definitions by their stored
// bytes (the JSON value of the definition's state key), so that a proposal
// does not decode the same definition again. Keying by the bytes rather
// than by name makes invalidation unnecessary: an upgrade stores other
// bytes, which miss. The values it returns are shared: code of this
// package only reads them, and what leaves the package is a copy
// (ChaincodeDefinition.clone). It is bounded and forgets the oldest entry
// first.
type definitionCache struct {
	entries *bounded.Map[string, *ChaincodeDefinition]
}

func newDefinitionCache() *definitionCache {
	return &definitionCache{entries: bounded.New[string, *ChaincodeDefinition](definitionCacheSize)}
}

// decode returns the definition stored as b, decoding it only when the
// cache does not hold it. The result must not be modified. An error is not
// cached.
func (c *definitionCache) decode(b []byte) (*ChaincodeDefinition, error) {
	if d, ok := c.entries.Get(string(b)); ok {
		return d, nil
	}
	d, err := decodeDefinition(b)
	if err != nil {
		return nil, err
	}
	return c.entries.AddIfAbsent(string(b), d), nil
}

// clone returns a deep copy of d, which its receiver may modify freely.
func (d *ChaincodeDefinition) clone() *ChaincodeDefinition {
	if d == nil {
		return nil
	}
	c := *d
	if d.EndorsementPolicy != nil {
		c.EndorsementPolicy = proto.Clone(d.EndorsementPolicy).(*peer.ApplicationPolicy)
	}
	if d.Collections != nil {
		c.Collections = proto.Clone(d.Collections).(*peer.CollectionConfigPackage)
	}
	return &c
}
