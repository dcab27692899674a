package loadtest

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
)

func TestBlockWriterCutsAtTheBatchSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blocks")
	// The timeout never comes: only reaching the size can cut the block.
	w, err := newBlockWriter(path, 3, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { w.run(ctx); close(ran) }()
	defer func() { cancel(); <-ran }()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() { errs[i] = w.write(ctx, []byte{byte('a' + i)}, []byte("sig")) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\x01a\x03sig", "\x01b\x03sig", "\x01c\x03sig"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Fatalf("the block file %q lacks the record %q: a write returned before its envelope was on disk", b, want)
		}
	}
}

func TestBlockWriterCutsAtTheTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blocks")
	// The size is never reached: only the timeout can cut the block.
	w, err := newBlockWriter(path, 100, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { w.run(ctx); close(ran) }()
	defer func() { cancel(); <-ran }()
	if err := w.write(ctx, []byte("payload"), []byte("sig")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "\x07payload\x03sig"; string(b) != want {
		t.Fatalf("the block file holds %q, want %q", b, want)
	}
}

func TestNewBlockWriterRefusesABadBatch(t *testing.T) {
	for _, tc := range []struct {
		size    int
		timeout time.Duration
	}{{0, time.Second}, {10, 0}, {-1, -time.Second}} {
		if _, err := newBlockWriter(filepath.Join(t.TempDir(), "blocks"), tc.size, tc.timeout); err == nil || !strings.Contains(err.Error(), "batch size") {
			t.Errorf("newBlockWriter(size %d, timeout %s) = %v, want an error about the batch", tc.size, tc.timeout, err)
		}
	}
}

// linkServer serves l over an in-memory connection and returns a client
// of it.
func linkServer(t *testing.T, l *chaincodeLink) peer.ChaincodeSupportClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	peer.RegisterChaincodeSupportServer(srv, &Floor{chaincode: l})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return lis.Dial() }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return peer.NewChaincodeSupportClient(conn)
}

func register(t *testing.T, c peer.ChaincodeSupportClient, name string) peer.ChaincodeSupport_RegisterClient {
	t.Helper()
	stream, err := c.Register(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	id, err := proto.Marshal(&peer.ChaincodeID{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: id}); err != nil {
		t.Fatal(err)
	}
	return stream
}

func recvType(t *testing.T, s peer.ChaincodeSupport_RegisterClient, want peer.ChaincodeMessage_Type) *peer.ChaincodeMessage {
	t.Helper()
	m, err := s.Recv()
	if err != nil {
		t.Fatalf("receive %s: %v", want, err)
	}
	if m.GetType() != want {
		t.Fatalf("received %s (%q), want %s", m.GetType(), m.GetPayload(), want)
	}
	return m
}

func TestChaincodeLinkRunsATransaction(t *testing.T) {
	l := newChaincodeLink("load:1.0", 5)
	s := register(t, linkServer(t, l), "load:1.0")
	recvType(t, s, peer.ChaincodeMessage_REGISTERED)
	var params peer.ChaincodeAdditionalParams
	if err := proto.Unmarshal(recvType(t, s, peer.ChaincodeMessage_READY).GetPayload(), &params); err != nil {
		t.Fatal(err)
	}
	if !params.GetUseWriteBatch() || !params.GetUseGetMultipleKeys() {
		t.Fatalf("READY advertised %v, want the peer's write batch and multiple keys", &params)
	}

	type result struct {
		resp *peer.Response
		err  error
	}
	done := make(chan result, 1)
	sp := &peer.SignedProposal{ProposalBytes: []byte("proposal")}
	go func() {
		r, err := l.execute(t.Context(), "ch1", "tx1", []byte("input"), sp)
		done <- result{r, err}
	}()
	tx := recvType(t, s, peer.ChaincodeMessage_TRANSACTION)
	if tx.GetTxid() != "tx1" || tx.GetChannelId() != "ch1" || string(tx.GetPayload()) != "input" || !proto.Equal(tx.GetProposal(), sp) {
		t.Fatalf("TRANSACTION = %v, want tx1 on ch1 with the input and the signed proposal", tx)
	}
	calls := []struct {
		typ  peer.ChaincodeMessage_Type
		want peer.ChaincodeMessage_Type
		body string
	}{
		{peer.ChaincodeMessage_GET_STATE, peer.ChaincodeMessage_RESPONSE, "abcde"},
		{peer.ChaincodeMessage_PUT_STATE, peer.ChaincodeMessage_RESPONSE, ""},
		{peer.ChaincodeMessage_WRITE_BATCH_STATE, peer.ChaincodeMessage_RESPONSE, ""},
		{peer.ChaincodeMessage_GET_HISTORY_FOR_KEY, peer.ChaincodeMessage_ERROR, "floor: GET_HISTORY_FOR_KEY is not served"},
	}
	for _, c := range calls {
		if err := s.Send(&peer.ChaincodeMessage{Type: c.typ, Txid: "tx1", ChannelId: "ch1"}); err != nil {
			t.Fatal(err)
		}
		m := recvType(t, s, c.want)
		if m.GetTxid() != "tx1" || string(m.GetPayload()) != c.body {
			t.Fatalf("%s answered %v, want %s of tx1 with %q", c.typ, m, c.want, c.body)
		}
	}
	payload, err := proto.Marshal(&peer.Response{Status: 200, Payload: []byte("value")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_COMPLETED, Txid: "tx1", ChannelId: "ch1", Payload: payload}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.resp.GetStatus() != 200 || string(r.resp.GetPayload()) != "value" {
		t.Fatalf("execute = %v, %v; want the chaincode's response", r.resp, r.err)
	}
}

func TestChaincodeLinkRefusesAnotherChaincode(t *testing.T) {
	l := newChaincodeLink("load:1.0", 5)
	s := register(t, linkServer(t, l), "other:1.0")
	_, err := s.Recv()
	if err == nil || !strings.Contains(err.Error(), `chaincode "other:1.0" registered, want "load:1.0"`) {
		t.Fatalf("registering other:1.0 ended with %v, want a refusal naming both chaincodes", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.execute(ctx, "ch1", "tx1", nil, nil); err == nil || !strings.Contains(err.Error(), "no chaincode") {
		t.Fatalf("execute with no chaincode registered = %v, want an error saying so", err)
	}
}
