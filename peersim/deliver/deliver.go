package deliver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/chaincodekit/chaincodekit/internal/stopping"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Channels finds a channel's ledger.
type Channels interface {
	Ledger(name string) (*ledger.Ledger, error)
}

// MSP checks a seek's creator and evaluates collection policies
// (*identity.MSP).
type MSP interface {
	Verify(serialized, msg, sig []byte) (*identity.Identity, error)
	EvaluatePolicy(policy *common.SignaturePolicyEnvelope, signed []identity.SignedData) error
}

// Config is what the service works with.
type Config struct {
	Channels Channels
	MSP      MSP
	// Stopping is closed when the peer stops; open streams then end with
	// Unavailable.
	Stopping <-chan struct{}
	Log      *slog.Logger
	// PeerMSPID is the organisation of the peer the service is part of:
	// DeliverWithPrivateData sends the private data that organisation's
	// peer holds. Empty: all the ledger keeps.
	PeerMSPID string
	// FilteredBlocks is how many recent filtered blocks DeliverFiltered
	// keeps to send to every stream that asks for them: 0 is
	// DefaultFilteredBlocks, a negative number none (each stream filters
	// each block itself).
	FilteredBlocks int
	// Blocks is how many recent blocks, encoded, Deliver, OrdererDeliver
	// and DeliverWithPrivateData keep to send to every stream that asks
	// for them: 0 is DefaultBlocks, a negative number none (each stream
	// encodes each block itself).
	Blocks int
}

// Service is the protos.Deliver service: committed blocks, filtered
// blocks, or blocks with private data, from a seek position.
type Service struct {
	peer.UnimplementedDeliverServer
	cfg      Config
	filtered *filterCache
	blocks   *blockCache
}

// New returns the Deliver service.
func New(cfg Config) *Service {
	filtered, blocks := cfg.FilteredBlocks, cfg.Blocks
	if filtered == 0 {
		filtered = DefaultFilteredBlocks
	}
	if blocks == 0 {
		blocks = DefaultBlocks
	}
	return &Service{cfg: cfg, filtered: newFilterCache(filtered), blocks: newBlockCache(blocks)}
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
func (s *Service) Deliver(stream peer.Deliver_DeliverServer) error {
	return s.serve(stream.Context(), stream.Recv, func(req seekRequest, cb *ledger.CommittedBlock) error {
		wb, err := encodedBlock(s.blocks, req.ledger, cb)
		if err != nil {
			return err
		}
		return stream.Send(preEncoded(&peer.DeliverResponse{}, wb.response))
	}, func(st common.Status) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}})
	})
}

// OrdererDeliver is orderer.AtomicBroadcast's Deliver, as an ordering
// service serves it: whole blocks from a seek position, each seek checked,
// answered and refused as Deliver's is. The embedded orderer serves it.
func (s *Service) OrdererDeliver(stream orderer.AtomicBroadcast_DeliverServer) error {
	return s.serve(stream.Context(), stream.Recv, func(req seekRequest, cb *ledger.CommittedBlock) error {
		wb, err := encodedBlock(s.blocks, req.ledger, cb)
		if err != nil {
			return err
		}
		return stream.Send(preEncoded(&orderer.DeliverResponse{}, wb.response))
	}, func(st common.Status) error {
		return stream.Send(&orderer.DeliverResponse{Type: &orderer.DeliverResponse_Status{Status: st}})
	})
}

// DeliverFiltered streams filtered blocks: per transaction its ID, type,
// validation code and chaincode event name (no payload).
func (s *Service) DeliverFiltered(stream peer.Deliver_DeliverFilteredServer) error {
	return s.serve(stream.Context(), stream.Recv, func(req seekRequest, cb *ledger.CommittedBlock) error {
		fb := filteredBlock(s.filtered, req.ledger, cb)
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
func (s *Service) DeliverWithPrivateData(stream peer.Deliver_DeliverWithPrivateDataServer) error {
	return s.serve(stream.Context(), stream.Recv, func(req seekRequest, cb *ledger.CommittedBlock) error {
		number := cb.Block.GetHeader().GetNumber()
		pvt, err := req.ledger.BlockPrivateDataAt(number, s.cfg.PeerMSPID)
		if err != nil {
			return fmt.Errorf("deliver with private data on %s: %w", req.ledger.ChannelID(), err)
		}
		satisfies := func(policy *common.SignaturePolicyEnvelope) bool {
			return s.cfg.MSP.EvaluatePolicy(policy, []identity.SignedData{req.signed}) == nil
		}
		readable, err := readablePrivateData(pvt, req.ledger.CollectionAccess, satisfies, req.log.With("block", number))
		if err != nil {
			return fmt.Errorf("deliver with private data on %s, block %d: %w", req.ledger.ChannelID(), number, err)
		}
		wb, err := encodedBlock(s.blocks, req.ledger, cb)
		if err != nil {
			return err
		}
		wire, err := blockAndPrivateData(wb, readable)
		if err != nil {
			return fmt.Errorf("deliver with private data on %s, block %d: %w", req.ledger.ChannelID(), number, err)
		}
		return stream.Send(preEncoded(&peer.DeliverResponse{}, wire))
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
	return ledger.FilterPrivateData(pvt, readable)
}

func (s *Service) serve(ctx context.Context, recv func() (*common.Envelope, error), send blockSender, sendStatus func(common.Status) error) error {
	return stopping.Serve(ctx, s.cfg.Stopping, func(ctx context.Context) error {
		for {
			env, err := recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			st, err := s.answer(ctx, env, send)
			if err != nil {
				return err
			}
			if err := sendStatus(st); err != nil {
				return err
			}
		}
	})
}

// refusal is a seek answered with a status other than SUCCESS; err, when
// set, is logged.
type refusal struct {
	status common.Status
	err    error
}

func (r *refusal) Error() string {
	if r.err == nil {
		return r.status.String()
	}
	return fmt.Sprintf("%s: %v", r.status, r.err)
}

func refuse(st common.Status, err error) error { return &refusal{status: st, err: err} }

// answer serves one seek envelope and turns the outcome into the final
// status: SUCCESS, or a refusal's status, logged once with its reason. An
// error means the stream broke.
func (s *Service) answer(ctx context.Context, env *common.Envelope, send blockSender) (common.Status, error) {
	log := s.cfg.Log
	err := s.seek(ctx, env, send, &log)
	var r *refusal
	switch {
	case err == nil:
		return common.Status_SUCCESS, nil
	case errors.As(err, &r):
		if r.err != nil {
			log.Info("seek refused", "status", r.status, "error", r.err)
		}
		return r.status, nil
	}
	return 0, err
}

// seek sends the blocks one seek envelope asks for; it returns a refusal
// for a seek it cannot serve. It sets log to the channel's logger once
// the channel is known.
func (s *Service) seek(ctx context.Context, env *common.Envelope, send blockSender, log **slog.Logger) error {
	pl, chdr, shdr, err := identity.OpenEnvelope(env)
	if err != nil {
		return refuse(common.Status_BAD_REQUEST, fmt.Errorf("bad seek envelope: %w", err))
	}
	l, err := s.cfg.Channels.Ledger(chdr.GetChannelId())
	if err != nil {
		return refuse(common.Status_NOT_FOUND, nil)
	}
	*log = (*log).With("channel", l.ChannelID())
	if _, err := s.cfg.MSP.Verify(shdr.GetCreator(), env.GetPayload(), env.GetSignature()); err != nil {
		return refuse(common.Status_FORBIDDEN, fmt.Errorf("creator check failed: %w", err))
	}
	req := seekRequest{
		ledger: l,
		signed: identity.SignedData{Identity: shdr.GetCreator(), Data: env.GetPayload(), Signature: env.GetSignature()},
		log:    *log,
	}
	seek := &orderer.SeekInfo{}
	if err := proto.Unmarshal(pl.GetData(), seek); err != nil {
		return refuse(common.Status_BAD_REQUEST, fmt.Errorf("bad seek info: %w", err))
	}
	height, first := l.Height(), l.FirstBlock()
	start, ok := seekPosition(seek.GetStart(), height, first)
	if !ok {
		return refuse(common.Status_BAD_REQUEST, nil)
	}
	stop, ok := seekPosition(seek.GetStop(), height, first)
	if !ok || stop < start {
		return refuse(common.Status_BAD_REQUEST, fmt.Errorf("bad seek range: start %v, stop %v", seek.GetStart(), seek.GetStop()))
	}
	if start < first {
		return refuse(common.Status_NOT_FOUND, fmt.Errorf("block %d is not held: the channel was restored from a snapshot and holds blocks from %d on", start, first))
	}
	failIfNotReady := seek.GetBehavior() == orderer.SeekInfo_FAIL_IF_NOT_READY
	sub := l.Subscribe(start)
	for n := start; ; n++ {
		if failIfNotReady && n >= l.Height() {
			return refuse(common.Status_NOT_FOUND, nil)
		}
		cb, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("deliver on %s: %w", l.ChannelID(), ctx.Err())
			}
			return refuse(common.Status_SERVICE_UNAVAILABLE, err)
		}
		if err := send(req, cb); err != nil {
			return err
		}
		if cb.Block.GetHeader().GetNumber() >= stop {
			return nil
		}
	}
}

// seekPosition resolves a seek position against the current height and
// the first block the ledger holds (not 0 for a ledger restored from a
// snapshot). Newest on an empty ledger is block 0, the first to come.
func seekPosition(pos *orderer.SeekPosition, height, first uint64) (uint64, bool) {
	switch {
	case pos.GetOldest() != nil:
		return first, true
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
	pl, chdr, _, err := identity.OpenEnvelope(env)
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
