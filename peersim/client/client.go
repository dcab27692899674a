package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
)

// Signer is the client identity: it builds and signs proposals and signs
// transactions and deliver requests. *identity.SigningIdentity is one.
type Signer interface {
	// NewProposal builds the unsigned proposal for inv and returns it with
	// its transaction ID.
	NewProposal(inv Invocation) (*peer.Proposal, string, error)
	// Sign signs a message (SHA-256, ECDSA, low-S DER for an X.509 identity).
	Sign(msg []byte) ([]byte, error)
	// Serialize returns the marshalled msp.SerializedIdentity that proposals
	// and transactions carry as their creator.
	Serialize() []byte
}

// Client sends proposals and transactions to one peer over an existing gRPC
// connection. It is safe for concurrent use; it never closes the connection.
type Client struct {
	endorser    peer.EndorserClient
	broadcaster orderer.AtomicBroadcastClient
	deliverer   peer.DeliverClient
	signer      Signer
	address     string
	tlsCertHash []byte
	// endorsers endorse Submit's proposals instead of the client's peer
	// when set (WithEndorsers).
	endorsers []endorsingPeer
}

// Option configures a Client.
type Option func(*Client) error

// WithAddress names the peer in error messages; the default is the
// connection's target.
func WithAddress(address string) Option {
	return func(c *Client) error {
		if address == "" {
			return errors.New("client option WithAddress: address is empty")
		}
		c.address = address
		return nil
	}
}

// WithTLSCertHash binds deliver requests to the client's TLS certificate
// (SHA-256 of its DER), as a peer with mutual TLS requires.
func WithTLSCertHash(hash []byte) Option {
	return func(c *Client) error {
		c.tlsCertHash = append([]byte(nil), hash...)
		return nil
	}
}

// New returns a client that uses conn for the Endorser, AtomicBroadcast and
// Deliver services and signs with signer.
func New(conn grpc.ClientConnInterface, signer Signer, opts ...Option) (*Client, error) {
	if conn == nil {
		return nil, errors.New("new client: the gRPC connection is nil")
	}
	if signer == nil {
		return nil, errors.New("new client: the signer is nil")
	}
	c := &Client{
		endorser:    peer.NewEndorserClient(conn),
		broadcaster: orderer.NewAtomicBroadcastClient(conn),
		deliverer:   peer.NewDeliverClient(conn),
		signer:      signer,
	}
	if t, ok := conn.(interface{ Target() string }); ok {
		c.address = t.Target()
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Address returns the peer address the client names in its errors.
func (c *Client) Address() string {
	return c.address
}

// transportError wraps a failed gRPC call; when the caller's context ended,
// the context's error is what the caller gets, so errors.Is works with
// context.Canceled and context.DeadlineExceeded.
func (c *Client) transportError(ctx context.Context, op string, err error) error {
	return transportErrorAt(ctx, c.address, op, err)
}

// transportErrorAt is transportError for the peer at address.
func transportErrorAt(ctx context.Context, address, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s at peer %s: %w", op, address, context.Cause(ctx))
	}
	return &TransportError{Address: address, Op: op, Err: err}
}

func (c *Client) sign(prop *peer.Proposal) (*peer.SignedProposal, error) {
	b, err := marshal(prop)
	if err != nil {
		return nil, fmt.Errorf("marshal proposal: %w", err)
	}
	sig, err := c.signer.Sign(b)
	if err != nil {
		return nil, fmt.Errorf("sign proposal: %w", err)
	}
	return &peer.SignedProposal{ProposalBytes: b, Signature: sig}, nil
}
