package chaincode

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// stream is what both stream directions offer: the server side of
// ChaincodeSupport/Register and the client side of Chaincode/Connect.
type stream interface {
	Send(*peer.ChaincodeMessage) error
	RecvMsg(m any) error
}

// outgoing is a message queued for the single sender goroutine; sent, when
// not nil, receives the result of Send. A reply to a request holds the
// request's in-flight slot, and its transaction's count when tx is set,
// until it is on the stream.
type outgoing struct {
	msg  *peer.ChaincodeMessage
	sent chan<- error
	slot bool
	tx   *txContext
}

// handler serves one chaincode stream: the registration handshake
// (created → established → ready), then the chaincode's requests, served by
// a bounded set of workers, with replies serialised through one sender.
//
// Every request takes a slot in slots before it is dispatched and gives it
// back once its reply is on the stream (or it was dropped). When all slots
// are taken the receiving goroutine stops reading the stream: gRPC flow
// control then stops the chaincode, so a chaincode that does not read its
// replies cannot grow the peer.
//
// The receiving goroutine decodes and dispatches each message itself, so a
// request passes through three goroutines on the peer (receiver, worker,
// sender) besides gRPC's own. The serving goroutine only waits for the
// handler to stop and then shuts it down.
type handler struct {
	srv  *Server
	st   stream
	info ConnInfo
	log  *slog.Logger
	// dialed is what the peer dialled the chaincode server for; nil when
	// the chaincode opened the stream.
	dialed *DialedAs

	// ccid is set by the receiving goroutine before the handler becomes
	// findable in the registry and never changes afterwards.
	ccid string

	// handling is held by the receiving goroutine while it handles a
	// message (not while it waits for one), so shutdown can wait for the
	// message in hand; after quit is closed it handles no more.
	handling sync.Mutex

	sendq    chan outgoing
	sendDone chan struct{} // closed when the sender goroutine has exited
	quit     chan struct{} // closed once the handler stops, for any reason
	stopOnce sync.Once
	stopErr  error // why it stopped; written before quit is closed

	mu     sync.Mutex
	txs    map[string]*txContext // by channel+txid
	closed bool                  // no new transactions

	slots   chan struct{}  // one per request in flight
	work    chan request   // to idle workers
	workers int            // started so far; only the receiving goroutine uses it
	wg      sync.WaitGroup // workers and keepalive
}

// request is a chaincode request that holds a slot, for a worker.
type request struct {
	msg *peer.ChaincodeMessage
	tx  *txContext // nil when no transaction matches
}

func newHandler(s *Server, st stream, info ConnInfo, dialed *DialedAs) *handler {
	return &handler{
		srv:      s,
		st:       st,
		info:     info,
		log:      s.log,
		dialed:   dialed,
		sendq:    make(chan outgoing, s.cfg.MaxInFlight+16),
		slots:    make(chan struct{}, s.cfg.MaxInFlight),
		work:     make(chan request),
		sendDone: make(chan struct{}),
		quit:     make(chan struct{}),
		txs:      map[string]*txContext{},
	}
}

// stop ends the handler; the first reason wins.
func (h *handler) stop(reason error) {
	h.stopOnce.Do(func() {
		h.stopErr = reason
		close(h.quit)
	})
}

// serve runs the stream until it ends and returns why (nil for a clean end
// of stream); registered reports whether the chaincode became ready, and
// so whether the disconnect hook ran.
func (h *handler) serve() (registered bool, _ error) {
	go h.sendLoop()
	if d := h.srv.cfg.Keepalive; d > 0 {
		go h.keepalive(d)
	}
	go h.recvLoop()
	<-h.quit
	return h.shutdown()
}

// shutdown runs once the handler has stopped: it waits for the message
// being handled, deregisters the handler, fails its transactions, waits
// for its request goroutines and, if the chaincode was ready, runs the
// disconnect hook. It returns whether the chaincode was ready and why the
// handler stopped.
func (h *handler) shutdown() (bool, error) {
	cause := h.stopErr
	// Once the receiving goroutine has let go of the message in hand it
	// handles no more, so nothing registers or dispatches after this.
	h.handling.Lock()
	wasReady := h.srv.registry.remove(h)
	h.handling.Unlock()

	h.mu.Lock()
	h.closed = true
	txs := make([]*txContext, 0, len(h.txs))
	for _, tx := range h.txs {
		txs = append(txs, tx)
	}
	h.mu.Unlock()
	for _, tx := range txs {
		tx.finish()
	}
	h.wg.Wait()
	// Nothing may use the stream once the caller has it back.
	<-h.sendDone

	if wasReady {
		h.log.Info("chaincode disconnected", "ccid", h.ccid, "cause", cause)
		if h.srv.onDisconnect != nil {
			h.srv.onDisconnect(h.ccid, cause)
		}
	}
	return wasReady, cause
}

// recvLoop reads the stream and handles each message until the stream ends
// or the handler stops. A clean end of stream stops the handler with a nil
// reason.
func (h *handler) recvLoop() {
	st := streamCreated
	// Every message is received into the same buffer: handleReceived
	// decodes it (protobuf copies what the decoded message keeps) before
	// the next is read, and nothing holds on to the bytes.
	m := &rawMessage{}
	for {
		err := h.st.RecvMsg(m)
		if !h.handleReceived(m.b, err, &st) {
			return
		}
	}
}

// handleReceived handles what one RecvMsg returned and reports whether to
// read on.
func (h *handler) handleReceived(raw []byte, err error, st *streamState) bool {
	h.handling.Lock()
	defer h.handling.Unlock()
	select {
	case <-h.quit:
		return false
	default:
	}
	switch {
	case errors.Is(err, io.EOF):
		h.stop(nil)
		return false
	case err != nil:
		h.stop(fmt.Errorf("receive from chaincode: %w", err))
		return false
	case *st == streamCreated:
		registered, err := h.handshake(raw)
		if err != nil {
			h.stop(err)
			return false
		}
		if registered {
			*st = streamReady
		}
	default:
		h.handle(raw)
	}
	return true
}

// streamState is where a chaincode stream is in the registration
// handshake, as Fabric's peer names it. Only the receiving goroutine
// (recvLoop) holds and changes it.
type streamState int

const (
	// streamCreated: the stream is open and the first message must be
	// REGISTER (KEEPALIVEs are allowed); handshake handles it.
	streamCreated streamState = iota
	// streamReady: REGISTERED and READY were sent; the chaincode asks and
	// answers, and handle dispatches each message.
	streamReady
)

func (s streamState) String() string {
	switch s {
	case streamCreated:
		return "created"
	case streamReady:
		return "ready"
	}
	return fmt.Sprintf("streamState(%d)", int(s))
}

func (h *handler) sendLoop() {
	defer close(h.sendDone)
	for {
		select {
		case o := <-h.sendq:
			select {
			case <-h.quit:
				return // stopped meanwhile: send nothing more
			default:
			}
			err := h.st.Send(o.msg)
			h.release(o)
			if o.sent != nil {
				o.sent <- err
			}
			if err != nil {
				h.stop(fmt.Errorf("send %s to chaincode: %w", o.msg.Type, err))
				return
			}
		case <-h.quit:
			return
		}
	}
}

func (h *handler) keepalive(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_KEEPALIVE})
		case <-h.quit:
			return
		}
	}
}

// send queues msg; it reports false when the stream has ended.
func (h *handler) send(msg *peer.ChaincodeMessage) bool {
	select {
	case h.sendq <- outgoing{msg: msg}:
		return true
	case <-h.quit:
		return false
	}
}

// sendWait queues msg and waits until it is on the stream.
func (h *handler) sendWait(msg *peer.ChaincodeMessage) error {
	sent := make(chan error, 1)
	select {
	case h.sendq <- outgoing{msg: msg, sent: sent}:
	case <-h.quit:
		return h.stopErr
	}
	select {
	case err := <-sent:
		return err
	case <-h.quit:
		return h.stopErr
	}
}

// acquire takes an in-flight slot, waiting while all are taken; it reports
// false when the stream has ended meanwhile.
func (h *handler) acquire() bool {
	select {
	case h.slots <- struct{}{}:
		return true
	case <-h.quit:
		return false
	}
}

// release gives back what o holds.
func (h *handler) release(o outgoing) {
	if o.tx != nil {
		o.tx.inflight.Add(-1)
	}
	if o.slot {
		<-h.slots
	}
}

// reply queues the answer to a request that holds a slot (and tx's count
// when tx is not nil); msg nil means the request is dropped.
func (h *handler) reply(msg *peer.ChaincodeMessage, tx *txContext) {
	o := outgoing{msg: msg, slot: true, tx: tx}
	if msg == nil {
		h.release(o)
		return
	}
	select {
	case h.sendq <- o:
	case <-h.quit:
		h.release(o)
	}
}

// replyError answers a bad message with ERROR. It takes a slot like a
// request, so a flood of bad messages is bounded too.
func (h *handler) replyError(msg *peer.ChaincodeMessage) {
	if h.acquire() {
		h.reply(msg, nil)
	}
}

// handshake handles a message in streamCreated. It returns true once
// the chaincode is registered and ready; an error ends the stream.
func (h *handler) handshake(raw []byte) (bool, error) {
	msg := &peer.ChaincodeMessage{}
	if err := proto.Unmarshal(raw, msg); err != nil {
		env := peekEnvelope(raw)
		return false, h.refuse(env.txID, fmt.Errorf("%w: the peer cannot decode the chaincode's first message: unmarshal failed: %v", ErrProtocol, err))
	}
	switch msg.Type {
	case peer.ChaincodeMessage_KEEPALIVE:
		return false, nil
	case peer.ChaincodeMessage_REGISTER:
		return h.register(msg)
	default:
		return false, h.refuse(msg.Txid, fmt.Errorf("%w: [%s] peer cannot handle message (%s) while in %s state: the first message must be REGISTER", ErrProtocol, msg.Txid, msg.Type, streamCreated))
	}
}

// announcedMSPID is the MSP ID REGISTERED carries for ccid; "" for none.
func (s *Server) announcedMSPID(ccid string) string {
	if s.peerMSPID == nil {
		return ""
	}
	return s.peerMSPID(ccid)
}

// register runs the REGISTER → REGISTERED → READY handshake.
func (h *handler) register(msg *peer.ChaincodeMessage) (bool, error) {
	id := &peer.ChaincodeID{}
	if err := proto.Unmarshal(msg.Payload, id); err != nil {
		return false, h.refuse(msg.Txid, fmt.Errorf("%w: REGISTER payload is not a ChaincodeID: unmarshal failed: %v", ErrProtocol, err))
	}
	ccid, err := h.admit(msg.Txid, id.Name)
	if err != nil {
		return false, err
	}
	if err := h.srv.registry.reserve(ccid, h); err != nil {
		return false, h.refuse(msg.Txid, err)
	}
	h.ccid = ccid

	registered := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTERED}
	if mspID := h.srv.announcedMSPID(ccid); mspID != "" {
		if registered.Payload, err = proto.Marshal(&msp.SerializedIdentity{Mspid: mspID}); err != nil {
			return false, fmt.Errorf("marshal REGISTERED payload for %s: %w", ccid, err)
		}
	}
	if err := h.sendWait(registered); err != nil {
		return false, err
	}
	params, err := proto.Marshal(&peer.ChaincodeAdditionalParams{
		UseWriteBatch:          h.srv.cfg.UseWriteBatch,
		MaxSizeWriteBatch:      h.srv.cfg.MaxSizeWriteBatch,
		UseGetMultipleKeys:     h.srv.cfg.UseGetMultipleKeys,
		MaxSizeGetMultipleKeys: h.srv.cfg.MaxSizeGetMultipleKeys,
	})
	if err != nil {
		return false, fmt.Errorf("marshal READY parameters for %s: %w", ccid, err)
	}
	if err := h.sendWait(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_READY, Payload: params}); err != nil {
		return false, err
	}
	h.srv.registry.markReady(ccid, h)
	h.log.Info("chaincode registered", "ccid", ccid, "addr", h.info.Addr, "dialed", h.info.Dialed)
	return true, nil
}

// admit decides whether a REGISTER naming name, with txid txID, is
// accepted, and returns the ccid to register it as. A chaincode server the
// peer dialled must name the ccid or the package ID it was dialled for;
// the package ID registers as the ccid. The name must not be empty, and
// the peer's Admission must accept the ccid. A refusal is answered with
// ERROR and returned.
func (h *handler) admit(txID, name string) (ccid string, _ error) {
	ccid = name
	if d := h.dialed; d != nil {
		switch name {
		case d.CCID:
		case d.PackageID:
			ccid = d.CCID
		default:
			return "", h.refuse(txID, &dialedNameError{name: name, as: *d})
		}
	}
	if ccid == "" {
		return "", h.refuse(txID, ErrEmptyName)
	}
	if err := h.srv.admission.Admit(ccid, h.info); err != nil {
		// The chaincode knows its own id: ERROR carries the reason alone.
		return "", h.refuseWith(txID, fmt.Errorf("chaincode %s %w: %w", ccid, ErrRegistrationRefused, err), err.Error())
	}
	return ccid, nil
}

// refuse answers a refused registration with ERROR carrying the reason and
// returns the reason, which ends the stream.
func (h *handler) refuse(txID string, reason error) error {
	return h.refuseWith(txID, reason, reason.Error())
}

// refuseWith is refuse with text as the ERROR's payload and the log's
// reason.
func (h *handler) refuseWith(txID string, reason error, text string) error {
	h.log.Warn("chaincode registration refused", "reason", text, "addr", h.info.Addr)
	msg := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Payload: []byte(text), Txid: txID}
	if err := h.sendWait(msg); err != nil {
		h.log.Debug("could not send the registration refusal", "err", err)
	}
	return reason
}

// handle dispatches a message received in streamReady. Nothing a
// chaincode sends ends the stream: bad messages get ERROR.
func (h *handler) handle(raw []byte) {
	msg := &peer.ChaincodeMessage{}
	if err := proto.Unmarshal(raw, msg); err != nil {
		env := peekEnvelope(raw)
		cause := fmt.Errorf("unmarshal failed: %w", err)
		h.log.Warn("undecodable message from chaincode", "ccid", h.ccid, "type", env.typ, "txid", env.txID, "err", err)
		if env.typ == peer.ChaincodeMessage_COMPLETED || env.typ == peer.ChaincodeMessage_ERROR {
			// Nobody on the chaincode side waits for an answer to these;
			// fail the transaction instead.
			h.notify(&peer.ChaincodeMessage{
				Type:      peer.ChaincodeMessage_ERROR,
				Payload:   fmt.Appendf(nil, "the peer cannot decode the chaincode's %s message: %s", env.typ, cause),
				Txid:      env.txID,
				ChannelId: env.channelID,
			})
			return
		}
		h.replyError(errorMessage(env.typ, env.txID, env.channelID, cause))
		return
	}

	switch msg.Type {
	case peer.ChaincodeMessage_KEEPALIVE:
		// Ignored in every state.
	case peer.ChaincodeMessage_COMPLETED, peer.ChaincodeMessage_ERROR:
		h.notify(msg)
	case peer.ChaincodeMessage_REGISTER:
		h.replyError(errorMessage(msg.Type, msg.Txid, msg.ChannelId,
			fmt.Errorf("this stream is already registered as %s; a chaincode registers once per stream", h.ccid)))
	case LogMessageType:
		h.logged(msg)
	default:
		if requestHandlerFor(msg.Type) != nil {
			h.dispatchRequest(msg)
			return
		}
		h.log.Warn("unexpected message type from chaincode", "ccid", h.ccid, "type", msg.Type, "txid", msg.Txid)
		h.replyError(errorMessage(msg.Type, msg.Txid, msg.ChannelId,
			fmt.Errorf("the peer does not accept %s messages from a registered chaincode; expected a request, COMPLETED, ERROR or KEEPALIVE", msg.Type)))
	}
}

// logged hands a line the chaincode logged for a transaction running on
// this stream to the Tracer; nothing is answered, and a line for another
// transaction, or when the peer did not ask for lines, is dropped.
func (h *handler) logged(msg *peer.ChaincodeMessage) {
	if !h.srv.acceptLogs || h.srv.tracer == nil {
		return
	}
	h.mu.Lock()
	tx := h.txs[txKey(msg.ChannelId, msg.Txid)]
	h.mu.Unlock()
	if tx == nil {
		return
	}
	h.srv.tracer.Logged(msg.ChannelId, msg.Txid, string(msg.Payload))
}

// notify hands a COMPLETED or ERROR to the transaction waiting for it; one
// for an unknown or finished transaction is dropped, as Fabric does.
func (h *handler) notify(msg *peer.ChaincodeMessage) {
	h.mu.Lock()
	tx := h.txs[txKey(msg.ChannelId, msg.Txid)]
	h.mu.Unlock()
	if tx == nil {
		h.log.Debug("dropping reply for unknown transaction", "ccid", h.ccid, "type", msg.Type, "txid", msg.Txid, "channel", msg.ChannelId)
		return
	}
	select {
	case tx.done <- msg:
	default: // a reply is already there; the first one wins
	}
}
