package determinism

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Simulation is one simulation of a proposal: what the endorser would put
// into the ChaincodeAction it signs, and the clear private writes behind
// its collection hashes.
type Simulation struct {
	// Response is the chaincode's response.
	Response *peer.Response
	// Event is the chaincode event; nil when none was set.
	Event *peer.ChaincodeEvent
	// RWSet is the public read-write set with the hashed read-write set
	// of each collection.
	RWSet *rwset.TxReadWriteSet
	// Private holds the clear private writes; nil when there are none.
	// Compare uses it to name the keys and show the values behind the
	// hashes.
	Private *rwset.TxPvtReadWriteSet
	// Err is set when the simulation failed (the chaincode sent ERROR,
	// timed out or its stream ended); the other fields are then unused.
	Err error
}

// Field names the part of a simulation where a Difference is.
type Field string

// The fields Compare reports.
const (
	FieldOutcome         Field = "outcome"          // one simulation failed, or they failed differently
	FieldStatus          Field = "response status"  // peer.Response.status
	FieldMessage         Field = "response message" // peer.Response.message
	FieldPayload         Field = "response payload" // peer.Response.payload
	FieldEvent           Field = "event"            // one simulation set an event, the other none
	FieldEventName       Field = "event name"
	FieldEventPayload    Field = "event payload"
	FieldRead            Field = "read"             // a key read by one simulation only
	FieldRangeQuery      Field = "range query"      // a range query's bounds or results
	FieldWrite           Field = "write"            // a key's written value, or a delete
	FieldMetadataWrite   Field = "metadata write"   // a key's metadata (e.g. its endorsement policy)
	FieldPrivateRead     Field = "private read"     // a private key read by one simulation only
	FieldPrivateWrite    Field = "private write"    // a private key's value hash, or a delete or purge
	FieldPrivateMetadata Field = "private metadata" // a private key's metadata
)

// Entry is what one simulation holds where a Difference is.
type Entry struct {
	// Absent: the simulation has nothing there (it does not write that
	// key, sets no event).
	Absent bool
	// Deleted: the simulation deletes the key (Purged: purges it).
	Deleted, Purged bool
	// Hashed: Value is the hash of a private value whose clear value
	// the simulation did not give.
	Hashed bool
	// Value is the value written, the status, message, payload or event
	// field, a read's version as "block:tx", a range query's results as
	// text, or a failure's text.
	Value []byte
}

// Difference is one place where two simulations differ.
type Difference struct {
	Field Field
	// Namespace, Collection and Key locate a read or write. Key is
	// "hash:<hex>" for a private key whose clear name is unknown, and the
	// bounds "[start, end)" for a range query.
	Namespace, Collection, Key string
	// First and Second are what each simulation holds there.
	First, Second Entry
	// Offset is the index of the first byte at which the two values
	// differ, or -1 when one is absent, deleted or purged.
	Offset int
	// Hint names the likely cause.
	Hint Hint
}

// Report is the outcome of Compare.
type Report struct {
	// Differences lists where the simulations differ, response first,
	// then the event, then the read-write set by namespace, collection
	// and key.
	Differences []Difference
	// Changed lists the keys both simulations read at different versions
	// ("ns key: 3:0 then 4:0"): a block committed between them, so the
	// differences may come from that commit rather than the chaincode.
	Changed []string
}

// Deterministic reports whether the two simulations agree.
func (r Report) Deterministic() bool { return len(r.Differences) == 0 }

// Inconclusive reports whether the state changed between the two
// simulations, so that a difference does not prove nondeterminism.
func (r Report) Inconclusive() bool { return len(r.Changed) > 0 }

// Compare compares two simulations of one proposal. It fails only when a
// read-write set cannot be decoded.
func Compare(first, second Simulation) (Report, error) {
	c := &comparer{}
	if first.Err != nil || second.Err != nil {
		c.outcome(first.Err, second.Err)
		return c.report(), nil
	}
	c.response(first.Response, second.Response)
	c.event(first.Event, second.Event)
	if err := c.rwsets(first, second); err != nil {
		return Report{}, err
	}
	return c.report(), nil
}

type comparer struct {
	diffs   []Difference
	changed []string
}

func (c *comparer) report() Report {
	for i := range c.diffs {
		c.diffs[i].Hint = hintFor(c.diffs[i])
	}
	return Report{Differences: c.diffs, Changed: c.changed}
}

// add records a difference between two present values, if they differ.
func (c *comparer) add(d Difference, a, b Entry) {
	if a.Absent == b.Absent && a.Deleted == b.Deleted && a.Purged == b.Purged && a.Hashed == b.Hashed && bytes.Equal(a.Value, b.Value) {
		return
	}
	d.First, d.Second, d.Offset = a, b, -1
	if !a.Absent && !b.Absent && !a.Deleted && !b.Deleted && !a.Purged && !b.Purged {
		d.Offset = firstDiff(a.Value, b.Value)
	}
	c.diffs = append(c.diffs, d)
}

func (c *comparer) outcome(a, b error) {
	text := func(err error) Entry {
		if err == nil {
			return Entry{Value: []byte("succeeded")}
		}
		return Entry{Value: []byte("failed: " + err.Error())}
	}
	c.add(Difference{Field: FieldOutcome}, text(a), text(b))
}

func (c *comparer) response(a, b *peer.Response) {
	c.add(Difference{Field: FieldStatus}, value(strconv.Itoa(int(a.GetStatus()))), value(strconv.Itoa(int(b.GetStatus()))))
	c.add(Difference{Field: FieldMessage}, value(a.GetMessage()), value(b.GetMessage()))
	c.add(Difference{Field: FieldPayload}, Entry{Value: a.GetPayload()}, Entry{Value: b.GetPayload()})
}

func (c *comparer) event(a, b *peer.ChaincodeEvent) {
	if (a == nil) != (b == nil) {
		c.add(Difference{Field: FieldEvent}, eventEntry(a), eventEntry(b))
		return
	}
	c.add(Difference{Field: FieldEventName}, value(a.GetEventName()), value(b.GetEventName()))
	c.add(Difference{Field: FieldEventPayload}, Entry{Value: a.GetPayload()}, Entry{Value: b.GetPayload()})
}

func eventEntry(e *peer.ChaincodeEvent) Entry {
	if e == nil {
		return Entry{Absent: true}
	}
	return Entry{Value: fmt.Appendf(nil, "%s: %s", e.GetEventName(), e.GetPayload())}
}

func value(s string) Entry { return Entry{Value: []byte(s)} }

// rwsets compares the namespaces of the two read-write sets.
func (c *comparer) rwsets(first, second Simulation) error {
	a, b := namespaces(first.RWSet), namespaces(second.RWSet)
	clearA, err := clearPrivate(first.Private)
	if err != nil {
		return fmt.Errorf("first simulation: %w", err)
	}
	clearB, err := clearPrivate(second.Private)
	if err != nil {
		return fmt.Errorf("second simulation: %w", err)
	}
	for _, ns := range union(a, b) {
		kvA, err := decodeKV(a[ns])
		if err != nil {
			return fmt.Errorf("first simulation, namespace %s: %w", ns, err)
		}
		kvB, err := decodeKV(b[ns])
		if err != nil {
			return fmt.Errorf("second simulation, namespace %s: %w", ns, err)
		}
		c.kv(ns, kvA, kvB)
		collA, collB := collections(a[ns]), collections(b[ns])
		for _, coll := range union(collA, collB) {
			hA, err := decodeHashed(collA[coll])
			if err != nil {
				return fmt.Errorf("first simulation, collection %s/%s: %w", ns, coll, err)
			}
			hB, err := decodeHashed(collB[coll])
			if err != nil {
				return fmt.Errorf("second simulation, collection %s/%s: %w", ns, coll, err)
			}
			c.hashed(ns, coll, hA, hB, clearA[ns+"\x00"+coll], clearB[ns+"\x00"+coll])
		}
	}
	return nil
}

// kv compares one namespace's public reads, range queries and writes.
func (c *comparer) kv(ns string, a, b *kvrwset.KVRWSet) {
	readsA, readsB := byKey(a.GetReads(), (*kvrwset.KVRead).GetKey), byKey(b.GetReads(), (*kvrwset.KVRead).GetKey)
	for _, k := range union(readsA, readsB) {
		ra, okA := readsA[k]
		rb, okB := readsB[k]
		if okA && okB {
			c.versions(ns, k, ra.GetVersion(), rb.GetVersion())
			continue
		}
		c.add(Difference{Field: FieldRead, Namespace: ns, Key: k}, readEntry(ra, okA), readEntry(rb, okB))
	}
	qa, qb := a.GetRangeQueriesInfo(), b.GetRangeQueriesInfo()
	for i := range max(len(qa), len(qb)) {
		ra, rb := at(qa, i), at(qb, i)
		if proto.Equal(ra, rb) {
			continue
		}
		if ra != nil && rb != nil {
			ka := byKey(ra.GetRawReads().GetKvReads(), (*kvrwset.KVRead).GetKey)
			kb := byKey(rb.GetRawReads().GetKvReads(), (*kvrwset.KVRead).GetKey)
			for k, r := range ka {
				if o, ok := kb[k]; ok {
					c.versions(ns, k, r.GetVersion(), o.GetVersion())
				}
			}
		}
		q := ra
		if q == nil {
			q = rb
		}
		c.add(Difference{Field: FieldRangeQuery, Namespace: ns, Key: fmt.Sprintf("[%q, %q)", q.GetStartKey(), q.GetEndKey())}, rangeEntry(ra), rangeEntry(rb))
	}
	writesA, writesB := byKey(a.GetWrites(), (*kvrwset.KVWrite).GetKey), byKey(b.GetWrites(), (*kvrwset.KVWrite).GetKey)
	for _, k := range union(writesA, writesB) {
		c.add(Difference{Field: FieldWrite, Namespace: ns, Key: k}, writeEntry(writesA[k]), writeEntry(writesB[k]))
	}
	metaA, metaB := byKey(a.GetMetadataWrites(), (*kvrwset.KVMetadataWrite).GetKey), byKey(b.GetMetadataWrites(), (*kvrwset.KVMetadataWrite).GetKey)
	for _, k := range union(metaA, metaB) {
		c.add(Difference{Field: FieldMetadataWrite, Namespace: ns, Key: k}, metaEntry(metaA[k]), metaEntry(metaB[k]))
	}
}

// hashed compares one collection's hashed reads and writes; clear maps
// key hashes to the clear writes of each simulation, to name keys.
func (c *comparer) hashed(ns, coll string, a, b *kvrwset.HashedRWSet, clearA, clearB map[string]*kvrwset.KVWrite) {
	name := func(h string) string {
		if w, ok := clearA[h]; ok {
			return w.GetKey()
		}
		if w, ok := clearB[h]; ok {
			return w.GetKey()
		}
		return "hash:" + hex.EncodeToString([]byte(h))
	}
	readsA, readsB := byKey(a.GetHashedReads(), hashedReadKey), byKey(b.GetHashedReads(), hashedReadKey)
	for _, h := range union(readsA, readsB) {
		ra, okA := readsA[h]
		rb, okB := readsB[h]
		if okA && okB {
			c.versions(ns+"/"+coll, name(h), ra.GetVersion(), rb.GetVersion())
			continue
		}
		c.add(Difference{Field: FieldPrivateRead, Namespace: ns, Collection: coll, Key: name(h)},
			versionEntry(ra.GetVersion(), okA), versionEntry(rb.GetVersion(), okB))
	}
	writesA, writesB := byKey(a.GetHashedWrites(), hashedWriteKey), byKey(b.GetHashedWrites(), hashedWriteKey)
	for _, h := range union(writesA, writesB) {
		c.add(Difference{Field: FieldPrivateWrite, Namespace: ns, Collection: coll, Key: name(h)},
			hashedWriteEntry(writesA[h], clearA[h]), hashedWriteEntry(writesB[h], clearB[h]))
	}
	metaA, metaB := byKey(a.GetMetadataWrites(), hashedMetaKey), byKey(b.GetMetadataWrites(), hashedMetaKey)
	for _, h := range union(metaA, metaB) {
		c.add(Difference{Field: FieldPrivateMetadata, Namespace: ns, Collection: coll, Key: name(h)},
			metaEntries(metaA[h] != nil, metaA[h].GetEntries()), metaEntries(metaB[h] != nil, metaB[h].GetEntries()))
	}
}

// versions records a key both simulations read at different versions.
func (c *comparer) versions(where, key string, a, b *kvrwset.Version) {
	if proto.Equal(a, b) {
		return
	}
	c.changed = append(c.changed, fmt.Sprintf("%s %q: %s then %s", where, key, versionText(a), versionText(b)))
}

func versionText(v *kvrwset.Version) string {
	if v == nil {
		return "absent"
	}
	return fmt.Sprintf("%d:%d", v.GetBlockNum(), v.GetTxNum())
}

func readEntry(r *kvrwset.KVRead, ok bool) Entry { return versionEntry(r.GetVersion(), ok) }

func versionEntry(v *kvrwset.Version, ok bool) Entry {
	if !ok {
		return Entry{Absent: true}
	}
	if v == nil {
		return value("read, key absent")
	}
	return value("read at version " + versionText(v))
}

func rangeEntry(q *kvrwset.RangeQueryInfo) Entry {
	if q == nil {
		return Entry{Absent: true}
	}
	var keys []string
	for _, r := range q.GetRawReads().GetKvReads() {
		keys = append(keys, strconv.Quote(r.GetKey()))
	}
	if len(keys) == 0 && q.GetReadsMerkleHashes() != nil {
		keys = append(keys, "(merkle summary)")
	}
	return value(fmt.Sprintf("[%s] exhausted=%t", strings.Join(keys, ", "), q.GetItrExhausted()))
}

func writeEntry(w *kvrwset.KVWrite) Entry {
	switch {
	case w == nil:
		return Entry{Absent: true}
	case w.GetIsDelete():
		return Entry{Deleted: true}
	}
	return Entry{Value: w.GetValue()}
}

func hashedWriteEntry(w *kvrwset.KVWriteHash, clear *kvrwset.KVWrite) Entry {
	switch {
	case w == nil:
		return Entry{Absent: true}
	case w.GetIsPurge():
		return Entry{Purged: true}
	case w.GetIsDelete():
		return Entry{Deleted: true}
	case clear != nil:
		return Entry{Value: clear.GetValue()}
	}
	return Entry{Value: w.GetValueHash(), Hashed: true}
}

func metaEntry(m *kvrwset.KVMetadataWrite) Entry { return metaEntries(m != nil, m.GetEntries()) }

func metaEntries(ok bool, entries []*kvrwset.KVMetadataEntry) Entry {
	if !ok {
		return Entry{Absent: true}
	}
	var parts []string
	for _, e := range entries {
		parts = append(parts, fmt.Sprintf("%s=%x", e.GetName(), e.GetValue()))
	}
	return value(strings.Join(parts, " "))
}

func hashedReadKey(r *kvrwset.KVReadHash) string          { return string(r.GetKeyHash()) }
func hashedWriteKey(w *kvrwset.KVWriteHash) string        { return string(w.GetKeyHash()) }
func hashedMetaKey(m *kvrwset.KVMetadataWriteHash) string { return string(m.GetKeyHash()) }
func at[T any](s []*T, i int) *T {
	if i < len(s) {
		return s[i]
	}
	return nil
}

// namespaces indexes a read-write set by namespace.
func namespaces(rw *rwset.TxReadWriteSet) map[string]*rwset.NsReadWriteSet {
	return byKey(rw.GetNsRwset(), (*rwset.NsReadWriteSet).GetNamespace)
}

// collections indexes a namespace's hashed sets by collection.
func collections(ns *rwset.NsReadWriteSet) map[string]*rwset.CollectionHashedReadWriteSet {
	return byKey(ns.GetCollectionHashedRwset(), (*rwset.CollectionHashedReadWriteSet).GetCollectionName)
}

func decodeKV(ns *rwset.NsReadWriteSet) (*kvrwset.KVRWSet, error) {
	kv := &kvrwset.KVRWSet{}
	if err := proto.Unmarshal(ns.GetRwset(), kv); err != nil {
		return nil, fmt.Errorf("decode the read-write set: %w", err)
	}
	return kv, nil
}

func decodeHashed(c *rwset.CollectionHashedReadWriteSet) (*kvrwset.HashedRWSet, error) {
	h := &kvrwset.HashedRWSet{}
	if err := proto.Unmarshal(c.GetHashedRwset(), h); err != nil {
		return nil, fmt.Errorf("decode the hashed read-write set: %w", err)
	}
	return h, nil
}

// clearPrivate indexes the clear private writes by namespace and
// collection ("ns\x00coll") and then by the key's hash.
func clearPrivate(pvt *rwset.TxPvtReadWriteSet) (map[string]map[string]*kvrwset.KVWrite, error) {
	out := map[string]map[string]*kvrwset.KVWrite{}
	for _, ns := range pvt.GetNsPvtRwset() {
		for _, coll := range ns.GetCollectionPvtRwset() {
			kv := &kvrwset.KVRWSet{}
			if err := proto.Unmarshal(coll.GetRwset(), kv); err != nil {
				return nil, fmt.Errorf("decode the private writes of %s/%s: %w", ns.GetNamespace(), coll.GetCollectionName(), err)
			}
			m := map[string]*kvrwset.KVWrite{}
			for _, w := range kv.GetWrites() {
				m[string(keyHash(w.GetKey()))] = w
			}
			out[ns.GetNamespace()+"\x00"+coll.GetCollectionName()] = m
		}
	}
	return out, nil
}

// byKey indexes s by key; a later element with the same key wins.
func byKey[T any](s []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(s))
	for _, e := range s {
		m[key(e)] = e
	}
	return m
}

// union returns the keys of a and b, sorted, once each.
func union[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// firstDiff returns the index of the first byte at which a and b differ
// (the shorter length when one is a prefix of the other).
func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
