package chaincode

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/testing/protocmp"
)

func TestExecuteSendsTheRequestAndReturnsTheAnswer(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")
	sp := &peer.SignedProposal{ProposalBytes: []byte("proposal"), Signature: []byte("sig")}
	input := &peer.ChaincodeInput{Args: [][]byte{[]byte("init"), []byte("a")}, IsInit: true}

	x := e.start(context.Background(), "mycc:1.0", ExecuteRequest{
		Type: peer.ChaincodeMessage_INIT, ChannelID: "ch1", TxID: "tx1", Namespace: "mycc",
		Input: input, SignedProposal: sp, Simulator: newFakeSim(),
	})
	got := c.expect(peer.ChaincodeMessage_INIT)
	want := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_INIT, Txid: "tx1", ChannelId: "ch1", Payload: mustMarshal(t, input), Proposal: sp}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("INIT message (-want +got):\n%s", diff)
	}

	c.complete("ch1", "tx1", &peer.Response{Status: 200, Payload: []byte("ok")},
		&peer.ChaincodeEvent{EventName: "ev", Payload: []byte("p"), ChaincodeId: "whatever", TxId: "other"})
	resp, err := x.wait(t)
	if err != nil {
		t.Fatal(err)
	}
	wantResp := &peer.ChaincodeMessage{
		Type: peer.ChaincodeMessage_COMPLETED, Txid: "tx1", ChannelId: "ch1",
		Payload:        mustMarshal(t, &peer.Response{Status: 200, Payload: []byte("ok")}),
		ChaincodeEvent: &peer.ChaincodeEvent{EventName: "ev", Payload: []byte("p"), ChaincodeId: "mycc", TxId: "tx1"},
	}
	if diff := cmp.Diff(wantResp, resp, protocmp.Transform()); diff != "" {
		t.Errorf("COMPLETED (-want +got):\n%s", diff)
	}
}

func TestExecuteReturnsTheChaincodesError(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")
	x := e.begin(c, "mycc:1.0", "ch1", "tx1", newFakeSim())
	c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Txid: "tx1", ChannelId: "ch1", Payload: []byte("init failed")})
	resp, err := x.wait(t)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Type != peer.ChaincodeMessage_ERROR || string(resp.Payload) != "init failed" {
		t.Errorf("got %s %q, want ERROR \"init failed\"", resp.Type, resp.Payload)
	}
}

func TestExecuteRefusesBadRequests(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	e.register("mycc:1.0")
	good := ExecuteRequest{Type: peer.ChaincodeMessage_TRANSACTION, ChannelID: "ch1", TxID: "tx1", Namespace: "mycc", Simulator: newFakeSim()}
	tests := []struct {
		name   string
		ccid   string
		change func(*ExecuteRequest)
		want   error
	}{
		{"a chaincode nobody registered", "other:1.0", func(*ExecuteRequest) {}, ErrNotRegistered},
		{"a type other than INIT or TRANSACTION", "mycc:1.0", func(r *ExecuteRequest) { r.Type = peer.ChaincodeMessage_GET_STATE }, ErrInvalidRequest},
		{"an empty txid", "mycc:1.0", func(r *ExecuteRequest) { r.TxID = "" }, ErrInvalidRequest},
		{"a txid that is not UTF-8", "mycc:1.0", func(r *ExecuteRequest) { r.TxID = "a\xffb" }, ErrInvalidRequest},
		{"no namespace", "mycc:1.0", func(r *ExecuteRequest) { r.Namespace = "" }, ErrInvalidRequest},
		{"no simulator", "mycc:1.0", func(r *ExecuteRequest) { r.Simulator = nil }, ErrInvalidRequest},
		{"args that cannot be marshalled", "mycc:1.0", func(r *ExecuteRequest) {
			r.Input = &peer.ChaincodeInput{Decorations: map[string][]byte{"\xff": nil}}
		}, ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := good
			tt.change(&req)
			if _, err := e.srv.Execute(context.Background(), tt.ccid, req); !errors.Is(err, tt.want) {
				t.Errorf("Execute = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestExecuteOfARunningTxidFails(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")
	x := e.begin(c, "mycc:1.0", "ch1", "tx1", newFakeSim())

	_, err := e.srv.Execute(context.Background(), "mycc:1.0", ExecuteRequest{Type: peer.ChaincodeMessage_TRANSACTION, ChannelID: "ch1", TxID: "tx1", Namespace: "mycc", Simulator: newFakeSim()})
	if !errors.Is(err, ErrTxExists) || err.Error() != "error sending: txid: tx1(ch1) exists" {
		t.Errorf("second Execute = %v, want ErrTxExists with Fabric's text", err)
	}
	// The same txid on another channel is another transaction.
	y := e.begin(c, "mycc:1.0", "ch2", "tx1", newFakeSim())
	e.finish(c, y, "ch2", "tx1")
	e.finish(c, x, "ch1", "tx1")
}

func TestExecuteTimeoutEndsTheTransaction(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ExecuteTimeout = 1 // a nanosecond: the chaincode cannot answer in time
	e := newEnv(t, cfg)
	c := e.register("mycc:1.0")
	sim := newFakeSim().commit("mycc", "k", "v")

	_, err := e.srv.Execute(context.Background(), "mycc:1.0", ExecuteRequest{Type: peer.ChaincodeMessage_TRANSACTION, ChannelID: "ch1", TxID: "tx1", Namespace: "mycc", Simulator: sim})
	if !errors.Is(err, ErrExecuteTimeout) || err.Error() != "error sending: timeout expired while executing transaction" {
		t.Fatalf("Execute = %v, want ErrExecuteTimeout with Fabric's text", err)
	}
	// Whether or not the TRANSACTION went out before the timer fired, the
	// transaction is gone: requests get "no ledger context" and a late
	// COMPLETED is ignored.
	c.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_GET_STATE, Txid: "tx1", ChannelId: "ch1", Payload: mustMarshal(t, &peer.GetState{Key: "k"})})
	m := c.next()
	if m.Type == peer.ChaincodeMessage_TRANSACTION {
		m = c.next()
	}
	if want := "GET_STATE failed: transaction ID: tx1: no ledger context"; m.Type != peer.ChaincodeMessage_ERROR || string(m.Payload) != want {
		t.Errorf("request after timeout: %s %q, want ERROR %q", m.Type, m.Payload, want)
	}
	c.complete("ch1", "tx1", &peer.Response{Status: 200}, nil)

	// The stream still works.
	e.srv.cfg.ExecuteTimeout = 0
	x := e.begin(c, "mycc:1.0", "ch1", "tx2", sim)
	e.finish(c, x, "ch1", "tx2")
}

func TestExecuteEndsWithItsContext(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("mycc:1.0")
	ctx, cancel := context.WithCancel(context.Background())
	x := e.start(ctx, "mycc:1.0", ExecuteRequest{Type: peer.ChaincodeMessage_TRANSACTION, ChannelID: "ch1", TxID: "tx1", Namespace: "mycc", Simulator: newFakeSim()})
	c.expect(peer.ChaincodeMessage_TRANSACTION)
	cancel()
	if _, err := x.wait(t); !errors.Is(err, context.Canceled) {
		t.Errorf("Execute = %v, want context.Canceled", err)
	}
	if got := c.fails(peer.ChaincodeMessage_GET_STATE, "ch1", "tx1", &peer.GetState{Key: "k"}); got != "GET_STATE failed: transaction ID: tx1: no ledger context" {
		t.Errorf("request after cancel: %q", got)
	}
}

func TestDisconnectFailsOnlyThatChaincodesTransactions(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	a := e.register("a:1")
	b := e.register("b:1")
	simA := newFakeSim()
	xa := e.begin(a, "a:1", "ch1", "tx1", simA)
	xb := e.begin(b, "b:1", "ch1", "tx2", newFakeSim())
	// Leave an iterator open on a's transaction.
	simA.commitN("a", 150)
	a.ok(peer.ChaincodeMessage_GET_STATE_BY_RANGE, "ch1", "tx1", &peer.GetStateByRange{})

	a.close()
	_, err := xa.wait(t)
	if !errors.Is(err, ErrStreamTerminated) || err.Error() != "error sending: chaincode stream terminated" {
		t.Errorf("Execute on the lost stream = %v, want ErrStreamTerminated with Fabric's text", err)
	}
	e.finish(b, xb, "ch1", "tx2")
	simA.checkClosed(t)
}
