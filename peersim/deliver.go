package peersim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/logging"
	"github.com/chaincodekit/chaincodekit/peersim/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// deliverer is the protos.Deliver service: committed blocks, filtered
// blocks, or blocks with private data, from a seek position.
type deliverer struct {
	peer.UnimplementedDeliverServer
	p *Peer
}

// seekRequest is what a block sender may need of the seek it answers.
type seekRequest struct {
	ledger *ledger.Ledger
	// signed is the seek envelope's creator, payload and signature.
	signed identity.SignedData
	log    *slog.Logger
}

// blockSender sends one committed block in a service's form.
type blockSender func(req seekRequest, cb *ledger.CommittedBlock) error

// Deliver streams whole blocks.
func (d *deliverer) Deliver(stream peer.Deliver_DeliverServer) error {
	return d.serve(stream.Context(), stream.Recv, func(_ seekRequest, cb *ledger.CommittedBlock) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: cb.Block}})
	}, func(st common.Status) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}})
	})
}

// DeliverFiltered streams filtered blocks: per transaction its ID, type,
// validation code and chaincode event name (no payload).
func (d *deliverer) DeliverFiltered(stream peer.Deliver_DeliverFilteredServer) error {
	return d.serve(stream.Context(), stream.Recv, func(_ seekRequest, cb *ledger.CommittedBlock) error {
		fb := filterBlock(cb)
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_FilteredBlock{FilteredBlock: fb}})
	}, func(st common.Status) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}})
	})
}

// DeliverWithPrivateData streams whole blocks, each with the private data
// this peer keeps for its transactions (valid or not, as Fabric keeps it)
// that the client may read, keyed by the transaction's index in the block.
// The seek is checked as Deliver's is; then, per collection, Fabric's rule:
// a collection without memberOnlyRead is readable by any client that may
// deliver, one with it only by a client whose seek signature satisfies the
// collection's member orgs policy. What the client may not read is left
// out, and so are transactions left with nothing.
func (d *deliverer) DeliverWithPrivateData(stream peer.Deliver_DeliverWithPrivateDataServer) error {
	return d.serve(stream.Context(), stream.Recv, func(req seekRequest, cb *ledger.CommittedBlock) error {
		number := cb.Block.GetHeader().GetNumber()
		pvt, err := req.ledger.BlockPrivateData(number)
		if err != nil {
			return fmt.Errorf("deliver with private data on %s: %w", req.ledger.ChannelID(), err)
		}
		satisfies := func(policy *common.SignaturePolicyEnvelope) bool {
			return d.p.msp.EvaluatePolicy(policy, []identity.SignedData{req.signed}) == nil
		}
		readable, err := readablePrivateData(pvt, req.ledger.CollectionAccess, satisfies, req.log.With("block", number))
		if err != nil {
			return fmt.Errorf("deliver with private data on %s, block %d: %w", req.ledger.ChannelID(), number, err)
		}
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_BlockAndPrivateData{
			BlockAndPrivateData: &peer.BlockAndPrivateData{Block: cb.Block, PrivateDataMap: readable},
		}})
	}, func(st common.Status) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}})
	})
}

// readablePrivateData keeps, of a block's private data, the collections a
// client may read: access gives each collection's rule and satisfies says
// whether the client's signature satisfies a member orgs policy. A
// collection access does not know (its definition is gone) is left out;
// another error from access is returned. Verdicts are computed once per
// collection.
func readablePrivateData(pvt map[uint64]*rwset.TxPvtReadWriteSet, access func(ns, coll string) (ledger.CollectionAccess, error),
	satisfies func(*common.SignaturePolicyEnvelope) bool, log *slog.Logger,
) (map[uint64]*rwset.TxPvtReadWriteSet, error) {
	verdicts := map[string]bool{}
	readable := func(ns, coll string) (bool, error) {
		k := ns + "\x00" + coll
		if ok, seen := verdicts[k]; seen {
			return ok, nil
		}
		a, err := access(ns, coll)
		switch {
		case errors.Is(err, ledger.ErrCollectionNotDefined):
			log.Warn("private data left out: collection not defined", "namespace", ns, "collection", coll, "error", err)
			verdicts[k] = false
		case err != nil:
			return false, err
		default:
			verdicts[k] = !a.MemberOnlyRead || satisfies(a.MemberOrgsPolicy)
		}
		return verdicts[k], nil
	}
	out := make(map[uint64]*rwset.TxPvtReadWriteSet, len(pvt))
	for txNum, tx := range pvt {
		kept := &rwset.TxPvtReadWriteSet{DataModel: tx.GetDataModel()}
		for _, ns := range tx.GetNsPvtRwset() {
			var colls []*rwset.CollectionPvtReadWriteSet
			for _, c := range ns.GetCollectionPvtRwset() {
				ok, err := readable(ns.GetNamespace(), c.GetCollectionName())
				if err != nil {
					return nil, err
				}
				if ok {
					colls = append(colls, c)
				}
			}
			if len(colls) > 0 {
				kept.NsPvtRwset = append(kept.NsPvtRwset, &rwset.NsPvtReadWriteSet{Namespace: ns.GetNamespace(), CollectionPvtRwset: colls})
			}
		}
		if len(kept.NsPvtRwset) > 0 {
			out[txNum] = kept
		}
	}
	return out, nil
}

func (d *deliverer) serve(ctx context.Context, recv func() (*common.Envelope, error), send blockSender, sendStatus func(common.Status) error) error {
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
func (d *deliverer) seek(ctx context.Context, env *common.Envelope, send blockSender) (common.Status, error) {
	log := d.p.log.With(logging.NameKey, "deliver")
	pl, chdr, shdr, err := orderer.OpenEnvelope(env)
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
	req := seekRequest{
		ledger: l,
		signed: identity.SignedData{Identity: shdr.GetCreator(), Data: env.GetPayload(), Signature: env.GetSignature()},
		log:    log.With("channel", l.ChannelID()),
	}
	seek := &ab.SeekInfo{}
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
	failIfNotReady := seek.GetBehavior() == ab.SeekInfo_FAIL_IF_NOT_READY
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
		if err := send(req, cb); err != nil {
			return 0, err
		}
		if cb.Block.GetHeader().GetNumber() >= stop {
			return common.Status_SUCCESS, nil
		}
	}
}

// seekPosition resolves a seek position against the current height.
// Newest on an empty ledger is block 0, the first to come.
func seekPosition(pos *ab.SeekPosition, height uint64) (uint64, bool) {
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
	pl, chdr, _, err := orderer.OpenEnvelope(env)
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
