package peersim

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// broadcaster is the orderer.AtomicBroadcast service of the embedded
// orderer: each signed transaction envelope is checked and queued on its
// channel's ledger; the outcome arrives through Deliver.
type broadcaster struct {
	orderer.UnimplementedAtomicBroadcastServer
	p *Peer
}

// Broadcast answers each envelope with a BroadcastResponse, in order.
func (b *broadcaster) Broadcast(stream orderer.AtomicBroadcast_BroadcastServer) error {
	return b.p.untilStopping(stream.Context(), func(ctx context.Context) error {
		for {
			env, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			st, info := b.submit(ctx, env)
			if st != common.Status_SUCCESS {
				b.p.log.Info("broadcast refused", "status", st, "info", info)
			}
			if err := stream.Send(&orderer.BroadcastResponse{Status: st, Info: info}); err != nil {
				return err
			}
		}
	})
}

func (b *broadcaster) submit(ctx context.Context, env *common.Envelope) (common.Status, string) {
	pl, chdr, shdr, err := openEnvelope(env)
	if err != nil {
		return common.Status_BAD_REQUEST, err.Error()
	}
	if chdr.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
		return common.Status_BAD_REQUEST, fmt.Sprintf("envelope header type %s: the embedded orderer accepts ENDORSER_TRANSACTION only", common.HeaderType(chdr.GetType()))
	}
	if len(pl.GetData()) == 0 {
		return common.Status_BAD_REQUEST, "envelope payload carries no transaction"
	}
	l, err := b.p.chans.get(chdr.GetChannelId())
	if err != nil {
		return common.Status_NOT_FOUND, fmt.Sprintf("channel %s not found: %s", chdr.GetChannelId(), b.p.chans.notJoined(chdr.GetChannelId()))
	}
	if _, err := b.p.msp.Verify(shdr.GetCreator(), env.GetPayload(), env.GetSignature()); err != nil {
		return common.Status_FORBIDDEN, fmt.Sprintf("transaction %s: creator signature check failed: %v", chdr.GetTxId(), err)
	}
	if err := l.Submit(ctx, env); err != nil {
		return common.Status_SERVICE_UNAVAILABLE, fmt.Sprintf("transaction %s: %v", chdr.GetTxId(), err)
	}
	return common.Status_SUCCESS, ""
}

// openEnvelope decodes an envelope's payload and headers.
func openEnvelope(env *common.Envelope) (*common.Payload, *common.ChannelHeader, *common.SignatureHeader, error) {
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

// untilStopping runs a stream handler and returns early, with Unavailable,
// when the peer starts stopping; the handler's own goroutine then ends as
// its stream's context is cancelled.
func (p *Peer) untilStopping(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	select {
	case err := <-done:
		return err
	case <-p.closing:
		cancel()
		return status.Error(codes.Unavailable, "peer is stopping")
	}
}
