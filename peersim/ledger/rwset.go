package ledger

import (
	"fmt"
	"maps"
	"slices"

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

// nsBuilder collects what one namespace's simulation read and wrote.
type nsBuilder struct {
	reads      map[string]*Version // nil value: read as absent
	writes     map[string]write
	metaWrites map[string]map[string][]byte
	ranges     []*rangeRecord
	colls      map[string]*collBuilder
}

type collBuilder struct {
	reads      map[string]*Version // by clear key
	writes     map[string]write
	metaWrites map[string]map[string][]byte
}

func newNSBuilder() *nsBuilder {
	return &nsBuilder{
		reads:      make(map[string]*Version),
		writes:     make(map[string]write),
		metaWrites: make(map[string]map[string][]byte),
		colls:      make(map[string]*collBuilder),
	}
}

func (b *nsBuilder) coll(name string) *collBuilder {
	c := b.colls[name]
	if c == nil {
		c = &collBuilder{
			reads:      make(map[string]*Version),
			writes:     make(map[string]write),
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
		for _, k := range slices.Sorted(maps.Keys(b.writes)) {
			w := b.writes[k]
			kv.Writes = append(kv.Writes, &kvrwset.KVWrite{Key: k, IsDelete: w.isDelete, Value: w.value})
		}
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
			for _, k := range slices.Sorted(maps.Keys(c.writes)) {
				w := c.writes[k]
				hw := &kvrwset.KVWriteHash{KeyHash: hashBytes([]byte(k)), IsDelete: w.isDelete, IsPurge: w.isPurge}
				if !w.isDelete {
					hw.ValueHash = hashBytes(w.value)
				}
				hashed.HashedWrites = append(hashed.HashedWrites, hw)
				clear.Writes = append(clear.Writes, &kvrwset.KVWrite{Key: k, IsDelete: w.isDelete, Value: w.value})
			}
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
