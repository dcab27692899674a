package chaincode

import (
	"errors"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A chaincode that sends a message over the 100 MiB limit loses its own
// stream (gRPC refuses the message before the peer sees it, so there is no
// one to answer), its in-flight transaction fails as a terminated stream, and
// every other chaincode keeps being served.
func TestAnOversizedMessageEndsOnlyItsSendersStream(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	big := e.register("big:1.0")
	small := e.register("small:1.0")
	sim := newFakeSim().commit("big", "k", "v").commit("small", "k", "v")
	inflight := e.begin(big, "big:1.0", "ch1", "tx1", sim)

	big.send(&peer.ChaincodeMessage{
		Type: peer.ChaincodeMessage_PUT_STATE, Txid: "tx1", ChannelId: "ch1",
		Payload: mustMarshal(t, &peer.PutState{Key: "k", Value: make([]byte, MaxMessageSize+1)}),
	})
	if err := big.expectEnd(); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("the oversized sender's stream ended with %v, want a ResourceExhausted status", err)
	}
	if _, err := inflight.wait(t); !errors.Is(err, ErrStreamTerminated) {
		t.Errorf("the sender's in-flight transaction returned %v, want ErrStreamTerminated", err)
	}

	other := e.begin(small, "small:1.0", "ch1", "tx2", sim)
	if got := small.ok(peer.ChaincodeMessage_GET_STATE, "ch1", "tx2", &peer.GetState{Key: "k"}); string(got) != "v" {
		t.Errorf("another chaincode read %q after the oversized message, want %q", got, "v")
	}
	e.finish(small, other, "ch1", "tx2")
}
