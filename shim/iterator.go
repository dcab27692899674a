package shim

import (
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// CommonIterator walks the results of a query. The peer returns them in
// batches; the next batch is fetched with QUERY_STATE_NEXT only when Next
// needs it, and Close releases the query on the peer.
type CommonIterator struct {
	stub     *ChaincodeStub
	response *peer.QueryResponse
	pos      int
	closed   bool
}

// StateQueryIterator iterates over the key-value results of a range,
// composite-key or rich query.
type StateQueryIterator struct {
	*CommonIterator
}

// HistoryQueryIterator iterates over the modifications of a key.
type HistoryQueryIterator struct {
	*CommonIterator
}

var (
	_ StateQueryIteratorInterface   = (*StateQueryIterator)(nil)
	_ HistoryQueryIteratorInterface = (*HistoryQueryIterator)(nil)
)

// HasNext reports whether Next has another result: one already fetched, or
// the peer's word that more exist.
func (it *CommonIterator) HasNext() bool {
	return it.pos < len(it.response.Results) || it.response.HasMore
}

// Close releases the query on the peer. Calling it again does nothing.
func (it *CommonIterator) Close() error {
	if it.closed {
		return nil
	}
	res := &peer.QueryResponse{}
	if err := it.stub.requestInto(peer.ChaincodeMessage_QUERY_STATE_CLOSE, &peer.QueryStateClose{Id: it.response.Id}, res); err != nil {
		return fmt.Errorf("close query %s: %w", it.response.Id, err)
	}
	it.closed = true
	return nil
}

// nextBytes returns the bytes of the next result, fetching the next batch
// from the peer when the current one is used up.
func (it *CommonIterator) nextBytes() ([]byte, error) {
	if it.pos >= len(it.response.Results) {
		if !it.response.HasMore {
			return nil, errNoMoreResults
		}
		if it.closed {
			return nil, fmt.Errorf("query %s is closed", it.response.Id)
		}
		id := it.response.Id
		res := &peer.QueryResponse{}
		if err := it.stub.requestInto(peer.ChaincodeMessage_QUERY_STATE_NEXT, &peer.QueryStateNext{Id: id}, res); err != nil {
			return nil, fmt.Errorf("fetch more results of query %s: %w", id, err)
		}
		if res.Id == "" {
			res.Id = id
		}
		it.response, it.pos = res, 0
		if len(res.Results) == 0 {
			if res.HasMore {
				res.HasMore = false
				return nil, fmt.Errorf("peer returned an empty batch for query %s while claiming more results", id)
			}
			return nil, errNoMoreResults
		}
	}
	b := it.response.Results[it.pos].GetResultBytes()
	it.pos++
	return b, nil
}

// Next returns the next key and value.
func (it *StateQueryIterator) Next() (*queryresult.KV, error) {
	b, err := it.nextBytes()
	if err != nil {
		return nil, err
	}
	kv := &queryresult.KV{}
	if err := proto.Unmarshal(b, kv); err != nil {
		return nil, fmt.Errorf("decode a query result as KV: %w", err)
	}
	return kv, nil
}

// Next returns the next modification of the key.
func (it *HistoryQueryIterator) Next() (*queryresult.KeyModification, error) {
	b, err := it.nextBytes()
	if err != nil {
		return nil, err
	}
	km := &queryresult.KeyModification{}
	if err := proto.Unmarshal(b, km); err != nil {
		return nil, fmt.Errorf("decode a history result as KeyModification: %w", err)
	}
	return km, nil
}
