package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
)

// endorsingPeer is a peer's Endorser service and the address that names it
// in errors.
type endorsingPeer struct {
	address  string
	endorser peer.EndorserClient
}

// WithEndorsers makes Submit (and so Instantiate, Upgrade, ApproveForMyOrg
// and CommitDefinition) send each proposal to the Endorser services of
// conns instead of the client's own peer, as Fabric's peer CLI does with
// several --peerAddresses: the same signed proposal goes to every one of
// them at once, every one must endorse it, their proposal response
// payloads must be identical (else the error wraps ErrPayloadMismatch),
// and the transaction carries all the endorsements. Include the client's
// own connection to have its peer endorse too. The transaction is still
// ordered through, and its commit awaited on, the client's own peer; and
// Evaluate (queries) stays on it. A peer is named in errors by its
// connection's target (a *grpc.ClientConn's is the address it dialled).
func WithEndorsers(conns ...grpc.ClientConnInterface) Option {
	return func(c *Client) error {
		if len(conns) == 0 {
			return errors.New("client option WithEndorsers: no connections: give at least one")
		}
		c.endorsers = make([]endorsingPeer, len(conns))
		for i, conn := range conns {
			if conn == nil {
				return fmt.Errorf("client option WithEndorsers: connection %d is nil", i)
			}
			address := fmt.Sprintf("endorser %d", i)
			if t, ok := conn.(interface{ Target() string }); ok && t.Target() != "" {
				address = t.Target()
			}
			c.endorsers[i] = endorsingPeer{address: address, endorser: peer.NewEndorserClient(conn)}
		}
		return nil
	}
}

// Endorsers returns the addresses of the peers that endorse Submit's
// proposals: WithEndorsers's, or else the client's own.
func (c *Client) Endorsers() []string {
	if len(c.endorsers) == 0 {
		return []string{c.address}
	}
	out := make([]string, len(c.endorsers))
	for i, e := range c.endorsers {
		out[i] = e.address
	}
	return out
}

// proposeForTx builds and signs a proposal for inv and has it endorsed by
// the peers that endorse transactions: the client's own, or every one of
// WithEndorsers's. It returns the responses in the order of the
// endorsers, all successful and with identical payloads.
func (c *Client) proposeForTx(ctx context.Context, inv Invocation) (*peer.Proposal, []*peer.ProposalResponse, string, error) {
	if len(c.endorsers) == 0 {
		prop, resp, txID, err := c.propose(ctx, inv)
		if err != nil {
			return nil, nil, "", err
		}
		return prop, []*peer.ProposalResponse{resp}, txID, nil
	}
	prop, sp, txID, err := c.signedProposal(inv)
	if err != nil {
		return nil, nil, "", err
	}
	resps, err := c.endorseOnAll(ctx, sp, txID)
	if err != nil {
		return nil, nil, "", err
	}
	return prop, resps, txID, nil
}

// endorseOnAll sends sp to every endorser in parallel. A peer's failure is
// its *EndorseError, wrapped with its address; when several fail, the
// error joins them all, in the endorsers' order.
func (c *Client) endorseOnAll(ctx context.Context, sp *peer.SignedProposal, txID string) ([]*peer.ProposalResponse, error) {
	resps := make([]*peer.ProposalResponse, len(c.endorsers))
	errs := make([]error, len(c.endorsers))
	var wg sync.WaitGroup
	for i, e := range c.endorsers {
		ectx := ctx
		if i > 0 {
			// The determinism verdict is the first endorser's: one
			// destination is written by one call.
			ectx = context.WithValue(ctx, verdictKey{}, (*string)(nil))
		}
		wg.Go(func() {
			resp, err := e.endorse(ectx, sp, txID)
			if err != nil {
				err = fmt.Errorf("endorsement by peer %s: %w", e.address, err)
			}
			resps[i], errs[i] = resp, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, r := range resps[1:] {
		if !bytes.Equal(r.GetPayload(), resps[0].GetPayload()) {
			return nil, fmt.Errorf("endorse transaction %s: %w: the response of peer %s differs from that of peer %s: they simulated different results (nondeterministic chaincode, or peers whose states or private data differ)",
				txID, ErrPayloadMismatch, c.endorsers[i+1].address, c.endorsers[0].address)
		}
	}
	return resps, nil
}
