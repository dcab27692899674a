package shim

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func TestRegistrationHandshakeThenTransaction(t *testing.T) {
	h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(stub ChaincodeStubInterface) *peer.Response {
		fn, params := stub.GetFunctionAndParameters()
		return Success([]byte(fn + ":" + strings.Join(params, ",")))
	}})
	h.handshake(nil)
	h.transaction(false, "ch1", "tx1", "put", "a", "b")
	res, event := h.expectCompleted("ch1", "tx1")
	if res.Status != OK || string(res.Payload) != "put:a,b" {
		t.Errorf("got response %v, want status 200 payload put:a,b", res)
	}
	if event != nil {
		t.Errorf("got event %v, want none", event)
	}
	if err := h.end(nil); !errContains(err, "peer closed the chaincode stream") {
		t.Errorf("after the peer closed the stream, got %v", err)
	}
}

func TestPeerRefusingRegistrationEndsStartWithThePeersReason(t *testing.T) {
	h := newHarness(t, "mycc:9.9", &chaincodeFuncs{})
	h.expect(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTER, Payload: mustMarshal(t, &peer.ChaincodeID{Name: "mycc:9.9"})})
	h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Payload: []byte("chaincode mycc:9.9 is not installed; installed versions of mycc: 1.0")})
	err := h.wait()
	if !errContains(err, "chaincode mycc:9.9 is not installed; installed versions of mycc: 1.0") || !errContains(err, "refused") {
		t.Errorf("got %v, want the peer's reason", err)
	}
}

func TestUnexpectedMessagesDuringHandshakeEndTheStreamWithAnError(t *testing.T) {
	tests := []struct {
		name      string
		registerd bool
		msg       *peer.ChaincodeMessage
		want      string
	}{
		{"a transaction before REGISTERED", false, &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_TRANSACTION, Txid: "tx1"}, "cannot handle message TRANSACTION in state created"},
		{"READY before REGISTERED", false, &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_READY}, "cannot handle message READY in state created"},
		{"a transaction before READY", true, &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_TRANSACTION, Txid: "tx1"}, "cannot handle message TRANSACTION in state established"},
		{"a second REGISTERED", true, &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTERED}, "cannot handle message REGISTERED in state established"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "mycc:1.0", &chaincodeFuncs{})
			h.recv() // REGISTER
			if tt.registerd {
				h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTERED})
			}
			h.send(tt.msg)
			got := h.recv()
			if got.Type != peer.ChaincodeMessage_ERROR || got.Txid != tt.msg.Txid || !strings.Contains(string(got.Payload), tt.want) {
				t.Errorf("shim sent %v, want ERROR containing %q", got, tt.want)
			}
			if err := h.wait(); !errContains(err, tt.want) {
				t.Errorf("shim returned %v, want an error containing %q", err, tt.want)
			}
			// The shim closes its side, so the peer's Recv ends too.
			h.recvClosed()
		})
	}
}

func TestKeepaliveIsEchoedInEveryState(t *testing.T) {
	h := newHarness(t, "mycc:1.0", &chaincodeFuncs{})
	ka := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_KEEPALIVE}
	h.recv() // REGISTER
	h.send(ka)
	h.expect(ka)
	h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTERED})
	h.send(ka)
	h.expect(ka)
	h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_READY})
	h.send(ka)
	h.expect(ka)
	h.transaction(false, "ch", "tx1")
	h.expectCompleted("ch", "tx1")
}

func TestResponseStatusRules(t *testing.T) {
	event := &peer.ChaincodeEvent{EventName: "ev", Payload: []byte("p")}
	respond := func(status int32) func(ChaincodeStubInterface) *peer.Response {
		return func(stub ChaincodeStubInterface) *peer.Response {
			if err := stub.SetEvent("ev", []byte("p")); err != nil {
				return Error(err.Error())
			}
			return &peer.Response{Status: status, Message: fmt.Sprintf("status %d", status), Payload: []byte("x")}
		}
	}
	tests := []struct {
		name   string
		init   bool
		status int32
		want   *peer.ChaincodeMessage
	}{
		{"init with status 500 answers ERROR with the message", true, 500, &peer.ChaincodeMessage{
			Type: peer.ChaincodeMessage_ERROR, Payload: []byte("status 500"), Txid: "tx", ChannelId: "ch", ChaincodeEvent: event}},
		{"init with status 499 answers COMPLETED", true, 499, &peer.ChaincodeMessage{
			Type: peer.ChaincodeMessage_COMPLETED, Txid: "tx", ChannelId: "ch", ChaincodeEvent: event,
			Payload: mustMarshal(t, &peer.Response{Status: 499, Message: "status 499", Payload: []byte("x")})}},
		{"invoke with status 500 answers COMPLETED", false, 500, &peer.ChaincodeMessage{
			Type: peer.ChaincodeMessage_COMPLETED, Txid: "tx", ChannelId: "ch", ChaincodeEvent: event,
			Payload: mustMarshal(t, &peer.Response{Status: 500, Message: "status 500", Payload: []byte("x")})}},
		{"invoke with status 200 answers COMPLETED", false, 200, &peer.ChaincodeMessage{
			Type: peer.ChaincodeMessage_COMPLETED, Txid: "tx", ChannelId: "ch", ChaincodeEvent: event,
			Payload: mustMarshal(t, &peer.Response{Status: 200, Message: "status 200", Payload: []byte("x")})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "mycc:1.0", &chaincodeFuncs{init: respond(tt.status), invoke: respond(tt.status)})
			h.handshake(nil)
			h.transaction(tt.init, "ch", "tx")
			h.expect(tt.want)
		})
	}
}

func TestPanicInChaincodeBecomesAnErrorResponseAndServingContinues(t *testing.T) {
	h := newHarness(t, "mycc:1.0", &chaincodeFuncs{
		init: func(ChaincodeStubInterface) *peer.Response { panic("init exploded") },
		invoke: func(stub ChaincodeStubInterface) *peer.Response {
			if args := stub.GetArgs(); string(args[0]) == "boom" {
				_ = args[len(args)] // index out of range
			}
			return Success([]byte("fine"))
		},
	})
	h.handshake(nil)

	h.transaction(false, "ch", "tx1", "boom")
	res, _ := h.expectCompleted("ch", "tx1")
	if res.Status != ERROR || !strings.Contains(res.Message, "panicked in Invoke") || !strings.Contains(res.Message, "index out of range [1] with length 1") {
		t.Errorf("got %v, want status 500 naming the panic", res)
	}

	h.transaction(true, "ch", "tx2")
	got := h.recv()
	if got.Type != peer.ChaincodeMessage_ERROR || !strings.Contains(string(got.Payload), "panicked in Init: init exploded") {
		t.Errorf("got %v, want ERROR naming the Init panic", got)
	}

	h.transaction(false, "ch", "tx3", "ok")
	if res, _ := h.expectCompleted("ch", "tx3"); string(res.Payload) != "fine" {
		t.Errorf("after a panic, got %v, want payload fine", res)
	}
}

func TestNilResponseFromChaincodeIsAnError(t *testing.T) {
	h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(ChaincodeStubInterface) *peer.Response { return nil }})
	h.handshake(nil)
	h.transaction(false, "ch", "tx1")
	if res, _ := h.expectCompleted("ch", "tx1"); res.Status != ERROR || !strings.Contains(res.Message, "nil response") {
		t.Errorf("got %v, want status 500 about the nil response", res)
	}
}

func TestManyConcurrentTransactionsAreMatchedByChannelAndTxID(t *testing.T) {
	const n = 50
	h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(stub ChaincodeStubInterface) *peer.Response {
		v, err := stub.GetState("k")
		if err != nil {
			return Error(err.Error())
		}
		return Success(v)
	}})
	h.handshake(nil)
	// Same txid on two channels are two transactions.
	for i := range n {
		h.transaction(false, fmt.Sprintf("ch%d", i%2), fmt.Sprintf("tx%d", i/2))
	}
	var reqs []*peer.ChaincodeMessage
	for range n {
		req := h.recv()
		if req.Type != peer.ChaincodeMessage_GET_STATE {
			t.Fatalf("got %v, want GET_STATE", req)
		}
		reqs = append(reqs, req)
	}
	// Answer in reverse order, each with its own channel+txid as value.
	for i := len(reqs) - 1; i >= 0; i-- {
		h.reply(reqs[i], []byte(reqs[i].ChannelId+"/"+reqs[i].Txid))
	}
	seen := map[string]bool{}
	for range n {
		got := h.recv()
		res := &peer.Response{}
		if got.Type != peer.ChaincodeMessage_COMPLETED || proto.Unmarshal(got.Payload, res) != nil {
			t.Fatalf("got %v, want COMPLETED", got)
		}
		if want := got.ChannelId + "/" + got.Txid; string(res.Payload) != want {
			t.Errorf("transaction %s got value %q, want %q", want, res.Payload, want)
		}
		seen[got.ChannelId+"/"+got.Txid] = true
	}
	if len(seen) != n {
		t.Errorf("got %d distinct completions, want %d", len(seen), n)
	}
}

func TestStreamBreakingMidTransactionFailsTheStubCallAndStart(t *testing.T) {
	stubErr := make(chan error, 1)
	h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(stub ChaincodeStubInterface) *peer.Response {
		_, err := stub.GetState("k")
		stubErr <- err
		// A second call after the stream ended fails at once too.
		if err2 := stub.PutState("k", []byte("v")); err2 == nil {
			t.Error("PutState after the stream ended returned no error")
		}
		return Success(nil)
	}})
	h.handshake(nil)
	h.transaction(false, "ch", "tx1")
	h.expectRequest(peer.ChaincodeMessage_GET_STATE, "ch", "tx1", &peer.GetState{Key: "k"})
	startErr := h.end(errPeerBroke)
	if !errContains(startErr, "peer broke the stream") {
		t.Errorf("shim returned %v, want the stream error", startErr)
	}
	select {
	case err := <-stubErr:
		if !errContains(err, "stream to the peer has ended") {
			t.Errorf("GetState returned %v, want a stream-ended error", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the pending GetState never returned")
	}
}

func TestBadInputFromThePeer(t *testing.T) {
	t.Run("an unknown message type ends the stream with an error", func(t *testing.T) {
		h := newHarness(t, "mycc:1.0", &chaincodeFuncs{})
		h.handshake(nil)
		h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_Type(99), Txid: "tx9"})
		got := h.recv()
		if got.Type != peer.ChaincodeMessage_ERROR || !strings.Contains(string(got.Payload), "cannot handle message 99 in state ready") {
			t.Errorf("got %v, want ERROR naming the message", got)
		}
		if err := h.wait(); !errContains(err, "cannot handle message 99") {
			t.Errorf("shim returned %v", err)
		}
	})
	t.Run("a reply for a transaction without a pending request ends the stream with an error", func(t *testing.T) {
		h := newHarness(t, "mycc:1.0", &chaincodeFuncs{})
		h.handshake(nil)
		h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_RESPONSE, Txid: "ghost", ChannelId: "ch"})
		got := h.recv()
		if got.Type != peer.ChaincodeMessage_ERROR || got.Txid != "ghost" || !strings.Contains(string(got.Payload), "no request waiting") {
			t.Errorf("got %v, want ERROR about the unknown txid", got)
		}
		if err := h.wait(); !errContains(err, "transaction ghost") {
			t.Errorf("shim returned %v", err)
		}
	})
	t.Run("an undecodable transaction input answers ERROR for that transaction only", func(t *testing.T) {
		h := newHarness(t, "mycc:1.0", &chaincodeFuncs{})
		h.handshake(nil)
		h.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_TRANSACTION, Payload: []byte{0xff, 0xff}, Txid: "tx1", ChannelId: "ch"})
		got := h.recv()
		if got.Type != peer.ChaincodeMessage_ERROR || got.Txid != "tx1" || !strings.Contains(string(got.Payload), "unmarshal the chaincode input") {
			t.Errorf("got %v, want ERROR for tx1", got)
		}
		h.transaction(false, "ch", "tx2")
		h.expectCompleted("ch", "tx2")
	})
	t.Run("an undecodable READY payload leaves the optional features off", func(t *testing.T) {
		h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(stub ChaincodeStubInterface) *peer.Response {
			if _, err := stub.GetMultipleStates("a"); err != nil {
				return Error(err.Error())
			}
			return Success(nil)
		}})
		h.handshake([]byte{0xff})
		h.transaction(false, "ch", "tx1")
		req := h.expectRequest(peer.ChaincodeMessage_GET_STATE, "ch", "tx1", &peer.GetState{Key: "a"})
		h.reply(req, nil)
		h.expectCompleted("ch", "tx1")
	})
	t.Run("an undecodable reply payload is an error for the stub call", func(t *testing.T) {
		errs := make(chan error, 1)
		h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(stub ChaincodeStubInterface) *peer.Response {
			_, err := stub.GetStateByRange("a", "b")
			errs <- err
			return Success(nil)
		}})
		h.handshake(nil)
		h.transaction(false, "ch", "tx1")
		req := h.expectRequest(peer.ChaincodeMessage_GET_STATE_BY_RANGE, "ch", "tx1", nil)
		h.reply(req, []byte{0xff, 0xff, 0xff})
		h.expectCompleted("ch", "tx1")
		if err := <-errs; !errContains(err, "decode the peer's GET_STATE_BY_RANGE reply as QueryResponse") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a duplicate transaction while the first runs answers ERROR", func(t *testing.T) {
		h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(stub ChaincodeStubInterface) *peer.Response {
			_, _ = stub.GetState("k")
			return Success(nil)
		}})
		h.handshake(nil)
		h.transaction(false, "ch", "tx1")
		req := h.expectRequest(peer.ChaincodeMessage_GET_STATE, "ch", "tx1", &peer.GetState{Key: "k"})
		h.transaction(false, "ch", "tx1")
		got := h.recv()
		if got.Type != peer.ChaincodeMessage_ERROR || got.Txid != "tx1" || !strings.Contains(string(got.Payload), "already executing") {
			t.Errorf("got %v, want ERROR about the duplicate", got)
		}
		h.reply(req, nil)
		h.expectCompleted("ch", "tx1")
	})
}

func TestASecondRequestWhileOneIsInFlightForTheSameTransactionIsRefused(t *testing.T) {
	firstSent := make(chan struct{})
	secondErr := make(chan error, 1)
	h := newHarness(t, "mycc:1.0", &chaincodeFuncs{invoke: func(stub ChaincodeStubInterface) *peer.Response {
		firstDone := make(chan error, 1)
		go func() {
			_, err := stub.GetState("first")
			firstDone <- err
		}()
		<-firstSent
		_, err := stub.GetState("second")
		secondErr <- err
		if err := <-firstDone; err != nil {
			return Error(err.Error())
		}
		return Success(nil)
	}})
	h.handshake(nil)
	h.transaction(false, "ch", "tx1")
	req := h.expectRequest(peer.ChaincodeMessage_GET_STATE, "ch", "tx1", &peer.GetState{Key: "first"})
	close(firstSent)
	if err := <-secondErr; !errContains(err, "already has a request in flight") {
		t.Errorf("second call returned %v, want a refusal", err)
	}
	h.reply(req, []byte("v"))
	if res, _ := h.expectCompleted("ch", "tx1"); res.Status != OK {
		t.Errorf("got %v, want status 200", res)
	}
}

// chanStream is a PeerChaincodeStream made of channels.
type chanStream struct {
	sent chan *peer.ChaincodeMessage
	recv chan *peer.ChaincodeMessage
}

func (s *chanStream) Send(m *peer.ChaincodeMessage) error { s.sent <- m; return nil }

func (s *chanStream) Recv() (*peer.ChaincodeMessage, error) {
	m, ok := <-s.recv
	if !ok {
		return nil, io.EOF
	}
	return m, nil
}

// lineWriter hands each write to a channel.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) { w <- string(p); return len(p), nil }

func TestASilentPeerGetsAHintInTheLog(t *testing.T) {
	leakcheck.Check(t)
	logs := make(lineWriter, 16)
	stream := &chanStream{sent: make(chan *peer.ChaincodeMessage, 4), recv: make(chan *peer.ChaincodeMessage)}
	h := newHandler(stream, &chaincodeFuncs{}, slog.New(slog.NewTextHandler(logs, nil)))
	h.hint = time.Millisecond
	done := make(chan error, 1)
	go func() { done <- h.serve("mycc:1.0") }()
	select {
	case line := <-logs:
		if !strings.Contains(line, "has not answered the registration") || !strings.Contains(line, "mycc:1.0") {
			t.Errorf("got log %q", line)
		}
	case <-time.After(waitLimit):
		t.Fatal("no hint logged")
	}
	close(stream.recv)
	if err := <-done; !errContains(err, "peer closed the chaincode stream") {
		t.Errorf("got %v", err)
	}
}

func TestAPanicDoesNotSendTheTransactionsWriteBatch(t *testing.T) {
	offered := mustMarshal(t, &peer.ChaincodeAdditionalParams{UseWriteBatch: true, MaxSizeWriteBatch: 100})
	buffered := &peer.WriteBatchState{Rec: []*peer.WriteRecord{{Key: "k", Value: []byte("v"), Type: peer.WriteRecord_PUT_STATE}}}
	body := func(stub ChaincodeStubInterface) *peer.Response {
		stub.StartWriteBatch()
		if err := stub.PutState("k", []byte("v")); err != nil {
			return Error(err.Error())
		}
		if string(stub.GetArgs()[0]) == "boom" {
			panic("after a buffered write")
		}
		return Success(nil)
	}
	tests := []struct {
		name     string
		init     bool
		wantType peer.ChaincodeMessage_Type
	}{
		{"a panic in Invoke answers COMPLETED without sending the batch", false, peer.ChaincodeMessage_COMPLETED},
		{"a panic in Init answers ERROR without sending the batch", true, peer.ChaincodeMessage_ERROR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "mycc:1.0", &chaincodeFuncs{init: body, invoke: body})
			h.handshake(offered)
			h.transaction(tt.init, "ch", "tx1", "boom")
			got := h.recv()
			if got.Type != tt.wantType || got.Txid != "tx1" {
				t.Fatalf("after the panic the shim sent %v, want %s for tx1 (and no WRITE_BATCH_STATE)", got, tt.wantType)
			}
			// Without a panic the same transaction's batch is sent.
			h.transaction(tt.init, "ch", "tx2", "fine")
			req := h.expectRequest(peer.ChaincodeMessage_WRITE_BATCH_STATE, "ch", "tx2", buffered)
			h.reply(req, nil)
			if res, _ := h.expectCompleted("ch", "tx2"); res.Status != OK {
				t.Errorf("got %v, want status 200", res)
			}
		})
	}
}

// closableChanStream is a chanStream that is also a ClientStream.
type closableChanStream struct {
	*chanStream
}

func (closableChanStream) CloseSend() error { return nil }

func TestStartInProcRefusesBadArgumentsBeforeSendingAnything(t *testing.T) {
	newStream := func() *chanStream {
		return &chanStream{sent: make(chan *peer.ChaincodeMessage, 4), recv: make(chan *peer.ChaincodeMessage)}
	}
	tests := []struct {
		name    string
		ccName  string
		stream  *chanStream
		cc      Chaincode
		wantErr string
	}{
		{"no stream", "mycc:1.0", nil, &chaincodeFuncs{}, "no stream given to StartInProc"},
		{"no chaincode", "mycc:1.0", newStream(), nil, "no chaincode given"},
		{"an empty chaincode ID", "", newStream(), &chaincodeFuncs{}, "chaincode ID is empty"},
		{"a chaincode ID that is not UTF-8", "my\xffcc:1.0", newStream(), &chaincodeFuncs{}, "is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stream ClientStream
			if tt.stream != nil {
				stream = closableChanStream{tt.stream}
			}
			err := StartInProc(tt.ccName, stream, tt.cc)
			if !errContains(err, tt.wantErr) {
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
			if tt.stream != nil && len(tt.stream.sent) != 0 {
				t.Errorf("the shim sent %v before refusing", <-tt.stream.sent)
			}
		})
	}
}

func TestANilMessageFromTheStreamEndsItWithAnError(t *testing.T) {
	leakcheck.Check(t)
	stream := &chanStream{sent: make(chan *peer.ChaincodeMessage, 4), recv: make(chan *peer.ChaincodeMessage, 1)}
	stream.recv <- nil
	err := newHandler(stream, &chaincodeFuncs{}, slog.New(slog.DiscardHandler)).serve("mycc:1.0")
	if !errContains(err, "nil message") {
		t.Errorf("got %v, want an error about the nil message", err)
	}
}
