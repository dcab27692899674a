package loadtest

import (
	"context"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// The floor's Gateway service does per call what a Gateway must with
// Fabric's security, on one organisation's peer: Evaluate and Endorse
// endorse the proposal as ProcessProposal does (a Gateway endorses on its
// own peer), Endorse also assembles the transaction the client signs,
// Submit verifies the client's signature on it and answers once it is in
// a block on disk, and CommitStatus verifies the client's signature on the
// request and reads it. The floor's commit status is VALID: what Submit
// answered was already on disk.

// Evaluate endorses the proposal and answers the chaincode's response.
func (f *Floor) Evaluate(ctx context.Context, req *gateway.EvaluateRequest) (*gateway.EvaluateResponse, error) {
	_, resp, err := f.endorseProposal(ctx, req.GetProposedTransaction())
	if err != nil {
		return nil, err
	}
	return &gateway.EvaluateResponse{Result: resp.GetResponse()}, nil
}

// Endorse endorses the proposal and answers the transaction to sign.
func (f *Floor) Endorse(ctx context.Context, req *gateway.EndorseRequest) (*gateway.EndorseResponse, error) {
	up, resp, err := f.endorseProposal(ctx, req.GetProposedTransaction())
	if err != nil {
		return nil, err
	}
	env, _, err := identity.NewTransaction(up.Proposal, resp)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &gateway.EndorseResponse{PreparedTransaction: env}, nil
}

// Submit verifies the signed transaction and answers once it is in a
// block on disk.
func (f *Floor) Submit(ctx context.Context, req *gateway.SubmitRequest) (*gateway.SubmitResponse, error) {
	env := req.GetPreparedTransaction()
	if !f.verify(env.GetPayload(), env.GetSignature()) {
		return nil, status.Error(codes.InvalidArgument, "floor: the transaction's signature does not verify")
	}
	if err := f.blocks.write(ctx, env.GetPayload(), env.GetSignature()); err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return &gateway.SubmitResponse{}, nil
}

// CommitStatus verifies the signed request and answers VALID.
func (f *Floor) CommitStatus(_ context.Context, req *gateway.SignedCommitStatusRequest) (*gateway.CommitStatusResponse, error) {
	if !f.verify(req.GetRequest(), req.GetSignature()) {
		return nil, status.Error(codes.InvalidArgument, "floor: the commit status request's signature does not verify")
	}
	var r gateway.CommitStatusRequest
	if err := proto.Unmarshal(req.GetRequest(), &r); err != nil || r.GetTransactionId() == "" {
		return nil, status.Errorf(codes.InvalidArgument, "floor: the commit status request names no transaction (%v)", err)
	}
	return &gateway.CommitStatusResponse{Result: peer.TxValidationCode_VALID}, nil
}
