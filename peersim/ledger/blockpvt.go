package ledger

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// Private data by block: what a Fabric peer keeps in its private data store
// beside the state, and serves to DeliverWithPrivateData.

// purgeMarker is a private key purged by a valid transaction: the writes of
// that key up to the purge are no longer delivered.
type purgeMarker struct {
	hk []byte // ns 0 coll 0 sha256(key)
	v  Version
}

// blockPvtEntry is the private data of one collection of one transaction
// of the block being committed, as this peer keeps it.
type blockPvtEntry struct {
	txNum uint64
	own   *ownedColl
}

// recordPrivate keeps the private data of the txNum-th transaction of the
// block for delivery.
func (v *blockView) recordPrivate(txNum uint64, own []*ownedColl) {
	for _, oc := range own {
		v.blockPvt = append(v.blockPvt, blockPvtEntry{txNum: txNum, own: oc})
	}
}

func blockPvtKey(block, tx uint64, ns, coll string) []byte {
	b := make([]byte, 0, 16+len(ns)+1+len(coll))
	b = binary.BigEndian.AppendUint64(b, block)
	b = binary.BigEndian.AppendUint64(b, tx)
	b = append(b, ns...)
	b = append(b, 0)
	return append(b, coll...)
}

// writeBlockPvt adds to b the block's private data, when each collection's
// part of it expires, and the purge markers of the block.
func (v *blockView) writeBlockPvt(b *batch) {
	for _, e := range v.blockPvt {
		k := blockPvtKey(v.number, e.txNum, e.own.ns, e.own.coll)
		b.put(bucketBlockPvt, k, e.own.rwset)
		if btl := e.own.info.blockToLive; btl > 0 {
			b.put(bucketBlockPvtExpiry, append(be64(v.number+btl+1), k...), nil)
		}
	}
	for _, m := range v.purges {
		b.put(bucketPurged, m.hk, append(be64(m.v.BlockNum), be64(m.v.TxNum)...))
	}
}

// purgeExpiredBlockPvt adds to b the deletion of the block private data
// whose blockToLive ends at this block: committed at block n with
// blockToLive k, it is gone once block n+k+1 commits, as the state is.
func (v *blockView) purgeExpiredBlockPvt(b *batch) error {
	cur := v.snap.scan(bucketBlockPvtExpiry, nil, be64(v.number+1))
	defer cur.close()
	for {
		k, _, ok, err := cur.next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if len(k) < 8+16+1 {
			return fmt.Errorf("block private data expiry key %x: %w", k, ErrCorrupt)
		}
		b.delete(bucketBlockPvtExpiry, bytes.Clone(k))
		b.delete(bucketBlockPvt, bytes.Clone(k[8:]))
	}
}

// BlockPrivateData returns the clear private data this peer keeps for the
// transactions of block number, keyed by each transaction's index in the
// block: for each transaction whose private read-write set reached this
// peer (PutTransient) and matched the hashes endorsed in the block, the
// collections this peer's organisation is a member of (with several
// Config.PeerMSPIDs, any of them), namespaces and collections in name
// order, each collection's read-write set as endorsed.
//
// As on a Fabric peer (channel capability V1_4_2 and later), invalid
// transactions keep theirs too; the block's TRANSACTIONS_FILTER tells them
// apart. Data past its collection's blockToLive is gone, and a write of a
// key at or before that key's purge (PurgePrivateData) is left out, the
// rest of its collection kept. A block without private data gives an empty
// map; a number at or above the height gives ErrBlockNotFound.
func (l *Ledger) BlockPrivateData(number uint64) (map[uint64]*rwset.TxPvtReadWriteSet, error) {
	snap, err := l.st.snapshot()
	if err != nil {
		return nil, fmt.Errorf("private data of block %d of %s: %w", number, l.channel, err)
	}
	defer snap.release()
	if raw, err := snap.get(bucketBlocks, be64(number)); err != nil || raw == nil {
		if err == nil {
			err = ErrBlockNotFound
		}
		return nil, fmt.Errorf("private data of block %d of %s: %w", number, l.channel, err)
	}
	out := map[uint64]*rwset.TxPvtReadWriteSet{}
	cur := snap.scan(bucketBlockPvt, be64(number), be64(number+1))
	defer cur.close()
	for {
		k, val, ok, err := cur.next()
		if err != nil {
			return nil, fmt.Errorf("private data of block %d of %s: %w", number, l.channel, err)
		}
		if !ok {
			return out, nil
		}
		if len(k) < 16 {
			return nil, fmt.Errorf("private data of block %d of %s: key %x: %w", number, l.channel, k, ErrCorrupt)
		}
		txNum := beUint64(k[8:16])
		ns, coll, found := strings.Cut(string(k[16:]), "\x00")
		if !found {
			return nil, fmt.Errorf("private data of block %d of %s: key %x: %w", number, l.channel, k, ErrCorrupt)
		}
		raw, err := withoutPurged(snap, ns, coll, Version{BlockNum: number, TxNum: txNum}, val)
		if err != nil {
			return nil, fmt.Errorf("private data of block %d of %s, transaction %d, %s/%s: %w", number, l.channel, txNum, ns, coll, err)
		}
		tx := out[txNum]
		if tx == nil {
			tx = &rwset.TxPvtReadWriteSet{DataModel: rwset.TxReadWriteSet_KV}
			out[txNum] = tx
		}
		if n := len(tx.NsPvtRwset); n == 0 || tx.NsPvtRwset[n-1].Namespace != ns {
			tx.NsPvtRwset = append(tx.NsPvtRwset, &rwset.NsPvtReadWriteSet{Namespace: ns})
		}
		nsp := tx.NsPvtRwset[len(tx.NsPvtRwset)-1]
		nsp.CollectionPvtRwset = append(nsp.CollectionPvtRwset, &rwset.CollectionPvtReadWriteSet{CollectionName: coll, Rwset: raw})
	}
}

// withoutPurged returns a collection's read-write set, written at version
// at, without the writes of keys purged at or after at. Unchanged, it is a
// copy of raw.
func withoutPurged(snap snapshot, ns, coll string, at Version, raw []byte) ([]byte, error) {
	prefix := collKey(ns, coll, nil)
	end := bytes.Clone(prefix)
	end[len(end)-1]++
	cur := snap.scan(bucketPurged, prefix, end)
	_, _, some, err := cur.next()
	cur.close()
	if err != nil || !some {
		return bytes.Clone(raw), err
	}
	kv := &kvrwset.KVRWSet{}
	if err := proto.Unmarshal(raw, kv); err != nil {
		return nil, fmt.Errorf("decode read-write set: %v: %w", err, ErrCorrupt)
	}
	kept := make([]*kvrwset.KVWrite, 0, len(kv.GetWrites()))
	for _, w := range kv.GetWrites() {
		m, err := snap.get(bucketPurged, collKey(ns, coll, hashBytes([]byte(w.GetKey()))))
		if err != nil {
			return nil, err
		}
		if m != nil {
			if len(m) != 16 {
				return nil, fmt.Errorf("purge marker of %q of %d bytes: %w", w.GetKey(), len(m), ErrCorrupt)
			}
			purged := Version{BlockNum: beUint64(m[:8]), TxNum: beUint64(m[8:])}
			if at.BlockNum < purged.BlockNum || at.BlockNum == purged.BlockNum && at.TxNum <= purged.TxNum {
				continue
			}
		}
		kept = append(kept, w)
	}
	if len(kept) == len(kv.GetWrites()) {
		return bytes.Clone(raw), nil
	}
	kv.Writes = kept
	b, err := proto.Marshal(kv)
	if err != nil {
		return nil, fmt.Errorf("encode read-write set: %w", err)
	}
	return b, nil
}

// CollectionAccess is who may read a collection's private data outside
// chaincode, as delivery with private data checks it.
type CollectionAccess struct {
	// MemberOnlyRead limits reading to clients whose signature satisfies
	// MemberOrgsPolicy; when false, any client of the channel may read.
	MemberOnlyRead bool
	// MemberOrgsPolicy is the collection's member orgs policy.
	MemberOrgsPolicy *common.SignaturePolicyEnvelope
}

// CollectionAccess returns the read rule of collection coll of chaincode ns
// under the chaincode's committed definition, or an error wrapping
// ErrCollectionNotDefined. The implicit collection "_implicit_org_<MSPID>"
// of an organisation is readable by that organisation's members only:
// MemberOnlyRead with the policy OR('<MSPID>.member').
func (l *Ledger) CollectionAccess(ns, coll string) (CollectionAccess, error) {
	if mspID, ok := strings.CutPrefix(coll, ImplicitCollectionPrefix); ok && mspID != "" {
		return CollectionAccess{MemberOnlyRead: true, MemberOrgsPolicy: memberOf(mspID)}, nil
	}
	snap, err := l.st.snapshot()
	if err != nil {
		return CollectionAccess{}, fmt.Errorf("collection %s of %s on %s: %w", coll, ns, l.channel, err)
	}
	defer snap.release()
	def, err := l.readDefinition(snap, ns)
	if errors.Is(err, ErrChaincodeNotDefined) {
		return CollectionAccess{}, fmt.Errorf("collection %s of %s on %s: %w: %w", coll, ns, l.channel, ErrCollectionNotDefined, err)
	}
	if err != nil {
		return CollectionAccess{}, fmt.Errorf("collection %s of %s on %s: %w", coll, ns, l.channel, err)
	}
	colls, err := parseCollections(def.Collections)
	if err != nil {
		return CollectionAccess{}, fmt.Errorf("collections of %s on %s: %w", ns, l.channel, err)
	}
	c, ok := colls[coll]
	if !ok {
		return CollectionAccess{}, fmt.Errorf("collection %s of %s on %s: %w", coll, ns, l.channel, ErrCollectionNotDefined)
	}
	// A copy: c comes from the shared, cached definition.
	policy, _ := proto.Clone(c.memberPolicy).(*common.SignaturePolicyEnvelope)
	return CollectionAccess{MemberOnlyRead: c.memberOnlyRead, MemberOrgsPolicy: policy}, nil
}

// memberOf is the policy OR('<mspID>.member').
func memberOf(mspID string) *common.SignaturePolicyEnvelope {
	role, _ := proto.Marshal(&msp.MSPRole{MspIdentifier: mspID, Role: msp.MSPRole_MEMBER})
	return &common.SignaturePolicyEnvelope{
		Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{
			N: 1, Rules: []*common.SignaturePolicy{{Type: &common.SignaturePolicy_SignedBy{SignedBy: 0}}},
		}}},
		Identities: []*msp.MSPPrincipal{{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: role}},
	}
}

// BlockPrivateDataAt is BlockPrivateData as the peer of organisation
// peerMSPID holds it: only the collections that organisation is a member
// of (as the chaincode's committed definition names them; an implicit
// collection is its organisation's alone). With Config.PeerMSPIDs empty,
// or peerMSPID "", it is BlockPrivateData; an organisation not in
// PeerMSPIDs is an error wrapping ErrInvalidArgument.
func (l *Ledger) BlockPrivateDataAt(number uint64, peerMSPID string) (map[uint64]*rwset.TxPvtReadWriteSet, error) {
	if peerMSPID != "" && len(l.cfg.PeerMSPIDs) > 0 {
		if _, err := l.space(peerMSPID); err != nil {
			return nil, fmt.Errorf("private data of block %d of %s: %w", number, l.channel, err)
		}
	}
	all, err := l.BlockPrivateData(number)
	if err != nil || peerMSPID == "" || len(l.cfg.PeerMSPIDs) == 0 {
		return all, err
	}
	snap, err := l.st.snapshot()
	if err != nil {
		return nil, fmt.Errorf("private data of block %d of %s: %w", number, l.channel, err)
	}
	defer snap.release()
	members := map[string]map[string]*collectionInfo{} // by namespace
	member := func(ns, coll string) (bool, error) {
		if strings.HasPrefix(coll, ImplicitCollectionPrefix) {
			return implicitCollection(coll).isMember(peerMSPID), nil
		}
		colls, ok := members[ns]
		if !ok {
			def, err := l.readDefinition(snap, ns)
			if err != nil && !errors.Is(err, ErrChaincodeNotDefined) {
				return false, err
			}
			if def != nil {
				if colls, err = parseCollections(def.Collections); err != nil {
					return false, err
				}
			}
			members[ns] = colls
		}
		c := colls[coll]
		return c != nil && c.isMember(peerMSPID), nil
	}
	out, err := FilterPrivateData(all, member)
	if err != nil {
		return nil, fmt.Errorf("private data of block %d of %s: %w", number, l.channel, err)
	}
	return out, nil
}

// FilterPrivateData returns the private data of a block's transactions
// (BlockPrivateData's map) with only the collections keep accepts; a
// transaction left with none is left out. keep's error ends the filter.
func FilterPrivateData(pvt map[uint64]*rwset.TxPvtReadWriteSet, keep func(ns, coll string) (bool, error)) (map[uint64]*rwset.TxPvtReadWriteSet, error) {
	out := make(map[uint64]*rwset.TxPvtReadWriteSet, len(pvt))
	for txNum, tx := range pvt {
		kept := &rwset.TxPvtReadWriteSet{DataModel: tx.GetDataModel()}
		for _, nsp := range tx.GetNsPvtRwset() {
			var colls []*rwset.CollectionPvtReadWriteSet
			for _, c := range nsp.GetCollectionPvtRwset() {
				ok, err := keep(nsp.GetNamespace(), c.GetCollectionName())
				if err != nil {
					return nil, fmt.Errorf("%s/%s: %w", nsp.GetNamespace(), c.GetCollectionName(), err)
				}
				if ok {
					colls = append(colls, c)
				}
			}
			if len(colls) > 0 {
				kept.NsPvtRwset = append(kept.NsPvtRwset, &rwset.NsPvtReadWriteSet{Namespace: nsp.GetNamespace(), CollectionPvtRwset: colls})
			}
		}
		if len(kept.NsPvtRwset) > 0 {
			out[txNum] = kept
		}
	}
	return out, nil
}
