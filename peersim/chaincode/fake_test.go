package chaincode

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeSim is an in-memory TxSimulator: reads see only the committed maps
// given at construction (no read-your-writes, as in Fabric); writes are
// recorded in order as text. hook, when set, runs first in every method and
// may fail it (or block, or panic).
type fakeSim struct {
	mu        sync.Mutex
	committed map[string][]byte            // "ns/key" (public) or "ns/coll/key" (private)
	metadata  map[string]map[string][]byte // same keys as committed
	history   map[string][]*queryresult.KeyModification
	writes    []string

	hook func(op, key string) error

	opened, closed atomic.Int32 // iterators
}

func newFakeSim() *fakeSim {
	return &fakeSim{
		committed: map[string][]byte{},
		metadata:  map[string]map[string][]byte{},
		history:   map[string][]*queryresult.KeyModification{},
	}
}

// commit sets committed public state of ns.
func (f *fakeSim) commit(ns string, kvs ...string) *fakeSim {
	for i := 0; i+1 < len(kvs); i += 2 {
		f.committed[ns+"/"+kvs[i]] = []byte(kvs[i+1])
	}
	return f
}

// commitN commits n keys "k000".."k<n-1>" in ns.
func (f *fakeSim) commitN(ns string, n int) *fakeSim {
	for i := range n {
		f.committed[fmt.Sprintf("%s/k%03d", ns, i)] = []byte(fmt.Sprint(i))
	}
	return f
}

func (f *fakeSim) run(op, key string) error {
	if f.hook != nil {
		return f.hook(op, key)
	}
	return nil
}

func (f *fakeSim) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, fmt.Sprintf(format, args...))
}

func (f *fakeSim) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes)
}

// checkClosed fails t when an iterator was left open.
func (f *fakeSim) checkClosed(t *testing.T) {
	t.Helper()
	if o, c := f.opened.Load(), f.closed.Load(); o != c {
		t.Errorf("%d iterators opened, %d closed", o, c)
	}
}

func (f *fakeSim) get(k string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.committed[k]
}

func (f *fakeSim) GetState(ns, key string) ([]byte, error) {
	if err := f.run("GetState", key); err != nil {
		return nil, err
	}
	return f.get(ns + "/" + key), nil
}

func (f *fakeSim) GetStateMultipleKeys(ns string, keys []string) ([][]byte, error) {
	if err := f.run("GetStateMultipleKeys", strings.Join(keys, ",")); err != nil {
		return nil, err
	}
	var out [][]byte
	for _, k := range keys {
		out = append(out, f.get(ns+"/"+k))
	}
	return out, nil
}

func (f *fakeSim) SetState(ns, key string, value []byte) error {
	if err := f.run("SetState", key); err != nil {
		return err
	}
	f.record("put %s/%s=%s", ns, key, value)
	return nil
}

func (f *fakeSim) DeleteState(ns, key string) error {
	if err := f.run("DeleteState", key); err != nil {
		return err
	}
	f.record("del %s/%s", ns, key)
	return nil
}

func (f *fakeSim) GetStateMetadata(ns, key string) (map[string][]byte, error) {
	if err := f.run("GetStateMetadata", key); err != nil {
		return nil, err
	}
	return f.metadata[ns+"/"+key], nil
}

func (f *fakeSim) SetStateMetadata(ns, key string, md map[string][]byte) error {
	if err := f.run("SetStateMetadata", key); err != nil {
		return err
	}
	f.record("meta %s/%s %v", ns, key, fmtMeta(md))
	return nil
}

func fmtMeta(md map[string][]byte) string {
	var parts []string
	for k, v := range md {
		parts = append(parts, k+"="+string(v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (f *fakeSim) GetStateRangeScanIterator(ns, start, end string) (StateIterator, error) {
	if err := f.run("GetStateRangeScanIterator", start); err != nil {
		return nil, err
	}
	return f.scan(ns, ns+"/", start, end, 0), nil
}

func (f *fakeSim) GetStateRangeScanIteratorWithPagination(ns, start, end string, pageSize int32) (PagedStateIterator, error) {
	if err := f.run("GetStateRangeScanIteratorWithPagination", start); err != nil {
		return nil, err
	}
	return f.scan(ns, ns+"/", start, end, int(pageSize)), nil
}

// ExecuteQuery treats the query as a key prefix.
func (f *fakeSim) ExecuteQuery(ns, query string) (StateIterator, error) {
	if err := f.run("ExecuteQuery", query); err != nil {
		return nil, err
	}
	return f.scan(ns, ns+"/", query, query+"\U0010FFFF", 0), nil
}

// ExecuteQueryWithPagination treats the query as a key prefix and the
// bookmark as the first key.
func (f *fakeSim) ExecuteQueryWithPagination(ns, query, bookmark string, pageSize int32) (PagedStateIterator, error) {
	if err := f.run("ExecuteQueryWithPagination", query); err != nil {
		return nil, err
	}
	start := query
	if bookmark != "" {
		start = bookmark
	}
	return f.scan(ns, ns+"/", start, query+"\U0010FFFF", int(pageSize)), nil
}

func (f *fakeSim) GetPrivateData(ns, coll, key string) ([]byte, error) {
	if err := f.run("GetPrivateData", key); err != nil {
		return nil, err
	}
	return f.get(ns + "/" + coll + "/" + key), nil
}

func (f *fakeSim) GetPrivateDataMultipleKeys(ns, coll string, keys []string) ([][]byte, error) {
	if err := f.run("GetPrivateDataMultipleKeys", strings.Join(keys, ",")); err != nil {
		return nil, err
	}
	var out [][]byte
	for _, k := range keys {
		out = append(out, f.get(ns+"/"+coll+"/"+k))
	}
	return out, nil
}

func (f *fakeSim) GetPrivateDataHash(ns, coll, key string) ([]byte, error) {
	if err := f.run("GetPrivateDataHash", key); err != nil {
		return nil, err
	}
	if v := f.get(ns + "/" + coll + "/" + key); v != nil {
		return []byte("hash(" + string(v) + ")"), nil
	}
	return nil, nil
}

func (f *fakeSim) SetPrivateData(ns, coll, key string, value []byte) error {
	if err := f.run("SetPrivateData", key); err != nil {
		return err
	}
	f.record("pput %s/%s/%s=%s", ns, coll, key, value)
	return nil
}

func (f *fakeSim) DeletePrivateData(ns, coll, key string) error {
	if err := f.run("DeletePrivateData", key); err != nil {
		return err
	}
	f.record("pdel %s/%s/%s", ns, coll, key)
	return nil
}

func (f *fakeSim) PurgePrivateData(ns, coll, key string) error {
	if err := f.run("PurgePrivateData", key); err != nil {
		return err
	}
	f.record("purge %s/%s/%s", ns, coll, key)
	return nil
}

func (f *fakeSim) GetPrivateDataMetadata(ns, coll, key string) (map[string][]byte, error) {
	if err := f.run("GetPrivateDataMetadata", key); err != nil {
		return nil, err
	}
	return f.metadata[ns+"/"+coll+"/"+key], nil
}

func (f *fakeSim) SetPrivateDataMetadata(ns, coll, key string, md map[string][]byte) error {
	if err := f.run("SetPrivateDataMetadata", key); err != nil {
		return err
	}
	f.record("pmeta %s/%s/%s %v", ns, coll, key, fmtMeta(md))
	return nil
}

func (f *fakeSim) GetPrivateDataRangeScanIterator(ns, coll, start, end string) (StateIterator, error) {
	if err := f.run("GetPrivateDataRangeScanIterator", start); err != nil {
		return nil, err
	}
	return f.scan(ns, ns+"/"+coll+"/", start, end, 0), nil
}

func (f *fakeSim) ExecuteQueryOnPrivateData(ns, coll, query string) (StateIterator, error) {
	if err := f.run("ExecuteQueryOnPrivateData", query); err != nil {
		return nil, err
	}
	return f.scan(ns, ns+"/"+coll+"/", query, query+"\U0010FFFF", 0), nil
}

func (f *fakeSim) GetHistoryForKey(ns, key string) (HistoryIterator, error) {
	if err := f.run("GetHistoryForKey", key); err != nil {
		return nil, err
	}
	f.opened.Add(1)
	return &fakeHistory{f: f, mods: f.history[ns+"/"+key]}, nil
}

// scan iterates committed keys under prefix in [start, end) ("" end = open),
// at most pageSize of them when pageSize > 0.
func (f *fakeSim) scan(ns, prefix, start, end string, pageSize int) *fakeIter {
	f.mu.Lock()
	var keys []string
	for k := range f.committed {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || strings.Contains(rest, "/") || rest < start || (end != "" && rest >= end) {
			continue
		}
		keys = append(keys, rest)
	}
	f.mu.Unlock()
	slices.Sort(keys)
	it := &fakeIter{f: f, ns: ns, prefix: prefix}
	if pageSize > 0 && len(keys) > pageSize {
		it.bookmark = keys[pageSize]
		keys = keys[:pageSize]
	}
	it.keys = keys
	f.opened.Add(1)
	return it
}

type fakeIter struct {
	f        *fakeSim
	ns       string
	prefix   string
	keys     []string
	bookmark string
	closed   bool
}

func (it *fakeIter) Next() (*queryresult.KV, error) {
	if it.closed {
		return nil, fmt.Errorf("iterator used after close")
	}
	if err := it.f.run("Next", ""); err != nil {
		return nil, err
	}
	if len(it.keys) == 0 {
		return nil, nil
	}
	k := it.keys[0]
	it.keys = it.keys[1:]
	return &queryresult.KV{Namespace: it.ns, Key: k, Value: it.f.get(it.prefix + k)}, nil
}

func (it *fakeIter) Close() {
	if !it.closed {
		it.closed = true
		it.f.closed.Add(1)
	}
}

func (it *fakeIter) Bookmark() string { return it.bookmark }

type fakeHistory struct {
	f      *fakeSim
	mods   []*queryresult.KeyModification
	closed bool
}

func (it *fakeHistory) Next() (*queryresult.KeyModification, error) {
	if len(it.mods) == 0 {
		return nil, nil
	}
	m := it.mods[0]
	it.mods = it.mods[1:]
	return m, nil
}

func (it *fakeHistory) Close() {
	if !it.closed {
		it.closed = true
		it.f.closed.Add(1)
	}
}

func mod(txID, value string, isDelete bool) *queryresult.KeyModification {
	return &queryresult.KeyModification{TxId: txID, Value: []byte(value), IsDelete: isDelete,
		Timestamp: timestamppb.New(time.Unix(1700000000, 0))}
}

// fakeFactory hands out simulators for cross-channel calls.
type fakeFactory struct {
	mu       sync.Mutex
	sims     map[string]*fakeSim // by channel
	released int
	callers  []TxSimulator // the caller each call was given
}

func (f *fakeFactory) NewTxSimulator(caller TxSimulator, channelID, txID string) (TxSimulator, func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callers = append(f.callers, caller)
	sim, ok := f.sims[channelID]
	if !ok {
		return nil, nil, fmt.Errorf("failed to find ledger for channel: %s", channelID)
	}
	return sim, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.released++
	}, nil
}
