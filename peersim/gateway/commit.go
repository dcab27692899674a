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
	switch {
	case req.GetIdentity() == nil:
		return nil, rpcError(codes.InvalidArgument, "no identity provided")
	case req.GetChannelId() == "":
		return nil, rpcError(codes.InvalidArgument, "no channel ID provided")
	case req.GetTransactionId() == "":
		return nil, rpcError(codes.InvalidArgument, "transaction ID should not be empty")
	}
	if err := s.cfg.Verifier.Verify(req.GetIdentity(), signed.GetRequest(), signed.GetSignature()); err != nil {
		return nil, rpcError(codes.PermissionDenied, fmt.Sprintf("commit status request for transaction %s: %v", req.GetTransactionId(), err))
	}
	l, err := s.ledgerOf(req.GetChannelId())
	if err != nil {
		return nil, rpcError(codes.Aborted, err.Error())
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

// waitForCommit returns where txID committed, waiting for the blocks that
// follow until it appears.
func waitForCommit(ctx context.Context, l *ledger.Ledger, txID string) (ledger.TxLocation, error) {
	sub := l.Subscribe(l.Height()) // before the look-up, so no commit in between is missed
	for {
		loc, err := l.TxStatus(txID)
		if err == nil {
			return loc, nil
		}
		if !errors.Is(err, ledger.ErrTxNotFound) {
			return ledger.TxLocation{}, err
		}
		if _, err := sub.Next(ctx); err != nil {
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
	if err := s.cfg.Verifier.Verify(req.GetIdentity(), signed.GetRequest(), signed.GetSignature()); err != nil {
		return rpcError(codes.PermissionDenied, fmt.Sprintf("chaincode events request for %s on %s: %v", req.GetChaincodeId(), req.GetChannelId(), err))
	}
	l, err := s.cfg.Channels.Ledger(req.GetChannelId())
	if err != nil {
		return rpcError(codes.NotFound, fmt.Sprintf("channel %s not found: %s", req.GetChannelId(), s.cfg.Channels.NotJoined(req.GetChannelId())))
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
			resp := &gp.ChaincodeEventsResponse{BlockNumber: cb.Block.GetHeader().GetNumber()}
			for _, tx := range cb.Txs {
				if after != nil && !after(tx) {
					continue
				}
				if tx.Code == peer.TxValidationCode_VALID && matches(tx.Event, req.GetChaincodeId()) {
					resp.Events = append(resp.Events, tx.Event)
				}
			}
			after = nil // only the start block holds transactions to skip
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
// after a transaction the ledger has, a filter passing only the start
// block's transactions after it.
func startOf(l *ledger.Ledger, req *gp.ChaincodeEventsRequest) (uint64, func(ledger.TxResult) bool, error) {
	if id := req.GetAfterTransactionId(); id != "" {
		if loc, err := l.TxStatus(id); err == nil {
			return loc.BlockNum, func(tx ledger.TxResult) bool { return uint64(tx.Index) > loc.TxNum }, nil
		}
	}
	switch pos := req.GetStartPosition().GetType().(type) {
	case nil, *ab.SeekPosition_NextCommit:
		return l.Height(), nil, nil
	case *ab.SeekPosition_Specified:
		return pos.Specified.GetNumber(), nil, nil
	default:
		return 0, nil, rpcError(codes.InvalidArgument, fmt.Sprintf("invalid start position type: %T", pos))
	}
}
