package chaincode

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/testing/protocmp"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, name, channel string
	}{
		{"cc", "cc", ""},
		{"cc:1.0", "cc", ""},
		{"cc/ch2", "cc", "ch2"},
		{"cc:1.0/ch2", "cc", "ch2"},
		{"cc/ch:2", "cc", "ch:2"},
		{"cc/", "cc", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			name, channel := parseTarget(tt.in)
			if name != tt.name || channel != tt.channel {
				t.Errorf("parseTarget(%q) = %q, %q; want %q, %q", tt.in, name, channel, tt.name, tt.channel)
			}
		})
	}
}

// invokeEnv has chaincodes a:1 and b:1 connected, a resolver mapping a name
// to "<name>:1" and a ledger for channel ch2.
type invokeEnv struct {
	*env
	a, b     *fakeCC
	sim2     *fakeSim
	factory  *fakeFactory
	mu       sync.Mutex
	resolved []string
	// resolvedOn holds the simulator each resolver call was given.
	resolvedOn []TxSimulator
}

func newInvokeEnv(t *testing.T) *invokeEnv {
	ie := &invokeEnv{sim2: newFakeSim().commit("b", "k", "on-ch2")}
	ie.factory = &fakeFactory{sims: map[string]*fakeSim{"ch2": ie.sim2}}
	resolver := ResolverFunc(func(_ context.Context, channelID, name string, sp *peer.SignedProposal, sim TxSimulator) (string, error) {
		ie.mu.Lock()
		defer ie.mu.Unlock()
		ie.resolved = append(ie.resolved, channelID+" "+name+" "+string(sp.GetSignature()))
		ie.resolvedOn = append(ie.resolvedOn, sim)
		if name == "undefined" {
			return "", errors.New("chaincode undefined not found")
		}
		return name + ":1", nil
	})
	ie.env = newEnv(t, DefaultConfig(), WithResolver(resolver), WithSimulatorFactory(ie.factory))
	ie.a = ie.register("a:1")
	ie.b = ie.register("b:1")
	return ie
}

// beginA starts tx1 on a (channel ch1) with a signed proposal.
func (ie *invokeEnv) beginA(sim TxSimulator) *execution {
	ie.t.Helper()
	x := ie.start(context.Background(), "a:1", ExecuteRequest{
		Type: peer.ChaincodeMessage_TRANSACTION, ChannelID: "ch1", TxID: "tx1", Namespace: "a",
		SignedProposal: &peer.SignedProposal{ProposalBytes: []byte("prop"), Signature: []byte("sig")}, Simulator: sim,
	})
	ie.a.expect(peer.ChaincodeMessage_TRANSACTION)
	return x
}

func (ie *invokeEnv) invoke(name string, args ...string) {
	ie.t.Helper()
	input := &peer.ChaincodeInput{}
	for _, a := range args {
		input.Args = append(input.Args, []byte(a))
	}
	ie.a.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_INVOKE_CHAINCODE, Txid: "tx1", ChannelId: "ch1",
		Payload: mustMarshal(ie.t, &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: name}, Input: input})})
}

// innerReply returns the callee message carried by a's RESPONSE.
func (ie *invokeEnv) innerReply() *peer.ChaincodeMessage {
	ie.t.Helper()
	m := ie.a.expect(peer.ChaincodeMessage_RESPONSE)
	inner := &peer.ChaincodeMessage{}
	mustUnmarshal(ie.t, m.Payload, inner)
	return inner
}

func TestInvokeOnTheSameChannelSharesTheTransaction(t *testing.T) {
	ie := newInvokeEnv(t)
	sim := newFakeSim().commit("b", "k", "committed-b")
	x := ie.beginA(sim)

	ie.invoke("b:9.9", "fn", "arg")
	call := ie.b.expect(peer.ChaincodeMessage_TRANSACTION)
	want := &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_TRANSACTION, Txid: "tx1", ChannelId: "ch1",
		Payload:  mustMarshal(t, &peer.ChaincodeInput{Args: [][]byte{[]byte("fn"), []byte("arg")}}),
		Proposal: &peer.SignedProposal{ProposalBytes: []byte("prop"), Signature: []byte("sig")}}
	if diff := cmp.Diff(want, call, protocmp.Transform()); diff != "" {
		t.Errorf("callee's TRANSACTION (-want +got):\n%s", diff)
	}
	if got := ie.b.ok(peer.ChaincodeMessage_GET_STATE, "ch1", "tx1", &peer.GetState{Key: "k"}); string(got) != "committed-b" {
		t.Errorf("callee read %q, want its own namespace's %q", got, "committed-b")
	}
	ie.b.ok(peer.ChaincodeMessage_PUT_STATE, "ch1", "tx1", &peer.PutState{Key: "k", Value: []byte("by-b")})
	ie.b.complete("ch1", "tx1", &peer.Response{Status: 200, Payload: []byte("from b")}, &peer.ChaincodeEvent{EventName: "ignored"})

	inner := ie.innerReply()
	if inner.Type != peer.ChaincodeMessage_COMPLETED || inner.ChaincodeEvent.GetChaincodeId() != "" {
		t.Errorf("inner reply %v, want the callee's COMPLETED untouched", inner)
	}
	resp := &peer.Response{}
	mustUnmarshal(t, inner.Payload, resp)
	if resp.Status != 200 || string(resp.Payload) != "from b" {
		t.Errorf("callee response %v", resp)
	}
	// After the call the caller's transaction goes on.
	ie.a.ok(peer.ChaincodeMessage_PUT_STATE, "ch1", "tx1", &peer.PutState{Key: "k", Value: []byte("by-a")})
	ie.finish(ie.a, x, "ch1", "tx1")

	if diff := cmp.Diff([]string{"put b/k=by-b", "put a/k=by-a"}, sim.recorded()); diff != "" {
		t.Errorf("writes in the shared simulator (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ch1 b sig"}, ie.resolved); diff != "" {
		t.Errorf("resolver calls (-want +got):\n%s", diff)
	}
	// The callee's definition is read through the caller's simulator, so
	// it lands in the transaction's read set as in Fabric 1.4.
	if len(ie.resolvedOn) != 1 || ie.resolvedOn[0] != TxSimulator(sim) {
		t.Errorf("the resolver was given simulators %v, want the caller's", ie.resolvedOn)
	}
}

func TestInvokeOnAnotherChannelUsesAThrowawaySimulator(t *testing.T) {
	ie := newInvokeEnv(t)
	sim := newFakeSim()
	x := ie.beginA(sim)

	ie.invoke("b/ch2", "fn")
	call := ie.b.expect(peer.ChaincodeMessage_TRANSACTION)
	if call.ChannelId != "ch2" || call.Txid != "tx1" {
		t.Errorf("callee got %q/%q, want ch2/tx1", call.ChannelId, call.Txid)
	}
	if got := ie.b.ok(peer.ChaincodeMessage_GET_STATE, "ch2", "tx1", &peer.GetState{Key: "k"}); string(got) != "on-ch2" {
		t.Errorf("callee read %q, want ch2's %q", got, "on-ch2")
	}
	ie.b.ok(peer.ChaincodeMessage_PUT_STATE, "ch2", "tx1", &peer.PutState{Key: "k", Value: []byte("lost")})
	ie.b.complete("ch2", "tx1", &peer.Response{Status: 200}, nil)
	if inner := ie.innerReply(); inner.Type != peer.ChaincodeMessage_COMPLETED {
		t.Errorf("inner reply %s, want COMPLETED", inner.Type)
	}
	ie.finish(ie.a, x, "ch1", "tx1")

	if got := sim.recorded(); len(got) != 0 {
		t.Errorf("the caller's simulator got writes %v, want none", got)
	}
	if diff := cmp.Diff([]string{"put b/k=lost"}, ie.sim2.recorded()); diff != "" {
		t.Errorf("writes on ch2 (-want +got):\n%s", diff)
	}
	ie.mu.Lock()
	if len(ie.resolvedOn) != 1 || ie.resolvedOn[0] != TxSimulator(ie.sim2) {
		t.Errorf("the resolver was given simulators %v, want ch2's", ie.resolvedOn)
	}
	ie.mu.Unlock()
	ie.factory.mu.Lock()
	defer ie.factory.mu.Unlock()
	if ie.factory.released != 1 {
		t.Errorf("the ch2 simulator was released %d times, want 1", ie.factory.released)
	}
	if len(ie.factory.callers) != 1 || ie.factory.callers[0] != TxSimulator(sim) {
		t.Errorf("the factory was given callers %v, want the calling transaction's simulator", ie.factory.callers)
	}
}

func TestInvokeFailures(t *testing.T) {
	ie := newInvokeEnv(t)
	x := ie.beginA(newFakeSim())
	const prefix = "INVOKE_CHAINCODE failed: transaction ID: tx1: "
	tests := []struct {
		name   string
		target string
		want   string
	}{
		{"a chaincode calling itself hits the running transaction", "a", prefix + "execute failed: error sending: txid: tx1(ch1) exists"},
		{"a channel the peer has not joined", "b/ch9", prefix + "failed to find ledger for channel: ch9"},
		{"a chaincode the resolver does not know", "undefined", prefix + "execute failed: chaincode undefined not found"},
		{"a chaincode that is not connected", "c", prefix + "execute failed: chaincode c:1 is not registered"},
		{"an empty name", "", prefix + "no chaincode to call"},
		{"a name without chaincode", "/ch2", prefix + `no chaincode name in "/ch2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ie.invoke(tt.target)
			m := ie.a.expect(peer.ChaincodeMessage_ERROR)
			if !strings.HasPrefix(string(m.Payload), tt.want) {
				t.Errorf("ERROR %q, want it to start with %q", m.Payload, tt.want)
			}
		})
	}

	t.Run("a callee's ERROR comes back inside a RESPONSE", func(t *testing.T) {
		ie.invoke("b")
		ie.b.expect(peer.ChaincodeMessage_TRANSACTION)
		ie.b.send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Txid: "tx1", ChannelId: "ch1", Payload: []byte("b broke")})
		inner := ie.innerReply()
		if inner.Type != peer.ChaincodeMessage_ERROR || string(inner.Payload) != "b broke" {
			t.Errorf("inner reply %s %q, want ERROR \"b broke\"", inner.Type, inner.Payload)
		}
	})

	t.Run("a calls b, which calls a back", func(t *testing.T) {
		ie.invoke("b")
		ie.b.expect(peer.ChaincodeMessage_TRANSACTION)
		got := ie.b.fails(peer.ChaincodeMessage_INVOKE_CHAINCODE, "ch1", "tx1", &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: "a"}})
		if want := prefix + "execute failed: error sending: txid: tx1(ch1) exists"; got != want {
			t.Errorf("b calling a: %q, want %q", got, want)
		}
		ie.b.complete("ch1", "tx1", &peer.Response{Status: 200}, nil)
		ie.innerReply()
	})

	ie.finish(ie.a, x, "ch1", "tx1")
}

func TestInvokeWithoutResolverFails(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	c := e.register("a:1")
	x := e.begin(c, "a:1", "ch1", "tx1", newFakeSim())
	got := c.fails(peer.ChaincodeMessage_INVOKE_CHAINCODE, "ch1", "tx1", &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: "b"}})
	if !strings.Contains(got, "no Resolver") {
		t.Errorf("got %q, want it to say no resolver is configured", got)
	}
	e.finish(c, x, "ch1", "tx1")
}

func TestCalleeEndsWhenTheCallerTimesOut(t *testing.T) {
	// The caller's transaction ends (its context is cancelled) while the
	// callee is running: the callee's Execute ends too, and no goroutine is
	// left behind (checked by newEnv).
	ie := newInvokeEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	x := ie.start(ctx, "a:1", ExecuteRequest{Type: peer.ChaincodeMessage_TRANSACTION, ChannelID: "ch1", TxID: "tx1", Namespace: "a", Simulator: newFakeSim()})
	ie.a.expect(peer.ChaincodeMessage_TRANSACTION)
	ie.invoke("b")
	ie.b.expect(peer.ChaincodeMessage_TRANSACTION)
	cancel()
	if _, err := x.wait(t); !errors.Is(err, context.Canceled) {
		t.Errorf("caller's Execute = %v, want context.Canceled", err)
	}
	m := ie.a.expect(peer.ChaincodeMessage_ERROR)
	if !strings.Contains(string(m.Payload), "execute failed: error sending: context canceled") {
		t.Errorf("caller's INVOKE_CHAINCODE answered %q", m.Payload)
	}
	if got := ie.b.fails(peer.ChaincodeMessage_GET_STATE, "ch1", "tx1", &peer.GetState{Key: "k"}); !strings.HasSuffix(got, "no ledger context") {
		t.Errorf("callee request after the caller ended: %q", got)
	}
}
