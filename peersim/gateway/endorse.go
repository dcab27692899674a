package gateway

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
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

// Evaluate runs the proposal on one peer and returns the chaincode's
// response, with the response payload the chaincode returned. As in
// Fabric, the peer is the gateway's own organisation's unless
// TargetOrganizations names others; on a failure worth a retry the next
// peer is tried: the target organisations' in order, without targets the
// other organisations' in this process (not when the proposal carries
// transient data, which stays with the gateway's organisation). Only the
// channel's organisations are tried.
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
	onChannel, err := s.channelPeers(up.ChannelID())
	if err != nil {
		return nil, rpcError(codes.FailedPrecondition, err.Error())
	}
	candidates := s.evaluators(req.GetTargetOrganizations(), len(up.TransientMap) > 0, onChannel)
	if len(candidates) == 0 || !s.defined(l, cc) {
		return nil, rpcError(codes.FailedPrecondition, fmt.Sprintf("no peers available to evaluate chaincode %s in channel %s", cc, up.ChannelID()))
	}
	var (
		details []*gp.ErrorDetail
		last    codes.Code
	)
	for _, org := range candidates {
		e, _ := s.peerOf(org)
		pr, err := e.Process(ctx, sp)
		code, msg, retry := endorserVerdict(pr, err)
		if code == codes.OK {
			resp := pr.GetResponse()
			if payload, err := result(pr); err == nil {
				resp.Payload = payload
			}
			return &gp.EvaluateResponse{Result: resp}, nil
		}
		s.cfg.Log.Debug("evaluate failed", "txid", up.TxID(), "channel", up.ChannelID(), "mspid", org, "error", msg)
		details = append(details, s.detailOf(org, msg))
		if !retry {
			return nil, rpcError(code, "evaluate call to endorser returned error: "+msg, details...)
		}
		if ctx.Err() != nil {
			return nil, rpcError(codes.DeadlineExceeded, "evaluate timeout expired")
		}
		last = code
	}
	return nil, rpcError(last, "failed to evaluate transaction, see attached details for more info", details...)
}

// evaluators returns the organisations whose peers may evaluate, in the
// order to try them: the target organisations among onChannel (the
// channel's organisations with a peer here), the gateway's own first;
// without targets the gateway's own organisation, then (without transient
// data) the other organisations of onChannel in MSP ID order.
func (s *Server) evaluators(targets []string, transient bool, onChannel []string) []string {
	if len(targets) == 0 {
		targets = []string{s.cfg.MSPID}
		if !transient {
			targets = append(targets, slices.Sorted(maps.Keys(s.cfg.Peers))...)
		}
	}
	var out []string
	for _, o := range s.localFirst(targets) {
		if slices.Contains(onChannel, o) {
			out = append(out, o)
		}
	}
	return out
}

// Endorse gathers the endorsements the proposal needs and returns the
// prepared, unsigned transaction, as Fabric's Gateway does. With
// EndorsingOrganizations it endorses on the peers of exactly those
// organisations, in parallel; each must be on the channel. Without, it
// endorses on the gateway's own organisation's peer first, plans from the
// chaincode's endorsement policy and the ChaincodeInterest of that first
// response (collections written, key-level policies) over the channel's
// organisations that have a peer here (identity.EndorsementLayouts), and
// endorses on the other organisations of the first layout that can be
// completed. A collection the
// chaincode read, or any collection touched when the proposal carries
// transient data, is endorsed by its member organisations only. Every
// response payload must equal the first.
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
	if len(orgs) > 0 {
		onChannel, err := s.channelPeers(up.ChannelID())
		if err == nil {
			err = withoutPeers(orgs, onChannel)
		}
		if err != nil {
			return nil, rpcError(codes.Unavailable, err.Error())
		}
	}
	cc := up.Spec.GetChaincodeId().GetName()
	if !s.defined(l, cc) {
		return nil, rpcError(codes.FailedPrecondition, fmt.Sprintf("no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode %s in channel %s", cc, up.ChannelID()))
	}
	var prs []*peer.ProposalResponse
	if len(orgs) > 0 {
		prs, err = s.endorseForOrgs(ctx, sp, orgs)
	} else {
		prs, err = s.endorseByPolicy(ctx, up, l)
	}
	if err != nil {
		s.cfg.Log.Debug("endorse failed", "txid", up.TxID(), "channel", up.ChannelID(), "error", err)
		return nil, err
	}
	env, _, err := identity.NewTransaction(up.Proposal, prs...)
	if err != nil {
		return nil, rpcError(codes.Aborted, "failed to assemble transaction: "+err.Error())
	}
	return &gp.EndorseResponse{PreparedTransaction: env}, nil
}

// endorseForOrgs endorses on the peers of orgs, the client's choice.
func (s *Server) endorseForOrgs(ctx context.Context, sp *peer.SignedProposal, orgs []string) ([]*peer.ProposalResponse, error) {
	orgs = s.localFirst(orgs)
	return s.newCollection().complete(ctx, sp, [][]string{orgs})
}

// endorseByPolicy endorses on the gateway's own organisation's peer, then
// on the peers the plan needs besides. A first endorsement that fails
// once the context is done is Fabric's timeout, not the endorser's
// failure.
func (s *Server) endorseByPolicy(ctx context.Context, up *identity.UnpackedProposal, l *ledger.Ledger) ([]*peer.ProposalResponse, error) {
	c := s.newCollection()
	if !c.add(s.endorseOn(ctx, up.SignedProposal, []string{s.cfg.MSPID})[0]) {
		if ctx.Err() != nil {
			return nil, rpcError(codes.DeadlineExceeded, "endorsement timeout expired while collecting first endorsement")
		}
		return nil, rpcError(codes.Aborted, "failed to endorse transaction, see attached details for more info", c.details...)
	}
	first := c.endorsed[s.cfg.MSPID]
	if s.cfg.Peers == nil { // the gateway's organisation is the only one
		return []*peer.ProposalResponse{first}, nil
	}
	members, err := s.members(up.ChannelID())
	if err != nil {
		return nil, rpcError(codes.FailedPrecondition, "no combination of peers can be derived which satisfy the endorsement policy: "+err.Error())
	}
	const noPlan = "no combination of peers can be derived which satisfy the endorsement policy: "
	n, err := s.needsOf(l, up.Spec.GetChaincodeId().GetName(), members, first.GetInterest(), len(up.TransientMap) > 0)
	if err != nil {
		return nil, rpcError(codes.FailedPrecondition, noPlan+err.Error())
	}
	orgs := s.plannable(members)
	layouts, err := identity.EndorsementLayouts(among(orgs, n.trusted), s.cfg.MSPID, n.policies...)
	if err != nil {
		if len(n.protected) > 0 {
			if _, err := identity.EndorsementLayouts(among(orgs, n.readers), s.cfg.MSPID, n.policies...); err == nil {
				return nil, rpcError(codes.FailedPrecondition, fmt.Sprintf("requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): %v; retry specifying trusted endorsing organizations to protect transient data", n.protected))
			}
		}
		return nil, rpcError(codes.FailedPrecondition, noPlan+err.Error())
	}
	return c.complete(ctx, up.SignedProposal, layouts)
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
