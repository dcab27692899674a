package ledger

import (
	"errors"
	"fmt"
	"sync"

	"github.com/chaincodekit/chaincodekit/peersim/ledger/mango"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
)

// internalQueryLimit is the page size the ledger uses to stream a
// non-paginated rich query, as Fabric's ledger.state.couchDBConfig
// internalQueryLimit (default 1000).
const internalQueryLimit = 1000

// richIndex holds, per namespace and per collection, the index definitions
// and an in-memory document collection for the query engine. A collection is
// loaded from committed state on its first query and then kept current by
// every commit.
type richIndex struct {
	mu      sync.Mutex
	indexes map[string][]mango.Index
	colls   map[string]*mango.Collection
}

func newRichIndex() *richIndex {
	return &richIndex{indexes: make(map[string][]mango.Index), colls: make(map[string]*mango.Collection)}
}

func richKey(ns, coll string) string { return ns + "\x00" + coll }

// DefineIndexes registers CouchDB index definitions (the JSON files of a
// chaincode package's META-INF/statedb/couchdb/indexes, or
// .../collections/<coll>/indexes for collection "coll") for namespace ns. A
// definition with the ddoc and name of an earlier one replaces it.
//
// Definitions live in memory only, like the query engine's documents (which
// are rebuilt from state): after a restart the peer must pass them again
// before the chaincode's first rich query, or a sort that needs them fails.
// On error no definition of this call is kept.
func (l *Ledger) DefineIndexes(ns, collection string, indexJSON ...[]byte) error {
	parsed := make([]mango.Index, 0, len(indexJSON))
	for i, def := range indexJSON {
		ix, err := mango.ParseIndex(def)
		if err != nil {
			return fmt.Errorf("define index %d of %d for %s: %w", i+1, len(indexJSON), richName(ns, collection), err)
		}
		parsed = append(parsed, ix)
	}
	r := l.rich
	r.mu.Lock()
	defer r.mu.Unlock()
	k := richKey(ns, collection)
	// Public state has one document collection; a private data collection
	// has one per organisation's clear data.
	loaded := []string{k}
	if collection != "" {
		loaded = loaded[:0]
		for _, sp := range l.spaces {
			loaded = append(loaded, sp.richPrefix+k)
		}
	}
	for _, lk := range loaded {
		c := r.colls[lk]
		if c == nil {
			continue
		}
		for _, ix := range parsed {
			if err := c.DefineIndex(ix); err != nil {
				// ParseIndex validated ix, so this is a bug; forget the
				// loaded documents so the next query rebuilds them from
				// the definitions kept so far.
				delete(r.colls, lk)
				return fmt.Errorf("define index %s for %s: %w", ix, richName(ns, collection), err)
			}
		}
	}
	r.indexes[k] = append(r.indexes[k], parsed...)
	return nil
}

// richName names a namespace, or a collection of one, in messages.
func richName(ns, coll string) string {
	if coll == "" {
		return ns
	}
	return ns + "/" + coll
}

// collection returns the loaded collection of ns (coll "" = public state;
// else the clear data of collection coll in space sp), loading it from
// snap. The caller holds the commit lock shared.
func (r *richIndex) collection(snap snapshot, sp pvtSpace, ns, coll string) (*mango.Collection, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ik := richKey(ns, coll)
	k := ik
	if coll != "" {
		k = sp.richPrefix + ik
	}
	if c := r.colls[k]; c != nil {
		return c, nil
	}
	c := mango.NewCollection()
	bucket, prefix := bucketState, append([]byte(ns), 0)
	if coll != "" {
		bucket, prefix = sp.pvt, sp.key(collKey(ns, coll, nil))
	}
	cur := snap.scan(bucket, prefix, prefixEnd(prefix))
	defer cur.close()
	for {
		key, v, ok, err := cur.next()
		if err != nil {
			return nil, fmt.Errorf("load documents of %s: %w", richName(ns, coll), err)
		}
		if !ok {
			break
		}
		rec, err := decodeStateRecord(v)
		if err != nil {
			return nil, fmt.Errorf("load documents of %s: key %q: %w", richName(ns, coll), key[len(prefix):], err)
		}
		c.Put(string(key[len(prefix):]), rec.Value) // a value that is not a JSON object is skipped
	}
	for _, ix := range r.indexes[ik] {
		if err := c.DefineIndex(ix); err != nil {
			return nil, fmt.Errorf("load documents of %s: index %s: %w", richName(ns, coll), ix, err)
		}
	}
	r.colls[k] = c
	return c, nil
}

// update applies a committed write to a loaded collection (coll "" =
// public state; else the clear data of coll in space sp). The caller holds
// the commit lock exclusively.
func (r *richIndex) update(sp pvtSpace, ns, coll, key string, value []byte, del bool) {
	k := richKey(ns, coll)
	if coll != "" {
		k = sp.richPrefix + k
	}
	r.mu.Lock()
	c := r.colls[k]
	r.mu.Unlock()
	if c == nil {
		return
	}
	if del {
		c.Delete(key)
	} else {
		c.Put(key, value) // removes the document if value is not a JSON object
	}
}

// queryError words an engine error as Fabric's CouchDB client does.
func queryError(ns string, err error) error {
	var ce *mango.CouchError
	if errors.As(err, &ce) {
		return &textError{msg: ce.FabricText(), sentinel: fmt.Errorf("%w: %w", ErrInvalidQuery, err)}
	}
	return fmt.Errorf("rich query in %s: %w: %w", ns, ErrInvalidQuery, err)
}

// ExecuteQuery runs a CouchDB Mango query over the JSON values of ns. Every
// result is recorded as a plain read (MVCC-checked at commit); like Fabric
// there is no phantom protection. Values that are not JSON objects are not
// documents: no selector matches them, so they are never returned (see
// mango.Doc). The query's "limit" is ignored, as Fabric replaces it.
func (s *Simulator) ExecuteQuery(ns, query string) (StateIterator, error) {
	it, err := s.richQuery(ns, "", query, "", 0, false)
	if err != nil {
		return nil, err
	}
	return it, nil
}

// ExecuteQueryWithPagination runs one page of a Mango query: at most
// pageSize results (0: the query's own limit) after bookmark. The
// query is refused after a write and makes the transaction read-only, as
// in Fabric: a later write is refused.
func (s *Simulator) ExecuteQueryWithPagination(ns, query, bookmark string, pageSize int32) (PagedStateIterator, error) {
	if pageSize < 0 {
		return nil, fmt.Errorf("rich query in %s: page size %d is negative: %w", ns, pageSize, ErrInvalidArgument)
	}
	it, err := s.richQuery(ns, "", query, bookmark, int(pageSize), true)
	if err != nil {
		return nil, err
	}
	return it, nil
}

// ExecuteQueryOnPrivateData runs a Mango query over the clear values of a
// collection, as the simulator's peer organisation holds them. Like Fabric it records nothing and makes the transaction
// read-only.
func (s *Simulator) ExecuteQueryOnPrivateData(ns, collection, query string) (StateIterator, error) {
	it, err := s.richQuery(ns, collection, query, "", 0, false)
	if err != nil {
		return nil, err
	}
	return it, nil
}

func (s *Simulator) richQuery(ns, coll, query, bookmark string, pageSize int, paginated bool) (*richIterator, error) {
	if err := s.lockKeys("rich query", ns, ""); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if coll != "" {
		if err := s.checkPvtRead(ns, coll); err != nil {
			return nil, err
		}
		if err := s.checkBeforePvtQuery(); err != nil {
			return nil, err
		}
	} else if paginated {
		if err := s.checkBeforePaginated(); err != nil {
			return nil, err
		}
	}
	q, err := mango.Parse([]byte(query))
	if err != nil {
		return nil, queryError(ns, err)
	}
	c, err := s.l.rich.collection(s.snap, s.space, ns, coll)
	if err != nil {
		return nil, err
	}
	it := &richIterator{s: s, ns: ns, coll: coll, q: q, c: c, paginated: paginated, pageSize: pageSize}
	if err := it.fetch(bookmark); err != nil {
		return nil, queryError(ns, err)
	}
	s.trackIterator(it)
	return it, nil
}

type richIterator struct {
	s         *Simulator
	ns, coll  string
	q         *mango.Query
	c         *mango.Collection
	paginated bool
	pageSize  int
	page      []mango.Doc
	more      bool // non-paginated: another page may follow
	bookmark  string
	closed    bool
}

func (it *richIterator) fetch(bookmark string) error {
	limit := internalQueryLimit
	if it.paginated {
		limit = it.pageSize
	}
	res, err := it.c.Find(it.q, mango.Options{Limit: limit, Bookmark: bookmark})
	if err != nil {
		return err
	}
	it.page = res.Docs
	it.bookmark = res.Bookmark
	it.more = !it.paginated && len(res.Docs) == limit
	return nil
}

func (it *richIterator) Next() (*queryresult.KV, error) {
	if err := it.s.lock("rich query next"); err != nil {
		return nil, err
	}
	defer it.s.mu.Unlock()
	if it.closed {
		return nil, nil
	}
	if len(it.page) == 0 && it.more {
		if err := it.fetch(it.bookmark); err != nil {
			return nil, queryError(it.ns, err)
		}
	}
	if len(it.page) == 0 {
		return nil, nil
	}
	d := it.page[0]
	it.page = it.page[1:]
	if it.coll == "" {
		rec, err := it.s.readRecord(bucketState, stateKey(it.ns, d.Key))
		if err != nil {
			return nil, fmt.Errorf("rich query in %s: key %q: %w", it.ns, d.Key, err)
		}
		it.s.ns(it.ns).reads[d.Key] = recVersion(rec)
	}
	return &queryresult.KV{Namespace: it.ns, Key: d.Key, Value: d.Value}, nil
}

// Bookmark returns the query engine's bookmark after this page and closes
// the iterator.
func (it *richIterator) Bookmark() string {
	it.Close()
	it.s.mu.Lock()
	defer it.s.mu.Unlock()
	return it.bookmark
}

func (it *richIterator) Close() {
	it.s.mu.Lock()
	defer it.s.mu.Unlock()
	it.closed = true
	it.page = nil
	delete(it.s.itrs, it)
}
