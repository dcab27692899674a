package ledger

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Export is what a snapshot keeps of one channel's ledger at one height:
// world state (which holds the chaincode definitions of lscc and
// _lifecycle, as their namespaces), the hashed state of every collection,
// the clear private data each organisation's peer holds, the blockToLive
// schedule of that private data, and the transaction IDs committed so far. Blocks and the
// history index are not kept, as in Fabric's snapshots: a ledger restored
// from an Export holds one block, the last (LastBlock, number Height-1),
// its next block chained to it; blocks below it are not available.
//
// Every entry keeps its version, so the MVCC checks of transactions
// endorsed against the restored state work as they did before.
type Export struct {
	// Height is the number of blocks the ledger had committed.
	Height uint64 `json:"height"`
	// CurrentBlockHash is the header hash of block Height-1 and
	// PreviousBlockHash that block's previous hash, as qscc GetChainInfo
	// reports them; both empty at height 0.
	CurrentBlockHash  []byte `json:"currentBlockHash,omitempty"`
	PreviousBlockHash []byte `json:"previousBlockHash,omitempty"`
	// LastBlock is block Height-1, a marshalled common.Block as committed
	// (with its validation codes): the one block a restored ledger holds,
	// so that "newest" and "oldest" have an answer. Empty at height 0.
	LastBlock []byte `json:"lastBlock,omitempty"`
	// First is the first block the ledger holds (0, or Height-1 of the
	// export it was itself restored from). Informational: Import ignores it.
	First  uint64        `json:"firstBlock,omitempty"`
	State  []StateEntry  `json:"state"`
	Hashed []HashedEntry `json:"hashed,omitempty"`
	// Private is the clear private data of the peer of PrivateMSPID: the
	// first of the exporting ledger's Config.PeerMSPIDs, or every
	// collection's when it had none (PrivateMSPID empty, as in exports
	// made before ledgers served several organisations). Import gives an
	// export without PrivateMSPID to a ledger with PeerMSPIDs by collection
	// membership: each entry to every organisation of the ledger that is a
	// member of its collection, under the definitions in State.
	Private      []PrivateEntry `json:"private,omitempty"`
	PrivateMSPID string         `json:"privateMSPID,omitempty"`
	// OrgPrivate is the clear private data of the exporting ledger's other
	// organisations, by MSP ID: its PeerMSPIDs after the first, and those
	// whose data its store holds though it did not serve them. Import keeps
	// the data of an organisation the importing ledger does not serve, not
	// serving it, for when it does.
	OrgPrivate map[string][]PrivateEntry `json:"orgPrivate,omitempty"`
	Expiry     []ExpiryEntry             `json:"expiry,omitempty"`
	TxIDs      []TxIDEntry               `json:"txids,omitempty"`
}

// StateEntry is one key of world state.
type StateEntry struct {
	Namespace string            `json:"ns"`
	Key       string            `json:"key"`
	Value     []byte            `json:"value"`
	Block     uint64            `json:"block"`
	Tx        uint64            `json:"tx"`
	Metadata  map[string][]byte `json:"metadata,omitempty"`
}

// HashedEntry is one key of a collection's hashed state, present on every
// peer of the channel: SHA-256 of the key and of the value.
type HashedEntry struct {
	Namespace  string            `json:"ns"`
	Collection string            `json:"collection"`
	KeyHash    []byte            `json:"keyHash"`
	ValueHash  []byte            `json:"valueHash"`
	Block      uint64            `json:"block"`
	Tx         uint64            `json:"tx"`
	Metadata   map[string][]byte `json:"metadata,omitempty"`
}

// PrivateEntry is one clear private value this peer holds; its hashes
// must be in the Export's Hashed entries, with the same version.
type PrivateEntry struct {
	Namespace  string            `json:"ns"`
	Collection string            `json:"collection"`
	Key        string            `json:"key"`
	Value      []byte            `json:"value"`
	Block      uint64            `json:"block"`
	Tx         uint64            `json:"tx"`
	Metadata   map[string][]byte `json:"metadata,omitempty"`
}

// ExpiryEntry schedules the purge of one private key at block At (its
// collection's blockToLive after the write of version Block, Tx). Key is
// the clear key when this peer holds the value, else empty.
type ExpiryEntry struct {
	At         uint64 `json:"at"`
	Namespace  string `json:"ns"`
	Collection string `json:"collection"`
	KeyHash    []byte `json:"keyHash"`
	Key        string `json:"key,omitempty"`
	HasKey     bool   `json:"hasKey,omitempty"`
	Block      uint64 `json:"block"`
	Tx         uint64 `json:"tx"`
}

// TxIDEntry is a committed transaction ID, kept so that a duplicate of a
// transaction committed before the snapshot is still refused.
type TxIDEntry struct {
	TxID  string `json:"txid"`
	Block uint64 `json:"block"`
	Tx    uint64 `json:"tx"`
	Code  int32  `json:"code"`
}

// metaFirst is the meta key of the first block a ledger restored from an
// Export holds.
const metaFirst = "first"

// Export returns the ledger's contents at its current height, read from
// one consistent view: commits wait until it has read everything. The
// transient store (endorsed, uncommitted private writes) is not part of it.
func (l *Ledger) Export() (*Export, error) {
	l.commitMu.RLock()
	defer l.commitMu.RUnlock()
	if l.isClosed() {
		return nil, fmt.Errorf("export ledger %s: %w", l.channel, ErrClosed)
	}
	info, err := l.Info()
	if err != nil {
		return nil, fmt.Errorf("export ledger %s: %w", l.channel, err)
	}
	snap, err := l.st.snapshot()
	if err != nil {
		return nil, fmt.Errorf("export ledger %s: %w", l.channel, err)
	}
	defer snap.release()
	e := &Export{Height: info.GetHeight(), CurrentBlockHash: info.GetCurrentBlockHash(),
		PreviousBlockHash: info.GetPreviousBlockHash(), First: l.FirstBlock(), State: []StateEntry{}}
	if e.Height > 0 {
		if e.LastBlock, err = snap.get(bucketBlocks, be64(e.Height-1)); err != nil || e.LastBlock == nil {
			return nil, fmt.Errorf("export ledger %s: last block %d: %v: %w", l.channel, e.Height-1, err, ErrCorrupt)
		}
		e.LastBlock = bytes.Clone(e.LastBlock)
	}
	err = scanAll(snap, bucketState, func(k, v []byte) error {
		ns, key := splitStateKey(string(k))
		rec, err := decodeStateRecord(v)
		if err != nil {
			return err
		}
		e.State = append(e.State, StateEntry{Namespace: ns, Key: key, Value: rec.Value,
			Block: rec.Version.BlockNum, Tx: rec.Version.TxNum, Metadata: rec.Metadata})
		return nil
	})
	if err == nil {
		err = scanAll(snap, bucketHashed, func(k, v []byte) error {
			ns, coll, hash, err := splitCollKey(k, true)
			if err != nil {
				return err
			}
			rec, err := decodeStateRecord(v)
			if err != nil {
				return err
			}
			e.Hashed = append(e.Hashed, HashedEntry{Namespace: ns, Collection: coll, KeyHash: hash, ValueHash: rec.Value,
				Block: rec.Version.BlockNum, Tx: rec.Version.TxNum, Metadata: rec.Metadata})
			return nil
		})
	}
	for si, sp := range l.spaces {
		if err != nil {
			break
		}
		var entries []PrivateEntry
		start, end := sp.key(nil), prefixEnd(sp.key(nil))
		if len(start) == 0 {
			start, end = nil, nil
		}
		err = scanRange(snap, sp.pvt, start, end, func(k, v []byte) error {
			ns, coll, key, err := splitCollKey(k[len(start):], false)
			if err != nil {
				return err
			}
			rec, err := decodeStateRecord(v)
			if err != nil {
				return err
			}
			entries = append(entries, PrivateEntry{Namespace: ns, Collection: coll, Key: string(key), Value: rec.Value,
				Block: rec.Version.BlockNum, Tx: rec.Version.TxNum, Metadata: rec.Metadata})
			return nil
		})
		if si == 0 {
			e.Private, e.PrivateMSPID = entries, sp.mspID
			continue
		}
		if e.OrgPrivate == nil {
			e.OrgPrivate = make(map[string][]PrivateEntry, len(l.spaces)-1)
		}
		e.OrgPrivate[sp.mspID] = entries
	}
	if err == nil {
		err = scanAll(snap, bucketExpiry, func(k, v []byte) error {
			if len(k) < 8 {
				return fmt.Errorf("expiry key of %d bytes: %w", len(k), ErrCorrupt)
			}
			ns, coll, hash, err := splitCollKey(k[8:], true)
			if err != nil {
				return err
			}
			d := decoder{b: v}
			x := ExpiryEntry{At: beUint64(k[:8]), Namespace: ns, Collection: coll, KeyHash: hash, Block: d.uvarint(), Tx: d.uvarint()}
			if d.err != nil || len(d.b) == 0 {
				return fmt.Errorf("expiry entry: %w", ErrCorrupt)
			}
			x.HasKey, x.Key = d.b[0] == 1, string(d.b[1:])
			e.Expiry = append(e.Expiry, x)
			return nil
		})
	}
	if err == nil {
		err = scanAll(snap, bucketTxIDs, func(k, v []byte) error {
			loc, _, err := readTxLocation(snap, string(k))
			if err != nil {
				return err
			}
			e.TxIDs = append(e.TxIDs, TxIDEntry{TxID: string(k), Block: loc.BlockNum, Tx: loc.TxNum, Code: loc.Code})
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("export ledger %s: %w", l.channel, err)
	}
	return e, nil
}

func scanAll(snap snapshot, bucket string, fn func(k, v []byte) error) error {
	return scanRange(snap, bucket, nil, nil, fn)
}

// scanRange calls fn for each key of bucket in [start, end).
func scanRange(snap snapshot, bucket string, start, end []byte, fn func(k, v []byte) error) error {
	cur := snap.scan(bucket, start, end)
	defer cur.close()
	for {
		k, v, ok, err := cur.next()
		if err != nil {
			return fmt.Errorf("read %s: %w", bucket, err)
		}
		if !ok {
			return nil
		}
		if err := fn(k, v); err != nil {
			return fmt.Errorf("%s key %q: %w", bucket, k, err)
		}
	}
}

// splitCollKey splits ns 0 coll 0 key; hashed keys are 32 bytes.
func splitCollKey(k []byte, hashed bool) (ns, coll string, key []byte, err error) {
	parts := bytes.SplitN(k, []byte{0}, 3)
	if len(parts) != 3 || (hashed && len(parts[2]) != sha256.Size) {
		return "", "", nil, fmt.Errorf("collection key layout: %w", ErrCorrupt)
	}
	return string(parts[0]), string(parts[1]), bytes.Clone(parts[2]), nil
}

// FirstBlock returns the number of the first block the ledger holds: 0,
// or the last block (Height-1) of the Export it was restored from.
func (l *Ledger) FirstBlock() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first
}

// Import restores e into the ledger, which must be empty (height 0, no
// state): in one atomic store write, so that a failure leaves it empty. It
// checks e first (CheckExport) and refuses a bad one, wrapping
// ErrInvalidArgument, and a ledger that is not empty with ErrNotEmpty.
// Each organisation's clear private data goes to its space, recorded for
// the organisations the ledger does not serve (see Export.Private and
// OrgPrivate). Import must come before the ledger is used.
func (l *Ledger) Import(e *Export) error {
	if err := CheckExport(e); err != nil {
		return fmt.Errorf("import into ledger %s: %w", l.channel, err)
	}
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	if l.isClosed() {
		return fmt.Errorf("import into ledger %s: %w", l.channel, ErrClosed)
	}
	if err := l.checkEmpty(); err != nil {
		return fmt.Errorf("import into ledger %s: %w", l.channel, err)
	}
	b := &batch{}
	for _, s := range e.State {
		rec := stateRecord{Value: s.Value, Version: Version{s.Block, s.Tx}, Metadata: s.Metadata}
		b.put(bucketState, stateKey(s.Namespace, s.Key), rec.encode())
	}
	for _, h := range e.Hashed {
		rec := stateRecord{Value: h.ValueHash, Version: Version{h.Block, h.Tx}, Metadata: h.Metadata}
		b.put(bucketHashed, collKey(h.Namespace, h.Collection, h.KeyHash), rec.encode())
	}
	spaces, rec, err := l.importPrivate(e, b)
	if err != nil {
		return fmt.Errorf("import into ledger %s: %w", l.channel, err)
	}
	for _, x := range e.Expiry {
		k := append(be64(x.At), collKey(x.Namespace, x.Collection, x.KeyHash)...)
		b.put(bucketExpiry, k, expiryValue(expiryEntry{v: Version{x.Block, x.Tx}, clearKey: x.Key, hasClear: x.HasKey}))
	}
	for _, t := range e.TxIDs {
		b.put(bucketTxIDs, []byte(t.TxID), encodeTxLocation(TxLocation{BlockNum: t.Block, TxNum: t.Tx, Code: t.Code}))
	}
	var first uint64
	if e.Height > 0 {
		first = e.Height - 1
		results, err := lastBlockResults(e.LastBlock)
		if err != nil {
			return fmt.Errorf("import into ledger %s: %w", l.channel, err)
		}
		b.put(bucketBlocks, be64(first), e.LastBlock)
		b.put(bucketResults, be64(first), results)
		b.put(bucketMeta, []byte(metaFirst), be64(first))
		b.put(bucketMeta, []byte(metaHeight), be64(e.Height))
	}
	b.hook = l.faultHook
	if err := l.st.apply(b); err != nil {
		return fmt.Errorf("import into ledger %s: %w", l.channel, err)
	}
	l.mu.Lock()
	l.height, l.first, l.lastHash = e.Height, first, bytes.Clone(e.CurrentBlockHash)
	l.mu.Unlock()
	l.spaces = spaces
	l.rich = newRichIndexLike(l.rich)
	l.log.Info("ledger restored", "height", e.Height, "keys", len(e.State), "private", len(e.Private), "spaces", rec.encode())
	return nil
}

// importPrivate adds to b the clear private data of e, each
// organisation's in its space, and returns the ledger's spaces and their
// record after b: an organisation of e the ledger does not serve gets a
// hidden space. A ledger without PeerMSPIDs keeps every organisation's
// data in its one space; one with PeerMSPIDs gives the data of an export
// that does not say whose it is (PrivateMSPID empty) to the members of
// each collection among its organisations, but where one of them has the
// key in e.OrgPrivate.
func (l *Ledger) importPrivate(e *Export, b *batch) ([]pvtSpace, spaceRecord, error) {
	spaces := slices.Clone(l.spaces)
	rec := recordOf(spaces)
	put := func(sp pvtSpace, p PrivateEntry) {
		r := stateRecord{Value: p.Value, Version: Version{p.Block, p.Tx}, Metadata: p.Metadata}
		b.put(sp.pvt, sp.key(collKey(p.Namespace, p.Collection, []byte(p.Key))), r.encode())
		b.put(sp.keys, sp.key(collKey(p.Namespace, p.Collection, hashBytes([]byte(p.Key)))), []byte(p.Key))
	}
	orgs := slices.Sorted(maps.Keys(e.OrgPrivate))
	if rec.KeepAll {
		for _, p := range e.Private {
			put(spaces[0], p)
		}
		for _, id := range orgs {
			for _, p := range e.OrgPrivate[id] {
				put(spaces[0], p)
			}
		}
		return spaces, rec, nil
	}
	space := func(id string) pvtSpace {
		for _, sp := range spaces {
			if sp.mspID == id {
				return sp
			}
		}
		sp := orgSpace(id, true)
		spaces = append(spaces, sp)
		rec = rec.withOrgs(id)
		l.log.Info("clear private data of an organisation this ledger does not serve kept, not served", "mspid", id)
		return sp
	}
	held := map[string]bool{} // mspid 0 collKey of the keys of e.OrgPrivate
	for _, id := range orgs {
		sp := space(id)
		for _, p := range e.OrgPrivate[id] {
			put(sp, p)
			held[id+"\x00"+string(collKey(p.Namespace, p.Collection, []byte(p.Key)))] = true
		}
	}
	if e.PrivateMSPID != "" {
		sp := space(e.PrivateMSPID)
		for _, p := range e.Private {
			put(sp, p)
		}
	} else if len(e.Private) > 0 {
		m := newMembership(l.exportDefinitions(e))
		dropped := 0
		for _, p := range e.Private {
			kept := false
			for _, sp := range spaces {
				if sp.hidden {
					continue
				}
				member, err := m.isMember(p.Namespace, p.Collection, sp.mspID)
				if err != nil {
					return nil, spaceRecord{}, fmt.Errorf("private %s/%s/%q: %w", p.Namespace, p.Collection, p.Key, err)
				}
				if member {
					kept = true
					if !held[sp.mspID+"\x00"+string(collKey(p.Namespace, p.Collection, []byte(p.Key)))] {
						put(sp, p)
					}
				}
			}
			if !kept {
				dropped++
			}
		}
		l.log.Info("clear private data of an export that does not say whose it is given to the collections' members",
			"organisations", l.cfg.PeerMSPIDs, "entries", len(e.Private), "dropped", dropped)
	}
	b.put(bucketMeta, []byte(metaPvtSpaces), rec.encode())
	return spaces, rec, nil
}

// Empty reports whether the ledger has no block and no state: whether
// Import would accept it.
func (l *Ledger) Empty() (bool, error) {
	l.commitMu.RLock()
	defer l.commitMu.RUnlock()
	err := l.checkEmpty()
	if errors.Is(err, ErrNotEmpty) {
		return false, nil
	}
	return err == nil, err
}

// checkEmpty reports ErrNotEmpty unless the ledger has no block and no
// state.
func (l *Ledger) checkEmpty() error {
	if h := l.Height(); h > 0 {
		return fmt.Errorf("it is at height %d: %w", h, ErrNotEmpty)
	}
	snap, err := l.st.snapshot()
	if err != nil {
		return err
	}
	defer snap.release()
	for _, bucket := range []string{bucketState, bucketHashed, bucketTxIDs} {
		cur := snap.scan(bucket, nil, nil)
		_, _, ok, err := cur.next()
		cur.close()
		if err != nil {
			return err
		}
		if ok {
			return fmt.Errorf("it holds %s entries: %w", bucket, ErrNotEmpty)
		}
	}
	return nil
}

// CheckExport reports the first thing in e that Import could not restore
// faithfully, wrapping ErrInvalidArgument: a missing block hash, a name
// with a NUL byte or not valid UTF-8, a version at or above Height, a
// duplicate key, a hash of the wrong length, or a clear private value
// without its matching hashed entry.
func CheckExport(e *Export) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("bad export: "+format+": %w", append(args, ErrInvalidArgument)...)
	}
	if e == nil {
		return bad("nil")
	}
	if e.Height > 0 {
		blk := &common.Block{}
		if err := proto.Unmarshal(e.LastBlock, blk); err != nil || len(e.LastBlock) == 0 {
			return bad("lastBlock is not a block (%v): height %d needs block %d", err, e.Height, e.Height-1)
		}
		if n := blk.GetHeader().GetNumber(); n != e.Height-1 {
			return bad("lastBlock is block %d, want %d (height-1)", n, e.Height-1)
		}
		if !bytes.Equal(BlockHeaderHash(blk.GetHeader()), e.CurrentBlockHash) ||
			!bytes.Equal(blk.GetHeader().GetPreviousHash(), e.PreviousBlockHash) {
			return bad("currentBlockHash or previousBlockHash do not match lastBlock's header")
		}
		if !bytes.Equal(BlockDataHash(blk.GetData()), blk.GetHeader().GetDataHash()) {
			return bad("lastBlock's data does not match its header's data hash")
		}
	}
	if e.Height == 0 && (len(e.State)+len(e.Hashed)+len(e.Private)+len(e.OrgPrivate)+len(e.TxIDs)+len(e.Expiry) > 0 || len(e.CurrentBlockHash)+len(e.LastBlock) > 0) {
		return bad("height 0 with entries or a block: an entry's version must be below the height")
	}
	version := func(what string, block, tx uint64) error {
		if block >= e.Height {
			return bad("%s: version {%d %d} is not below the height %d", what, block, tx, e.Height)
		}
		return nil
	}
	seen := map[string]bool{}
	for i, s := range e.State {
		what := fmt.Sprintf("state[%d] %s/%q", i, s.Namespace, s.Key)
		if err := checkName(what, "namespace", s.Namespace); err != nil {
			return bad("%v", err)
		}
		if !utf8.ValidString(s.Key) {
			return bad("%s: key is not valid UTF-8", what)
		}
		if err := version(what, s.Block, s.Tx); err != nil {
			return err
		}
		k := string(stateKey(s.Namespace, s.Key))
		if seen[k] {
			return bad("%s: duplicate key", what)
		}
		seen[k] = true
	}
	hashed := map[string]HashedEntry{}
	for i, h := range e.Hashed {
		what := fmt.Sprintf("hashed[%d] %s/%s/%x", i, h.Namespace, h.Collection, h.KeyHash)
		if err := checkColl(what, h.Namespace, h.Collection); err != nil {
			return bad("%v", err)
		}
		if len(h.KeyHash) != sha256.Size {
			return bad("%s: keyHash has %d bytes, want 32", what, len(h.KeyHash))
		}
		if err := version(what, h.Block, h.Tx); err != nil {
			return err
		}
		k := string(collKey(h.Namespace, h.Collection, h.KeyHash))
		if _, dup := hashed[k]; dup {
			return bad("%s: duplicate key", what)
		}
		hashed[k] = h
	}
	if err := checkPrivate("private", e.Private, hashed); err != nil {
		return bad("%v", err)
	}
	if e.PrivateMSPID != "" {
		if err := checkName("privateMSPID", "MSP ID", e.PrivateMSPID); err != nil {
			return bad("%v", err)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(e.OrgPrivate)) {
		what := fmt.Sprintf("orgPrivate[%q]", id)
		if err := checkName(what, "MSP ID", id); err != nil {
			return bad("%v", err)
		}
		if id == e.PrivateMSPID {
			return bad("%s: the organisation of private (privateMSPID) again", what)
		}
		if err := checkPrivate(what, e.OrgPrivate[id], hashed); err != nil {
			return bad("%v", err)
		}
	}
	for i, x := range e.Expiry {
		what := fmt.Sprintf("expiry[%d] %s/%s/%x", i, x.Namespace, x.Collection, x.KeyHash)
		if err := checkColl(what, x.Namespace, x.Collection); err != nil {
			return bad("%v", err)
		}
		if len(x.KeyHash) != sha256.Size {
			return bad("%s: keyHash has %d bytes, want 32", what, len(x.KeyHash))
		}
		if err := version(what, x.Block, x.Tx); err != nil {
			return err
		}
	}
	txids := map[string]bool{}
	for i, t := range e.TxIDs {
		what := fmt.Sprintf("txids[%d] %q", i, t.TxID)
		if t.TxID == "" || !utf8.ValidString(t.TxID) || txids[t.TxID] {
			return bad("%s: empty, not valid UTF-8 or duplicate", what)
		}
		if err := version(what, t.Block, t.Tx); err != nil {
			return err
		}
		if t.Code < 0 || t.Code > 255 {
			return bad("%s: validation code %d out of range", what, t.Code)
		}
		txids[t.TxID] = true
	}
	return nil
}

// checkPrivate checks one organisation's clear private data (field names
// it in errors) against the hashed entries of the export.
func checkPrivate(field string, entries []PrivateEntry, hashed map[string]HashedEntry) error {
	seen := map[string]bool{}
	for i, p := range entries {
		what := fmt.Sprintf("%s[%d] %s/%s/%q", field, i, p.Namespace, p.Collection, p.Key)
		if err := checkColl(what, p.Namespace, p.Collection); err != nil {
			return err
		}
		if !utf8.ValidString(p.Key) {
			return fmt.Errorf("%s: key is not valid UTF-8", what)
		}
		h, ok := hashed[string(collKey(p.Namespace, p.Collection, hashBytes([]byte(p.Key))))]
		switch {
		case !ok:
			return fmt.Errorf("%s: no hashed entry for this key", what)
		case h.Block != p.Block || h.Tx != p.Tx:
			return fmt.Errorf("%s: version {%d %d} differs from its hashed entry's {%d %d}", what, p.Block, p.Tx, h.Block, h.Tx)
		case !bytes.Equal(h.ValueHash, hashBytes(p.Value)):
			return fmt.Errorf("%s: the value's SHA-256 differs from its hashed entry's valueHash", what)
		}
		k := string(collKey(p.Namespace, p.Collection, []byte(p.Key)))
		if seen[k] {
			return fmt.Errorf("%s: duplicate key", what)
		}
		seen[k] = true
	}
	return nil
}

func checkName(what, field, name string) error {
	if name == "" || strings.IndexByte(name, 0) >= 0 || !utf8.ValidString(name) {
		return fmt.Errorf("%s: %s %q must be non-empty UTF-8 without NUL bytes", what, field, name)
	}
	return nil
}

func checkColl(what, ns, coll string) error {
	return errors.Join(checkName(what, "namespace", ns), checkName(what, "collection", coll))
}

// lastBlockResults rebuilds the stored verdicts of a restored block from
// its envelopes and its TRANSACTIONS_FILTER (the reasons of invalid
// transactions are not kept).
func lastBlockResults(raw []byte) ([]byte, error) {
	blk := &common.Block{}
	if err := proto.Unmarshal(raw, blk); err != nil {
		return nil, fmt.Errorf("last block: %w", err)
	}
	var filter []byte
	if md := blk.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		filter = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	rs := make([]TxResult, len(blk.GetData().GetData()))
	for i, data := range blk.GetData().GetData() {
		r := TxResult{Index: i, Code: peer.TxValidationCode_INVALID_OTHER_REASON}
		if i < len(filter) {
			r.Code = peer.TxValidationCode(filter[i])
		}
		env := &common.Envelope{}
		if proto.Unmarshal(data, env) == nil {
			tx, _ := parseEnvelope(env, "")
			r.TxID, r.ChaincodeName = tx.txID, tx.ccName
			if r.Code == peer.TxValidationCode_VALID {
				r.Event = tx.event
			}
		}
		if r.Code != peer.TxValidationCode_VALID {
			r.Err = &ValidationError{TxID: r.TxID, Code: r.Code, Err: errors.New("restored from a snapshot: the reason was not kept")}
		}
		rs[i] = r
	}
	return encodeResults(rs)
}

// NewExport returns the export of a ledger whose state is state, every
// entry at version {0, 0}, and whose one block, 0, holds no transaction:
// what a fixture restores.
func NewExport(state []StateEntry) (*Export, error) {
	blk := newBlock(0, nil, nil, nil)
	raw, err := deterministic.Marshal(blk)
	if err != nil {
		return nil, fmt.Errorf("new export: %w", err)
	}
	e := &Export{Height: 1, CurrentBlockHash: BlockHeaderHash(blk.GetHeader()), LastBlock: raw, State: state}
	for i := range e.State {
		e.State[i].Block, e.State[i].Tx = 0, 0
	}
	if err := CheckExport(e); err != nil {
		return nil, err
	}
	return e, nil
}

// newRichIndexLike returns a rich-query index with r's index definitions
// and no cached documents, for state that changed under it.
func newRichIndexLike(r *richIndex) *richIndex {
	n := newRichIndex()
	if r != nil {
		r.mu.Lock()
		n.indexes = maps.Clone(r.indexes)
		r.mu.Unlock()
	}
	return n
}
