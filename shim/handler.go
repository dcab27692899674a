package shim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// PeerChaincodeStream is the bidirectional stream of ChaincodeMessages
// between a chaincode and its peer, in either direction of dialling.
type PeerChaincodeStream interface {
	// Send writes one message to the other side.
	Send(*peer.ChaincodeMessage) error
	// Recv reads the next message from the other side; io.EOF when it has
	// closed the stream.
	Recv() (*peer.ChaincodeMessage, error)
}

// ClientStream is a PeerChaincodeStream opened by the chaincode, which can
// therefore close its sending side.
type ClientStream interface {
	PeerChaincodeStream
	// CloseSend tells the peer that the chaincode will send nothing more.
	CloseSend() error
}

// state is where the handler is in the registration handshake.
type state int

const (
	// created: REGISTER sent, waiting for REGISTERED.
	created state = iota
	// established: registered, waiting for READY.
	established
	// ready: serving transactions.
	ready
)

func (s state) String() string {
	switch s {
	case created:
		return "created"
	case established:
		return "established"
	case ready:
		return "ready"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// minBatchSize is the smallest batch the shim uses once the peer offers
// write batches or multiple-key reads; a smaller advertised maximum is
// raised to it, as Fabric's shim does.
const minBatchSize = 100

// registrationHint is how long the handler waits for REGISTERED before it
// logs a hint: a real Fabric peer answers nothing at all to a registration
// it refuses.
const registrationHint = 30 * time.Second

// peerFeatures is what the peer offered in its READY message.
type peerFeatures struct {
	writeBatch      bool
	maxWriteBatch   int
	getMultiple     bool
	maxGetMultiple  int
	readyPayloadErr error
}

// txKey identifies a transaction on the stream. Fabric concatenates channel
// and txid; a struct keeps "a"+"bc" and "ab"+"c" apart.
type txKey struct {
	channel string
	txid    string
}

// handler runs the chaincode side of one stream: the registration
// handshake, then one goroutine per INIT or TRANSACTION, with the replies to
// each transaction's requests routed back to it by channel and txid.
//
// Only the receive loop (serve) reads the stream and changes state. Sends
// from any goroutine go through send, which serialises them; no other lock
// is held while sending, and the receive loop never waits on a send except
// the last ERROR it sends before giving up.
type handler struct {
	stream PeerChaincodeStream
	cc     Chaincode
	log    *slog.Logger
	hint   time.Duration // see registrationHint

	sendMu sync.Mutex
	closed atomic.Bool // set when serve returns: nothing is sent afterwards

	state    state        // owned by serve
	features peerFeatures // written by serve before the first transaction starts
	mspID    string       // the MSP ID the peer announced in REGISTERED; written by serve before the first transaction starts
	peerLogs bool         // the peer takes log lines (see Logger); written by serve before the first transaction starts

	mu      sync.Mutex
	calls   map[txKey]chan *peer.ChaincodeMessage // requests waiting for a reply
	running map[txKey]struct{}                    // transactions executing
	done    chan struct{}                         // closed when the stream has ended
	doneErr error                                 // why, set before done is closed
}

func newHandler(stream PeerChaincodeStream, cc Chaincode, log *slog.Logger) *handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{
		stream:  stream,
		cc:      cc,
		log:     log,
		hint:    registrationHint,
		calls:   make(map[txKey]chan *peer.ChaincodeMessage),
		running: make(map[txKey]struct{}),
		done:    make(chan struct{}),
	}
}

// send writes one message to the stream, one writer at a time.
func (h *handler) send(msg *peer.ChaincodeMessage) error {
	h.sendMu.Lock()
	defer h.sendMu.Unlock()
	if h.closed.Load() {
		return errStreamEnded
	}
	if err := h.stream.Send(msg); err != nil {
		return fmt.Errorf("send %s to peer: %w", msg.GetType(), err)
	}
	return nil
}

// sendAsync sends msg without making the caller wait: the receive loop uses
// it so that it keeps reading whatever the state of the send side.
func (h *handler) sendAsync(msg *peer.ChaincodeMessage) {
	go func() {
		if err := h.send(msg); err != nil && !errors.Is(err, errStreamEnded) {
			h.log.Warn("send to peer failed", "type", msg.GetType(), "txid", msg.GetTxid(), "error", err)
		}
	}()
}

// serve registers the chaincode as name and handles the stream until it
// ends, returning why it ended.
func (h *handler) serve(name string) (err error) {
	defer func() { h.finish(err) }()
	if h.cc == nil {
		return errors.New("no chaincode given to serve")
	}
	if name == "" {
		return errors.New("chaincode ID is empty: it is the name the peer knows the chaincode by")
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("chaincode ID %q is not valid UTF-8", name)
	}
	payload, err := proto.Marshal(&peer.ChaincodeID{Name: name})
	if err != nil {
		return fmt.Errorf("marshal chaincode ID %q: %w", name, err)
	}
	if err := h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: payload}); err != nil {
		return fmt.Errorf("register chaincode %q: %w", name, err)
	}
	waiting := time.AfterFunc(h.hint, func() {
		h.log.Warn("the peer has not answered the registration yet; a Fabric peer stays silent when it refuses one: "+
			"check that the chaincode ID is the installed package ID (or name:version with the peer in dev mode) and that no other process registered it",
			"chaincode", name, "waited", h.hint)
	})
	defer waiting.Stop()
	for {
		msg, err := h.stream.Recv()
		switch {
		case errors.Is(err, io.EOF):
			return fmt.Errorf("peer closed the chaincode stream of %q", name)
		case err != nil:
			return fmt.Errorf("receive from peer: %w", err)
		case msg == nil:
			return errors.New("received a nil message from the peer")
		}
		if err := h.handle(name, msg, waiting); err != nil {
			return err
		}
	}
}

// finish records why the stream ended and wakes every request waiting for a
// reply.
func (h *handler) finish(err error) {
	h.closed.Store(true)
	processMSPIDs.disconnected(h)
	if err == nil {
		err = errStreamEnded
	}
	h.mu.Lock()
	h.doneErr = err
	h.mu.Unlock()
	close(h.done)
}

// handle processes one message from the peer. A returned error ends the
// stream.
func (h *handler) handle(name string, msg *peer.ChaincodeMessage, waiting *time.Timer) error {
	if msg.Type == peer.ChaincodeMessage_KEEPALIVE {
		h.sendAsync(msg)
		return nil
	}
	switch h.state {
	case created:
		switch msg.Type {
		case peer.ChaincodeMessage_REGISTERED:
			waiting.Stop()
			h.state = established
			id, err := announcedMSPID(msg.Payload)
			if err != nil {
				h.log.Warn("could not decode the MSP ID in the peer's REGISTERED; GetMSPID falls back to CORE_PEER_LOCALMSPID", "error", err)
			}
			if id != "" {
				h.mspID = id
				processMSPIDs.connected(h, id)
			}
			h.peerLogs = peerAcceptsLogs(h.stream)
			h.log.Debug("registered with peer", "chaincode", name, "peer_takes_logs", h.peerLogs)
			return nil
		case peer.ChaincodeMessage_ERROR:
			return fmt.Errorf("peer refused the registration: %s", msg.Payload)
		}
	case established:
		switch msg.Type {
		case peer.ChaincodeMessage_READY:
			h.features = parseReady(msg.Payload)
			if err := h.features.readyPayloadErr; err != nil {
				h.log.Warn("could not decode the peer's READY payload; write batches and multiple-key reads stay off", "error", err)
			}
			h.state = ready
			h.log.Debug("ready", "chaincode", name, "write_batch", h.features.writeBatch, "get_multiple", h.features.getMultiple)
			return nil
		case peer.ChaincodeMessage_ERROR:
			return fmt.Errorf("peer sent an error instead of READY to chaincode %q: %s", name, msg.Payload)
		}
	case ready:
		switch msg.Type {
		case peer.ChaincodeMessage_RESPONSE, peer.ChaincodeMessage_ERROR:
			if h.deliver(msg) {
				return nil
			}
			return h.protocolError(msg, fmt.Errorf("received %s for transaction %s on channel %q, which has no request waiting for a reply",
				msg.Type, msg.Txid, msg.ChannelId))
		case peer.ChaincodeMessage_INIT, peer.ChaincodeMessage_TRANSACTION:
			h.start(msg)
			return nil
		}
	}
	return h.protocolError(msg, fmt.Errorf("chaincode cannot handle message %s in state %s (transaction %q)", msg.Type, h.state, msg.Txid))
}

// protocolError tells the peer what went wrong and returns err, which ends
// the stream: the two sides no longer agree on the protocol.
func (h *handler) protocolError(msg *peer.ChaincodeMessage, err error) error {
	reply := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Payload: []byte(err.Error()), Txid: msg.Txid, ChannelId: msg.ChannelId}
	if sendErr := h.send(reply); sendErr != nil {
		h.log.Warn("could not report a protocol error to the peer", "error", sendErr)
	}
	return err
}

func parseReady(payload []byte) peerFeatures {
	var f peerFeatures
	if len(payload) == 0 {
		return f
	}
	params := &peer.ChaincodeAdditionalParams{}
	if err := proto.Unmarshal(payload, params); err != nil {
		f.readyPayloadErr = err
		return f
	}
	f.writeBatch = params.UseWriteBatch
	f.maxWriteBatch = max(int(params.MaxSizeWriteBatch), minBatchSize)
	f.getMultiple = params.UseGetMultipleKeys
	f.maxGetMultiple = max(int(params.MaxSizeGetMultipleKeys), minBatchSize)
	return f
}

// deliver hands a reply to the request waiting for it.
func (h *handler) deliver(msg *peer.ChaincodeMessage) bool {
	h.mu.Lock()
	ch, ok := h.calls[txKey{msg.ChannelId, msg.Txid}]
	if ok {
		delete(h.calls, txKey{msg.ChannelId, msg.Txid})
	}
	h.mu.Unlock()
	if ok {
		ch <- msg // buffered, and removed above: never blocks
	}
	return ok
}

// call sends a request for a transaction and waits for the peer's reply.
// A transaction has at most one request outstanding, as the peer requires.
func (h *handler) call(msg *peer.ChaincodeMessage) (*peer.ChaincodeMessage, error) {
	key := txKey{msg.ChannelId, msg.Txid}
	ch := make(chan *peer.ChaincodeMessage, 1)
	h.mu.Lock()
	if _, busy := h.calls[key]; busy {
		h.mu.Unlock()
		return nil, fmt.Errorf("transaction %s already has a request in flight: the peer serves one request at a time per transaction, so do not call the stub from several goroutines", msg.Txid)
	}
	h.calls[key] = ch
	h.mu.Unlock()

	if err := h.send(msg); err != nil {
		h.forget(key, ch)
		if errors.Is(err, errStreamEnded) {
			return nil, h.endedErr()
		}
		return nil, err
	}
	select {
	case reply := <-ch:
		return reply, nil
	case <-h.done:
		h.forget(key, ch)
		// The reply may have arrived just before the stream ended.
		select {
		case reply := <-ch:
			return reply, nil
		default:
		}
		return nil, h.endedErr()
	}
}

// forget drops the waiting request key if it is still ch.
func (h *handler) forget(key txKey, ch chan *peer.ChaincodeMessage) {
	h.mu.Lock()
	if h.calls[key] == ch {
		delete(h.calls, key)
	}
	h.mu.Unlock()
}

func (h *handler) endedErr() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Errorf("%w: %w", errStreamEnded, h.doneErr)
}

// start runs an INIT or TRANSACTION in its own goroutine.
func (h *handler) start(msg *peer.ChaincodeMessage) {
	key := txKey{msg.ChannelId, msg.Txid}
	h.mu.Lock()
	_, dup := h.running[key]
	if !dup {
		h.running[key] = struct{}{}
	}
	h.mu.Unlock()
	if dup {
		h.sendAsync(errorMessage(msg, fmt.Sprintf("transaction %s on channel %q is already executing", msg.Txid, msg.ChannelId), nil))
		return
	}
	go func() {
		// The transaction is over once its reply is made: it is forgotten
		// before the reply is sent, so that the peer may send the same
		// txid again as soon as it has the reply (peersim's determinism
		// check simulates a proposal twice).
		reply := func() *peer.ChaincodeMessage {
			defer func() {
				h.mu.Lock()
				delete(h.running, key)
				h.mu.Unlock()
			}()
			if h.mspID != "" {
				defer processMSPIDs.running(h.mspID)()
			}
			return h.execute(msg)
		}()
		if err := h.send(reply); err != nil && !errors.Is(err, errStreamEnded) {
			h.log.Warn("could not send the result of a transaction", "txid", msg.Txid, "channel", msg.ChannelId, "error", err)
		}
	}()
}

// execute runs Init or Invoke for msg and returns the message that answers
// it, following Fabric's rules: Invoke always answers COMPLETED; Init
// answers ERROR with the response message when the status is ERROR (500) or
// more.
func (h *handler) execute(msg *peer.ChaincodeMessage) *peer.ChaincodeMessage {
	input := &peer.ChaincodeInput{}
	if err := proto.Unmarshal(msg.Payload, input); err != nil {
		return errorMessage(msg, fmt.Sprintf("unmarshal the chaincode input of transaction %s: %v", msg.Txid, err), nil)
	}
	stub, err := newStub(h, msg.ChannelId, msg.Txid, input, msg.Proposal)
	if err != nil {
		return errorMessage(msg, fmt.Sprintf("create the stub of transaction %s: %v", msg.Txid, err), nil)
	}
	isInit := msg.Type == peer.ChaincodeMessage_INIT
	res, panicked := h.run(stub, isInit)
	if isInit && res.Status >= ERROR {
		return errorMessage(msg, res.Message, stub.event)
	}
	payload, err := proto.Marshal(res)
	if err != nil {
		return errorMessage(msg, fmt.Sprintf("marshal the response of transaction %s: %v", msg.Txid, err), nil)
	}
	if !panicked {
		if err := stub.FinishWriteBatch(); err != nil {
			return errorMessage(msg, fmt.Sprintf("send the write batch of transaction %s: %v", msg.Txid, err), nil)
		}
	}
	return &peer.ChaincodeMessage{
		Type:           peer.ChaincodeMessage_COMPLETED,
		Payload:        payload,
		Txid:           msg.Txid,
		ChannelId:      msg.ChannelId,
		ChaincodeEvent: stub.event,
	}
}

// run calls Init or Invoke. A panic becomes an ERROR response for this
// transaction only; the chaincode keeps serving the others.
func (h *handler) run(stub *ChaincodeStub, isInit bool) (res *peer.Response, panicked bool) {
	fn := "Invoke"
	if isInit {
		fn = "Init"
	}
	defer func() {
		if r := recover(); r != nil {
			h.log.Error("chaincode panicked", "function", fn, "txid", stub.TxID, "channel", stub.ChannelID,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			res = &peer.Response{Status: ERROR, Message: fmt.Sprintf("chaincode panicked in %s: %v", fn, r)}
			panicked = true
		}
	}()
	if isInit {
		res = h.cc.Init(stub)
	} else {
		res = h.cc.Invoke(stub)
	}
	if res == nil {
		res = &peer.Response{Status: ERROR, Message: fmt.Sprintf("chaincode %s returned a nil response", fn)}
	}
	return res, false
}

func errorMessage(req *peer.ChaincodeMessage, text string, event *peer.ChaincodeEvent) *peer.ChaincodeMessage {
	return &peer.ChaincodeMessage{
		Type:           peer.ChaincodeMessage_ERROR,
		Payload:        []byte(text),
		Txid:           req.Txid,
		ChannelId:      req.ChannelId,
		ChaincodeEvent: event,
	}
}
