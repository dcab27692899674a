package peersim

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// deliverer is the protos.Deliver service: committed blocks, or filtered
// blocks, from a seek position.
type deliverer struct {
	peer.UnimplementedDeliverServer
	p *Peer
}

// Deliver streams whole blocks.
func (d *deliverer) Deliver(stream peer.Deliver_DeliverServer) error {
	return d.serve(stream.Context(), stream.Recv, func(cb *ledger.CommittedBlock) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: cb.Block}})
	}, func(st common.Status) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}})
	})
}

// DeliverFiltered streams filtered blocks: per transaction its ID, type,
// validation code and chaincode event name (no payload).
func (d *deliverer) DeliverFiltered(stream peer.Deliver_DeliverFilteredServer) error {
	return d.serve(stream.Context(), stream.Recv, func(cb *ledger.CommittedBlock) error {
		fb := filterBlock(cb)
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_FilteredBlock{FilteredBlock: fb}})
	}, func(st common.Status) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}})
	})
}

func (d *deliverer) serve(ctx context.Context, recv func() (*common.Envelope, error), send func(*ledger.CommittedBlock) error, sendStatus func(common.Status) error) error {
	return d.p.untilStopping(ctx, func(ctx context.Context) error {
		for {
			env, err := recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			st, err := d.seek(ctx, env, send)
			if err != nil {
				return err
			}
			if err := sendStatus(st); err != nil {
				return err
			}
		}
	})
}

// seek sends the blocks one seek envelope asks for and returns the final
// status. An error means the stream broke.
func (d *deliverer) seek(ctx context.Context, env *common.Envelope, send func(*ledger.CommittedBlock) error) (common.Status, error) {
	log := d.p.log.With("service", "deliver")
	pl, chdr, shdr, err := openEnvelope(env)
	if err != nil {
		log.Info("bad seek envelope", "error", err)
		return common.Status_BAD_REQUEST, nil
	}
	l, err := d.p.chans.get(chdr.GetChannelId())
	if err != nil {
		return common.Status_NOT_FOUND, nil
	}
	if _, err := d.p.msp.Verify(shdr.GetCreator(), env.GetPayload(), env.GetSignature()); err != nil {
		log.Info("seek refused: creator check failed", "channel", chdr.GetChannelId(), "error", err)
		return common.Status_FORBIDDEN, nil
	}
	seek := &orderer.SeekInfo{}
	if err := proto.Unmarshal(pl.GetData(), seek); err != nil {
		log.Info("bad seek info", "error", err)
		return common.Status_BAD_REQUEST, nil
	}
	height := l.Height()
	start, ok := seekPosition(seek.GetStart(), height)
	if !ok {
		return common.Status_BAD_REQUEST, nil
	}
	stop, ok := seekPosition(seek.GetStop(), height)
	if !ok || stop < start {
		log.Info("bad seek range", "start", seek.GetStart(), "stop", seek.GetStop())
		return common.Status_BAD_REQUEST, nil
	}
	failIfNotReady := seek.GetBehavior() == orderer.SeekInfo_FAIL_IF_NOT_READY
	sub := l.Subscribe(start)
	for n := start; ; n++ {
		if failIfNotReady && n >= l.Height() {
			return common.Status_NOT_FOUND, nil
		}
		cb, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return 0, fmt.Errorf("deliver on %s: %w", l.ChannelID(), ctx.Err())
			}
			return common.Status_SERVICE_UNAVAILABLE, nil
		}
		if err := send(cb); err != nil {
			return 0, err
		}
		if cb.Block.GetHeader().GetNumber() >= stop {
			return common.Status_SUCCESS, nil
		}
	}
}

// seekPosition resolves a seek position against the current height.
// Newest on an empty ledger is block 0, the first to come.
func seekPosition(pos *orderer.SeekPosition, height uint64) (uint64, bool) {
	switch {
	case pos.GetOldest() != nil:
		return 0, true
	case pos.GetNewest() != nil:
		if height == 0 {
			return 0, true
		}
		return height - 1, true
	case pos.GetSpecified() != nil:
		return pos.GetSpecified().GetNumber(), true
	}
	return 0, false
}

// filterBlock makes the filtered form of a committed block.
func filterBlock(cb *ledger.CommittedBlock) *peer.FilteredBlock {
	codes := map[int]peer.TxValidationCode{}
	for _, tx := range cb.Txs {
		codes[tx.Index] = tx.Code
	}
	var filter []byte
	if md := cb.Block.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		filter = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	fb := &peer.FilteredBlock{Number: cb.Block.GetHeader().GetNumber()}
	for i, raw := range cb.Block.GetData().GetData() {
		code, ok := codes[i]
		if !ok && i < len(filter) {
			code = peer.TxValidationCode(filter[i])
		}
		ft, ch := filterTx(raw)
		ft.TxValidationCode = code
		if fb.ChannelId == "" {
			fb.ChannelId = ch
		}
		fb.FilteredTransactions = append(fb.FilteredTransactions, ft)
	}
	return fb
}

// filterTx extracts txid, type and chaincode events of one envelope; it
// keeps what it could decode.
func filterTx(raw []byte) (*peer.FilteredTransaction, string) {
	ft := &peer.FilteredTransaction{}
	env := &common.Envelope{}
	if proto.Unmarshal(raw, env) != nil {
		return ft, ""
	}
	pl, chdr, _, err := openEnvelope(env)
	if err != nil {
		return ft, ""
	}
	ft.Txid, ft.Type = chdr.GetTxId(), common.HeaderType(chdr.GetType())
	if ft.Type != common.HeaderType_ENDORSER_TRANSACTION {
		return ft, chdr.GetChannelId()
	}
	tx := &peer.Transaction{}
	if proto.Unmarshal(pl.GetData(), tx) != nil {
		return ft, chdr.GetChannelId()
	}
	actions := &peer.FilteredTransactionActions{}
	for _, a := range tx.GetActions() {
		if ev := actionEvent(a); ev != nil {
			actions.ChaincodeActions = append(actions.ChaincodeActions, &peer.FilteredChaincodeAction{
				ChaincodeEvent: &peer.ChaincodeEvent{ChaincodeId: ev.GetChaincodeId(), TxId: ev.GetTxId(), EventName: ev.GetEventName()},
			})
		}
	}
	ft.Data = &peer.FilteredTransaction_TransactionActions{TransactionActions: actions}
	return ft, chdr.GetChannelId()
}

func actionEvent(a *peer.TransactionAction) *peer.ChaincodeEvent {
	cap := &peer.ChaincodeActionPayload{}
	if proto.Unmarshal(a.GetPayload(), cap) != nil {
		return nil
	}
	prp := &peer.ProposalResponsePayload{}
	if proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), prp) != nil {
		return nil
	}
	act := &peer.ChaincodeAction{}
	if proto.Unmarshal(prp.GetExtension(), act) != nil || len(act.GetEvents()) == 0 {
		return nil
	}
	ev := &peer.ChaincodeEvent{}
	if proto.Unmarshal(act.GetEvents(), ev) != nil || ev.GetChaincodeId() == "" {
		return nil
	}
	return ev
}
