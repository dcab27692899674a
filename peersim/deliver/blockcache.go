package deliver

import (
	"fmt"

	"github.com/chaincodekit/chaincodekit/internal/bounded"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// DefaultBlocks is how many recent blocks, encoded, a Service keeps unless
// Config.Blocks says otherwise: enough for the streams that wait at the
// head of a channel, which all send the block just committed.
const DefaultBlocks = 16

// The fields a whole block travels in. DeliverResponse.block is field 2 of
// both peer.DeliverResponse and orderer.DeliverResponse, so one encoding
// serves Deliver and the orderer's Deliver.
const (
	responseBlockField               = protowire.Number(2) // DeliverResponse.block
	responseBlockAndPrivateDataField = protowire.Number(4) // peer.DeliverResponse.block_and_private_data
	blockAndPrivateDataBlockField    = protowire.Number(1) // BlockAndPrivateData.block
)

// wireBlock is a committed block in the form a stream sends it.
type wireBlock struct {
	// response is the encoding of a DeliverResponse carrying the block.
	response []byte
	// block is the block's own encoding, the tail of response.
	block []byte
}

// blockCache keeps the last few blocks of each channel encoded, so that
// every Deliver, orderer Deliver and DeliverWithPrivateData stream sends
// the bytes of a block encoded once, instead of gRPC encoding the block
// again for each stream. The bytes are what gRPC's codec makes of the
// response (proto.Marshal, and a block holds no map whose order could
// vary), and neither the cache nor gRPC writes to them. It forgets the
// oldest block first; nil keeps nothing.
type blockCache = bounded.Map[blockKey, wireBlock]

func newBlockCache(max int) *blockCache {
	return bounded.New[blockKey, wireBlock](max)
}

// encodedBlock returns cb, a block of l, encoded, from c, encoding it on a
// miss. Two streams that miss at once both encode it; one is kept.
func encodedBlock(c *blockCache, l *ledger.Ledger, cb *ledger.CommittedBlock) (wireBlock, error) {
	k := blockKey{ledger: l, number: cb.Block.GetHeader().GetNumber()}
	if wb, ok := c.Get(k); ok {
		return wb, nil
	}
	resp, err := proto.Marshal(&peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: cb.Block}})
	if err != nil {
		return wireBlock{}, fmt.Errorf("encode block %d of %s: %w", k.number, l.ChannelID(), err)
	}
	num, typ, n := protowire.ConsumeTag(resp)
	block, m := protowire.ConsumeBytes(resp[max(n, 0):])
	if n < 0 || num != responseBlockField || typ != protowire.BytesType || m < 0 || n+m != len(resp) {
		return wireBlock{}, fmt.Errorf("encode block %d of %s: response of %d bytes is not one block field", k.number, l.ChannelID(), len(resp))
	}
	return c.AddIfAbsent(k, wireBlock{response: resp, block: block}), nil
}

// blockAndPrivateData returns the encoding of a peer.DeliverResponse
// carrying a BlockAndPrivateData of the block wb and the private data pvt:
// the bytes gRPC's codec makes of that response, field by field, with the
// block's copied rather than encoded again. (The map's entries come in
// the order proto.Marshal gives them, which is not fixed, as before.)
func blockAndPrivateData(wb wireBlock, pvt map[uint64]*rwset.TxPvtReadWriteSet) ([]byte, error) {
	pd, err := proto.Marshal(&peer.BlockAndPrivateData{PrivateDataMap: pvt})
	if err != nil {
		return nil, fmt.Errorf("encode private data of %d transactions: %w", len(pvt), err)
	}
	inner := protowire.SizeTag(blockAndPrivateDataBlockField) + protowire.SizeBytes(len(wb.block)) + len(pd)
	b := make([]byte, 0, protowire.SizeTag(responseBlockAndPrivateDataField)+protowire.SizeBytes(inner))
	b = protowire.AppendTag(b, responseBlockAndPrivateDataField, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(inner))
	b = protowire.AppendTag(b, blockAndPrivateDataBlockField, protowire.BytesType)
	b = protowire.AppendBytes(b, wb.block)
	return append(b, pd...), nil
}

// preEncoded returns m carrying wire, an encoding of a message of m's
// type, as it is: m's fields stay unset and wire is kept as m's unknown
// fields, which proto.Marshal, and so gRPC's codec, writes out unchanged.
// A client, which knows the fields, reads the message wire encodes.
func preEncoded[M proto.Message](m M, wire []byte) M {
	m.ProtoReflect().SetUnknown(wire)
	return m
}
