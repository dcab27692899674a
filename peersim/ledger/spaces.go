package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Who owns which clear private data space is recorded in the store, never
// inferred from the order of Config.PeerMSPIDs: a data directory reopened
// with its organisations in another order, some of them left out, or more
// of them, gives each organisation its own data.

// metaPvtSpaces is the meta key of the store's spaceRecord.
const metaPvtSpaces = "pvtspaces"

// spaceRecord is what a store records of its clear private data spaces.
type spaceRecord struct {
	// KeepAll marks the store of a ledger without PeerMSPIDs: pvt and
	// pvtkeys are its one space, which keeps every collection's data.
	KeepAll bool `json:"keepAll,omitempty"`
	// Pvt is the organisation whose clear data is in pvt and pvtkeys; ""
	// when no organisation's is (or with KeepAll).
	Pvt string `json:"pvt,omitempty"`
	// Orgs are the organisations with a space in orgpvt and orgpvtkeys,
	// under their MSP ID, sorted.
	Orgs []string `json:"orgs,omitempty"`
}

func (r spaceRecord) encode() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("encode private data space record: %v", err)) // strings and a bool always marshal
	}
	return b
}

func decodeSpaceRecord(b []byte) (spaceRecord, error) {
	var r spaceRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("private data space record %q: %v: %w", b, err, ErrCorrupt)
	}
	switch {
	case r.KeepAll && (r.Pvt != "" || len(r.Orgs) > 0):
		return r, fmt.Errorf("private data space record %q: keep-all with organisations: %w", b, ErrCorrupt)
	case strings.IndexByte(r.Pvt, 0) >= 0 || slices.Contains(r.Orgs, r.Pvt):
		return r, fmt.Errorf("private data space record %q: owner of pvt %q: %w", b, r.Pvt, ErrCorrupt)
	case !slices.IsSorted(r.Orgs) || len(slices.Compact(slices.Clone(r.Orgs))) != len(r.Orgs) ||
		slices.ContainsFunc(r.Orgs, func(id string) bool { return id == "" || strings.IndexByte(id, 0) >= 0 }):
		return r, fmt.Errorf("private data space record %q: organisations %q: %w", b, r.Orgs, ErrCorrupt)
	}
	return r, nil
}

func (r spaceRecord) equal(o spaceRecord) bool {
	return r.KeepAll == o.KeepAll && r.Pvt == o.Pvt && slices.Equal(r.Orgs, o.Orgs)
}

// all returns every organisation with a space: Pvt first, then Orgs (an
// order the store can be opened with as Config.PeerMSPIDs).
func (r spaceRecord) all() []string {
	if r.Pvt == "" {
		return slices.Clone(r.Orgs)
	}
	return append([]string{r.Pvt}, r.Orgs...)
}

// has reports whether organisation id has a space.
func (r spaceRecord) has(id string) bool {
	return id != "" && (id == r.Pvt || slices.Contains(r.Orgs, id))
}

// withOrgs returns r with a space in orgpvt for each of ids it has none for.
func (r spaceRecord) withOrgs(ids ...string) spaceRecord {
	out := spaceRecord{KeepAll: r.KeepAll, Pvt: r.Pvt, Orgs: slices.Clone(r.Orgs)}
	for _, id := range ids {
		if !out.has(id) {
			out.Orgs = append(out.Orgs, id)
		}
	}
	slices.Sort(out.Orgs)
	return out
}

// freshRecord is the record of a new store opened with mspIDs: the first
// organisation's data in pvt, as on a single-organisation ledger.
func freshRecord(mspIDs []string) spaceRecord {
	if len(mspIDs) == 0 {
		return spaceRecord{KeepAll: true}
	}
	return spaceRecord{Pvt: mspIDs[0]}.withOrgs(mspIDs[1:]...)
}

// recordOf returns the record of a ledger's spaces.
func recordOf(spaces []pvtSpace) spaceRecord {
	if len(spaces) == 1 && spaces[0].mspID == "" {
		return spaceRecord{KeepAll: true}
	}
	var r spaceRecord
	for _, sp := range spaces {
		if sp.pvt == bucketPvt {
			r.Pvt = sp.mspID
		} else {
			r.Orgs = append(r.Orgs, sp.mspID)
		}
	}
	slices.Sort(r.Orgs)
	return r
}

// spacesOf returns the spaces of a ledger configured with mspIDs, each
// of which r has a space for: theirs, in that order, then those of the
// organisations r records that are not configured, hidden, in r.all's
// order.
func spacesOf(r spaceRecord, mspIDs []string) []pvtSpace {
	if r.KeepAll {
		return []pvtSpace{{pvt: bucketPvt, keys: bucketPvtKeys}}
	}
	out := make([]pvtSpace, 0, len(r.Orgs)+1)
	space := func(id string, hidden bool) pvtSpace {
		if id == r.Pvt {
			return pvtSpace{mspID: id, pvt: bucketPvt, keys: bucketPvtKeys, hidden: hidden}
		}
		return orgSpace(id, hidden)
	}
	for _, id := range mspIDs {
		out = append(out, space(id, false))
	}
	for _, id := range r.all() {
		if !slices.Contains(mspIDs, id) {
			out = append(out, space(id, true))
		}
	}
	return out
}

// orgSpace is the space of organisation id in the orgpvt buckets.
func orgSpace(id string, hidden bool) pvtSpace {
	return pvtSpace{mspID: id, pvt: bucketOrgPvt, keys: bucketOrgPvtKeys,
		prefix: append([]byte(id), 0), richPrefix: "\x00" + id + "\x00", hidden: hidden}
}

// openSpaces sets l.spaces from the store's record, writing the record
// first when it is missing or the configuration adds organisations, and
// moving the data of a keep-all store opened with PeerMSPIDs into the
// organisations' spaces: all in one batch, so that a failure leaves the
// store as it was.
func (l *Ledger) openSpaces() error {
	snap, err := l.st.snapshot()
	if err != nil {
		return err
	}
	p, err := l.planSpaces(snap)
	// bbolt cannot grow its file while a read view is open.
	snap.release()
	if err != nil {
		return fmt.Errorf("clear private data: %w", err)
	}
	if p.b != nil {
		p.b.put(bucketMeta, []byte(metaPvtSpaces), p.rec.encode())
		p.b.hook = l.faultHook
		if err := l.st.apply(p.b); err != nil {
			return fmt.Errorf("clear private data: record spaces %s: %w", p.rec.encode(), err)
		}
		if p.inferred != nil {
			l.log.Info("clear private data spaces recorded for a store that did not record them",
				"found", p.inferred.encode(), "recorded", p.rec.encode())
		}
		if m := p.moved; m != nil {
			l.log.Info("clear private data of the keep-all space moved to the organisations' spaces",
				"organisations", l.cfg.PeerMSPIDs, "entries", m.entries, "moved", m.moved, "dropped", m.dropped)
		}
	}
	l.spaces = spacesOf(p.rec, l.cfg.PeerMSPIDs)
	return nil
}

// spacePlan is what opening does to the store's spaces.
type spacePlan struct {
	rec spaceRecord // the record the store is to have
	b   *batch      // to write with it; nil: nothing to write
	// inferred is the record inferred for a store without one; nil: the
	// store had one, or is empty.
	inferred *spaceRecord
	moved    *migration // nil: no migration
}

// migration counts what moving a keep-all space did: entries read, copies
// written to other organisations' spaces, entries no configured
// organisation keeps.
type migration struct{ entries, moved, dropped int }

// planSpaces returns what opening does to the store's spaces.
func (l *Ledger) planSpaces(snap snapshot) (spacePlan, error) {
	ids := l.cfg.PeerMSPIDs
	raw, err := snap.get(bucketMeta, []byte(metaPvtSpaces))
	if err != nil {
		return spacePlan{}, err
	}
	empty, err := storeEmpty(snap)
	if err != nil {
		return spacePlan{}, err
	}
	if empty {
		// Nothing to misattribute: the store takes this configuration.
		fresh := freshRecord(ids)
		if raw != nil {
			if rec, err := decodeSpaceRecord(raw); err == nil && rec.equal(fresh) {
				return spacePlan{rec: fresh}, nil
			}
		}
		return spacePlan{rec: fresh, b: &batch{}}, nil
	}
	var rec spaceRecord
	var p spacePlan
	if raw != nil {
		if rec, err = decodeSpaceRecord(raw); err != nil {
			return spacePlan{}, err
		}
	} else {
		if rec, err = inferRecord(snap, ids); err != nil {
			return spacePlan{}, err
		}
		found := rec
		p.inferred, p.b = &found, &batch{}
	}
	switch {
	case len(ids) == 0 && rec.KeepAll:
	case len(ids) == 0:
		return spacePlan{}, fmt.Errorf("the store keeps each organisation's clear private data apart, and a ledger without PeerMSPIDs would serve all of it as one peer's: open it with the organisations it was written with, PeerMSPIDs %q: %w",
			rec.all(), ErrInvalidArgument)
	case rec.KeepAll:
		p.b = &batch{}
		if p.moved, err = l.migrateKeepAll(snap, p.b); err != nil {
			return spacePlan{}, fmt.Errorf("move the keep-all space to organisations %q: %w", ids, err)
		}
		rec = freshRecord(ids)
	default:
		if next := rec.withOrgs(ids...); !next.equal(rec) {
			rec = next
			if p.b == nil {
				p.b = &batch{}
			}
		}
	}
	p.rec = rec
	return p, nil
}

// storeEmpty reports whether the store holds no block, state, private
// data or transaction.
func storeEmpty(snap snapshot) (bool, error) {
	h, err := snap.get(bucketMeta, []byte(metaHeight))
	if err != nil {
		return false, err
	}
	if len(h) == 8 && beUint64(h) > 0 {
		return false, nil
	}
	for _, bucket := range []string{bucketState, bucketHashed, bucketPvt, bucketPvtKeys, bucketOrgPvt, bucketOrgPvtKeys, bucketTxIDs} {
		some, err := bucketHasKeys(snap, bucket, nil, nil)
		if err != nil || some {
			return false, err
		}
	}
	return true, nil
}

func bucketHasKeys(snap snapshot, bucket string, start, end []byte) (bool, error) {
	cur := snap.scan(bucket, start, end)
	defer cur.close()
	_, _, ok, err := cur.next()
	return ok, err
}

// inferRecord returns the record of a store written before stores
// recorded their spaces. Without organisations in orgpvt, pvt is taken for
// a keep-all space (all stores were, before ledgers served several
// organisations; a single organisation's, moved by membership, stays its
// own). With some, a ledger with PeerMSPIDs wrote it, its first
// organisation's data in pvt: that organisation has none in orgpvt, so it
// is the first of ids that has none there; opened without any that could
// be, a store whose pvt holds data is refused.
func inferRecord(snap snapshot, ids []string) (spaceRecord, error) {
	orgs := map[string]bool{}
	for _, bucket := range []string{bucketOrgPvt, bucketOrgPvtKeys} {
		var start []byte
		for {
			cur := snap.scan(bucket, start, nil)
			k, _, ok, err := cur.next()
			cur.close()
			if err != nil {
				return spaceRecord{}, err
			}
			if !ok {
				break
			}
			i := bytes.IndexByte(k, 0)
			if i <= 0 {
				return spaceRecord{}, fmt.Errorf("%s key %q: no organisation prefix: %w", bucket, k, ErrCorrupt)
			}
			orgs[string(k[:i])] = true
			start = prefixEnd(bytes.Clone(k[:i+1]))
		}
	}
	if len(orgs) == 0 {
		return spaceRecord{KeepAll: true}, nil
	}
	rec := spaceRecord{Orgs: slices.Sorted(maps.Keys(orgs))}
	for _, id := range ids {
		if !orgs[id] {
			rec.Pvt = id
			break
		}
	}
	if rec.Pvt != "" {
		return rec, nil
	}
	some, err := bucketHasKeys(snap, bucketPvt, nil, nil)
	if err != nil {
		return spaceRecord{}, err
	}
	if some {
		return spaceRecord{}, fmt.Errorf("the store, written before stores recorded whose clear private data is where, keeps organisations %q apart and the data of one more, the first of the PeerMSPIDs it was written with; open it with the organisations it was written with, that one first: %w",
			rec.Orgs, ErrInvalidArgument)
	}
	return rec, nil
}

// migrateKeepAll adds to b the move of the keep-all space's clear data to
// the spaces of the configured organisations, as their peers would hold
// it: each entry to every organisation that is a member of its collection
// (under the committed definitions; an implicit collection's member is its
// organisation), the first organisation's staying where it is (it owns
// pvt from now on), an entry no configured organisation is a member of
// dropped. The hashed data is not touched.
func (l *Ledger) migrateKeepAll(snap snapshot, b *batch) (*migration, error) {
	ids := l.cfg.PeerMSPIDs
	owner := ids[0]
	m := newMembership(func(ns string) (*ChaincodeDefinition, error) { return l.readDefinition(snap, ns) })
	stats := &migration{}
	err := scanAll(snap, bucketPvt, func(k, v []byte) error {
		ns, coll, key, err := splitCollKey(k, false)
		if err != nil {
			return err
		}
		stats.entries++
		hk := collKey(ns, coll, hashBytes(key))
		kept := false
		for _, id := range ids {
			member, err := m.isMember(ns, coll, id)
			if err != nil {
				return err
			}
			switch {
			case !member:
			case id == owner:
				kept = true
			default:
				kept = true
				sp := orgSpace(id, false)
				b.put(sp.pvt, sp.key(k), bytes.Clone(v))
				b.put(sp.keys, sp.key(hk), bytes.Clone(key))
				stats.moved++
			}
		}
		if !kept {
			stats.dropped++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// What the owner is not a member of leaves pvt, and its key index.
	for _, bucket := range []string{bucketPvt, bucketPvtKeys} {
		err := scanAll(snap, bucket, func(k, _ []byte) error {
			ns, coll, _, err := splitCollKey(k, bucket == bucketPvtKeys)
			if err != nil {
				return err
			}
			member, err := m.isMember(ns, coll, owner)
			if err == nil && !member {
				b.delete(bucket, bytes.Clone(k))
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return stats, nil
}

// membership tells which organisations are members of collections, from
// the chaincode definitions def returns (ErrChaincodeNotDefined: none).
type membership struct {
	def   func(ns string) (*ChaincodeDefinition, error)
	colls map[string]map[string]*collectionInfo // by namespace
}

func newMembership(def func(ns string) (*ChaincodeDefinition, error)) *membership {
	return &membership{def: def, colls: map[string]map[string]*collectionInfo{}}
}

// isMember reports whether organisation mspID is a member of collection
// coll of chaincode ns: of an implicit collection, its organisation alone;
// of a collection no definition names, none.
func (m *membership) isMember(ns, coll, mspID string) (bool, error) {
	if isImplicit(coll) {
		return implicitCollection(coll).isMember(mspID), nil
	}
	colls, ok := m.colls[ns]
	if !ok {
		def, err := m.def(ns)
		switch {
		case errors.Is(err, ErrChaincodeNotDefined):
		case err != nil:
			return false, err
		default:
			if colls, err = parseCollections(def.Collections); err != nil {
				return false, fmt.Errorf("collections of %s: %w", ns, err)
			}
		}
		m.colls[ns] = colls
	}
	c := colls[coll]
	return c != nil && c.isMember(mspID), nil
}

// exportDefinitions returns the chaincode definitions of an export's state,
// looked up as Ledger.readDefinition looks them up.
func (l *Ledger) exportDefinitions(e *Export) func(ns string) (*ChaincodeDefinition, error) {
	byKey := map[string][]byte{}
	for _, s := range e.State {
		if s.Namespace == LSCCNamespace || s.Namespace == LifecycleNamespace {
			byKey[string(stateKey(s.Namespace, s.Key))] = s.Value
		}
	}
	return func(ns string) (*ChaincodeDefinition, error) {
		raw, ok := byKey[string(stateKey(LifecycleNamespace, LifecycleDefinitionKey(ns)))]
		if !ok {
			raw, ok = byKey[string(stateKey(LSCCNamespace, ns))]
		}
		if !ok {
			return nil, fmt.Errorf("chaincode %s: %w", ns, ErrChaincodeNotDefined)
		}
		return l.defs.decode(raw)
	}
}
