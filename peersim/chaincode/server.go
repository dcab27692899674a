package chaincode

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	grpcpeer "google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// MaxMessageSize is the largest chaincode message the peer sends or accepts
// (100 MiB, as Fabric's peer and shim).
const MaxMessageSize = 100 * 1024 * 1024

// ServerOptions are the gRPC server options for the listener chaincode
// processes dial: 100 MiB messages and Fabric's keepalive settings (server
// pings every 2 h with a 20 s timeout; clients may ping every minute).
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageSize),
		grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 2 * time.Hour, Timeout: 20 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Minute, PermitWithoutStream: true}),
	}
}

// DialOptions are the gRPC dial options for reaching a
// chaincode-as-a-service endpoint: 100 MiB messages and Fabric's client
// keepalive (ping every minute, 20 s timeout). Add transport credentials.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: time.Minute, Timeout: 20 * time.Second, PermitWithoutStream: true}),
	}
}

// ConnInfo describes a chaincode connection to the peer's Admission.
type ConnInfo struct {
	// Addr is the remote address, when known.
	Addr net.Addr
	// PeerCertificate is the remote end's TLS leaf certificate; nil without
	// TLS or without a client certificate.
	PeerCertificate *x509.Certificate
	// Dialed is true when the peer dialed the chaincode
	// (chaincode-as-a-service, ServeDialed).
	Dialed bool
}

// DialedAs is what the peer dialled a chaincode server for: the
// registration it expects on the stream it hands to ServeDialed.
type DialedAs struct {
	// CCID is the id the peer routes the chaincode by and registers the
	// connection as. Required.
	CCID string
	// PackageID is the ID of the installed package that named the server.
	// Fabric's chaincode servers register with it; such a REGISTER is
	// registered as CCID.
	PackageID string
	// Address is the server's address, for messages.
	Address string
}

// Admission decides whether a REGISTER is accepted. It is the peer's policy:
// in dev mode an installed "name:version", in production only processes the
// peer launched.
type Admission interface {
	// Admit returns nil to accept ccid. A refusal's text is sent to the
	// chaincode as the ERROR payload, so it should say why and how to fix it.
	Admit(ccid string, info ConnInfo) error
}

// AdmitFunc adapts a function to Admission.
type AdmitFunc func(ccid string, info ConnInfo) error

// Admit calls f.
func (f AdmitFunc) Admit(ccid string, info ConnInfo) error { return f(ccid, info) }

// Resolver tells the handler which connection serves a chaincode called by
// another chaincode (INVOKE_CHAINCODE).
type Resolver interface {
	// ResolveChaincode returns the ccid serving chaincode name on channelID
	// for the caller's signed proposal sp. The peer does here what Fabric
	// does before a chaincode-to-chaincode call: the ACL on the target
	// channel, the definition lookup and, if needed, the launch. sim is
	// the simulator the callee will run on (the caller's on the same
	// channel): Fabric 1.4 reads the callee's definition through it, so the
	// read set records it. The error text reaches the calling chaincode
	// after "execute failed: ".
	ResolveChaincode(ctx context.Context, channelID, name string, sp *peer.SignedProposal, sim TxSimulator) (ccid string, err error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, channelID, name string, sp *peer.SignedProposal, sim TxSimulator) (string, error)

// ResolveChaincode calls f.
func (f ResolverFunc) ResolveChaincode(ctx context.Context, channelID, name string, sp *peer.SignedProposal, sim TxSimulator) (string, error) {
	return f(ctx, channelID, name, sp, sim)
}

// Option configures a Server.
type Option func(*Server)

// WithAdmission sets the registration policy. Without it every non-empty
// name is accepted (Fabric's dev mode).
func WithAdmission(a Admission) Option { return func(s *Server) { s.admission = a } }

// WithResolver sets how chaincode-to-chaincode calls find their callee.
// Without it INVOKE_CHAINCODE fails.
func WithResolver(r Resolver) Option { return func(s *Server) { s.resolver = r } }

// WithSimulatorFactory sets where cross-channel chaincode-to-chaincode calls
// get their simulator. Without it such calls fail.
func WithSimulatorFactory(f SimulatorFactory) Option { return func(s *Server) { s.simulators = f } }

// WithDisconnectHook registers fn to be called, after deregistration, each
// time a registered chaincode's stream ends; cause says why (nil for a clean
// end of stream). fn runs on the stream's goroutine and should return
// quickly.
func WithDisconnectHook(fn func(ccid string, cause error)) Option {
	return func(s *Server) { s.onDisconnect = fn }
}

// WithPeerMSPID makes REGISTERED carry the peer's MSP ID, as a
// msp.SerializedIdentity with only Mspid set, so that a shim can answer
// GetMSPID for this connection without CORE_PEER_LOCALMSPID (this repo's
// shim does; Fabric's shim ignores REGISTERED's payload). Without it
// REGISTERED is empty, as a Fabric peer sends it.
func WithPeerMSPID(id string) Option {
	return WithPeerMSPIDOf(func(string) string { return id })
}

// WithPeerMSPIDOf is WithPeerMSPID with the MSP ID chosen for each
// registering ccid, for a peer whose chaincode processes run for different
// organisations; "" leaves that REGISTERED empty.
func WithPeerMSPIDOf(mspIDOf func(ccid string) string) Option {
	return func(s *Server) { s.peerMSPID = mspIDOf }
}

// Server is the peer side of the chaincode stream: the gRPC ChaincodeSupport
// service, the registry of connected chaincodes and Execute.
type Server struct {
	peer.UnimplementedChaincodeSupportServer

	cfg          Config
	log          *slog.Logger
	peerMSPID    func(ccid string) string // nil: REGISTERED is empty
	admission    Admission
	resolver     Resolver
	simulators   SimulatorFactory
	onDisconnect func(ccid string, cause error)
	tracer       Tracer // nil: no traces
	acceptLogs   bool   // WithChaincodeLogs
	registry     *registry
}

// NewServer validates cfg and returns a Server. logger may be nil.
func NewServer(cfg Config, logger *slog.Logger, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: logger, registry: newRegistry()}
	for _, opt := range opts {
		opt(s)
	}
	if s.admission == nil {
		s.admission = AdmitFunc(func(string, ConnInfo) error { return nil })
	}
	return s, nil
}

// Register serves a stream opened by a chaincode (protos.ChaincodeSupport/
// Register) until it ends. A refused registration ends with a gRPC status
// after the ERROR message.
func (s *Server) Register(stream peer.ChaincodeSupport_RegisterServer) error {
	info := ConnInfo{}
	if p, ok := grpcpeer.FromContext(stream.Context()); ok {
		info.Addr = p.Addr
		if tlsInfo, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(tlsInfo.State.PeerCertificates) > 0 {
			info.PeerCertificate = tlsInfo.State.PeerCertificates[0]
		}
	}
	if s.acceptLogs && s.tracer != nil {
		if err := stream.SendHeader(metadata.Pairs(LogHeader, "1")); err != nil {
			return toStatus(fmt.Errorf("%w: send the stream's header: %v", ErrStreamTerminated, err))
		}
	}
	_, err := s.serve(stream, info, nil)
	return toStatus(err)
}

// ServeDialed serves a stream the peer opened to a chaincode-as-a-service
// endpoint (protos.Chaincode/Connect) until it ends, then half-closes it.
// The chaincode sends REGISTER first, as in Register, naming as.CCID or
// as.PackageID; either way the connection registers as as.CCID. Any other
// name is refused with ERROR and ErrRegistrationRefused before the
// Admission is asked; the Admission sees ConnInfo.Dialed set.
//
// registered reports whether the chaincode became ready: then, and only
// then, the disconnect hook runs when the stream ends. The caller should
// cancel the context the stream was opened with once ServeDialed returns.
// A clean end of stream returns a nil error.
func (s *Server) ServeDialed(stream peer.Chaincode_ConnectClient, as DialedAs) (registered bool, err error) {
	defer func() { _ = stream.CloseSend() }() // the stream is over either way
	if as.CCID == "" {
		return false, fmt.Errorf("serve chaincode server %s (package ID %s): DialedAs.CCID is empty", as.Address, as.PackageID)
	}
	return s.serve(stream, ConnInfo{Dialed: true}, &as)
}

// WaitReady blocks until a chaincode registered as ccid is ready or ctx
// ends ("waiting for chaincode"). The returned channel is closed when that
// connection ends.
func (s *Server) WaitReady(ctx context.Context, ccid string) (<-chan struct{}, error) {
	h, err := s.registry.wait(ctx, ccid)
	if err != nil {
		return nil, fmt.Errorf("waiting for chaincode %s: %w", ccid, err)
	}
	return h.quit, nil
}

// Connected returns the ccids of the ready connections, sorted.
func (s *Server) Connected() []string { return s.registry.ids() }

// Stats is a snapshot of the chaincode streams' gauges, for metrics.
type Stats struct {
	// Connected is the number of registered, ready chaincodes.
	Connected int
	// InFlight is the number of requests in flight over all streams.
	InFlight int
	// Streams has one entry per live stream, sorted by CCID.
	Streams []StreamStats
}

// StreamStats are the gauges of one chaincode stream.
type StreamStats struct {
	// CCID is the id the stream registered (or is registering) as; empty
	// before REGISTER.
	CCID string
	// Ready is true once the handshake is done.
	Ready bool
	// InFlight is the number of the chaincode's requests received and not
	// yet answered on the stream (at most Config.MaxInFlight).
	InFlight int
	// Transactions is the number of transactions executing on the stream.
	Transactions int
}

// Stats returns the current gauges. It takes each stream's lock briefly and
// allocates one small slice, so it is cheap enough for every metrics scrape.
func (s *Server) Stats() Stats { return s.registry.stats() }

// Close refuses new streams and ends every live one; transactions running on
// them fail with ErrStreamTerminated. It does not wait for the streams'
// goroutines.
func (s *Server) Close() { s.registry.close() }

// serve runs a stream's handler until the stream ends; dialed is nil for a
// stream the chaincode opened. registered reports whether the chaincode
// became ready.
func (s *Server) serve(st stream, info ConnInfo, dialed *DialedAs) (registered bool, _ error) {
	h := newHandler(s, st, info, dialed)
	if err := s.registry.add(h); err != nil {
		return false, err
	}
	return h.serve()
}

// toStatus turns the reason a Register stream ended into its gRPC status.
func toStatus(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrDuplicate):
		return status.Error(codes.AlreadyExists, err.Error())
	case errors.Is(err, ErrRegistrationRefused):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, ErrEmptyName), errors.Is(err, ErrProtocol):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrTooManyRequests):
		return status.Error(codes.ResourceExhausted, err.Error())
	case errors.Is(err, ErrServerClosed):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unknown, err.Error())
}
