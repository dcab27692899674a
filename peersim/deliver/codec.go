package deliver

import (
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// ServerCodec returns the gRPC codec for a server that serves the Service
// (grpc.ForceServerCodecV2): gRPC's proto codec, except that a response
// the Service sends pre-encoded (a DeliverResponse whose only content is
// its unknown fields: the bytes of a block encoded once for every stream)
// goes out as those very bytes rather than a copy of them per stream.
// Those bytes are what proto.Marshal makes of such a message, so the
// codec changes nothing of what a client receives; a server without it
// sends the same bytes, copied.
func ServerCodec() encoding.CodecV2 {
	return codec{encoding.GetCodecV2(grpcproto.Name)}
}

type codec struct {
	encoding.CodecV2 // gRPC's proto codec
}

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	var wire []byte
	switch m := v.(type) {
	case *peer.DeliverResponse:
		if m.GetType() == nil {
			wire = m.ProtoReflect().GetUnknown()
		}
	case *orderer.DeliverResponse:
		if m.GetType() == nil {
			wire = m.ProtoReflect().GetUnknown()
		}
	}
	if len(wire) == 0 {
		return c.CodecV2.Marshal(v)
	}
	// Neither the Service nor gRPC writes to wire; a SliceBuffer's Free
	// does nothing, so gRPC may hold it until it is written out.
	return mem.BufferSlice{mem.SliceBuffer(wire)}, nil
}
