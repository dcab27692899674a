package orderer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/chaincodekit/chaincodekit/internal/stopping"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
)

// Submitter queues a channel's transaction envelopes for ordering; a
// *Cutter is one.
type Submitter interface {
	// Submit returns once env is queued. Its error text reaches the client
	// as the info of a SERVICE_UNAVAILABLE response.
	Submit(ctx context.Context, env *common.Envelope) error
}

// Channels finds the Submitter of a channel.
type Channels interface {
	// Submitter returns the Submitter of channelID, or an error when the
	// peer has not joined channelID (or is closing its channels). The
	// error's text reaches the client after "channel <channelID> not
	// found: ", so it should say which channels there are and how to add
	// one.
	Submitter(channelID string) (Submitter, error)
}

// ChannelsFunc adapts a function to Channels.
type ChannelsFunc func(channelID string) (Submitter, error)

// Submitter calls f.
func (f ChannelsFunc) Submitter(channelID string) (Submitter, error) { return f(channelID) }

// Verifier checks the creator's signature of a transaction envelope.
type Verifier interface {
	// VerifyCreator returns nil when creator, a serialized identity the
	// peer's MSP knows, signed msg with sig. Its error text reaches the
	// client after "creator signature check failed: ".
	VerifyCreator(creator, msg, sig []byte) error
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(creator, msg, sig []byte) error

// VerifyCreator calls f.
func (f VerifierFunc) VerifyCreator(creator, msg, sig []byte) error { return f(creator, msg, sig) }

// DeliverFunc serves AtomicBroadcast's Deliver stream: the blocks of a
// channel from a seek position, then a status;
// (*deliver.Service).OrdererDeliver is one.
type DeliverFunc func(stream ab.AtomicBroadcast_DeliverServer) error

// Option configures a Server.
type Option func(*Server)

// WithStopping makes Broadcast streams end, with gRPC status Unavailable
// "peer is stopping", once stopping is closed. Without it a stream ends
// only when its client ends it.
func WithStopping(stopping <-chan struct{}) Option {
	return func(s *Server) { s.stopping = stopping }
}

// WithDeliver makes the server answer AtomicBroadcast's Deliver with
// deliver. Without it Deliver is Unimplemented.
func WithDeliver(deliver DeliverFunc) Option {
	return func(s *Server) { s.deliver = deliver }
}

// Server is the orderer.AtomicBroadcast gRPC service of the embedded
// orderer: each signed transaction envelope is checked and queued on its
// channel's Submitter; the outcome arrives through the peer's Deliver
// service. Its Deliver serves blocks through the DeliverFunc given with
// WithDeliver.
type Server struct {
	ab.UnimplementedAtomicBroadcastServer

	channels Channels
	verifier Verifier
	log      *slog.Logger
	stopping <-chan struct{} // nil: never
	deliver  DeliverFunc     // nil: Unimplemented
}

// NewServer returns a Server that finds channels with channels and checks
// creator signatures with verifier; both are required. logger may be nil.
func NewServer(channels Channels, verifier Verifier, logger *slog.Logger, opts ...Option) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{channels: channels, verifier: verifier, log: logger}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Broadcast answers each envelope with a BroadcastResponse, in order.
func (s *Server) Broadcast(stream ab.AtomicBroadcast_BroadcastServer) error {
	return stopping.Serve(stream.Context(), s.stopping, func(ctx context.Context) error {
		for {
			env, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := stream.Send(s.Submit(ctx, env)); err != nil {
				return err
			}
		}
	})
}

// Submit checks one envelope and queues it, answering as Broadcast does:
// the Gateway's Submit orders through it.
func (s *Server) Submit(ctx context.Context, env *common.Envelope) *ab.BroadcastResponse {
	return s.respond(s.submit(ctx, env))
}

// Deliver streams the blocks each seek envelope asks for, through the
// DeliverFunc given with WithDeliver; without one it is Unimplemented.
func (s *Server) Deliver(stream ab.AtomicBroadcast_DeliverServer) error {
	if s.deliver == nil {
		return s.UnimplementedAtomicBroadcastServer.Deliver(stream)
	}
	return s.deliver(stream)
}

// refusal is why an envelope was not queued: the status the client gets
// and the reason, which becomes the response's info.
type refusal struct {
	status common.Status
	err    error
}

func (r *refusal) Error() string { return fmt.Sprintf("%s: %v", r.status, r.err) }

func (r *refusal) Unwrap() error { return r.err }

func refuse(st common.Status, err error) error { return &refusal{status: st, err: err} }

// respond turns submit's outcome into the BroadcastResponse, logging a
// refusal once: the one place an error becomes a status.
func (s *Server) respond(err error) *ab.BroadcastResponse {
	if err == nil {
		return &ab.BroadcastResponse{Status: common.Status_SUCCESS}
	}
	st := common.Status_INTERNAL_SERVER_ERROR
	if r := (*refusal)(nil); errors.As(err, &r) {
		st, err = r.status, r.err
	}
	s.log.Info("broadcast refused", "status", st, "info", err.Error())
	return &ab.BroadcastResponse{Status: st, Info: err.Error()}
}

// submit checks env and queues it; a refusal says which status the client
// gets.
func (s *Server) submit(ctx context.Context, env *common.Envelope) error {
	pl, chdr, shdr, err := identity.OpenEnvelope(env)
	if err != nil {
		return refuse(common.Status_BAD_REQUEST, err)
	}
	if chdr.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
		return refuse(common.Status_BAD_REQUEST, fmt.Errorf("envelope header type %s: the embedded orderer accepts ENDORSER_TRANSACTION only", common.HeaderType(chdr.GetType())))
	}
	if len(pl.GetData()) == 0 {
		return refuse(common.Status_BAD_REQUEST, errors.New("envelope payload carries no transaction"))
	}
	sub, err := s.channels.Submitter(chdr.GetChannelId())
	if err != nil {
		return refuse(common.Status_NOT_FOUND, fmt.Errorf("channel %s not found: %w", chdr.GetChannelId(), err))
	}
	if err := s.verifier.VerifyCreator(shdr.GetCreator(), env.GetPayload(), env.GetSignature()); err != nil {
		return refuse(common.Status_FORBIDDEN, fmt.Errorf("transaction %s: creator signature check failed: %w", chdr.GetTxId(), err))
	}
	if err := sub.Submit(ctx, env); err != nil {
		return refuse(common.Status_SERVICE_UNAVAILABLE, fmt.Errorf("transaction %s: %w", chdr.GetTxId(), err))
	}
	return nil
}
