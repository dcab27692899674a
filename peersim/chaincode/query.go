package chaincode

import (
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// maxResultLimit is how many results go to the chaincode per batch
// (Fabric's MaxResultLimit); it is not a cap on the query.
const maxResultLimit = 100

// resultIterator unifies the ledger's state and history iterators.
type resultIterator interface {
	// next returns the next result, or nil once exhausted.
	next() (proto.Message, error)
	close()
	// bookmark is where the next page starts; "" for unpaged iterators.
	bookmark() string
}

type stateResults struct{ it StateIterator }

func (r stateResults) next() (proto.Message, error) {
	kv, err := r.it.Next()
	if err != nil || kv == nil {
		return nil, err
	}
	return kv, nil
}
func (r stateResults) close()           { r.it.Close() }
func (r stateResults) bookmark() string { return "" }

type pagedResults struct{ it PagedStateIterator }

func (r pagedResults) next() (proto.Message, error) { return stateResults{r.it}.next() }
func (r pagedResults) close()                       { r.it.Close() }
func (r pagedResults) bookmark() string             { return r.it.Bookmark() }

// states and pages wrap what the simulator returned for a query.
func states(it StateIterator, err error) (resultIterator, error) {
	if err != nil {
		return nil, err
	}
	return stateResults{it}, nil
}

func pages(it PagedStateIterator, err error) (resultIterator, error) {
	if err != nil {
		return nil, err
	}
	return pagedResults{it}, nil
}

type historyResults struct{ it HistoryIterator }

func (r historyResults) next() (proto.Message, error) {
	km, err := r.it.Next()
	if err != nil || km == nil {
		return nil, err
	}
	return km, nil
}
func (r historyResults) close()           { r.it.Close() }
func (r historyResults) bookmark() string { return "" }

// queryState is an open query of a transaction. Only the request holding
// the transaction (txContext.begin) touches it.
type queryState struct {
	it      resultIterator
	pending []*peer.QueryResultBytes // pulled, not yet sent (the look-ahead)
	fetched int32                    // results pulled so far, sent or pending
}

func (tx *txContext) addIterator(id string, q *queryState) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.iterators == nil {
		tx.iterators = map[string]*queryState{}
	}
	tx.iterators[id] = q
}

func (tx *txContext) iterator(id string) *queryState {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.iterators[id]
}

// closeIterator forgets and closes the query id, if it is open.
func (tx *txContext) closeIterator(id string) {
	tx.mu.Lock()
	q, ok := tx.iterators[id]
	delete(tx.iterators, id)
	tx.mu.Unlock()
	if ok {
		q.it.close()
	}
}

// queryMetadata decodes GetStateByRange/GetQueryResult metadata; nil when
// absent.
func queryMetadata(b []byte) (*peer.QueryMetadata, error) {
	if len(b) == 0 {
		return nil, nil
	}
	md := &peer.QueryMetadata{}
	if err := unmarshal(b, md); err != nil {
		return nil, err
	}
	return md, nil
}

// queryPlan decodes the metadata of a range or rich query and says whether
// it is paginated and how many results it may return. Private queries
// ignore pagination but, as in Fabric, a page size still caps them.
func (h *handler) queryPlan(metadata []byte, collection string) (md *peer.QueryMetadata, paginated bool, limit int32, err error) {
	md, err = queryMetadata(metadata)
	if err != nil {
		return nil, false, 0, err
	}
	paginated = md != nil && (md.PageSize != 0 || md.Bookmark != "") && collection == ""
	return md, paginated, h.queryLimit(md), nil
}

// queryLimit is the most results one query may return: the page size when
// it is smaller than the total query limit.
func (h *handler) queryLimit(md *peer.QueryMetadata) int32 {
	limit := int32(h.srv.cfg.TotalQueryLimit)
	if md != nil && md.PageSize > 0 && md.PageSize < limit {
		limit = md.PageSize
	}
	return limit
}

func (h *handler) getStateByRange(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.GetStateByRange{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	md, paginated, limit, err := h.queryPlan(req.Metadata, req.Collection)
	if err != nil {
		return nil, err
	}
	var it resultIterator
	switch {
	case req.Collection != "":
		if err := tx.checkPrivate(); err != nil {
			return nil, err
		}
		it, err = states(tx.sim.GetPrivateDataRangeScanIterator(tx.namespace, req.Collection, req.StartKey, req.EndKey))
	case paginated:
		// The bookmark of a range query is the key the next page starts at.
		start := req.StartKey
		if md.Bookmark != "" {
			start = md.Bookmark
		}
		// Asking the ledger for the effective limit, rather than the raw
		// page size, makes its bookmark right when the total query limit
		// ends the page first.
		it, err = pages(tx.sim.GetStateRangeScanIteratorWithPagination(tx.namespace, start, req.EndKey, limit))
	default:
		it, err = states(tx.sim.GetStateRangeScanIterator(tx.namespace, req.StartKey, req.EndKey))
	}
	if err != nil {
		return nil, err
	}
	return h.startQuery(tx, it, paginated, limit)
}

func (h *handler) getQueryResult(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.GetQueryResult{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	md, paginated, limit, err := h.queryPlan(req.Metadata, req.Collection)
	if err != nil {
		return nil, err
	}
	var it resultIterator
	switch {
	case req.Collection != "":
		if err := tx.checkPrivate(); err != nil {
			return nil, err
		}
		it, err = states(tx.sim.ExecuteQueryOnPrivateData(tx.namespace, req.Collection, req.Query))
	case paginated:
		it, err = pages(tx.sim.ExecuteQueryWithPagination(tx.namespace, req.Query, md.Bookmark, limit))
	default:
		it, err = states(tx.sim.ExecuteQuery(tx.namespace, req.Query))
	}
	if err != nil {
		return nil, err
	}
	return h.startQuery(tx, it, paginated, limit)
}

func (h *handler) getHistoryForKey(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.GetHistoryForKey{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	hi, err := tx.sim.GetHistoryForKey(tx.namespace, req.Key)
	if err != nil {
		return nil, err
	}
	return h.startQuery(tx, historyResults{hi}, false, h.queryLimit(nil))
}

func (h *handler) queryStateNext(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.QueryStateNext{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	q := tx.iterator(req.Id)
	if q == nil {
		return nil, errIteratorNotFound
	}
	resp, err := h.nextBatch(tx, req.Id, q, false, h.queryLimit(nil))
	if err != nil {
		return nil, err
	}
	return marshal(resp)
}

func (h *handler) queryStateClose(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.QueryStateClose{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	tx.closeIterator(req.Id) // an unknown id is not an error
	return marshal(&peer.QueryResponse{HasMore: false, Id: req.Id})
}

// startQuery registers a new query under a fresh id and returns its first
// response.
func (h *handler) startQuery(tx *txContext, it resultIterator, paginated bool, limit int32) ([]byte, error) {
	id := newIteratorID()
	q := &queryState{it: it}
	tx.addIterator(id, q)
	resp, err := h.nextBatch(tx, id, q, paginated, limit)
	if err != nil {
		return nil, err
	}
	return marshal(resp)
}

// nextBatch pulls results until a batch is full, the query is exhausted or
// its limit is reached. A full batch is sent only once one more result
// exists, which is held back for the next batch, so has_more is exact. A
// paginated query returns everything in one response with its bookmark.
// When the query ends, it is closed and forgotten.
func (h *handler) nextBatch(tx *txContext, id string, q *queryState, paginated bool, limit int32) (*peer.QueryResponse, error) {
	for q.fetched < limit {
		r, err := q.it.next()
		if err != nil {
			tx.closeIterator(id)
			return nil, err
		}
		if r == nil {
			break
		}
		if !paginated && len(q.pending) == maxResultLimit {
			batch := q.pending
			q.pending = nil
			if err := q.add(r); err != nil {
				tx.closeIterator(id)
				return nil, err
			}
			return &peer.QueryResponse{Results: batch, HasMore: true, Id: id}, nil
		}
		if err := q.add(r); err != nil {
			tx.closeIterator(id)
			return nil, err
		}
	}

	resp := &peer.QueryResponse{Results: q.pending, HasMore: false, Id: id}
	q.pending = nil
	if paginated {
		md, err := marshal(&peer.QueryResponseMetadata{FetchedRecordsCount: q.fetched, Bookmark: q.it.bookmark()})
		if err != nil {
			tx.closeIterator(id)
			return nil, err
		}
		resp.Metadata = md
	}
	tx.closeIterator(id)
	return resp, nil
}

func (q *queryState) add(r proto.Message) error {
	b, err := marshal(r)
	if err != nil {
		return err
	}
	q.pending = append(q.pending, &peer.QueryResultBytes{ResultBytes: b})
	q.fetched++
	return nil
}
