package ledger

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// validationParameterKey is the metadata key of a key-level endorsement
// policy (peer.MetaDataKeys_VALIDATION_PARAMETER by name).
var validationParameterKey = peer.MetaDataKeys_VALIDATION_PARAMETER.String()

// pending is a write of an earlier valid transaction of the block being
// validated: the record the key will have after commit (nil: deleted).
type pending struct {
	rec    *stateRecord
	writer string
	purge  bool
	// clearKey is the clear private key of a hashed entry, when known.
	clearKey string
}

// blockView is committed state plus the writes of the valid transactions
// validated so far in the block being built. Keys of the maps are store
// keys (stateKey / collKey).
type blockView struct {
	l      *Ledger
	snap   snapshot
	number uint64
	pub    map[string]*pending
	hashed map[string]*pending
	// pvt and pvtKeys are the clear private writes of each organisation's
	// space (indexed as Ledger.spaces), keyed by collKey without the
	// space's prefix; pvtKeys maps hashed keys to clear keys ("" = remove).
	pvt     []map[string]*pending
	pvtKeys []map[string]string
	// vpChanged holds keys whose metadata an earlier valid transaction of
	// the block wrote.
	vpChanged map[string]bool
	txIDs     map[string]uint64 // first index of each txID in the block
	// pubOrder and friends keep first-write order for deterministic output.
	history []historyEntry
	expiry  []expiryEntry
	// purges are the private keys purged by valid transactions;
	// blockPvt the private data of the block's transactions as kept.
	purges   []purgeMarker
	blockPvt []blockPvtEntry
	undo     []func() // apply's journal of the current transaction
}

type historyEntry struct {
	ns, key string
	v       Version
	rec     historyRecord
}

type expiryEntry struct {
	at       uint64
	ns, coll string
	keyHash  []byte
	clearKey string
	v        Version
	hasClear bool
}

func newBlockView(l *Ledger, snap snapshot, number uint64) *blockView {
	v := &blockView{
		l: l, snap: snap, number: number,
		pub: make(map[string]*pending), hashed: make(map[string]*pending),
		pvt: make([]map[string]*pending, len(l.spaces)), pvtKeys: make([]map[string]string, len(l.spaces)),
		vpChanged: make(map[string]bool), txIDs: make(map[string]uint64),
	}
	for i := range l.spaces {
		v.pvt[i], v.pvtKeys[i] = make(map[string]*pending), make(map[string]string)
	}
	return v
}

// lookup returns the record of a key as of the block view.
func (v *blockView) lookup(bucket string, k []byte) (*stateRecord, *pending, error) {
	var m map[string]*pending
	switch bucket {
	case bucketState:
		m = v.pub
	case bucketHashed:
		m = v.hashed
	}
	return v.lookupIn(m, bucket, k, k)
}

// lookupPvt returns the clear private record of collKey k in the
// si-th organisation's space as of the block view.
func (v *blockView) lookupPvt(si int, k []byte) (*stateRecord, *pending, error) {
	sp := v.l.spaces[si]
	return v.lookupIn(v.pvt[si], sp.pvt, k, sp.key(k))
}

func (v *blockView) lookupIn(m map[string]*pending, bucket string, k, storeKey []byte) (*stateRecord, *pending, error) {
	if p, ok := m[string(k)]; ok {
		return p.rec, p, nil
	}
	raw, err := v.snap.get(bucket, storeKey)
	if err != nil || raw == nil {
		return nil, nil, err
	}
	rec, err := decodeStateRecord(raw)
	return rec, nil, err
}

// definition returns the definition of ns as of the block view, nil if none.
func (v *blockView) definition(ns string) (*ChaincodeDefinition, error) {
	rec, _, err := v.lookup(bucketState, stateKey(LifecycleNamespace, LifecycleDefinitionKey(ns)))
	if err == nil && rec == nil {
		rec, _, err = v.lookup(bucketState, stateKey(LSCCNamespace, ns))
	}
	if err != nil || rec == nil {
		return nil, err
	}
	return v.l.defs.decode(rec.Value)
}

func (v *blockView) collections(ns string) (map[string]*collectionInfo, error) {
	def, err := v.definition(ns)
	if err != nil || def == nil {
		return nil, err
	}
	return parseCollections(def.Collections)
}

func fromProtoVersion(pv *kvrwset.Version) *Version {
	if pv == nil {
		return nil
	}
	return &Version{BlockNum: pv.GetBlockNum(), TxNum: pv.GetTxNum()}
}

func sameVersion(a, b *Version) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// validate judges one parsed transaction, the txNum-th of the block. It
// returns VALID and nil, or the code and the reason. Like Fabric, a txID
// seen earlier in the block makes a duplicate whether or not that earlier
// transaction was valid.
//
// pre holds what prevalidate did ahead for the transaction: verdicts the
// sequential pass reuses instead of evaluating them again.
func (v *blockView) validate(tx *parsedTx, txNum uint64, pre *prevalidated) (code peer.TxValidationCode, err error) {
	defer func() {
		if _, seen := v.txIDs[tx.txID]; !seen && code != peer.TxValidationCode_DUPLICATE_TXID {
			v.txIDs[tx.txID] = txNum
		}
	}()
	if first, ok := v.txIDs[tx.txID]; ok {
		return peer.TxValidationCode_DUPLICATE_TXID, &DuplicateTxError{TxID: tx.txID, BlockNum: v.number, TxNum: first}
	}
	if loc, ok, err := readTxLocation(v.snap, tx.txID); err != nil {
		return peer.TxValidationCode_INVALID_OTHER_REASON, err
	} else if ok {
		return peer.TxValidationCode_DUPLICATE_TXID, &DuplicateTxError{TxID: tx.txID, BlockNum: loc.BlockNum, TxNum: loc.TxNum}
	}
	creatorErr := pre.creatorErr
	if !pre.creatorChecked {
		creatorErr = v.l.policy.CheckCreator(tx.creator, tx.payload, tx.signature)
	}
	if err := creatorErr; err != nil {
		return peer.TxValidationCode_BAD_CREATOR_SIGNATURE, fmt.Errorf("creator signature: %w", err)
	}
	if v.l.cfg.CheckTxID {
		if want := ComputeTxID(tx.nonce, tx.creator); want != tx.txID {
			return peer.TxValidationCode_BAD_PROPOSAL_TXID, fmt.Errorf("transaction ID %s is not hex(SHA-256(nonce || creator)) = %s", tx.txID, want)
		}
	}
	if err := v.checkWriteSet(tx); err != nil {
		return peer.TxValidationCode_INVALID_WRITESET, err
	}
	if err := v.checkEndorsements(tx, pre); err != nil {
		var ee *EndorsementError
		if errors.As(err, &ee) {
			return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, err
		}
		return peer.TxValidationCode_INVALID_OTHER_REASON, err // the store failed, not the endorsers
	}
	if err := v.checkReads(tx); err != nil {
		var pe *PhantomReadError
		if errors.As(err, &pe) {
			return peer.TxValidationCode_PHANTOM_READ_CONFLICT, err
		}
		var me *MVCCConflictError
		if errors.As(err, &me) {
			return peer.TxValidationCode_MVCC_READ_CONFLICT, err
		}
		return peer.TxValidationCode_INVALID_OTHER_REASON, err
	}
	return peer.TxValidationCode_VALID, nil
}

// checkWriteSet rejects writes that cannot be applied.
func (v *blockView) checkWriteSet(tx *parsedTx) error {
	for _, n := range tx.nss {
		if strings.IndexByte(n.ns, 0) >= 0 {
			return fmt.Errorf("namespace %q contains a null byte", n.ns)
		}
		for _, w := range n.kv.GetWrites() {
			if len(n.ns)+len(w.GetKey()) > maxKeyBytes {
				return fmt.Errorf("write of a %d-byte key in %s: namespace and key together may have at most %d bytes", len(w.GetKey()), n.ns, maxKeyBytes)
			}
		}
		for _, w := range n.kv.GetMetadataWrites() {
			if len(n.ns)+len(w.GetKey()) > maxKeyBytes {
				return fmt.Errorf("metadata write of a %d-byte key in %s: namespace and key together may have at most %d bytes", len(w.GetKey()), n.ns, maxKeyBytes)
			}
		}
		for _, c := range n.colls {
			if strings.IndexByte(c.name, 0) >= 0 {
				return fmt.Errorf("collection %q of %s contains a null byte", c.name, n.ns)
			}
			for _, w := range c.hashed.GetHashedWrites() {
				if len(w.GetKeyHash()) != 32 {
					return fmt.Errorf("hashed write in %s/%s has a key hash of %d bytes, want 32", n.ns, c.name, len(w.GetKeyHash()))
				}
			}
		}
		if n.ns == LSCCNamespace || n.ns == LifecycleNamespace {
			if err := checkDefinitionWrites(n.ns, n.kv.GetWrites()); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDefinitionWrites checks the definitions written to ns, LSCCNamespace
// (one key per chaincode name) or LifecycleNamespace (the keys
// LifecycleDefinitionKey; other public keys of _lifecycle are not
// definitions).
func checkDefinitionWrites(ns string, writes []*kvrwset.KVWrite) error {
	for _, w := range writes {
		name := w.GetKey()
		if ns == LifecycleNamespace {
			var ok bool
			if name, ok = strings.CutPrefix(name, lifecycleDefinitionPrefix); !ok {
				continue
			}
		}
		if w.GetIsDelete() {
			if ns == LifecycleNamespace {
				return fmt.Errorf("chaincode definition %q: a _lifecycle definition cannot be deleted", w.GetKey())
			}
			continue
		}
		def, err := decodeDefinition(w.GetValue())
		if err == nil {
			err = def.validate()
		}
		if err == nil && def.Name != name {
			err = fmt.Errorf("definition of %s stored under key %q", def.Name, w.GetKey())
		}
		if err == nil && ns == LifecycleNamespace && def.Sequence < 1 {
			err = fmt.Errorf("_lifecycle definition of %s has sequence %d, want 1 or more", def.Name, def.Sequence)
		}
		if err != nil {
			return fmt.Errorf("chaincode definition %q: %w", w.GetKey(), err)
		}
	}
	return nil
}

// checkEndorsements evaluates every policy the transaction's writes need:
// the key-level policy of each written key that has one, otherwise the
// collection's or the chaincode's policy, as Fabric's key-level endorsement
// validation does.
func (v *blockView) checkEndorsements(tx *parsedTx, pre *prevalidated) error {
	checks, err := v.endorsementChecks(tx)
	if err != nil {
		return err
	}
	for _, p := range checks {
		err, ok := pre.verdict(p)
		if !ok {
			err = v.l.policy.CheckEndorsements(p, tx.prp, tx.endorsements)
		}
		if err != nil {
			return &EndorsementError{Namespace: p.Namespace, Collection: p.Collection, Key: p.Key, Err: err}
		}
	}
	return nil
}

// endorsementChecks returns the policies the transaction's writes need as
// of the block view, each once, in the order checkEndorsements evaluates
// them. An error is an *EndorsementError when the transaction cannot be
// endorsed whatever its endorsements, else a failed store read.
func (v *blockView) endorsementChecks(tx *parsedTx) ([]Policy, error) {
	// The invoked chaincode's policy applies unless every write in its
	// namespace is covered by a key-level policy.
	needNS := map[string]bool{}
	ccWrote := false
	var checks []Policy
	definedHere := map[string]bool{}
	for _, n := range tx.nss {
		switch n.ns {
		case LSCCNamespace:
			for _, w := range n.kv.GetWrites() {
				definedHere[w.GetKey()] = true
			}
		case LifecycleNamespace:
			for _, w := range n.kv.GetWrites() {
				if name, ok := strings.CutPrefix(w.GetKey(), lifecycleDefinitionPrefix); ok {
					definedHere[name] = true
				}
			}
		}
	}
	vpOf := func(bucket string, k []byte) ([]byte, bool, error) {
		if v.vpChanged[bucket+string(k)] {
			return nil, true, nil
		}
		rec, _, err := v.lookup(bucket, k)
		if err != nil || rec == nil {
			return nil, false, err
		}
		return rec.Metadata[validationParameterKey], false, nil
	}
	for _, n := range tx.nss {
		wrote := false
		keys := map[string]bool{}
		for _, w := range n.kv.GetWrites() {
			keys[w.GetKey()] = true
		}
		for _, w := range n.kv.GetMetadataWrites() {
			keys[w.GetKey()] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			wrote = true
			vp, changed, err := vpOf(bucketState, stateKey(n.ns, k))
			if err != nil {
				return nil, err
			}
			if changed {
				return nil, &EndorsementError{Namespace: n.ns, Key: k, Err: errors.New("the key's validation parameter was changed by an earlier transaction of the same block")}
			}
			if vp == nil {
				needNS[n.ns] = true
				continue
			}
			p, err := keyPolicy(vp)
			if err != nil {
				return nil, &EndorsementError{Namespace: n.ns, Key: k, Err: err}
			}
			checks = append(checks, Policy{Namespace: n.ns, Key: k, Application: p})
		}
		var colls map[string]*collectionInfo
		for _, c := range n.colls {
			hkeys := map[string]bool{}
			for _, w := range c.hashed.GetHashedWrites() {
				hkeys[string(w.GetKeyHash())] = true
			}
			for _, w := range c.hashed.GetMetadataWrites() {
				hkeys[string(w.GetKeyHash())] = true
			}
			if len(hkeys) == 0 {
				continue
			}
			wrote = true
			if colls == nil {
				var err error
				if colls, err = v.collections(n.ns); err != nil {
					return nil, err
				}
			}
			info := colls[c.name]
			if info == nil && strings.HasPrefix(c.name, ImplicitCollectionPrefix) {
				info = implicitCollection(c.name)
			}
			if info == nil && !definedHere[n.ns] {
				return nil, &EndorsementError{Namespace: n.ns, Collection: c.name, Err: errors.New("collection is not defined for the chaincode")}
			}
			collNeeded := false
			for _, hk := range slices.Sorted(maps.Keys(hkeys)) {
				vp, changed, err := vpOf(bucketHashed, collKey(n.ns, c.name, []byte(hk)))
				if err != nil {
					return nil, err
				}
				if changed {
					return nil, &EndorsementError{Namespace: n.ns, Collection: c.name, Key: fmt.Sprintf("%x", hk), Err: errors.New("the key's validation parameter was changed by an earlier transaction of the same block")}
				}
				if vp == nil {
					collNeeded = true
					continue
				}
				p, err := keyPolicy(vp)
				if err != nil {
					return nil, &EndorsementError{Namespace: n.ns, Collection: c.name, Key: fmt.Sprintf("%x", hk), Err: err}
				}
				checks = append(checks, Policy{Namespace: n.ns, Collection: c.name, Key: fmt.Sprintf("%x", hk), Application: p})
			}
			if collNeeded {
				if info != nil && info.endorsement != nil {
					checks = append(checks, Policy{Namespace: n.ns, Collection: c.name, Application: info.endorsement})
				} else {
					needNS[n.ns] = true
				}
			}
		}
		if wrote && n.ns == tx.ccName {
			ccWrote = true
		}
	}
	if tx.ccName != "" && !ccWrote {
		needNS[tx.ccName] = true
	}
	for _, ns := range slices.Sorted(maps.Keys(needNS)) {
		if ns == LifecycleNamespace {
			checks = append(checks, Policy{Namespace: LifecycleNamespace})
			continue
		}
		if ns == LSCCNamespace || definedHere[ns] {
			checks = append(checks, Policy{Namespace: LSCCNamespace})
			continue
		}
		def, err := v.definition(ns)
		if err != nil {
			return nil, err
		}
		if def == nil {
			return nil, &EndorsementError{Namespace: ns, Err: fmt.Errorf("chaincode %s is not defined on channel %s", ns, v.l.channel)}
		}
		checks = append(checks, Policy{Namespace: ns, Application: def.EndorsementPolicy})
	}
	seen := map[string]bool{}
	unique := checks[:0]
	for _, p := range checks {
		id := p.Namespace + "\x00" + p.Collection + "\x00" + p.Key
		if !seen[id] {
			seen[id] = true
			unique = append(unique, p)
		}
	}
	return unique, nil
}

// keyPolicy decodes a VALIDATION_PARAMETER (a SignaturePolicyEnvelope).
func keyPolicy(vp []byte) (*peer.ApplicationPolicy, error) {
	env := &common.SignaturePolicyEnvelope{}
	if err := proto.Unmarshal(vp, env); err != nil {
		return nil, fmt.Errorf("decode validation parameter: %w", err)
	}
	return &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: env}}, nil
}

// checkReads runs the MVCC check of plain and hashed reads and the phantom
// check of range queries, as Fabric's state validator does.
func (v *blockView) checkReads(tx *parsedTx) error {
	for _, n := range tx.nss {
		for _, r := range n.kv.GetReads() {
			rec, p, err := v.lookup(bucketState, stateKey(n.ns, r.GetKey()))
			if err != nil {
				return err
			}
			read := fromProtoVersion(r.GetVersion())
			if p != nil || !sameVersion(read, recVersion(rec)) {
				e := &MVCCConflictError{Namespace: n.ns, Key: r.GetKey(), Read: read, Committed: recVersion(rec), InBlock: p != nil}
				v.fillWriter(e, p)
				return e
			}
		}
		for _, rq := range n.kv.GetRangeQueriesInfo() {
			if err := v.checkRange(n.ns, rq); err != nil {
				return err
			}
		}
		for _, c := range n.colls {
			for _, r := range c.hashed.GetHashedReads() {
				rec, p, err := v.lookup(bucketHashed, collKey(n.ns, c.name, r.GetKeyHash()))
				if err != nil {
					return err
				}
				read := fromProtoVersion(r.GetVersion())
				if p != nil || !sameVersion(read, recVersion(rec)) {
					e := &MVCCConflictError{Namespace: n.ns, Collection: c.name, Key: fmt.Sprintf("%x", r.GetKeyHash()),
						Read: read, Committed: recVersion(rec), InBlock: p != nil}
					v.fillWriter(e, p)
					return e
				}
			}
		}
	}
	return nil
}

func (v *blockView) fillWriter(e *MVCCConflictError, p *pending) {
	switch {
	case p != nil:
		e.WriterTxID = p.writer
		e.Committed = recVersion(p.rec)
		if e.Committed == nil {
			e.Committed = &Version{BlockNum: v.number}
		}
	case e.Committed != nil:
		e.WriterTxID = txIDAt(v.snap, *e.Committed)
	}
}

// checkRange re-runs a range query over the block view and compares the
// keys and versions with those the simulation saw.
func (v *blockView) checkRange(ns string, rq *kvrwset.RangeQueryInfo) error {
	raw, merkle := rq.GetRawReads(), rq.GetReadsMerkleHashes()
	if raw == nil && merkle == nil {
		return &PhantomReadError{Namespace: ns, StartKey: rq.GetStartKey(), EndKey: rq.GetEndKey(), Detail: "cannot be checked: the range query info carries no reads"}
	}
	if merkle == nil && !rq.GetItrExhausted() && rq.GetEndKey() == "" && len(raw.GetKvReads()) == 0 {
		return nil // an iterator that was opened but never returned anything observed nothing
	}
	start := stateKey(ns, rq.GetStartKey())
	var end []byte
	switch {
	case !rq.GetItrExhausted():
		end = append(stateKey(ns, rq.GetEndKey()), 0) // the last key read, inclusive
	default:
		end = rangeEnd(ns, rq.GetEndKey())
	}
	// Merge committed keys with this block's writes in the range.
	type kv struct {
		key string
		v   Version
	}
	var got []kv
	cur := v.snap.scan(bucketState, start, end)
	defer cur.close()
	var upd []string
	for k := range v.pub {
		if k >= string(start) && (end == nil || k < string(end)) {
			upd = append(upd, k)
		}
	}
	slices.Sort(upd)
	prefix := len(ns) + 1
	ck, cv, cok, err := cur.next()
	if err != nil {
		return err
	}
	for cok || len(upd) > 0 {
		var k string
		switch {
		case !cok:
			k = upd[0]
		case len(upd) == 0:
			k = string(ck)
		default:
			k = min(string(ck), upd[0])
		}
		fromUpd := len(upd) > 0 && upd[0] == k
		fromCommitted := cok && string(ck) == k
		if fromUpd {
			if p := v.pub[k]; p.rec != nil {
				got = append(got, kv{key: k[prefix:], v: p.rec.Version})
			}
			upd = upd[1:]
		} else {
			rec, err := decodeStateRecord(cv)
			if err != nil {
				return err
			}
			got = append(got, kv{key: k[prefix:], v: rec.Version})
		}
		if fromCommitted {
			if ck, cv, cok, err = cur.next(); err != nil {
				return err
			}
		}
	}
	if merkle != nil {
		reads := make([]*kvrwset.KVRead, len(got))
		for i, g := range got {
			reads[i] = &kvrwset.KVRead{Key: g.key, Version: g.v.proto()}
		}
		_, sum := summarizeReads(reads, merkle.GetMaxDegree())
		if !proto.Equal(sum, merkle) {
			return &PhantomReadError{Namespace: ns, StartKey: rq.GetStartKey(), EndKey: rq.GetEndKey(),
				Detail: fmt.Sprintf("or another key of the %d now in the range changed (the simulation's Merkle summary of its results no longer matches)", len(got))}
		}
		return nil
	}
	want := raw.GetKvReads()
	for i := 0; i < max(len(got), len(want)); i++ {
		pe := &PhantomReadError{Namespace: ns, StartKey: rq.GetStartKey(), EndKey: rq.GetEndKey()}
		switch {
		case i >= len(want):
			pe.Key, pe.Detail = got[i].key, fmt.Sprintf("appeared with version %s", got[i].v)
			return pe
		case i >= len(got):
			pe.Key, pe.Detail = want[i].GetKey(), "disappeared"
			return pe
		case got[i].key != want[i].GetKey():
			if got[i].key < want[i].GetKey() {
				pe.Key, pe.Detail = got[i].key, fmt.Sprintf("appeared with version %s", got[i].v)
			} else {
				pe.Key, pe.Detail = want[i].GetKey(), "disappeared"
			}
			return pe
		case !sameVersion(&got[i].v, fromProtoVersion(want[i].GetVersion())):
			pe.Key, pe.Detail = got[i].key, fmt.Sprintf("changed from version %s to %s", versionString(fromProtoVersion(want[i].GetVersion())), got[i].v)
			return pe
		}
	}
	return nil
}
