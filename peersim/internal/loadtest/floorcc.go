package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// chaincodeLink is the floor's side of the chaincode stream: the fewest
// messages a peer exchanges with a chaincode to run one transaction
// (TRANSACTION, an answer to each of the chaincode's state calls,
// COMPLETED), with no ledger behind the answers. One chaincode serves
// the floor; the proposals of all clients share its stream, as they share
// a peer's.
type chaincodeLink struct {
	name  string // the chaincode ID it must register with, name:version
	value []byte // what GET_STATE answers for any key

	ready chan struct{} // closed once a chaincode registered
	once  sync.Once

	sendMu sync.Mutex
	stream peer.ChaincodeSupport_RegisterServer

	mu      sync.Mutex
	waiting map[string]chan *peer.ChaincodeMessage // by txid
}

func newChaincodeLink(name string, valueSize int) *chaincodeLink {
	return &chaincodeLink{
		name:    name,
		value:   filler(valueSize),
		ready:   make(chan struct{}),
		waiting: map[string]chan *peer.ChaincodeMessage{},
	}
}

func (l *chaincodeLink) send(msg *peer.ChaincodeMessage) error {
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	return l.stream.Send(msg)
}

// register serves one chaincode's stream: the handshake peersim makes
// (REGISTERED, then READY with the same parameters, which make Fabric's
// shim batch its writes into one WRITE_BATCH_STATE), then the answers to
// its state calls until the stream ends.
func (l *chaincodeLink) register(stream peer.ChaincodeSupport_RegisterServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	var id peer.ChaincodeID
	if first.GetType() != peer.ChaincodeMessage_REGISTER {
		return fmt.Errorf("floor: the chaincode's first message is %s, want REGISTER", first.GetType())
	}
	if err := proto.Unmarshal(first.GetPayload(), &id); err != nil {
		return fmt.Errorf("floor: decode REGISTER: %w", err)
	}
	if id.GetName() != l.name {
		return fmt.Errorf("floor: chaincode %q registered, want %q", id.GetName(), l.name)
	}
	claimed := false
	l.once.Do(func() { claimed = true })
	if !claimed {
		return fmt.Errorf("floor: chaincode %q is already registered", id.GetName())
	}
	params, err := proto.Marshal(&peer.ChaincodeAdditionalParams{
		UseWriteBatch: true, MaxSizeWriteBatch: 1000, UseGetMultipleKeys: true, MaxSizeGetMultipleKeys: 1000,
	})
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	l.stream = stream
	for _, m := range []*peer.ChaincodeMessage{
		{Type: peer.ChaincodeMessage_REGISTERED},
		{Type: peer.ChaincodeMessage_READY, Payload: params},
	} {
		if err := l.send(m); err != nil {
			return err
		}
	}
	close(l.ready)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := l.handle(msg); err != nil {
			return err
		}
	}
}

func (l *chaincodeLink) handle(msg *peer.ChaincodeMessage) error {
	reply := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_RESPONSE, Txid: msg.GetTxid(), ChannelId: msg.GetChannelId()}
	switch msg.GetType() {
	case peer.ChaincodeMessage_KEEPALIVE:
		return nil
	case peer.ChaincodeMessage_COMPLETED, peer.ChaincodeMessage_ERROR:
		l.mu.Lock()
		ch := l.waiting[msg.GetTxid()]
		delete(l.waiting, msg.GetTxid())
		l.mu.Unlock()
		if ch != nil {
			ch <- msg
		}
		return nil
	case peer.ChaincodeMessage_GET_STATE:
		reply.Payload = l.value
	case peer.ChaincodeMessage_PUT_STATE, peer.ChaincodeMessage_WRITE_BATCH_STATE:
	default:
		reply.Type = peer.ChaincodeMessage_ERROR
		reply.Payload = []byte(fmt.Sprintf("floor: %s is not served", msg.GetType()))
	}
	return l.send(reply)
}

// execute runs one transaction on the registered chaincode and returns
// its response; it waits for a chaincode to register until ctx ends.
func (l *chaincodeLink) execute(ctx context.Context, channel, txID string, input []byte, sp *peer.SignedProposal) (*peer.Response, error) {
	select {
	case <-l.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("floor: no chaincode %q registered: %w", l.name, context.Cause(ctx))
	}
	done := make(chan *peer.ChaincodeMessage, 1)
	l.mu.Lock()
	l.waiting[txID] = done
	l.mu.Unlock()
	forget := func() { l.mu.Lock(); delete(l.waiting, txID); l.mu.Unlock() }
	msg := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_TRANSACTION, Payload: input, Txid: txID, ChannelId: channel, Proposal: sp}
	if err := l.send(msg); err != nil {
		forget()
		return nil, fmt.Errorf("floor: send TRANSACTION %s: %w", txID, err)
	}
	select {
	case m := <-done:
		if m.GetType() != peer.ChaincodeMessage_COMPLETED {
			return nil, fmt.Errorf("floor: transaction %s: the chaincode answered %s: %s", txID, m.GetType(), m.GetPayload())
		}
		var resp peer.Response
		if err := proto.Unmarshal(m.GetPayload(), &resp); err != nil {
			return nil, fmt.Errorf("floor: transaction %s: decode COMPLETED: %w", txID, err)
		}
		return &resp, nil
	case <-ctx.Done():
		forget()
		return nil, fmt.Errorf("floor: transaction %s: %w", txID, context.Cause(ctx))
	}
}
