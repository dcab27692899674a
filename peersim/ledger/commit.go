package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// CommittedBlock is a committed block with the verdict on each transaction.
type CommittedBlock struct {
	Block *common.Block
	Txs   []TxResult
}

// TxResult is the verdict on one transaction of a block.
type TxResult struct {
	TxID string
	// Index is the transaction's position in the block.
	Index int
	Code  peer.TxValidationCode
	// Err is nil for a VALID transaction, else a *ValidationError whose
	// reason may be a *MVCCConflictError, *PhantomReadError,
	// *EndorsementError or *DuplicateTxError (use errors.As).
	Err error
	// ChaincodeName is the chaincode the transaction invoked.
	ChaincodeName string
	// Event is the chaincode event of a VALID transaction (nil otherwise,
	// as Fabric's Gateway delivers events of valid transactions only).
	Event *peer.ChaincodeEvent
}

// apply records the writes of a valid transaction in the block view. On
// error (a store read failed) it leaves the view as it found it, so the
// transaction, then marked invalid, changes nothing.
func (v *blockView) apply(tx *parsedTx, txNum uint64, own []*ownedColl) error {
	v.undo = v.undo[:0]
	history, expiry, purges := len(v.history), len(v.expiry), len(v.purges)
	if err := v.applyWrites(tx, txNum, own); err != nil {
		for i := len(v.undo) - 1; i >= 0; i-- {
			v.undo[i]()
		}
		v.undo = v.undo[:0]
		v.history, v.expiry, v.purges = v.history[:history], v.expiry[:expiry], v.purges[:purges]
		return err
	}
	return nil
}

// stage sets m[k] = val, journaling the previous entry for apply's undo.
func stage[V any](v *blockView, m map[string]V, k string, val V) {
	old, had := m[k]
	v.undo = append(v.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
	m[k] = val
}

func (v *blockView) applyWrites(tx *parsedTx, txNum uint64, own []*ownedColl) error {
	ver := Version{BlockNum: v.number, TxNum: txNum}
	clear := clearWrites(own)
	for _, n := range tx.nss {
		written := map[string]bool{}
		for _, w := range n.kv.GetWrites() {
			k := stateKey(n.ns, w.GetKey())
			cur, _, err := v.lookup(bucketState, k)
			if err != nil {
				return err
			}
			p := &pending{writer: tx.txID}
			if !w.GetIsDelete() {
				p.rec = &stateRecord{Value: w.GetValue(), Version: ver}
				if cur != nil {
					p.rec.Metadata = cur.Metadata
				}
			}
			stage(v, v.pub, string(k), p)
			written[w.GetKey()] = true
			v.history = append(v.history, historyEntry{ns: n.ns, key: w.GetKey(), v: ver, rec: historyRecord{
				TxID: tx.txID, Value: w.GetValue(), IsDelete: w.GetIsDelete(),
				Seconds: tx.timestamp.GetSeconds(), Nanos: tx.timestamp.GetNanos(),
			}})
		}
		for _, mw := range n.kv.GetMetadataWrites() {
			k := stateKey(n.ns, mw.GetKey())
			cur, _, err := v.lookup(bucketState, k)
			if err != nil {
				return err
			}
			stage(v, v.vpChanged, bucketState+string(k), true)
			if cur == nil {
				continue // metadata of a key that does not exist: no-op
			}
			rec := &stateRecord{Value: cur.Value, Version: ver, Metadata: entriesMap(mw.GetEntries())}
			stage(v, v.pub, string(k), &pending{rec: rec, writer: tx.txID})
		}
		var colls map[string]*collectionInfo
		for _, c := range n.colls {
			if len(c.hashed.GetHashedWrites()) == 0 && len(c.hashed.GetMetadataWrites()) == 0 {
				continue
			}
			if colls == nil {
				var err error
				if colls, err = v.collections(n.ns); err != nil {
					return err
				}
			}
			info := colls[c.name]
			cw := clear[n.ns+"\x00"+c.name]
			for _, w := range c.hashed.GetHashedWrites() {
				hk := collKey(n.ns, c.name, w.GetKeyHash())
				cur, _, err := v.lookup(bucketHashed, hk)
				if err != nil {
					return err
				}
				p := &pending{writer: tx.txID, purge: w.GetIsPurge()}
				var txKey string // the clear key, when the transaction's clear data has it
				var inTx bool
				if cw != nil {
					txKey, inTx = cw.byHash[string(w.GetKeyHash())]
				}
				if !w.GetIsDelete() {
					p.rec = &stateRecord{Value: w.GetValueHash(), Version: ver}
					if cur != nil {
						p.rec.Metadata = cur.Metadata
					}
				}
				// Each organisation's peer stores the clear value when it
				// keeps the collection's data of this transaction; a delete
				// or purge also removes a value it holds from before, even
				// without clear data (the transient store lost it). The
				// peer of a hidden space, not served this run, receives no
				// write: it loses the value the write makes stale.
				var clearKey string
				var hasClear bool
				for si, sp := range v.l.spaces {
					ckey, ok := txKey, inTx && cw.keeps[si]
					drop := w.GetIsDelete() || sp.hidden
					if !ok && drop {
						if ckey, ok, err = v.knownClearKey(si, hk); err != nil {
							return err
						}
					}
					if !ok {
						continue
					}
					if !sp.hidden {
						clearKey, hasClear = ckey, true
					}
					ck := collKey(n.ns, c.name, []byte(ckey))
					pp := &pending{writer: tx.txID, purge: w.GetIsPurge(), clearKey: ckey}
					if !drop {
						pp.rec = &stateRecord{Value: cw.values[ckey], Version: ver}
						if p.rec != nil {
							pp.rec.Metadata = p.rec.Metadata
						}
					}
					stage(v, v.pvt[si], string(ck), pp)
					if drop {
						stage(v, v.pvtKeys[si], string(hk), "")
					} else {
						stage(v, v.pvtKeys[si], string(hk), ckey)
					}
				}
				p.clearKey = clearKey
				stage(v, v.hashed, string(hk), p)
				if w.GetIsPurge() {
					v.purges = append(v.purges, purgeMarker{hk: hk, v: ver})
				}
				if !w.GetIsDelete() && info != nil && info.blockToLive > 0 {
					v.expiry = append(v.expiry, expiryEntry{at: v.number + info.blockToLive + 1, ns: n.ns, coll: c.name,
						keyHash: w.GetKeyHash(), clearKey: clearKey, hasClear: hasClear, v: ver})
				}
			}
			for _, mw := range c.hashed.GetMetadataWrites() {
				hk := collKey(n.ns, c.name, mw.GetKeyHash())
				cur, _, err := v.lookup(bucketHashed, hk)
				if err != nil {
					return err
				}
				stage(v, v.vpChanged, bucketHashed+string(hk), true)
				if cur == nil {
					continue
				}
				meta := entriesMap(mw.GetEntries())
				stage(v, v.hashed, string(hk), &pending{rec: &stateRecord{Value: cur.Value, Version: ver, Metadata: meta}, writer: tx.txID})
				ckey, ok := "", false
				if cw != nil {
					ckey, ok = cw.byHash[string(mw.GetKeyHash())]
				}
				for si, sp := range v.l.spaces {
					if sp.hidden {
						// Its value's version is no longer the hash's.
						if err := v.dropHidden(si, n.ns, c.name, hk, tx.txID); err != nil {
							return err
						}
						continue
					}
					if !ok || !cw.keeps[si] {
						continue
					}
					ck := collKey(n.ns, c.name, []byte(ckey))
					pcur, _, err := v.lookupPvt(si, ck)
					if err != nil {
						return err
					}
					if pcur != nil {
						stage(v, v.pvt[si], string(ck), &pending{rec: &stateRecord{Value: pcur.Value, Version: ver, Metadata: meta}, writer: tx.txID, clearKey: ckey})
					}
				}
			}
		}
	}
	return nil
}

func entriesMap(es []*kvrwset.KVMetadataEntry) map[string][]byte {
	if len(es) == 0 {
		return nil
	}
	m := make(map[string][]byte, len(es))
	for _, e := range es {
		m[e.GetName()] = e.GetValue()
	}
	return m
}

// clearSet is the clear private writes of one collection of a transaction.
type clearSet struct {
	byHash map[string]string // key hash -> clear key
	values map[string][]byte
	keeps  []bool // by organisation space: whether it stores them
}

// ownedColl is the clear private read-write set of one collection of a
// transaction, as the organisations of this ledger keep it.
type ownedColl struct {
	ns, coll string
	rwset    []byte // as endorsed: its hash is the one in the public read-write set
	kv       *kvrwset.KVRWSet
	info     *collectionInfo
	// keeps tells, for each of the ledger's organisation spaces, whether
	// that organisation's peer stores this data: whether it is a member of
	// the collection. At least one is true.
	keeps []bool
}

// ownPrivate picks, from the transient store's private read-write set of a
// transaction, what the organisations of this ledger keep: for each
// collection whose hash matches the one endorsed in the public read-write
// set, which of them are members (an implicit collection has one member,
// its organisation). A collection no organisation keeps is left out.
func (v *blockView) ownPrivate(tx *parsedTx, pvt *rwset.TxPvtReadWriteSet) []*ownedColl {
	var out []*ownedColl
	for _, nsp := range pvt.GetNsPvtRwset() {
		var pn *parsedNS
		for _, n := range tx.nss {
			if n.ns == nsp.GetNamespace() {
				pn = n
			}
		}
		if pn == nil {
			continue
		}
		colls, err := v.collections(pn.ns)
		if err != nil {
			v.l.log.Warn("private data not stored: collection config unreadable", "tx", tx.txID, "namespace", pn.ns, "err", err)
			continue
		}
		for _, cp := range nsp.GetCollectionPvtRwset() {
			pc := pn.byColl[cp.GetCollectionName()]
			if pc == nil || !bytes.Equal(pc.pvtHash, hashBytes(cp.GetRwset())) {
				v.l.log.Warn("private data not stored: hash does not match the endorsed one", "tx", tx.txID, "namespace", pn.ns, "collection", cp.GetCollectionName())
				continue
			}
			info := colls[cp.GetCollectionName()]
			if info == nil {
				info = implicitCollection(cp.GetCollectionName())
			}
			keeps := make([]bool, len(v.l.spaces))
			kept := false
			for si, sp := range v.l.spaces {
				keeps[si] = sp.keeps(info)
				kept = kept || keeps[si]
			}
			if !kept {
				continue
			}
			kv := &kvrwset.KVRWSet{}
			if err := proto.Unmarshal(cp.GetRwset(), kv); err != nil {
				continue
			}
			out = append(out, &ownedColl{ns: pn.ns, coll: cp.GetCollectionName(), rwset: cp.GetRwset(), kv: kv, info: info, keeps: keeps})
		}
	}
	return out
}

// clearWrites indexes the clear writes of the collections this peer keeps
// by namespace and collection.
func clearWrites(own []*ownedColl) map[string]*clearSet {
	out := map[string]*clearSet{}
	for _, oc := range own {
		cs := &clearSet{byHash: map[string]string{}, values: map[string][]byte{}, keeps: oc.keeps}
		for _, w := range oc.kv.GetWrites() {
			cs.byHash[string(hashBytes([]byte(w.GetKey())))] = w.GetKey()
			cs.values[w.GetKey()] = w.GetValue()
		}
		for _, w := range oc.kv.GetMetadataWrites() {
			cs.byHash[string(hashBytes([]byte(w.GetKey())))] = w.GetKey()
		}
		out[oc.ns+"\x00"+oc.coll] = cs
	}
	return out
}

// knownClearKey returns the clear key of a hashed store key whose clear
// value the si-th organisation's space holds.
func (v *blockView) knownClearKey(si int, hk []byte) (string, bool, error) {
	if k, ok := v.pvtKeys[si][string(hk)]; ok {
		return k, k != "", nil
	}
	sp := v.l.spaces[si]
	raw, err := v.snap.get(sp.keys, sp.key(hk))
	if err != nil || raw == nil {
		return "", false, err
	}
	return string(raw), true, nil
}

// dropHidden stages the removal of the clear value of hashed store key hk
// (of collection coll of ns) that the si-th space, a hidden one, holds.
func (v *blockView) dropHidden(si int, ns, coll string, hk []byte, txID string) error {
	ckey, ok, err := v.knownClearKey(si, hk)
	if err != nil || !ok {
		return err
	}
	stage(v, v.pvt[si], string(collKey(ns, coll, []byte(ckey))), &pending{writer: txID, clearKey: ckey})
	stage(v, v.pvtKeys[si], string(hk), "")
	return nil
}

// expiryValue is stored per scheduled purge: the version written and the
// clear key (when this peer holds the clear value).
func expiryValue(e expiryEntry) []byte {
	b := binary.AppendUvarint(nil, e.v.BlockNum)
	b = binary.AppendUvarint(b, e.v.TxNum)
	if e.hasClear {
		b = append(b, 1)
		b = append(b, e.clearKey...)
	} else {
		b = append(b, 0)
	}
	return b
}

// purgeExpired adds to b the deletion of private data whose blockToLive
// ends at this block, and returns the clear keys removed.
func (v *blockView) purgeExpired(b *batch) ([]purgedKey, error) {
	cur := v.snap.scan(bucketExpiry, nil, be64(v.number+1))
	defer cur.close()
	var out []purgedKey
	for {
		k, val, ok, err := cur.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		b.delete(bucketExpiry, bytes.Clone(k))
		hk := bytes.Clone(k[8:])
		d := decoder{b: val}
		ver := Version{BlockNum: d.uvarint(), TxNum: d.uvarint()}
		if d.err != nil || len(d.b) == 0 {
			return nil, fmt.Errorf("expiry entry: %w", ErrCorrupt)
		}
		rec, _, err := v.lookup(bucketHashed, hk)
		if err != nil {
			return nil, err
		}
		if rec == nil || rec.Version != ver {
			continue // rewritten or deleted since
		}
		b.delete(bucketHashed, hk)
		// Every organisation's clear value goes.
		for si, sp := range v.l.spaces {
			clearKey, hasClear := string(d.b[1:]), d.b[0] == 1
			if !hasClear {
				if clearKey, hasClear, err = v.knownClearKey(si, hk); err != nil {
					return nil, err
				}
			}
			if !hasClear {
				continue
			}
			b.delete(sp.keys, sp.key(hk))
			// hk is ns 0 coll 0 hash; rebuild the clear key's store key.
			prefix := hk[:len(hk)-32]
			ck := append(bytes.Clone(prefix), clearKey...)
			b.delete(sp.pvt, sp.key(ck))
			out = append(out, purgedKey{space: si, prefix: string(prefix), key: clearKey})
		}
	}
}

type purgedKey struct {
	space  int    // index in Ledger.spaces
	prefix string // ns 0 coll 0
	key    string
}

// buildBatch turns the block view into store writes. The block is
// marshalled into buf's storage when it has room: the batch's value for it
// is only valid until buf is used again. It also returns that value.
func (v *blockView) buildBatch(block *common.Block, results []byte, locs map[string]TxLocation, buf []byte) (*batch, []purgedKey, []byte, error) {
	b := &batch{}
	purged, err := v.purgeExpired(b)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := v.purgeExpiredBlockPvt(b); err != nil {
		return nil, nil, nil, err
	}
	v.writeBlockPvt(b)
	for _, k := range slices.Sorted(maps.Keys(v.pub)) {
		if p := v.pub[k]; p.rec == nil {
			b.delete(bucketState, []byte(k))
		} else {
			b.put(bucketState, []byte(k), p.rec.encode())
		}
	}
	writes := []struct {
		bucket string
		sp     pvtSpace
		pend   map[string]*pending
	}{{bucket: bucketHashed, pend: v.hashed}}
	for si, sp := range v.l.spaces {
		writes = append(writes, struct {
			bucket string
			sp     pvtSpace
			pend   map[string]*pending
		}{sp.pvt, sp, v.pvt[si]})
	}
	for _, m := range writes {
		for _, k := range slices.Sorted(maps.Keys(m.pend)) {
			if p := m.pend[k]; p.rec == nil {
				b.delete(m.bucket, m.sp.key([]byte(k)))
			} else {
				b.put(m.bucket, m.sp.key([]byte(k)), p.rec.encode())
			}
		}
	}
	for si, sp := range v.l.spaces {
		for _, k := range slices.Sorted(maps.Keys(v.pvtKeys[si])) {
			if ck := v.pvtKeys[si][k]; ck == "" {
				b.delete(sp.keys, sp.key([]byte(k)))
			} else {
				b.put(sp.keys, sp.key([]byte(k)), []byte(ck))
			}
		}
	}
	for _, e := range v.expiry {
		k := append(be64(e.at), collKey(e.ns, e.coll, e.keyHash)...)
		b.put(bucketExpiry, k, expiryValue(e))
	}
	if v.l.cfg.HistoryEnabled {
		for _, h := range v.history {
			b.put(bucketHistory, historyKey(h.ns, h.key, h.v), h.rec.encode())
		}
	}
	for _, id := range slices.Sorted(maps.Keys(locs)) {
		b.put(bucketTxIDs, []byte(id), encodeTxLocation(locs[id]))
	}
	raw, err := proto.MarshalOptions{}.MarshalAppend(buf[:0], block)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("marshal block %d: %w", v.number, err)
	}
	b.put(bucketBlocks, be64(v.number), raw)
	b.put(bucketResults, be64(v.number), results)
	b.put(bucketMeta, []byte(metaHeight), be64(v.number+1))
	return b, purged, raw, nil
}
