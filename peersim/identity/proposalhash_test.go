package identity

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func TestProposalHashIsTheHashOfTheMarshalledPayload(t *testing.T) {
	hdr := &common.Header{ChannelHeader: []byte("channel header"), SignatureHeader: []byte("signature header")}
	tests := []struct {
		name  string
		input []byte
	}{
		{"no input", nil},
		{"an empty input", []byte{}},
		{"a short input", []byte("spec")},
		{"an input whose length takes two varint bytes", bytes.Repeat([]byte{7}, 300)},
		{"an input whose length takes three varint bytes", bytes.Repeat([]byte{7}, 20000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cpp := &peer.ChaincodeProposalPayload{Input: tt.input, TransientMap: map[string][]byte{"secret": []byte("not hashed")}}
			stripped, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: tt.input})
			if err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256(append(append(append([]byte(nil), hdr.ChannelHeader...), hdr.SignatureHeader...), stripped...))
			if got := proposalHash(nil, hdr, cpp); !bytes.Equal(got, want[:]) {
				t.Fatalf("proposalHash = %x, want %x", got, want)
			}
		})
	}
}

func TestUnpackedProposalsShareNothing(t *testing.T) {
	org := newTestOrg(t, "Org1MSP", "org1.example.com")
	user := mustIdentity(t, org, "User1")
	var sps []*peer.SignedProposal
	for _, inv := range []Invocation{
		{ChannelID: "mychannel", Chaincode: "basic", Args: [][]byte{[]byte("get"), []byte("a")}},
		{ChannelID: "otherchannel", Chaincode: "other", Args: [][]byte{[]byte("put"), []byte("b"), []byte("v")}, Transient: map[string][]byte{"k": []byte("t")}},
	} {
		sp, _, err := user.NewSignedProposal(inv)
		if err != nil {
			t.Fatal(err)
		}
		sps = append(sps, sp)
	}
	first, err := UnpackProposal(sps[0])
	if err != nil {
		t.Fatal(err)
	}
	ch, txID, name, hash := first.ChannelID(), first.TxID(), first.ChaincodeID.GetName(), bytes.Clone(first.ProposalHash)
	args := proto.Clone(first.Input()).(*peer.ChaincodeInput)
	if _, err := UnpackProposal(sps[1]); err != nil {
		t.Fatal(err)
	}
	if first.ChannelID() != ch || first.TxID() != txID || first.ChaincodeID.GetName() != name ||
		!bytes.Equal(first.ProposalHash, hash) || !proto.Equal(first.Input(), args) || first.TransientMap != nil {
		t.Fatalf("unpacking a second proposal changed the first: %s %s %s %x %v %v", first.ChannelID(), first.TxID(), first.ChaincodeID.GetName(), first.ProposalHash, first.Input(), first.TransientMap)
	}
}
