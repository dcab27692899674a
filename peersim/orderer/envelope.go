package orderer

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// OpenEnvelope decodes an envelope's payload, channel header and signature
// header: what Broadcast checks of a transaction, and the peer's Deliver of
// a seek. It fails when the payload, its header or the creator is missing,
// or when one of them does not decode.
func OpenEnvelope(env *common.Envelope) (*common.Payload, *common.ChannelHeader, *common.SignatureHeader, error) {
	if len(env.GetPayload()) == 0 {
		return nil, nil, nil, errors.New("envelope has no payload")
	}
	pl := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), pl); err != nil {
		return nil, nil, nil, fmt.Errorf("bad envelope payload: %w", err)
	}
	if pl.GetHeader() == nil {
		return nil, nil, nil, errors.New("envelope payload has no header")
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(pl.GetHeader().GetChannelHeader(), chdr); err != nil {
		return nil, nil, nil, fmt.Errorf("bad channel header: %w", err)
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(pl.GetHeader().GetSignatureHeader(), shdr); err != nil {
		return nil, nil, nil, fmt.Errorf("bad signature header: %w", err)
	}
	if len(shdr.GetCreator()) == 0 {
		return nil, nil, nil, errors.New("signature header has no creator")
	}
	return pl, chdr, shdr, nil
}
