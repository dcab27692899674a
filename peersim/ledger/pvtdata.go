package ledger

import (
	"errors"
	"fmt"
	"strings"
)

// collection returns a collection definition as committed, with Fabric's
// errors for a chaincode without collections and for a collection its
// definition does not name.
func (s *Simulator) collection(ns, coll string) (*collectionInfo, error) {
	if coll == "" || len(coll) > 1000 || strings.IndexByte(coll, 0) >= 0 {
		return nil, fmt.Errorf("private data in %s: collection name %q must be 1 to 1000 bytes without null bytes: %w", ns, coll, ErrInvalidArgument)
	}
	if isImplicit(coll) {
		return implicitCollection(coll), nil
	}
	def, ok := s.defs[ns]
	if !ok {
		d, err := s.l.readDefinition(s.snap, ns)
		if err != nil && !errors.Is(err, ErrChaincodeNotDefined) {
			return nil, err
		}
		def = d
		s.defs[ns] = d
	}
	if def == nil || len(def.Collections.GetConfig()) == 0 {
		return nil, fabricErr(ErrCollectionNotDefined, "collection config not defined for chaincode [%s], pass the collection configuration upon chaincode definition/instantiation", ns)
	}
	colls, err := parseCollections(def.Collections)
	if err != nil {
		return nil, fmt.Errorf("collections of %s: %w", ns, err)
	}
	c, ok := colls[coll]
	if !ok {
		return nil, fabricErr(ErrCollectionNotDefined, "collection [%s] not defined in the collection config for chaincode [%s]", coll, ns)
	}
	return c, nil
}

func (s *Simulator) checkPvtRead(ns, coll string) error {
	c, err := s.collection(ns, coll)
	if err != nil {
		return err
	}
	if c.memberOnlyRead && !c.isMember(s.creatorMSP) {
		return fabricErr(ErrAccessDenied, "tx creator does not have read access permission on privatedata in chaincodeName:%s collectionName: %s", ns, coll)
	}
	return nil
}

func (s *Simulator) checkPvtWrite(ns, coll string) error {
	c, err := s.collection(ns, coll)
	if err != nil {
		return err
	}
	if c.memberOnlyWrite && !c.isMember(s.creatorMSP) {
		return fabricErr(ErrAccessDenied, "tx creator does not have write access permission on privatedata in chaincodeName:%s collectionName: %s", ns, coll)
	}
	return nil
}

// readHashed returns the committed hashed-state record of a private key
// (nil when absent) and records a hashed read with its version; op names the
// call in errors.
func (s *Simulator) readHashed(op, ns, coll, key string) (*stateRecord, error) {
	h, err := s.readRecord(bucketHashed, collKey(ns, coll, hashBytes([]byte(key))))
	if err != nil {
		return nil, fmt.Errorf("%s %q in %s/%s: %w", op, key, ns, coll, err)
	}
	s.ns(ns).coll(coll).reads[key] = recVersion(h)
	return h, nil
}

// getPrivate reads a private key from the clear data of the simulator's
// peer organisation, recording a hashed read. strict applies Fabric's
// "matching public hash version" check of GetPrivateData: what a peer of
// an organisation that is not a member of the collection reports.
func (s *Simulator) getPrivate(ns, coll, key string, strict bool) ([]byte, error) {
	h, err := s.readHashed("get private data", ns, coll, key)
	if err != nil || h == nil {
		return nil, err
	}
	p, err := s.readRecord(s.space.pvt, s.space.key(collKey(ns, coll, []byte(key))))
	if err != nil {
		return nil, fmt.Errorf("get private data %q in %s/%s: %w", key, ns, coll, err)
	}
	if p == nil || p.Version != h.Version {
		if !strict {
			return nil, nil
		}
		pv := "<nil>"
		if p != nil {
			pv = p.Version.String()
		}
		return nil, fabricErr(ErrPrivateDataUnavailable, "private data matching public hash version is not available. Public hash version = %s, Private data version = %s", h.Version, pv)
	}
	return p.Value, nil
}

// GetPrivateData returns the committed clear value of key in a collection
// and records a hashed read. The creator needs read access (memberOnlyRead).
func (s *Simulator) GetPrivateData(ns, collection, key string) ([]byte, error) {
	if err := s.lockKeys("get private data", ns, key); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if err := s.checkPvtRead(ns, collection); err != nil {
		return nil, err
	}
	return s.getPrivate(ns, collection, key, true)
}

// GetPrivateDataMultipleKeys returns the clear values of keys in request
// order (nil when absent or not available on this peer).
func (s *Simulator) GetPrivateDataMultipleKeys(ns, collection string, keys []string) ([][]byte, error) {
	if err := s.lockKeys("get private data multiple keys", ns, keys...); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if err := s.checkPvtRead(ns, collection); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := s.getPrivate(ns, collection, k, false)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// GetPrivateDataHash returns the SHA-256 of the committed value of key
// (nil when absent). It needs no membership and works on any peer.
func (s *Simulator) GetPrivateDataHash(ns, collection, key string) ([]byte, error) {
	if err := s.lockKeys("get private data hash", ns, key); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if _, err := s.collection(ns, collection); err != nil {
		return nil, err
	}
	h, err := s.readHashed("get private data hash", ns, collection, key)
	if err != nil || h == nil {
		return nil, err
	}
	return h.Value, nil
}

// pvtWrite checks a private write of key for op (the key, the creator's
// write access and Fabric's write preconditions) and then lets record put
// it into the collection's read-write set.
func (s *Simulator) pvtWrite(op, ns, collection, key string, record func(*collBuilder)) error {
	if err := s.lockKeys(op, ns, key); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if err := s.checkPvtWrite(ns, collection); err != nil {
		return err
	}
	if err := s.checkBeforeWrite(); err != nil {
		return err
	}
	record(s.ns(ns).coll(collection))
	return nil
}

// SetPrivateData records a private write (hashed in the public read-write
// set, clear in the private one); an empty value is a delete.
func (s *Simulator) SetPrivateData(ns, collection, key string, value []byte) error {
	w := write{value: clone(value), isDelete: len(value) == 0}
	return s.pvtWrite("set private data", ns, collection, key, func(c *collBuilder) { c.writes.set(key, w) })
}

// DeletePrivateData records a private delete.
func (s *Simulator) DeletePrivateData(ns, collection, key string) error {
	return s.pvtWrite("delete private data", ns, collection, key, func(c *collBuilder) { c.writes.set(key, write{isDelete: true}) })
}

// PurgePrivateData records a purge: at commit the key's clear and hashed
// values are removed.
func (s *Simulator) PurgePrivateData(ns, collection, key string) error {
	return s.pvtWrite("purge private data", ns, collection, key, func(c *collBuilder) { c.writes.set(key, write{isDelete: true, isPurge: true}) })
}

// GetPrivateDataMetadata returns the committed metadata of a private key and
// records a hashed read.
func (s *Simulator) GetPrivateDataMetadata(ns, collection, key string) (map[string][]byte, error) {
	if err := s.lockKeys("get private data metadata", ns, key); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if err := s.checkPvtRead(ns, collection); err != nil {
		return nil, err
	}
	h, err := s.readHashed("get private data metadata", ns, collection, key)
	if err != nil || h == nil {
		return nil, err
	}
	return h.Metadata, nil
}

// SetPrivateDataMetadata records a metadata write for a private key.
func (s *Simulator) SetPrivateDataMetadata(ns, collection, key string, metadata map[string][]byte) error {
	meta := cloneMeta(metadata)
	return s.pvtWrite("set private data metadata", ns, collection, key, func(c *collBuilder) { c.metaWrites[key] = meta })
}
