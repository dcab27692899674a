package loadtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// runBlockWriter runs a block writer of path until the test ends; ctx is
// the writer's.
func runBlockWriter(t *testing.T, path string, size int, timeout time.Duration) (*blockWriter, context.Context) {
	t.Helper()
	w, err := newBlockWriter(path, size, timeout)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() { w.run(ctx); close(ran) }()
	t.Cleanup(func() { cancel(); <-ran })
	return w, ctx
}

func TestBlockWriterCutsAtTheBatchSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blocks")
	// The timeout never comes: only reaching the size can cut the block.
	w, ctx := runBlockWriter(t, path, 3, time.Hour)
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
	w, ctx := runBlockWriter(t, path, 100, time.Millisecond)
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

// signedBy signs msg with key as a Fabric client does (SHA-256, ASN.1).
func signedBy(t *testing.T, key *ecdsa.PrivateKey, msg []byte) []byte {
	t.Helper()
	digest := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestFloorRefusesWhatItsClientDidNotSign(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blocks, ctx := runBlockWriter(t, filepath.Join(t.TempDir(), "blocks"), 1, time.Hour)
	f := &Floor{client: &key.PublicKey, blocks: blocks}

	request, err := proto.Marshal(&gateway.CommitStatusRequest{TransactionId: "tx1", ChannelId: "ch1"})
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte("transaction payload")
	for _, tc := range []struct {
		name   string
		call   func() error
		wantOK bool
	}{
		{"commit status signed by the client", func() error {
			_, err := f.CommitStatus(ctx, &gateway.SignedCommitStatusRequest{Request: request, Signature: signedBy(t, key, request)})
			return err
		}, true},
		{"commit status signed by another key", func() error {
			_, err := f.CommitStatus(ctx, &gateway.SignedCommitStatusRequest{Request: request, Signature: signedBy(t, other, request)})
			return err
		}, false},
		{"submit signed by the client", func() error {
			_, err := f.Submit(ctx, &gateway.SubmitRequest{PreparedTransaction: &common.Envelope{Payload: payload, Signature: signedBy(t, key, payload)}})
			return err
		}, true},
		{"submit signed by another key", func() error {
			_, err := f.Submit(ctx, &gateway.SubmitRequest{PreparedTransaction: &common.Envelope{Payload: payload, Signature: signedBy(t, other, payload)}})
			return err
		}, false},
		{"proposal signed by another key", func() error {
			_, err := f.ProcessProposal(ctx, &peer.SignedProposal{ProposalBytes: payload, Signature: signedBy(t, other, payload)})
			return err
		}, false},
	} {
		err := tc.call()
		if tc.wantOK && err != nil {
			t.Errorf("%s: %v, want success", tc.name, err)
		}
		if !tc.wantOK && status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument: the floor must check what the peer checks", tc.name, err)
		}
	}
}

func TestFloorResponsePayloadIsThePeersSize(t *testing.T) {
	for _, size := range []int{120, 400, 2000} {
		f := &Floor{payloadSize: size}
		up := &identity.UnpackedProposal{ProposalHash: bytes.Repeat([]byte{1}, 32), ChaincodeID: &peer.ChaincodeID{Name: "load"}}
		resp := &peer.Response{Status: 200, Payload: []byte("value")}
		b, err := f.responsePayload(up, resp)
		if err != nil {
			t.Fatal(err)
		}
		if d := len(b) - size; d < -3 || d > 3 {
			t.Errorf("payload for size %d is %d bytes, want within 3 of it", size, len(b))
		}
		var prp peer.ProposalResponsePayload
		var action peer.ChaincodeAction
		if err := proto.Unmarshal(b, &prp); err != nil {
			t.Fatal(err)
		}
		if err := proto.Unmarshal(prp.GetExtension(), &action); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(action.GetResponse(), resp) || !bytes.Equal(prp.GetProposalHash(), up.ProposalHash) {
			t.Errorf("payload for size %d holds %v and hash %x, want the chaincode's response and the proposal's hash", size, action.GetResponse(), prp.GetProposalHash())
		}
	}
}
