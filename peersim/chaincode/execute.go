package chaincode

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// ExecuteRequest is one INIT or TRANSACTION to run on a chaincode.
type ExecuteRequest struct {
	// Type is peer.ChaincodeMessage_INIT or peer.ChaincodeMessage_TRANSACTION.
	// During INIT every private data request fails, as in Fabric.
	Type peer.ChaincodeMessage_Type
	// ChannelID and TxID identify the transaction; together they must be
	// unique among the transactions running on the connection.
	ChannelID string
	TxID      string
	// Namespace is the chaincode name (not the ccid): requests read and
	// write under it, and it becomes the chaincode event's chaincode_id.
	Namespace string
	// Input is sent as the message payload (args, decorations, is_init).
	Input *peer.ChaincodeInput
	// SignedProposal is forwarded to the chaincode, which derives creator,
	// transient map, binding and timestamp from it. May be nil.
	SignedProposal *peer.SignedProposal
	// Simulator serves the chaincode's requests for this transaction.
	Simulator TxSimulator
}

func (r *ExecuteRequest) validate() error {
	switch {
	case r.Type != peer.ChaincodeMessage_INIT && r.Type != peer.ChaincodeMessage_TRANSACTION:
		return fmt.Errorf("%w: type %s must be INIT or TRANSACTION", ErrInvalidRequest, r.Type)
	case r.TxID == "":
		return fmt.Errorf("%w: empty txid", ErrInvalidRequest)
	case !utf8.ValidString(r.TxID):
		return fmt.Errorf("%w: txid %q is not valid UTF-8", ErrInvalidRequest, r.TxID)
	case !utf8.ValidString(r.ChannelID):
		return fmt.Errorf("%w: channel %q is not valid UTF-8", ErrInvalidRequest, r.ChannelID)
	case r.Namespace == "":
		return fmt.Errorf("%w: empty namespace for txid %s", ErrInvalidRequest, r.TxID)
	case r.Simulator == nil:
		return fmt.Errorf("%w: nil simulator for txid %s", ErrInvalidRequest, r.TxID)
	}
	return nil
}

// Execute runs req on the chaincode registered as ccid and returns the
// chaincode's COMPLETED or ERROR message. A COMPLETED's chaincode event gets
// chaincode_id = req.Namespace and tx_id = req.TxID, as Fabric sets them.
//
// Errors: ErrInvalidRequest; ErrNotRegistered; and, with Fabric's text
// prefixed by "error sending: ", ErrTxExists, ErrExecuteTimeout,
// ErrStreamTerminated or ctx's error. Once Execute returns, the transaction
// is gone: later requests for it get "no ledger context" and a late
// COMPLETED is ignored.
func (s *Server) Execute(ctx context.Context, ccid string, req ExecuteRequest) (*peer.ChaincodeMessage, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	h := s.registry.ready(ccid)
	if h == nil {
		return nil, fmt.Errorf("execute txid %s: chaincode %s is %w", req.TxID, ccid, ErrNotRegistered)
	}
	resp, err := h.execute(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.Type == peer.ChaincodeMessage_COMPLETED && resp.ChaincodeEvent != nil {
		resp.ChaincodeEvent.ChaincodeId = req.Namespace
		resp.ChaincodeEvent.TxId = req.TxID
	}
	return resp, nil
}

// execute sends req on this stream and waits for its answer.
func (h *handler) execute(ctx context.Context, req ExecuteRequest) (resp *peer.ChaincodeMessage, err error) {
	payload, err := proto.Marshal(req.Input)
	if err != nil {
		return nil, fmt.Errorf("%w: marshal chaincode input for txid %s: %v", ErrInvalidRequest, req.TxID, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	tx := &txContext{
		ctx:            ctx,
		channelID:      req.ChannelID,
		txID:           req.TxID,
		namespace:      req.Namespace,
		isInit:         req.Type == peer.ChaincodeMessage_INIT,
		sim:            req.Simulator,
		signedProposal: req.SignedProposal,
		done:           make(chan *peer.ChaincodeMessage, 1),
	}
	key := txKey(req.ChannelID, req.TxID)
	h.mu.Lock()
	switch {
	case h.closed:
		h.mu.Unlock()
		return nil, fmt.Errorf("error sending: %w", ErrStreamTerminated)
	case h.txs[key] != nil:
		h.mu.Unlock()
		return nil, fmt.Errorf("error sending: %w", &txExistsError{channelID: req.ChannelID, txID: req.TxID})
	}
	h.txs[key] = tx
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.txs, key)
		h.mu.Unlock()
		tx.finish()
	}()
	if t := h.srv.tracer; t != nil {
		t.ExecuteStarted(h.ccid, req.ChannelID, req.TxID)
		defer t.ExecuteEnded(h.ccid, req.ChannelID, req.TxID)
		started := time.Now()
		defer func() {
			m := TracedMessage{Type: req.Type.String(), Received: started, Took: time.Since(started), Err: err}
			if resp != nil {
				m.Type += " → " + resp.Type.String()
			}
			t.Traced(req.ChannelID, req.TxID, m)
		}()
	}

	var timeout <-chan time.Time
	if d := h.srv.cfg.ExecuteTimeout; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	msg := &peer.ChaincodeMessage{
		Type:      req.Type,
		Payload:   payload,
		Txid:      req.TxID,
		ChannelId: req.ChannelID,
		Proposal:  req.SignedProposal,
	}
	select {
	case h.sendq <- outgoing{msg: msg}:
	case <-timeout:
		return nil, fmt.Errorf("error sending: %w", ErrExecuteTimeout)
	case <-h.quit:
		return nil, fmt.Errorf("error sending: %w", ErrStreamTerminated)
	case <-ctx.Done():
		return nil, fmt.Errorf("error sending: %w", ctx.Err())
	}
	select {
	case resp := <-tx.done:
		return resp, nil
	case <-timeout:
		h.log.Warn("chaincode execution timed out", "ccid", h.ccid, "txid", req.TxID, "channel", req.ChannelID, "timeout", h.srv.cfg.ExecuteTimeout)
		return nil, fmt.Errorf("error sending: %w", ErrExecuteTimeout)
	case <-h.quit:
		return nil, fmt.Errorf("error sending: %w", ErrStreamTerminated)
	case <-ctx.Done():
		return nil, fmt.Errorf("error sending: %w", ctx.Err())
	}
}

// txContext is one executing transaction on one stream.
type txContext struct {
	ctx            context.Context // cancelled when Execute returns
	channelID      string
	txID           string
	namespace      string
	isInit         bool
	sim            TxSimulator
	signedProposal *peer.SignedProposal
	done           chan *peer.ChaincodeMessage // the COMPLETED or ERROR

	inflight atomic.Int64 // requests received and not yet answered on the stream

	mu        sync.Mutex
	busy      bool // a chaincode request is being served
	finished  bool
	iterators map[string]*queryState // open queries, by iterator id; made by the first
}

// begin claims the transaction for one request. busy reports that another
// request is pending (the new one is dropped, as Fabric does); finished
// that the transaction is over.
func (tx *txContext) begin() (ok, busy bool) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	switch {
	case tx.finished:
		return false, false
	case tx.busy:
		return false, true
	}
	tx.busy = true
	return true, false
}

// end releases the claim taken by begin and closes the iterators if the
// transaction finished meanwhile.
func (tx *txContext) end() {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.busy = false
	if tx.finished {
		tx.closeIteratorsLocked()
	}
}

// finish marks the transaction over. Its iterators are closed now, or by the
// request still running on them, never under it.
func (tx *txContext) finish() {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.finished = true
	if !tx.busy {
		tx.closeIteratorsLocked()
	}
}

func (tx *txContext) closeIteratorsLocked() {
	for id, q := range tx.iterators {
		q.it.close()
		delete(tx.iterators, id)
	}
}
