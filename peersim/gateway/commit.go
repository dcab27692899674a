package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/chaincodekit/chaincodekit/internal/stopping"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// CommitStatus waits until the transaction is committed and returns its
// validation code and block number.
func (s *Server) CommitStatus(ctx context.Context, signed *gp.SignedCommitStatusRequest) (*gp.CommitStatusResponse, error) {
	if len(signed.GetRequest()) == 0 {
		return nil, rpcError(codes.InvalidArgument, "a commit status request is required")
	}
	req := &gp.CommitStatusRequest{}
	if err := proto.Unmarshal(signed.GetRequest(), req); err != nil {
		return nil, rpcError(codes.InvalidArgument, fmt.Sprintf("invalid status request: %v", err))
	}
	// Fabric's ACL check: the channel's policy, the signature of the
	// identity the request names.
	l, err := s.readable(req.GetChannelId(), req.GetIdentity(), signed.GetRequest(), signed.GetSignature())
	if err != nil {
		return nil, err
	}
	if req.GetTransactionId() == "" {
		return nil, rpcError(codes.InvalidArgument, "transaction ID should not be empty")
	}
	found := make(chan ledger.TxLocation, 1)
	err = stopping.Serve(ctx, s.cfg.Stopping, func(ctx context.Context) error {
		loc, err := waitForCommit(ctx, l, req.GetTransactionId())
		if err == nil {
			found <- loc
		}
		return err
	})
	if err != nil {
		return nil, statusOf(err)
	}
	loc := <-found
	return &gp.CommitStatusResponse{Result: peer.TxValidationCode(loc.Code), BlockNumber: loc.BlockNum}, nil
}

// readable is Fabric's ACL check of a signed request on a channel: the
// channel must exist (else Fabric's "Failed to get policy manager", with
// the hint) and the identity the request names must have signed it; both
// refusals are PermissionDenied.
func (s *Server) readable(channel string, id, msg, sig []byte) (*ledger.Ledger, error) {
	l, err := s.cfg.Channels.Ledger(channel)
	if err != nil {
		return nil, rpcError(codes.PermissionDenied, fmt.Sprintf("Failed to get policy manager for channel [%s]: %s", channel, s.cfg.Channels.NotJoined(channel)))
	}
	if err := s.cfg.Verifier.Verify(id, msg, sig); err != nil {
		return nil, rpcError(codes.PermissionDenied, fmt.Sprintf("signed request on channel %s: %v", channel, err))
	}
	return l, nil
}

// waitForCommit returns where txID committed, waiting for the blocks that
// follow until it appears.
func waitForCommit(ctx context.Context, l *ledger.Ledger, txID string) (ledger.TxLocation, error) {
	height := l.Height() // before the look-up, so no commit in between is missed
	for {
		loc, err := l.TxStatus(txID)
		if err == nil {
			return loc, nil
		}
		if !errors.Is(err, ledger.ErrTxNotFound) {
			return ledger.TxLocation{}, err
		}
		if height, err = l.WaitBeyond(ctx, height); err != nil {
			return ledger.TxLocation{}, err
		}
	}
}

// statusOf turns a wait's error into its gRPC status: a status as it is,
// an ended context as its code, anything else Aborted.
func statusOf(err error) error {
	if st, ok := status.FromError(err); ok {
		return st.Err()
	}
	if st := status.FromContextError(err); st.Code() != codes.Unknown {
		return st.Err()
	}
	return rpcError(codes.Aborted, err.Error())
}

// ChaincodeEvents streams the events of one chaincode from valid
// transactions, a response per block that has any, from the start the
// request asks for: after a transaction id the ledger has, else its start
// position (the next commit unless a block number is given).
func (s *Server) ChaincodeEvents(signed *gp.SignedChaincodeEventsRequest, stream gp.Gateway_ChaincodeEventsServer) error {
	if len(signed.GetRequest()) == 0 {
		return rpcError(codes.InvalidArgument, "a chaincode events request is required")
	}
	req := &gp.ChaincodeEventsRequest{}
	if err := proto.Unmarshal(signed.GetRequest(), req); err != nil {
		return rpcError(codes.InvalidArgument, fmt.Sprintf("invalid chaincode events request: %v", err))
	}
	l, err := s.readable(req.GetChannelId(), req.GetIdentity(), signed.GetRequest(), signed.GetSignature())
	if err != nil {
		return err
	}
	start, after, err := startOf(l, req)
	if err != nil {
		return err
	}
	err = stopping.Serve(stream.Context(), s.cfg.Stopping, func(ctx context.Context) error {
		sub := l.Subscribe(start)
		for {
			cb, err := sub.Next(ctx)
			if err != nil {
				return err
			}
			number := cb.Block.GetHeader().GetNumber()
			resp := &gp.ChaincodeEventsResponse{BlockNumber: number}
			for _, tx := range cb.Txs {
				if after != nil && !after(number, tx) {
					continue
				}
				if tx.Code == peer.TxValidationCode_VALID && matches(tx.Event, req.GetChaincodeId()) {
					resp.Events = append(resp.Events, tx.Event)
				}
			}
			if len(resp.Events) == 0 {
				continue
			}
			if err := stream.Send(resp); err != nil {
				return err
			}
		}
	})
	return statusOf(err)
}

// matches says whether ev is an event of chaincode, complete as Fabric
// requires (chaincode id, name and transaction id set).
func matches(ev *peer.ChaincodeEvent, chaincode string) bool {
	return ev.GetChaincodeId() == chaincode && ev.GetEventName() != "" && ev.GetTxId() != ""
}

// startOf returns the block to read from and, when the request resumes
// after a transaction, a filter passing only the transactions after it:
// found in the ledger, reading starts at its block; not found (a
// checkpoint from another ledger, say), reading starts at the start
// position and skips every transaction up to one with that id, as Fabric
// skips events until it sees that transaction's.
func startOf(l *ledger.Ledger, req *gp.ChaincodeEventsRequest) (uint64, func(uint64, ledger.TxResult) bool, error) {
	var after func(uint64, ledger.TxResult) bool
	if id := req.GetAfterTransactionId(); id != "" {
		loc, err := l.TxStatus(id)
		if err == nil {
			return loc.BlockNum, func(block uint64, tx ledger.TxResult) bool {
				return block > loc.BlockNum || uint64(tx.Index) > loc.TxNum
			}, nil
		}
		passed := false
		after = func(_ uint64, tx ledger.TxResult) bool {
			if passed {
				return true
			}
			passed = tx.TxID == id
			return false
		}
	}
	switch pos := req.GetStartPosition().GetType().(type) {
	case nil, *ab.SeekPosition_NextCommit:
		return l.Height(), after, nil
	case *ab.SeekPosition_Specified:
		return pos.Specified.GetNumber(), after, nil
	default:
		return 0, nil, rpcError(codes.InvalidArgument, fmt.Sprintf("invalid start position type: %T", pos))
	}
}
