package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// ChaincodeEvent is an event a chaincode set (stub.SetEvent) in a
// transaction that was committed valid.
type ChaincodeEvent struct {
	// BlockNumber is the block the transaction was committed in.
	BlockNumber uint64
	// TxIndex is the transaction's position in the block.
	TxIndex int
	// TxID is the transaction ID.
	TxID string
	// ChaincodeName is the chaincode that set the event.
	ChaincodeName string
	// EventName is the event's name.
	EventName string
	// Payload is the event's payload.
	Payload []byte
}

// SeekOption chooses the blocks FilteredBlocks and ChaincodeEvents read.
type SeekOption func(*blockRange)

// blockRange is the seek a stream sends; nil start means the newest block.
type blockRange struct {
	start, stop *uint64
}

// WithStartBlock starts at block n (0 replays the channel from its first
// block). Without it a stream starts at the newest block committed when
// the peer reads the request, or at the first block to come on an empty
// channel.
func WithStartBlock(n uint64) SeekOption {
	return func(r *blockRange) { r.start = &n }
}

// WithStopBlock ends the stream once block n was delivered, waiting for it
// if it is not committed yet. Without it the stream never ends by itself.
func WithStopBlock(n uint64) SeekOption {
	return func(r *blockRange) { r.stop = &n }
}

func newSeekInfo(opts []SeekOption) (*orderer.SeekInfo, error) {
	var r blockRange
	for _, opt := range opts {
		opt(&r)
	}
	if r.start != nil && r.stop != nil && *r.stop < *r.start {
		return nil, fmt.Errorf("stop block %d is before start block %d", *r.stop, *r.start)
	}
	stop := uint64(math.MaxUint64)
	if r.stop != nil {
		stop = *r.stop
	}
	start := &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}}
	if r.start != nil {
		start = specified(*r.start)
	}
	return &orderer.SeekInfo{Start: start, Stop: specified(stop), Behavior: orderer.SeekInfo_BLOCK_UNTIL_READY}, nil
}

func specified(n uint64) *orderer.SeekPosition {
	return &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: n}}}
}

// FilteredBlocks reads the filtered blocks of channel (DeliverFiltered):
// per transaction its ID, type, validation code and chaincode event names,
// without payloads. Each block is yielded with a nil error; a failure is
// yielded once as the last element: a *DeliverError when the peer refuses
// the seek (NOT_FOUND for a channel it has not joined), a *TransportError
// when the stream breaks (codes.Unavailable when the peer stops), or an
// error wrapping the context's when ctx ends. With WithStopBlock the
// sequence ends without an error after that block. Breaking out of the
// loop closes the stream.
func (c *Client) FilteredBlocks(ctx context.Context, channel string, opts ...SeekOption) iter.Seq2[*peer.FilteredBlock, error] {
	return deliverSeq(ctx, c, channel, true, opts, func(s *deliverStream, resp *peer.DeliverResponse) ([]*peer.FilteredBlock, error) {
		fb, err := s.filtered(resp)
		return []*peer.FilteredBlock{fb}, err
	})
}

// ChaincodeEvents reads the events chaincode set in transactions committed
// valid on channel, in commit order, as Fabric's Gateway ChaincodeEvents
// gives them: it reads whole blocks (Deliver), since filtered blocks carry
// no event payloads, and skips invalid transactions and other chaincodes'
// events. Options, errors and the end of the sequence are as for
// FilteredBlocks.
func (c *Client) ChaincodeEvents(ctx context.Context, channel, chaincode string, opts ...SeekOption) iter.Seq2[*ChaincodeEvent, error] {
	return deliverSeq(ctx, c, channel, false, opts, func(s *deliverStream, resp *peer.DeliverResponse) ([]*ChaincodeEvent, error) {
		if resp.GetBlock() == nil {
			return nil, fmt.Errorf("deliver on channel %q: the peer %s sent %T on Deliver, expected blocks", channel, c.address, resp.GetType())
		}
		return blockEvents(resp.GetBlock(), chaincode)
	})
}

// deliverSeq opens a Deliver or DeliverFiltered stream when ranged over and
// yields what items makes of each block the peer sends, then the first
// error, if any, alone. The stream closes when the loop ends.
func deliverSeq[T any](ctx context.Context, c *Client, channel string, filtered bool, opts []SeekOption,
	items func(*deliverStream, *peer.DeliverResponse) ([]T, error),
) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s, err := c.openDeliver(ctx, channel, filtered, opts)
		if err != nil {
			yield(zero, err)
			return
		}
		for {
			resp, err := s.next(ctx)
			if errors.Is(err, errSeekDone) {
				return
			}
			var got []T
			if err == nil {
				got, err = items(s, resp)
			}
			if err != nil {
				yield(zero, err)
				return
			}
			for _, v := range got {
				if !yield(v, nil) {
					return
				}
			}
		}
	}
}

// blockEvents returns the events of chaincode in the valid transactions of
// block, whose TRANSACTIONS_FILTER metadata holds the validation codes.
func blockEvents(block *common.Block, chaincode string) ([]*ChaincodeEvent, error) {
	number := block.GetHeader().GetNumber()
	var codes []byte
	if md := block.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		codes = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	var events []*ChaincodeEvent
	for i, raw := range block.GetData().GetData() {
		if i >= len(codes) || peer.TxValidationCode(codes[i]) != peer.TxValidationCode_VALID {
			continue
		}
		txID, evs, err := txEvents(raw)
		if err != nil {
			return nil, fmt.Errorf("read the events of block %d, transaction %d: %w", number, i, err)
		}
		for _, ev := range evs {
			if ev.GetChaincodeId() != chaincode {
				continue
			}
			events = append(events, &ChaincodeEvent{
				BlockNumber: number, TxIndex: i, TxID: txID,
				ChaincodeName: ev.GetChaincodeId(), EventName: ev.GetEventName(), Payload: ev.GetPayload(),
			})
		}
	}
	return events, nil
}

// txEvents returns the ID of a transaction envelope and the chaincode events
// of its actions; transactions other than endorser transactions have none.
func txEvents(raw []byte) (string, []*peer.ChaincodeEvent, error) {
	env := &common.Envelope{}
	if err := proto.Unmarshal(raw, env); err != nil {
		return "", nil, fmt.Errorf("unmarshal envelope: %w", err)
	}
	pl := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), pl); err != nil {
		return "", nil, fmt.Errorf("unmarshal payload: %w", err)
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(pl.GetHeader().GetChannelHeader(), chdr); err != nil {
		return "", nil, fmt.Errorf("unmarshal channel header: %w", err)
	}
	if common.HeaderType(chdr.GetType()) != common.HeaderType_ENDORSER_TRANSACTION {
		return chdr.GetTxId(), nil, nil
	}
	tx := &peer.Transaction{}
	if err := proto.Unmarshal(pl.GetData(), tx); err != nil {
		return "", nil, fmt.Errorf("unmarshal transaction %s: %w", chdr.GetTxId(), err)
	}
	var events []*peer.ChaincodeEvent
	for _, a := range tx.GetActions() {
		payload := &peer.ChaincodeActionPayload{}
		if err := proto.Unmarshal(a.GetPayload(), payload); err != nil {
			return "", nil, fmt.Errorf("unmarshal the action payload of transaction %s: %w", chdr.GetTxId(), err)
		}
		prp := &peer.ProposalResponsePayload{}
		if err := proto.Unmarshal(payload.GetAction().GetProposalResponsePayload(), prp); err != nil {
			return "", nil, fmt.Errorf("unmarshal the proposal response payload of transaction %s: %w", chdr.GetTxId(), err)
		}
		act := &peer.ChaincodeAction{}
		if err := proto.Unmarshal(prp.GetExtension(), act); err != nil {
			return "", nil, fmt.Errorf("unmarshal the chaincode action of transaction %s: %w", chdr.GetTxId(), err)
		}
		if len(act.GetEvents()) == 0 {
			continue
		}
		ev := &peer.ChaincodeEvent{}
		if err := proto.Unmarshal(act.GetEvents(), ev); err != nil {
			return "", nil, fmt.Errorf("unmarshal the chaincode event of transaction %s: %w", chdr.GetTxId(), err)
		}
		events = append(events, ev)
	}
	return chdr.GetTxId(), events, nil
}

// errSeekDone is next's answer once the peer ended the seek with SUCCESS:
// the stop block was delivered.
var errSeekDone = errors.New("seek done")

// deliverStream is an open Deliver or DeliverFiltered stream whose seek
// request was sent.
type deliverStream struct {
	c       *Client
	stream  grpc.BidiStreamingClient[common.Envelope, peer.DeliverResponse]
	channel string
}

// openDeliver opens a DeliverFiltered (filtered) or Deliver stream on
// channel and sends the signed seek request the options describe.
func (c *Client) openDeliver(ctx context.Context, channel string, filtered bool, opts []SeekOption) (*deliverStream, error) {
	seek, err := newSeekInfo(opts)
	if err != nil {
		return nil, fmt.Errorf("deliver on channel %q: %w", channel, err)
	}
	env, err := NewSeekEnvelope(c.signer, channel, seek, c.tlsCertHash)
	if err != nil {
		return nil, err
	}
	var stream grpc.BidiStreamingClient[common.Envelope, peer.DeliverResponse]
	if filtered {
		stream, err = c.deliverer.DeliverFiltered(ctx)
	} else {
		stream, err = c.deliverer.Deliver(ctx)
	}
	if err != nil {
		return nil, c.transportError(ctx, fmt.Sprintf("open deliver on channel %q", channel), err)
	}
	if err := stream.Send(env); err != nil {
		return nil, c.transportError(ctx, fmt.Sprintf("send the deliver request on channel %q", channel), recvErr(stream, err))
	}
	return &deliverStream{c: c, stream: stream, channel: channel}, nil
}

// next returns the next block the peer sent. A status ends the seek:
// SUCCESS gives errSeekDone, any other a *DeliverError.
func (s *deliverStream) next(ctx context.Context) (*peer.DeliverResponse, error) {
	resp, err := s.stream.Recv()
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("deliver on channel %q at peer %s: %w", s.channel, s.c.address, context.Cause(ctx))
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("deliver on channel %q: the peer %s closed the stream without a status", s.channel, s.c.address)
	case err != nil:
		return nil, s.c.transportError(ctx, fmt.Sprintf("deliver on channel %q", s.channel), err)
	}
	if st, ok := resp.GetType().(*peer.DeliverResponse_Status); ok {
		if st.Status == common.Status_SUCCESS {
			return nil, errSeekDone
		}
		return nil, &DeliverError{Address: s.c.address, Channel: s.channel, Status: st.Status}
	}
	return resp, nil
}

// nextFiltered is next for a DeliverFiltered stream.
func (s *deliverStream) nextFiltered(ctx context.Context) (*peer.FilteredBlock, error) {
	resp, err := s.next(ctx)
	if err != nil {
		return nil, err
	}
	return s.filtered(resp)
}

// filtered returns the filtered block a DeliverFiltered response carries.
func (s *deliverStream) filtered(resp *peer.DeliverResponse) (*peer.FilteredBlock, error) {
	if resp.GetFilteredBlock() == nil {
		return nil, fmt.Errorf("deliver on channel %q: the peer %s sent %T on DeliverFiltered, expected filtered blocks", s.channel, s.c.address, resp.GetType())
	}
	return resp.GetFilteredBlock(), nil
}
