package client

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// stubHeight is the chain height the stub endorser reports to qscc
// GetChainInfo, so Submit seeks from it.
const stubHeight = 7

// stubEndorser is an Endorser with a function field. It answers qscc
// GetChainInfo itself (height stubHeight), so processProposal sees only the
// proposals a test is about.
type stubEndorser struct {
	peer.UnimplementedEndorserServer
	processProposal func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error)
}

func (s *stubEndorser) ProcessProposal(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
	if up, err := identity.UnpackProposal(sp); err == nil && up.ChaincodeID.GetName() == QSCC {
		b, err := proto.Marshal(&common.BlockchainInfo{Height: stubHeight})
		if err != nil {
			return nil, err
		}
		return &peer.ProposalResponse{Response: &peer.Response{Status: 200, Payload: b}}, nil
	}
	return s.processProposal(ctx, sp)
}

// stubOrderer is AtomicBroadcast and Deliver together: Broadcast records
// each envelope and hands its txid to the open DeliverFiltered streams,
// which answer with a filtered block carrying code(txid).
type stubOrderer struct {
	orderer.UnimplementedAtomicBroadcastServer

	// broadcastStatus answers a broadcast envelope; nil means SUCCESS.
	broadcastStatus func(*common.Envelope) *orderer.BroadcastResponse
	// code is the validation code of a committed txid; nil means VALID.
	code func(txID string) peer.TxValidationCode
	// deliverFiltered replaces the default DeliverFiltered behaviour.
	deliverFiltered func(peer.Deliver_DeliverFilteredServer) error
	// deliver serves Deliver (whole blocks); nil leaves it unimplemented.
	deliver func(peer.Deliver_DeliverServer) error

	mu        sync.Mutex
	envelopes []*common.Envelope
	seeks     []*common.Envelope
	seekSeen  chan struct{} // closed when the first seek arrived
	committed chan string   // txids broadcast, for the deliver stream
	block     uint64
}

func newStubOrderer() *stubOrderer {
	return &stubOrderer{seekSeen: make(chan struct{}), committed: make(chan string, 16)}
}

func (o *stubOrderer) Broadcast(stream orderer.AtomicBroadcast_BroadcastServer) error {
	for {
		env, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		// A client that broadcasts before it asked for blocks could miss
		// its commit: only go on once the deliver request is in.
		select {
		case <-o.seekSeen:
		case <-stream.Context().Done():
			return stream.Context().Err()
		}
		o.mu.Lock()
		o.envelopes = append(o.envelopes, env)
		o.mu.Unlock()
		resp := &orderer.BroadcastResponse{Status: common.Status_SUCCESS}
		if o.broadcastStatus != nil {
			resp = o.broadcastStatus(env)
		}
		if resp.Status == common.Status_SUCCESS {
			o.committed <- envelopeTxID(env)
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// deliverService is the peer's Deliver service of a stubOrderer.
type deliverService struct {
	peer.UnimplementedDeliverServer
	o *stubOrderer
}

func (d deliverService) DeliverFiltered(stream peer.Deliver_DeliverFilteredServer) error {
	return d.o.serveFiltered(stream)
}

func (d deliverService) Deliver(stream peer.Deliver_DeliverServer) error {
	if d.o.deliver == nil {
		return d.UnimplementedDeliverServer.Deliver(stream)
	}
	return d.o.deliver(stream)
}

func (o *stubOrderer) serveFiltered(stream peer.Deliver_DeliverFilteredServer) error {
	if o.deliverFiltered != nil {
		return o.deliverFiltered(stream)
	}
	env, err := stream.Recv()
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.seeks = append(o.seeks, env)
	if len(o.seeks) == 1 {
		close(o.seekSeen)
	}
	o.mu.Unlock()
	// An unrelated transaction first: the client must skip it.
	if err := stream.Send(filteredBlock(0, "someone-else", peer.TxValidationCode_VALID)); err != nil {
		return err
	}
	for {
		select {
		case txID := <-o.committed:
			code := peer.TxValidationCode_VALID
			if o.code != nil {
				code = o.code(txID)
			}
			o.mu.Lock()
			o.block++
			n := o.block
			o.mu.Unlock()
			if err := stream.Send(filteredBlock(n, txID, code)); err != nil {
				return err
			}
		case <-stream.Context().Done():
			return nil
		}
	}
}

func filteredBlock(n uint64, txID string, code peer.TxValidationCode) *peer.DeliverResponse {
	return &peer.DeliverResponse{Type: &peer.DeliverResponse_FilteredBlock{FilteredBlock: &peer.FilteredBlock{
		ChannelId: "mychannel",
		Number:    n,
		FilteredTransactions: []*peer.FilteredTransaction{{
			Txid:             txID,
			Type:             common.HeaderType_ENDORSER_TRANSACTION,
			TxValidationCode: code,
		}},
	}}}
}

func envelopeTxID(env *common.Envelope) string {
	p := &common.Payload{}
	if proto.Unmarshal(env.GetPayload(), p) != nil {
		return ""
	}
	ch := &common.ChannelHeader{}
	if proto.Unmarshal(p.GetHeader().GetChannelHeader(), ch) != nil {
		return ""
	}
	return ch.GetTxId()
}

func newOrg(t *testing.T) *identity.Org {
	t.Helper()
	org, err := identity.EnsureOrg(t.TempDir(), identity.DefaultConfig())
	if err != nil {
		t.Fatalf("create test org: %v", err)
	}
	return org
}

func userOf(t *testing.T, org *identity.Org, name string) *identity.SigningIdentity {
	t.Helper()
	id, err := org.Identity(name)
	if err != nil {
		t.Fatalf("load identity %s: %v", name, err)
	}
	return id
}

// endorseWith answers proposals as a peer that endorses with the org's
// peer identity and returns payload as the chaincode's response.
func endorseWith(org *identity.Org, status int32, message string, payload []byte) func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error) {
	return endorseWithEvent(org, status, message, payload, nil)
}

// endorseWithEvent is endorseWith for a chaincode that also sets event.
func endorseWithEvent(org *identity.Org, status int32, message string, payload []byte, event *peer.ChaincodeEvent) func(context.Context, *peer.SignedProposal) (*peer.ProposalResponse, error) {
	return func(_ context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
		up, err := identity.UnpackProposal(sp)
		if err != nil {
			return nil, err
		}
		var events []byte
		if event != nil {
			if events, err = proto.Marshal(event); err != nil {
				return nil, err
			}
		}
		resp := &peer.Response{Status: status, Message: message, Payload: payload}
		action, err := proto.Marshal(&peer.ChaincodeAction{Response: resp, ChaincodeId: up.ChaincodeID, Results: []byte("rwset"), Events: events})
		if err != nil {
			return nil, err
		}
		prp, err := proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: up.ProposalHash, Extension: action})
		if err != nil {
			return nil, err
		}
		if status >= 400 {
			return &peer.ProposalResponse{Version: 1, Response: resp, Payload: prp}, nil
		}
		e, err := org.Peer().Endorse(prp)
		if err != nil {
			return nil, err
		}
		return &peer.ProposalResponse{Version: 1, Response: resp, Payload: prp, Endorsement: e}, nil
	}
}

// startStub serves the stubs on bufconn and returns a client signing as
// signer. Everything is stopped when the test ends, then goroutines are
// checked for leaks.
func startStub(t *testing.T, e *stubEndorser, o *stubOrderer, signer Signer) *Client {
	t.Helper()
	leakcheck.Check(t)
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	peer.RegisterEndorserServer(srv, e)
	orderer.RegisterAtomicBroadcastServer(srv, o)
	peer.RegisterDeliverServer(srv, deliverService{o: o})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial bufconn: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		<-served
	})
	c, err := New(conn, signer, WithAddress("stub-peer:7051"))
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
