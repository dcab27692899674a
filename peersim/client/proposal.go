package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/peersim/determinism"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// Invocation describes a chaincode call for Evaluate and Submit, from which
// a Signer builds the proposal. It is identity.Invocation, the type
// *identity.SigningIdentity builds proposals from: an alias, so that callers
// of this package name the calls they make without importing
// peersim/identity, and existing identity.Invocation values still work.
type Invocation = identity.Invocation

// Endorse sends a signed proposal to the peer's Endorser service. It returns
// the proposal response when the peer endorsed it (response status in
// [200, 400), as Fabric's clients require); otherwise an *EndorseError with
// the peer's status and message, or wrapping a *TransportError when the call
// failed.
func (c *Client) Endorse(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
	if sp == nil {
		return nil, errors.New("endorse: the signed proposal is nil")
	}
	return c.endorse(ctx, sp, proposalTxID(sp))
}

func (c *Client) endorse(ctx context.Context, sp *peer.SignedProposal, txID string) (*peer.ProposalResponse, error) {
	return endorsingPeer{address: c.address, endorser: c.endorser}.endorse(ctx, sp, txID)
}

func (e endorsingPeer) endorse(ctx context.Context, sp *peer.SignedProposal, txID string) (*peer.ProposalResponse, error) {
	var opts []grpc.CallOption
	var header metadata.MD
	verdict, _ := ctx.Value(verdictKey{}).(*string)
	if verdict != nil {
		opts = append(opts, grpc.Header(&header))
	}
	resp, err := e.endorser.ProcessProposal(ctx, sp, opts...)
	if v := header.Get(determinism.VerdictHeader); verdict != nil && len(v) > 0 {
		*verdict = v[0]
	}
	if err != nil {
		return nil, &EndorseError{TxID: txID, Address: e.address, Err: transportErrorAt(ctx, e.address, "endorse", err)}
	}
	if resp.GetResponse() == nil {
		return nil, &EndorseError{TxID: txID, Address: e.address, Message: "the peer returned a proposal response without a response"}
	}
	if st := resp.GetResponse().GetStatus(); st < 200 || st >= 400 {
		return nil, &EndorseError{TxID: txID, Address: e.address, Status: st, Message: resp.GetResponse().GetMessage()}
	}
	return resp, nil
}

// Evaluate proposes inv (a query) and returns the chaincode's response
// payload; nothing is ordered or committed.
func (c *Client) Evaluate(ctx context.Context, inv Invocation) ([]byte, error) {
	_, resp, _, err := c.propose(ctx, inv)
	if err != nil {
		return nil, err
	}
	return resp.GetResponse().GetPayload(), nil
}

// propose builds, signs and endorses a proposal for inv on the client's
// peer.
func (c *Client) propose(ctx context.Context, inv Invocation) (*peer.Proposal, *peer.ProposalResponse, string, error) {
	prop, sp, txID, err := c.signedProposal(inv)
	if err != nil {
		return nil, nil, "", err
	}
	resp, err := c.endorse(ctx, sp, txID)
	if err != nil {
		return nil, nil, "", err
	}
	return prop, resp, txID, nil
}

// signedProposal builds and signs a proposal for inv.
func (c *Client) signedProposal(inv Invocation) (*peer.Proposal, *peer.SignedProposal, string, error) {
	prop, txID, err := c.signer.NewProposal(inv)
	if err != nil {
		return nil, nil, "", fmt.Errorf("build proposal for chaincode %q on channel %q: %w", inv.Chaincode, inv.ChannelID, err)
	}
	sp, err := c.sign(prop)
	if err != nil {
		return nil, nil, "", err
	}
	return prop, sp, txID, nil
}

// proposalTxID reads the txid from a signed proposal, or returns "" when it
// cannot be read (the peer will say why).
func proposalTxID(sp *peer.SignedProposal) string {
	prop := &peer.Proposal{}
	if proto.Unmarshal(sp.GetProposalBytes(), prop) != nil {
		return ""
	}
	hdr := &common.Header{}
	if proto.Unmarshal(prop.GetHeader(), hdr) != nil {
		return ""
	}
	ch := &common.ChannelHeader{}
	if proto.Unmarshal(hdr.GetChannelHeader(), ch) != nil {
		return ""
	}
	return ch.GetTxId()
}

func marshal(m proto.Message) ([]byte, error) {
	return proto.Marshal(m)
}

// CheckDeterminism returns ctx asking the peer to simulate each proposal
// sent with it twice and to refuse, with a field-by-field diff, one whose
// two results differ (a peersim extension: the request travels as gRPC
// metadata beside the signed proposal, which is unchanged). A Fabric peer
// ignores it.
func CheckDeterminism(ctx context.Context) context.Context { return determinism.Request(ctx) }

// verdictKey is the context key of WithDeterminismVerdict's destination.
type verdictKey struct{}

// WithDeterminismVerdict returns ctx with which the client stores in
// *verdict what the peer said of the determinism check of a proposal it
// endorsed (determinism.VerdictAgree or VerdictInconclusive). An answer
// without a verdict (the peer did not check, refused the proposal, or is
// a Fabric peer) leaves *verdict as it was, so that the lookups a Submit
// makes after its proposal keep the proposal's verdict. Use one ctx for
// one call at a time.
func WithDeterminismVerdict(ctx context.Context, verdict *string) context.Context {
	return context.WithValue(ctx, verdictKey{}, verdict)
}

// The determinism check's verdicts that WithDeterminismVerdict reads: the
// two simulations agreed, or a block committed between them so that they
// prove nothing (the first was endorsed).
const (
	VerdictAgree        = determinism.VerdictAgree
	VerdictInconclusive = determinism.VerdictInconclusive
)
