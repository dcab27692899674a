package ledger

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/protobuf/proto"
)

// SimulationResults is what a simulation produced, in Fabric's protos.
type SimulationResults struct {
	TxID string
	// Public is the read-write set that goes into the proposal response:
	// public reads, range query infos and writes per namespace, and the
	// hashed read-write set of each collection touched.
	Public *rwset.TxReadWriteSet
	// Private holds the clear private writes (nil when there are none). The
	// peer keeps them in the transient store with PutTransient; they never
	// go into a block.
	Private *rwset.TxPvtReadWriteSet
}

// PublicBytes returns Public marshaled deterministically, ready for
// ChaincodeAction.results.
func (r *SimulationResults) PublicBytes() ([]byte, error) {
	b, err := deterministic.Marshal(r.Public)
	if err != nil {
		return nil, fmt.Errorf("marshal read-write set of %s: %w", r.TxID, err)
	}
	return b, nil
}

var deterministic = proto.MarshalOptions{Deterministic: true}

type write struct {
	value    []byte
	isDelete bool
	isPurge  bool
}

// writeSet holds the last write to each key of a namespace or collection.
// A large transaction often writes distinct keys in ascending order; while
// it does, recording a write is an append, with no map, and the entries
// are already the sorted write set. The first write out of that order
// indexes the entries by key, and building the results sorts them once.
type writeSet struct {
	entries []keyedWrite   // one per key; strictly ascending by key while pos is nil
	pos     map[string]int // index of each key in entries; nil while they are ascending
}

type keyedWrite struct {
	key string
	w   write
}

// set records w as the write to key, replacing an earlier one.
func (ws *writeSet) set(key string, w write) {
	if ws.pos == nil {
		if n := len(ws.entries); n == 0 || ws.entries[n-1].key < key {
			ws.entries = append(ws.entries, keyedWrite{key: key, w: w})
			return
		}
		ws.pos = make(map[string]int, 2*len(ws.entries))
		for i, e := range ws.entries {
			ws.pos[e.key] = i
		}
	}
	if i, ok := ws.pos[key]; ok {
		ws.entries[i].w = w
		return
	}
	ws.pos[key] = len(ws.entries)
	ws.entries = append(ws.entries, keyedWrite{key: key, w: w})
}

// sorted returns the writes sorted by key. The slice is the set's own and
// stays valid until the next set.
func (ws *writeSet) sorted() []keyedWrite {
	if ws.pos != nil {
		slices.SortFunc(ws.entries, func(a, b keyedWrite) int { return strings.Compare(a.key, b.key) })
		ws.pos = nil // ascending again, and the positions changed
	}
	return ws.entries
}

// nsBuilder collects what one namespace's simulation read and wrote.
type nsBuilder struct {
	reads      map[string]*Version // nil value: read as absent
	writes     writeSet
	metaWrites map[string]map[string][]byte
	ranges     []*rangeRecord
	colls      map[string]*collBuilder
}

type collBuilder struct {
	reads      map[string]*Version // by clear key
	writes     writeSet
	metaWrites map[string]map[string][]byte
}

func newNSBuilder() *nsBuilder {
	return &nsBuilder{
		reads:      make(map[string]*Version),
		metaWrites: make(map[string]map[string][]byte),
		colls:      make(map[string]*collBuilder),
	}
}

func (b *nsBuilder) coll(name string) *collBuilder {
	c := b.colls[name]
	if c == nil {
		c = &collBuilder{
			reads:      make(map[string]*Version),
			metaWrites: make(map[string]map[string][]byte),
		}
		b.colls[name] = c
	}
	return c
}

func protoVersion(v *Version) *kvrwset.Version {
	if v == nil {
		return nil
	}
	return v.proto()
}

func metaEntries(m map[string][]byte) []*kvrwset.KVMetadataEntry {
	out := make([]*kvrwset.KVMetadataEntry, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		out = append(out, &kvrwset.KVMetadataEntry{Name: name, Value: m[name]})
	}
	return out
}

// kvWrites converts sorted writes to their protos, allocated together.
func kvWrites(ws []keyedWrite) []*kvrwset.KVWrite {
	if len(ws) == 0 {
		return nil
	}
	protos := make([]kvrwset.KVWrite, len(ws))
	out := make([]*kvrwset.KVWrite, len(ws))
	for i, e := range ws {
		p := &protos[i]
		p.Key, p.IsDelete, p.Value = e.key, e.w.isDelete, e.w.value
		out[i] = p
	}
	return out
}

// buildResults turns the builders into Fabric's protos, namespaces,
// collections and keys sorted as Fabric emits them.
func buildResults(txID string, nss map[string]*nsBuilder) (*SimulationResults, error) {
	res := &SimulationResults{TxID: txID, Public: &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV}}
	pvt := &rwset.TxPvtReadWriteSet{DataModel: rwset.TxReadWriteSet_KV}
	for _, ns := range slices.Sorted(maps.Keys(nss)) {
		b := nss[ns]
		kv := &kvrwset.KVRWSet{}
		for _, r := range b.ranges {
			kv.RangeQueriesInfo = append(kv.RangeQueriesInfo, r.info())
		}
		for _, k := range slices.Sorted(maps.Keys(b.reads)) {
			kv.Reads = append(kv.Reads, &kvrwset.KVRead{Key: k, Version: protoVersion(b.reads[k])})
		}
		kv.Writes = kvWrites(b.writes.sorted())
		for _, k := range slices.Sorted(maps.Keys(b.metaWrites)) {
			kv.MetadataWrites = append(kv.MetadataWrites, &kvrwset.KVMetadataWrite{Key: k, Entries: metaEntries(b.metaWrites[k])})
		}
		kvBytes, err := deterministic.Marshal(kv)
		if err != nil {
			return nil, fmt.Errorf("marshal read-write set of %s in %s: %w", ns, txID, err)
		}
		nsRW := &rwset.NsReadWriteSet{Namespace: ns, Rwset: kvBytes}
		var nsPvt *rwset.NsPvtReadWriteSet
		for _, cn := range slices.Sorted(maps.Keys(b.colls)) {
			c := b.colls[cn]
			hashed := &kvrwset.HashedRWSet{}
			clear := &kvrwset.KVRWSet{}
			for _, k := range slices.Sorted(maps.Keys(c.reads)) {
				hashed.HashedReads = append(hashed.HashedReads, &kvrwset.KVReadHash{KeyHash: hashBytes([]byte(k)), Version: protoVersion(c.reads[k])})
			}
			writes := c.writes.sorted()
			for _, e := range writes {
				hw := &kvrwset.KVWriteHash{KeyHash: hashBytes([]byte(e.key)), IsDelete: e.w.isDelete, IsPurge: e.w.isPurge}
				if !e.w.isDelete {
					hw.ValueHash = hashBytes(e.w.value)
				}
				hashed.HashedWrites = append(hashed.HashedWrites, hw)
			}
			clear.Writes = kvWrites(writes)
			for _, k := range slices.Sorted(maps.Keys(c.metaWrites)) {
				entries := metaEntries(c.metaWrites[k])
				hashed.MetadataWrites = append(hashed.MetadataWrites, &kvrwset.KVMetadataWriteHash{KeyHash: hashBytes([]byte(k)), Entries: entries})
				clear.MetadataWrites = append(clear.MetadataWrites, &kvrwset.KVMetadataWrite{Key: k, Entries: entries})
			}
			hb, err := deterministic.Marshal(hashed)
			if err != nil {
				return nil, fmt.Errorf("marshal hashed read-write set of %s/%s in %s: %w", ns, cn, txID, err)
			}
			chrw := &rwset.CollectionHashedReadWriteSet{CollectionName: cn, HashedRwset: hb}
			if len(clear.Writes) > 0 || len(clear.MetadataWrites) > 0 {
				cb, err := deterministic.Marshal(clear)
				if err != nil {
					return nil, fmt.Errorf("marshal private read-write set of %s/%s in %s: %w", ns, cn, txID, err)
				}
				chrw.PvtRwsetHash = hashBytes(cb)
				if nsPvt == nil {
					nsPvt = &rwset.NsPvtReadWriteSet{Namespace: ns}
				}
				nsPvt.CollectionPvtRwset = append(nsPvt.CollectionPvtRwset, &rwset.CollectionPvtReadWriteSet{CollectionName: cn, Rwset: cb})
			}
			nsRW.CollectionHashedRwset = append(nsRW.CollectionHashedRwset, chrw)
		}
		res.Public.NsRwset = append(res.Public.NsRwset, nsRW)
		if nsPvt != nil {
			pvt.NsPvtRwset = append(pvt.NsPvtRwset, nsPvt)
		}
	}
	if len(pvt.NsPvtRwset) > 0 {
		res.Private = pvt
	}
	return res, nil
}
