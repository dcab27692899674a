package chaincode

import (
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// requestHandler serves one chaincode request and returns the RESPONSE
// payload; its error becomes the cause in the ERROR reply.
type requestHandler func(h *handler, tx *txContext, payload []byte) ([]byte, error)

// requestHandlerFor returns the handler of a request type, or nil when a
// chaincode may not send that type.
func requestHandlerFor(t peer.ChaincodeMessage_Type) requestHandler {
	switch t {
	case peer.ChaincodeMessage_GET_STATE:
		return (*handler).getState
	case peer.ChaincodeMessage_GET_STATE_MULTIPLE:
		return (*handler).getStateMultiple
	case peer.ChaincodeMessage_PUT_STATE:
		return (*handler).putState
	case peer.ChaincodeMessage_DEL_STATE:
		return (*handler).delState
	case peer.ChaincodeMessage_WRITE_BATCH_STATE:
		return (*handler).writeBatch
	case peer.ChaincodeMessage_GET_STATE_METADATA:
		return (*handler).getStateMetadata
	case peer.ChaincodeMessage_PUT_STATE_METADATA:
		return (*handler).putStateMetadata
	case peer.ChaincodeMessage_GET_PRIVATE_DATA_HASH:
		return (*handler).getPrivateDataHash
	case peer.ChaincodeMessage_PURGE_PRIVATE_DATA:
		return (*handler).purgePrivateData
	case peer.ChaincodeMessage_GET_STATE_BY_RANGE:
		return (*handler).getStateByRange
	case peer.ChaincodeMessage_GET_QUERY_RESULT:
		return (*handler).getQueryResult
	case peer.ChaincodeMessage_QUERY_STATE_NEXT:
		return (*handler).queryStateNext
	case peer.ChaincodeMessage_QUERY_STATE_CLOSE:
		return (*handler).queryStateClose
	case peer.ChaincodeMessage_GET_HISTORY_FOR_KEY:
		return (*handler).getHistoryForKey
	case peer.ChaincodeMessage_INVOKE_CHAINCODE:
		return (*handler).invokeChaincode
	}
	return nil
}

// dispatchRequest hands msg to a worker once it holds a slot. It runs on
// the receiving goroutine, so waiting for a slot stops the stream being read.
// A transaction with more than MaxInFlightPerTx requests in flight ends the
// stream.
func (h *handler) dispatchRequest(msg *peer.ChaincodeMessage) {
	if !h.acquire() {
		return
	}
	h.mu.Lock()
	tx := h.txs[txKey(msg.ChannelId, msg.Txid)]
	h.mu.Unlock()
	if tx != nil {
		if n := tx.inflight.Add(1); n > int64(h.srv.cfg.MaxInFlightPerTx) {
			err := fmt.Errorf("%w: chaincode %s has %d requests in flight for transaction %s on channel %q, more than MaxInFlightPerTx %d: it sends requests without reading the replies",
				ErrTooManyRequests, h.ccid, n, msg.Txid, msg.ChannelId, h.srv.cfg.MaxInFlightPerTx)
			h.log.Error("ending chaincode stream: too many requests in flight for one transaction",
				"ccid", h.ccid, "txid", msg.Txid, "channel", msg.ChannelId, "inflight", n, "limit", h.srv.cfg.MaxInFlightPerTx)
			h.release(outgoing{slot: true, tx: tx})
			h.stop(err)
			return
		}
	}
	r := request{msg: msg, tx: tx}
	select {
	case h.work <- r: // an idle worker took it
		return
	default:
	}
	if h.workers < h.srv.cfg.MaxInFlight {
		h.workers++
		h.wg.Add(1)
		go h.worker(r)
		return
	}
	// Every worker exists; one is about to become idle, since fewer
	// requests than workers hold a slot.
	select {
	case h.work <- r:
	case <-h.quit:
		h.release(outgoing{slot: true, tx: tx})
	}
}

// worker serves first, then whatever the receiving goroutine hands it, until
// the stream ends.
func (h *handler) worker(first request) {
	defer h.wg.Done()
	for r := first; ; {
		h.reply(h.process(r.msg, r.tx), r.tx)
		select {
		case r = <-h.work:
		case <-h.quit:
			return
		}
	}
}

// process returns the reply to msg in tx, or nil when the request is
// dropped.
func (h *handler) process(msg *peer.ChaincodeMessage, tx *txContext) *peer.ChaincodeMessage {
	if tx == nil {
		cause := errNoLedgerContext
		if msg.Type == peer.ChaincodeMessage_INVOKE_CHAINCODE {
			cause = errNoInvokeContext
		}
		return errorMessage(msg.Type, msg.Txid, msg.ChannelId, cause)
	}
	ok, busy := tx.begin()
	if busy {
		h.log.Warn("dropping request: another request is pending for this transaction",
			"ccid", h.ccid, "type", msg.Type, "txid", msg.Txid, "channel", msg.ChannelId)
		return nil
	}
	if !ok {
		return errorMessage(msg.Type, msg.Txid, msg.ChannelId, errNoLedgerContext)
	}
	defer tx.end()

	var received time.Time
	if h.srv.tracer != nil {
		received = time.Now()
	}
	payload, err := h.dispatch(tx, msg)
	if h.srv.tracer != nil {
		coll, key := subject(msg)
		h.srv.tracer.Traced(msg.ChannelId, msg.Txid, TracedMessage{
			Type: msg.Type.String(), Collection: coll, Key: key, Received: received, Took: time.Since(received), Err: err,
		})
	}
	if err != nil {
		return errorMessage(msg.Type, msg.Txid, msg.ChannelId, err)
	}
	return &peer.ChaincodeMessage{
		Type:      peer.ChaincodeMessage_RESPONSE,
		Payload:   payload,
		Txid:      msg.Txid,
		ChannelId: msg.ChannelId,
	}
}

// dispatch runs the request's handler, turning a panic into an error.
func (h *handler) dispatch(tx *txContext, msg *peer.ChaincodeMessage) (payload []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			h.log.Error("panic while serving a chaincode request", "ccid", h.ccid, "type", msg.Type,
				"txid", msg.Txid, "panic", r, "stack", string(debug.Stack()))
			payload, err = nil, errPanic
		}
	}()
	return requestHandlerFor(msg.Type)(h, tx, msg.Payload)
}

// checkPrivate applies the rules shared by every private data request.
func (tx *txContext) checkPrivate() error {
	if tx.isInit {
		return errPrivateDataInInit
	}
	return nil
}

func (h *handler) getState(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.GetState{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	if req.Collection != "" {
		if err := tx.checkPrivate(); err != nil {
			return nil, err
		}
		return tx.sim.GetPrivateData(tx.namespace, req.Collection, req.Key)
	}
	return tx.sim.GetState(tx.namespace, req.Key)
}

func (h *handler) getStateMultiple(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.GetStateMultiple{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	var values [][]byte
	var err error
	if req.Collection != "" {
		if err := tx.checkPrivate(); err != nil {
			return nil, err
		}
		values, err = tx.sim.GetPrivateDataMultipleKeys(tx.namespace, req.Collection, req.Keys)
	} else {
		values, err = tx.sim.GetStateMultipleKeys(tx.namespace, req.Keys)
	}
	if err != nil {
		return nil, err
	}
	return marshal(&peer.GetStateMultipleResult{Values: values})
}

func (h *handler) putState(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.PutState{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	return nil, tx.put(req.Collection, req.Key, req.Value)
}

func (h *handler) delState(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.DelState{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	return nil, tx.del(req.Collection, req.Key)
}

func (h *handler) putStateMetadata(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.PutStateMetadata{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	return nil, tx.putMetadata(req.Collection, req.Key, req.Metadata)
}

func (h *handler) purgePrivateData(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.DelState{} // Fabric's shim sends DelState, not PurgePrivateState
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	return nil, tx.purge(req.Collection, req.Key)
}

// writeBatch applies the records in order; the first failure stops it and
// the records before it stay applied, as in Fabric.
func (h *handler) writeBatch(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.WriteBatchState{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	for _, rec := range req.Rec {
		var err error
		switch rec.Type {
		case peer.WriteRecord_PUT_STATE:
			err = tx.put(rec.Collection, rec.Key, rec.Value)
		case peer.WriteRecord_DEL_STATE:
			err = tx.del(rec.Collection, rec.Key)
		case peer.WriteRecord_PUT_STATE_METADATA:
			err = tx.putMetadata(rec.Collection, rec.Key, rec.Metadata)
		case peer.WriteRecord_PURGE_PRIVATE_DATA:
			err = tx.purge(rec.Collection, rec.Key)
		default:
			err = errUnknownOperation
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (h *handler) getStateMetadata(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.GetStateMetadata{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	var md map[string][]byte
	var err error
	if req.Collection != "" {
		if err := tx.checkPrivate(); err != nil {
			return nil, err
		}
		md, err = tx.sim.GetPrivateDataMetadata(tx.namespace, req.Collection, req.Key)
	} else {
		md, err = tx.sim.GetStateMetadata(tx.namespace, req.Key)
	}
	if err != nil {
		return nil, err
	}
	// Fabric lists the entries in map order; sorted is one such order and
	// keeps replies reproducible.
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	res := &peer.StateMetadataResult{Entries: make([]*peer.StateMetadata, 0, len(keys))}
	for _, k := range keys {
		res.Entries = append(res.Entries, &peer.StateMetadata{Metakey: k, Value: md[k]})
	}
	return marshal(res)
}

func (h *handler) getPrivateDataHash(tx *txContext, payload []byte) ([]byte, error) {
	req := &peer.GetState{}
	if err := unmarshal(payload, req); err != nil {
		return nil, err
	}
	if err := tx.checkPrivate(); err != nil {
		return nil, err
	}
	return tx.sim.GetPrivateDataHash(tx.namespace, req.Collection, req.Key)
}

func (tx *txContext) put(collection, key string, value []byte) error {
	if collection != "" {
		if err := tx.checkPrivate(); err != nil {
			return err
		}
		return tx.sim.SetPrivateData(tx.namespace, collection, key, value)
	}
	return tx.sim.SetState(tx.namespace, key, value)
}

func (tx *txContext) del(collection, key string) error {
	if collection != "" {
		if err := tx.checkPrivate(); err != nil {
			return err
		}
		return tx.sim.DeletePrivateData(tx.namespace, collection, key)
	}
	return tx.sim.DeleteState(tx.namespace, key)
}

// putMetadata replaces the key's metadata write with the single entry md,
// as Fabric does.
func (tx *txContext) putMetadata(collection, key string, md *peer.StateMetadata) error {
	if md == nil {
		return fmt.Errorf("no metadata given for key %q: PutStateMetadata.metadata must hold a metakey and value", key)
	}
	entries := map[string][]byte{md.Metakey: md.Value}
	if collection != "" {
		if err := tx.checkPrivate(); err != nil {
			return err
		}
		return tx.sim.SetPrivateDataMetadata(tx.namespace, collection, key, entries)
	}
	return tx.sim.SetStateMetadata(tx.namespace, key, entries)
}

func (tx *txContext) purge(collection, key string) error {
	if collection == "" {
		return errOnlyPrivateData
	}
	if err := tx.checkPrivate(); err != nil {
		return err
	}
	return tx.sim.PurgePrivateData(tx.namespace, collection, key)
}

func marshal(m proto.Message) ([]byte, error) {
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("marshal failed: %w", err)
	}
	return b, nil
}
