package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// Endorser runs proposals: the peer's endorser.
type Endorser interface {
	// Process returns the proposal response and, as Fabric's endorser
	// does, a non-nil error as well when the proposal itself was refused
	// before simulation (bad signature, access denied, duplicate txid).
	Process(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error)
}

// Orderer orders transaction envelopes and answers as Broadcast does; the
// embedded orderer's Server is one.
type Orderer interface {
	Submit(ctx context.Context, env *common.Envelope) *ab.BroadcastResponse
}

// Channels finds a channel's ledger.
type Channels interface {
	// Ledger returns the ledger of channel name.
	Ledger(name string) (*ledger.Ledger, error)
	// NotJoined completes "channel x not found" with what to do.
	NotJoined(name string) string
}

// Verifier checks a signed request's signature by the identity it names.
type Verifier interface {
	// Verify returns nil when creator, a serialized identity, signed msg
	// with sig.
	Verify(creator, msg, sig []byte) error
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(creator, msg, sig []byte) error

// Verify calls f.
func (f VerifierFunc) Verify(creator, msg, sig []byte) error { return f(creator, msg, sig) }

// Config is what a Server works with; every field but Peers, Addresses,
// Log and Stopping is required.
type Config struct {
	// Endorser is the endorser of the gateway's own organisation's peer
	// (MSPID), on which proposals are evaluated and first endorsed.
	Endorser Endorser
	// Peers is the endorser of each organisation's peer in this process,
	// by MSP ID, on which the gateway gathers the endorsements a policy
	// needs beyond its own organisation's; Peers[MSPID], when present, is
	// Endorser. Nil: the gateway's own organisation is the only one.
	Peers map[string]Endorser
	// Addresses is the address of each organisation's peer, by MSP ID, for
	// the ErrorDetail of a failed endorsement; Address stands in for
	// MSPID's when missing.
	Addresses map[string]string
	// Members returns the MSP IDs of the organisations of a channel, in
	// the channel configuration's order: those whose MAJORITY a
	// /Channel/Application/Endorsement reference needs, whether or not
	// they have a peer here. Nil: the organisations of Peers (and MSPID).
	// Used only when Peers is set.
	Members  func(channel string) ([]string, error)
	Orderer  Orderer
	Channels Channels
	Verifier Verifier
	// MSPID and Address name the peer in the ErrorDetail of a failed
	// endorsement, and Address the orderer in that of a failed submit.
	MSPID   string
	Address string
	// SystemChaincodes are the names that need no definition on the
	// channel (lscc, qscc, ...).
	SystemChaincodes []string
	// Stopping ends CommitStatus waits and ChaincodeEvents streams, with
	// gRPC status Unavailable, once closed.
	Stopping <-chan struct{}
	Log      *slog.Logger
}

// Server is the gateway.Gateway gRPC service.
type Server struct {
	gp.UnimplementedGatewayServer
	cfg Config
}

// New returns a Server.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg}
}

// rpcError is a gRPC status with Fabric's details, the one way this
// package's failures leave it.
func rpcError(code codes.Code, msg string, details ...*gp.ErrorDetail) error {
	st := status.New(code, msg)
	if len(details) == 0 {
		return st.Err()
	}
	ds := make([]protoadapt.MessageV1, 0, len(details))
	for _, d := range details {
		ds = append(ds, protoadapt.MessageV1Of(d))
	}
	if withDetails, err := st.WithDetails(ds...); err == nil {
		return withDetails.Err()
	}
	return st.Err()
}

// ledgerOf returns the ledger of channel, or an error with Fabric's words
// for a channel the gateway has no configuration for, and the hint.
func (s *Server) ledgerOf(channel string) (*ledger.Ledger, error) {
	l, err := s.cfg.Channels.Ledger(channel)
	if err != nil {
		return nil, fmt.Errorf("failed to get config for channel [%s]: channel %s not found: %s", channel, channel, s.cfg.Channels.NotJoined(channel))
	}
	return l, nil
}

// endorserVerdict classifies the endorser's answer as Fabric's Gateway
// does with a Fabric 2.5 peer: a transport failure is Unavailable and a
// proposal refused before simulation FailedPrecondition; status 500 (the
// peer's own failure, or the chaincode's shim.Error) is Aborted with its
// message and counts as worth another endorser (retry); any other status
// outside [200, 400) is the chaincode's answer (Unknown, "chaincode
// response STATUS, MESSAGE"). A 2.5 peer answers a 500 without a payload;
// this peer's endorser keeps Fabric 1.4's payload on it, which the
// classification does not look at.
func endorserVerdict(pr *peer.ProposalResponse, err error) (code codes.Code, msg string, retry bool) {
	if err != nil {
		if pr == nil {
			return codes.Unavailable, err.Error(), true
		}
		return codes.FailedPrecondition, err.Error(), false
	}
	switch st := pr.GetResponse().GetStatus(); {
	case st >= 200 && st < 400:
		return codes.OK, "", false
	case st == 500:
		return codes.Aborted, pr.GetResponse().GetMessage(), true
	default:
		return codes.Unknown, fmt.Sprintf("chaincode response %d, %s", st, pr.GetResponse().GetMessage()), false
	}
}

// defined says whether chaincode has a definition on l (or is a system
// chaincode), as Fabric's gateway asks discovery which peers have it.
func (s *Server) defined(l *ledger.Ledger, chaincode string) bool {
	if slices.Contains(s.cfg.SystemChaincodes, chaincode) {
		return true
	}
	ok, err := l.ChaincodeDefined(chaincode)
	return ok && err == nil
}

// result is the chaincode's response payload inside a proposal response.
func result(pr *peer.ProposalResponse) ([]byte, error) {
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(pr.GetPayload(), prp); err != nil {
		return nil, fmt.Errorf("failed to deserialize proposal response payload: %w", err)
	}
	act := &peer.ChaincodeAction{}
	if err := proto.Unmarshal(prp.GetExtension(), act); err != nil {
		return nil, fmt.Errorf("failed to deserialize chaincode action: %w", err)
	}
	return act.GetResponse().GetPayload(), nil
}
