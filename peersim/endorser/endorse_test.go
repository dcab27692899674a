package endorser

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// nestedPayload is how endorse built the payload before
// proposalResponsePayload: the action marshalled, then the payload
// holding those bytes.
func nestedPayload(hash []byte, action *peer.ChaincodeAction) ([]byte, error) {
	ext, err := proto.Marshal(action)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: hash, Extension: ext})
}

// benchAction is a put's chaincode action as the load benchmark's
// chaincode answers it: its read-write set, its response, its id.
func benchAction() ([]byte, *peer.ChaincodeAction) {
	hash := sha256.Sum256([]byte("proposal"))
	return hash[:], &peer.ChaincodeAction{
		Results:     bytes.Repeat([]byte{0x12}, 180),
		Response:    &peer.Response{Status: 200, Payload: []byte("ok")},
		ChaincodeId: &peer.ChaincodeID{Name: "basic", Version: "1.0"},
	}
}

func TestProposalResponsePayloadIsTheNestedMarshal(t *testing.T) {
	hash, big := benchAction()
	big.Results = bytes.Repeat([]byte{0x34}, 70000) // a length of three varint bytes
	event := []byte("event")
	tests := []struct {
		name   string
		hash   []byte
		action *peer.ChaincodeAction
	}{
		{"an empty action and no hash", nil, &peer.ChaincodeAction{}},
		{"a hash and an empty action", hash, &peer.ChaincodeAction{}},
		{"an action and no hash", nil, &peer.ChaincodeAction{Response: &peer.Response{Status: 200}}},
		{"a put's action", hash, func() *peer.ChaincodeAction { _, a := benchAction(); return a }()},
		{"an action with an event and an error", hash, &peer.ChaincodeAction{Events: event, Response: &peer.Response{Status: 500, Message: "failed"}, ChaincodeId: &peer.ChaincodeID{Name: "cc"}}},
		{"a large action", hash, big},
	}
	var earlier [][]byte
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := nestedPayload(tt.hash, tt.action)
			if err != nil {
				t.Fatal(err)
			}
			got, err := proposalResponsePayload(tt.hash, tt.action)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("proposalResponsePayload = %x\nwant the nested marshal %x", got, want)
			}
			earlier = append(earlier, got)
		})
	}
	// Each payload is its own: building one changes none built before.
	for i, tt := range tests {
		want, _ := nestedPayload(tt.hash, tt.action)
		if i < len(earlier) && !bytes.Equal(earlier[i], want) {
			t.Errorf("%s: its payload changed after the others were built", tt.name)
		}
	}
}

// BenchmarkProposalResponsePayload compares building a put's proposal
// response payload in one allocation with the nested marshal, in one run.
func BenchmarkProposalResponsePayload(b *testing.B) {
	hash, action := benchAction()
	for _, tc := range []struct {
		name  string
		build func([]byte, *peer.ChaincodeAction) ([]byte, error)
	}{{"nested", nestedPayload}, {"one-allocation", proposalResponsePayload}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tc.build(hash, action); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
