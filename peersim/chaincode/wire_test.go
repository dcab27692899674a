package chaincode

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/testing/protocmp"
)

// TestRawMessageReusedKeepsEachDecodedMessage receives messages one after
// another into one rawMessage, as the handler's receiving goroutine does,
// through protobuf's Unmarshal as gRPC's codec calls it, and decodes each:
// a message decoded earlier must not change when the buffer takes the
// next, whether that is longer or shorter.
func TestRawMessageReusedKeepsEachDecodedMessage(t *testing.T) {
	msgs := []*peer.ChaincodeMessage{
		{Type: peer.ChaincodeMessage_PUT_STATE, Txid: "tx1", ChannelId: "ch1", Payload: bytes.Repeat([]byte("a"), 500)},
		{Type: peer.ChaincodeMessage_GET_STATE, Txid: "tx2", ChannelId: "ch1", Payload: []byte("k")},
		{Type: peer.ChaincodeMessage_COMPLETED, Txid: "tx3", ChannelId: "ch2", Payload: bytes.Repeat([]byte("b"), 2000)},
		{Type: peer.ChaincodeMessage_KEEPALIVE},
		{Type: peer.ChaincodeMessage_PUT_STATE, Txid: "tx4", Payload: bytes.Repeat([]byte("c"), maxKeptReceiveBuffer+1)},
		{Type: peer.ChaincodeMessage_DEL_STATE, Txid: "tx5", Payload: []byte("gone")},
	}
	raw := &rawMessage{}
	var decoded []*peer.ChaincodeMessage
	for i, want := range msgs {
		frame, err := proto.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if err := proto.Unmarshal(frame, protoadapt.MessageV2Of(raw)); err != nil {
			t.Fatalf("receive message %d: %v", i, err)
		}
		for j := range frame {
			frame[j] = 0xff // gRPC reuses its buffer
		}
		got := &peer.ChaincodeMessage{}
		if err := proto.Unmarshal(raw.b, got); err != nil {
			t.Fatalf("decode message %d: %v", i, err)
		}
		decoded = append(decoded, got)
		for j, d := range decoded {
			if diff := cmp.Diff(msgs[j], d, protocmp.Transform()); diff != "" {
				t.Fatalf("after receiving message %d, message %d decoded differs (-want +got):\n%s", i, j, diff)
			}
		}
		if cap(raw.b) > maxKeptReceiveBuffer {
			raw.Reset()
			if raw.b != nil {
				t.Fatalf("a buffer of %d bytes is kept for the next message", cap(raw.b))
			}
		}
	}
}
