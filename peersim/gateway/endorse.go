package gateway

import (
	"context"
	"fmt"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/codes"
)

// proposed checks that a signed proposal names a channel and a chaincode,
// as Fabric's Gateway does before it plans the endorsement.
func proposed(up *identity.UnpackedProposal) error {
	ch := up.ChannelID()
	switch {
	case ch == "":
		return fmt.Errorf("no channel id provided")
	case up.Spec == nil:
		return fmt.Errorf("no chaincode spec is provided, channel id [%s]", ch)
	case up.Spec.GetChaincodeId() == nil:
		return fmt.Errorf("no chaincode id is provided, channel id [%s]", ch)
	case up.Spec.GetChaincodeId().GetName() == "":
		return fmt.Errorf("no chaincode name is provided, channel id [%s]", ch)
	}
	return nil
}

// Evaluate runs the proposal on the peer's endorser and returns the
// chaincode's response, with the response payload the chaincode returned.
func (s *Server) Evaluate(ctx context.Context, req *gp.EvaluateRequest) (*gp.EvaluateResponse, error) {
	if req == nil {
		return nil, rpcError(codes.InvalidArgument, "an evaluate request is required")
	}
	sp := req.GetProposedTransaction()
	if len(sp.GetProposalBytes()) == 0 {
		return nil, rpcError(codes.InvalidArgument, "failed to unpack transaction proposal: a signed proposal is required")
	}
	up, err := identity.UnpackProposal(sp)
	if err == nil {
		err = proposed(up)
	}
	if err != nil {
		return nil, rpcError(codes.InvalidArgument, "failed to unpack transaction proposal: "+err.Error())
	}
	l, err := s.ledgerOf(up.ChannelID())
	if err != nil {
		return nil, rpcError(codes.Unavailable, err.Error())
	}
	cc := up.Spec.GetChaincodeId().GetName()
	if err := s.onlyOwnOrg(req.GetTargetOrganizations()); err != nil || !s.defined(l, cc) {
		return nil, rpcError(codes.FailedPrecondition, fmt.Sprintf("no peers available to evaluate chaincode %s in channel %s", cc, up.ChannelID()))
	}
	pr, err := s.cfg.Endorser.Process(ctx, sp)
	if code, msg, retry := endorserVerdict(pr, err); code != codes.OK {
		s.cfg.Log.Debug("evaluate failed", "txid", up.TxID(), "channel", up.ChannelID(), "error", msg)
		if retry { // and no other peer to retry on
			return nil, rpcError(code, "failed to evaluate transaction, see attached details for more info", s.detail(msg))
		}
		return nil, rpcError(code, "evaluate call to endorser returned error: "+msg, s.detail(msg))
	}
	resp := pr.GetResponse()
	if payload, err := result(pr); err == nil {
		resp.Payload = payload
	}
	return &gp.EvaluateResponse{Result: resp}, nil
}

// Endorse runs the proposal on the peer's endorser and returns the
// prepared, unsigned transaction.
func (s *Server) Endorse(ctx context.Context, req *gp.EndorseRequest) (*gp.EndorseResponse, error) {
	if req == nil {
		return nil, rpcError(codes.InvalidArgument, "an endorse request is required")
	}
	sp := req.GetProposedTransaction()
	if len(sp.GetProposalBytes()) == 0 {
		return nil, rpcError(codes.InvalidArgument, "the proposed transaction must contain a signed proposal")
	}
	up, err := identity.UnpackProposal(sp)
	if err == nil {
		err = proposed(up)
	}
	if err != nil {
		return nil, rpcError(codes.InvalidArgument, err.Error())
	}
	l, err := s.ledgerOf(up.ChannelID())
	if err != nil {
		return nil, rpcError(codes.FailedPrecondition, err.Error())
	}
	orgs := req.GetEndorsingOrganizations()
	if err := s.onlyOwnOrg(orgs); err != nil {
		return nil, rpcError(codes.Unavailable, err.Error())
	}
	if cc := up.Spec.GetChaincodeId().GetName(); !s.defined(l, cc) {
		return nil, rpcError(codes.FailedPrecondition, fmt.Sprintf("no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode %s in channel %s", cc, up.ChannelID()))
	}
	pr, err := s.cfg.Endorser.Process(ctx, sp)
	if code, msg, _ := endorserVerdict(pr, err); code != codes.OK {
		s.cfg.Log.Debug("endorse failed", "txid", up.TxID(), "channel", up.ChannelID(), "error", msg)
		if len(orgs) > 0 { // Fabric plans for the named organisations
			return nil, rpcError(codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info", s.detail(msg))
		}
		return nil, rpcError(codes.Aborted, "failed to endorse transaction, see attached details for more info", s.detail(msg))
	}
	env, _, err := identity.NewTransaction(up.Proposal, pr)
	if err != nil {
		return nil, rpcError(codes.Aborted, "failed to assemble transaction: "+err.Error())
	}
	return &gp.EndorseResponse{PreparedTransaction: env}, nil
}

// Submit orders the signed transaction and returns once the orderer has
// accepted it.
func (s *Server) Submit(ctx context.Context, req *gp.SubmitRequest) (*gp.SubmitResponse, error) {
	if req == nil {
		return nil, rpcError(codes.InvalidArgument, "a submit request is required")
	}
	env := req.GetPreparedTransaction()
	if env == nil {
		return nil, rpcError(codes.InvalidArgument, "a prepared transaction is required")
	}
	if len(env.GetSignature()) == 0 {
		return nil, rpcError(codes.InvalidArgument, "prepared transaction must be signed")
	}
	if _, err := s.ledgerOf(req.GetChannelId()); err != nil {
		return nil, rpcError(codes.FailedPrecondition, err.Error())
	}
	resp := s.cfg.Orderer.Submit(ctx, env)
	st := resp.GetStatus()
	if st == common.Status_SUCCESS {
		return &gp.SubmitResponse{}, nil
	}
	msg := fmt.Sprintf("received unsuccessful response from orderer: status=%s, info=%s", st, resp.GetInfo())
	s.cfg.Log.Info("submit refused by the orderer", "txid", req.GetTransactionId(), "channel", req.GetChannelId(), "status", st, "info", resp.GetInfo())
	if st >= 400 && st < 500 {
		return nil, rpcError(codes.Aborted, msg)
	}
	// Fabric's gateway details transport failures only; the status is
	// logged above.
	return nil, rpcError(codes.Unavailable, "no orderers could successfully process transaction")
}
