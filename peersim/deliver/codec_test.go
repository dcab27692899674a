package deliver

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// ServerCodec encodes every message as gRPC's proto codec does, a
// pre-encoded response included, and decodes as it does.
func TestDeliverServerCodecEncodesAsGRPCsProtoCodec(t *testing.T) {
	block := testBlock(t, 3, 2).Block
	wire, err := proto.Marshal(&peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: block}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		msg  proto.Message
	}{
		{"a peer response carrying a block", &peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: block}}},
		{"a peer status", &peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: common.Status_NOT_FOUND}}},
		{"an empty peer response", &peer.DeliverResponse{}},
		{"an orderer status", &orderer.DeliverResponse{Type: &orderer.DeliverResponse_Status{Status: common.Status_SUCCESS}}},
		{"a pre-encoded peer response", preEncoded(&peer.DeliverResponse{}, wire)},
		{"a pre-encoded orderer response", preEncoded(&orderer.DeliverResponse{}, wire)},
		{"another message", block},
	}
	grpcCodec, ours := encoding.GetCodecV2(grpcproto.Name), ServerCodec()
	if ours.Name() != grpcCodec.Name() {
		t.Errorf("ServerCodec is named %q, want %q", ours.Name(), grpcCodec.Name())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := grpcCodec.Marshal(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			defer want.Free()
			got, err := ours.Marshal(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Free()
			if string(got.Materialize()) != string(want.Materialize()) {
				t.Errorf("ServerCodec encodes %x, gRPC's codec %x", got.Materialize(), want.Materialize())
			}
			back := tt.msg.ProtoReflect().New().Interface()
			if err := ours.Unmarshal(mem.BufferSlice{mem.SliceBuffer(want.Materialize())}, back); err != nil {
				t.Fatal(err)
			}
			// A pre-encoded response decodes to the message its bytes encode.
			if again, err := proto.Marshal(back); err != nil || string(again) != string(want.Materialize()) {
				t.Errorf("ServerCodec decodes %v (%v), which encodes again as %x, want %x", back, err, again, want.Materialize())
			}
		})
	}
}
