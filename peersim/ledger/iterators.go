package ledger

import (
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
)

// StateIterator streams the results of a range or rich query.
type StateIterator interface {
	// Next returns the next result, or (nil, nil) once exhausted.
	Next() (*queryresult.KV, error)
	// Close releases the iterator; it is idempotent.
	Close()
}

// PagedStateIterator is a StateIterator over one page of results.
type PagedStateIterator interface {
	StateIterator
	// Bookmark returns where the next page starts ("" when there is
	// nothing after this page) and ends the iterator: later Next calls
	// return (nil, nil). It may be called as soon as the caller has taken
	// the results it wants, full page or not; a range iterator then looks
	// ahead one key, which, like Fabric's GetBookmarkAndClose, is not
	// recorded in the read-write set. Ask before Close: a closed range
	// iterator has no bookmark.
	Bookmark() string
}

// HistoryIterator streams the committed modifications of a key, newest
// first.
type HistoryIterator interface {
	// Next returns the next modification, or (nil, nil) once exhausted.
	Next() (*queryresult.KeyModification, error)
	// Close releases the iterator; it is idempotent.
	Close()
}

// GetStateRangeScanIterator returns the committed keys of ns in
// [startKey, endKey) in byte order ("" endKey = no upper bound). The keys it
// hands out are recorded as a range query for phantom detection, not as
// plain reads.
func (s *Simulator) GetStateRangeScanIterator(ns, startKey, endKey string) (StateIterator, error) {
	it, err := s.newRangeIterator(ns, startKey, endKey, 0)
	if err != nil {
		return nil, err
	}
	return it, nil
}

// GetStateRangeScanIteratorWithPagination is GetStateRangeScanIterator
// limited to pageSize results (0: no limit); Bookmark then returns the next
// key. As in Fabric, a paginated query is refused after a write and makes
// the transaction read-only: a later write is refused.
func (s *Simulator) GetStateRangeScanIteratorWithPagination(ns, startKey, endKey string, pageSize int32) (PagedStateIterator, error) {
	if pageSize < 0 {
		return nil, fmt.Errorf("range query in %s: page size %d is negative: %w", ns, pageSize, ErrInvalidArgument)
	}
	it, err := s.newRangeIterator(ns, startKey, endKey, int(pageSize)+boolInt(pageSize == 0))
	if err != nil {
		return nil, err
	}
	return it, nil
}

func boolInt(b bool) int {
	if b {
		return -1
	}
	return 0
}

// scan is what the cursor-backed iterators (range, private range, history)
// share: the simulator whose mutex guards them and the cursor they walk.
// The simulator tracks the *scan, so that Done closes it.
type scan struct {
	s      *Simulator
	cur    cursor
	closed bool
}

// end closes the cursor and stops tracking the iterator; later Next calls
// return (nil, nil). The caller holds the simulator's mutex.
func (sc *scan) end() {
	if !sc.closed {
		sc.closed = true
		sc.cur.close()
	}
	delete(sc.s.itrs, sc)
}

// Close ends the iterator; it is idempotent.
func (sc *scan) Close() {
	sc.s.mu.Lock()
	defer sc.s.mu.Unlock()
	sc.end()
}

// rangeIterator walks public state. limit 0 = unpaginated, -1 = paginated
// without limit, > 0 = page size.
type rangeIterator struct {
	scan
	ns       string
	endKey   string
	prefix   int
	limit    int
	count    int
	rec      *rangeRecord
	bookmark string
}

func (s *Simulator) newRangeIterator(ns, startKey, endKey string, limit int) (*rangeIterator, error) {
	if err := s.lockKeys("range query", ns, startKey, endKey); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if limit != 0 {
		if err := s.checkBeforePaginated(); err != nil {
			return nil, err
		}
	}
	// Like Fabric, the end key stays empty until a result or the end is seen.
	rec := &rangeRecord{startKey: startKey}
	b := s.ns(ns)
	b.ranges = append(b.ranges, rec)
	it := &rangeIterator{scan: scan{s: s, cur: s.snap.scan(bucketState, stateKey(ns, startKey), rangeEnd(ns, endKey))},
		ns: ns, endKey: endKey, prefix: len(ns) + 1, limit: limit, rec: rec}
	s.trackIterator(&it.scan)
	return it, nil
}

// rangeEnd returns the exclusive end of a namespace range.
func rangeEnd(ns, endKey string) []byte {
	if endKey == "" {
		return prefixEnd(append([]byte(ns), 0))
	}
	return stateKey(ns, endKey)
}

func (it *rangeIterator) Next() (*queryresult.KV, error) {
	if err := it.s.lock("range query next"); err != nil {
		return nil, err
	}
	defer it.s.mu.Unlock()
	if it.closed {
		return nil, nil
	}
	if it.limit > 0 && it.count >= it.limit {
		// Page full. Fabric's page-limited scanner answers nil here without
		// moving its cursor, and its simulator records that as an exhausted
		// iterator up to the requested end key (a later insert anywhere in
		// the range is a phantom). The cursor stays where it is so that
		// Bookmark still finds the next key.
		it.rec.endKey = it.endKey
		it.rec.exhausted = true
		return nil, nil
	}
	k, v, ok, err := it.cur.next()
	if err != nil {
		return nil, fmt.Errorf("range query in %s: %w", it.ns, err)
	}
	if !ok {
		it.rec.endKey = it.endKey
		it.rec.exhausted = true
		it.end()
		return nil, nil
	}
	rec, err := decodeStateRecord(v)
	if err != nil {
		return nil, fmt.Errorf("range query in %s: key %q: %w", it.ns, k[it.prefix:], err)
	}
	key := string(k[it.prefix:])
	it.count++
	it.rec.reads = append(it.rec.reads, &kvrwset.KVRead{Key: key, Version: rec.Version.proto()})
	it.rec.endKey = key
	return &queryresult.KV{Namespace: it.ns, Key: key, Value: rec.Value}, nil
}

// Bookmark peeks at the key after the last one handed out, which is where
// the next page starts. The handler asks for it as soon as a page is full,
// without another Next (Fabric's query response generator does the same),
// so the look-ahead cannot wait for Next. The peeked key is not added to
// the range query info: like Fabric, the read-write set holds only what was
// handed out. A cursor error (the store was closed under the simulation)
// yields "", as Fabric's scanner does when its iterator fails.
func (it *rangeIterator) Bookmark() string {
	it.s.mu.Lock()
	defer it.s.mu.Unlock()
	if it.closed {
		return it.bookmark
	}
	k, _, ok, err := it.cur.next()
	if err == nil && ok {
		it.bookmark = string(k[it.prefix:])
	}
	it.end()
	return it.bookmark
}

// GetPrivateDataRangeScanIterator returns the clear private data of a
// collection in [startKey, endKey), as the simulator's peer organisation
// holds it. Like Fabric it records nothing for
// validation and makes the transaction read-only.
func (s *Simulator) GetPrivateDataRangeScanIterator(ns, collection, startKey, endKey string) (StateIterator, error) {
	if err := s.lockKeys("private data range query", ns, startKey); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if err := s.checkPvtRead(ns, collection); err != nil {
		return nil, err
	}
	if err := s.checkBeforePvtQuery(); err != nil {
		return nil, err
	}
	sp := s.space
	prefix := sp.key(collKey(ns, collection, nil))
	end := prefixEnd(prefix)
	if endKey != "" {
		end = sp.key(collKey(ns, collection, []byte(endKey)))
	}
	it := &listIterator{scan: scan{s: s, cur: s.snap.scan(sp.pvt, sp.key(collKey(ns, collection, []byte(startKey))), end)}, ns: ns, prefix: len(prefix)}
	s.trackIterator(&it.scan)
	return it, nil
}

// listIterator streams private records without recording anything.
type listIterator struct {
	scan
	ns     string
	prefix int
}

func (it *listIterator) Next() (*queryresult.KV, error) {
	if err := it.s.lock("private data range query next"); err != nil {
		return nil, err
	}
	defer it.s.mu.Unlock()
	if it.closed {
		return nil, nil
	}
	k, v, ok, err := it.cur.next()
	if err != nil || !ok {
		return nil, err
	}
	rec, err := decodeStateRecord(v)
	if err != nil {
		return nil, fmt.Errorf("private data range query in %s: %w", it.ns, err)
	}
	return &queryresult.KV{Namespace: it.ns, Key: string(k[it.prefix:]), Value: rec.Value}, nil
}
