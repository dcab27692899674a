package loadtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chaincodekit/chaincodekit/peersim"
)

// FloorEnv is the environment variable that makes a test binary serve a
// Floor instead of running tests: its value is the FloorConfig as JSON. A
// TestMain calls ServeFloorFromEnv first.
const FloorEnv = "LOADTEST_FLOOR"

// FloorConfig is what a Floor verifies and answers.
type FloorConfig struct {
	// DataDir is a peer's data directory; the identities come from it.
	DataDir string `json:"dataDir"`
	// Client is the identity whose signatures the floor verifies (its
	// public key is read once: the floor parses no certificate per call).
	Client string `json:"client"`
	// Endorser is the identity the floor signs responses with.
	Endorser string `json:"endorser"`
	// PayloadSize and ResponsePayloadSize are the lengths of a real
	// ProposalResponse's payload and of its Response's payload, so the
	// floor's answers are as large as the peer's.
	PayloadSize         int `json:"payloadSize"`
	ResponsePayloadSize int `json:"responsePayloadSize"`
}

// floorReady is the line a Floor prints once it serves.
var floorReady = regexp.MustCompile(`loadtest floor ready address=(\S+)`)

// Floor is the least any peer must spend on the load's operations with
// Fabric's security: a bare gRPC server of Endorser's ProcessProposal and
// AtomicBroadcast's Broadcast that, per proposal, verifies the client's
// P-256 signature and signs a response of the peer's size, and per
// envelope verifies the client's signature. It simulates, validates,
// stores and delivers nothing.
type Floor struct {
	peer.UnimplementedEndorserServer
	orderer.UnimplementedAtomicBroadcastServer

	client   *ecdsa.PublicKey
	endorse  func([]byte) (*peer.Endorsement, error)
	payload  []byte
	response []byte
}

// NewFloor loads cfg's identities from its data directory.
func NewFloor(cfg FloorConfig) (*Floor, error) {
	c, err := peersim.LoadIdentity(cfg.DataDir, cfg.Client)
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	pub, ok := c.Certificate().PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("floor: the key of %s is %T, want ECDSA", cfg.Client, c.Certificate().PublicKey)
	}
	e, err := peersim.LoadIdentity(cfg.DataDir, cfg.Endorser)
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	return &Floor{
		client:   pub,
		endorse:  e.Endorse,
		payload:  filler(cfg.PayloadSize),
		response: filler(cfg.ResponsePayloadSize),
	}, nil
}

func filler(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func (f *Floor) verify(msg, sig []byte) bool {
	digest := sha256.Sum256(msg)
	return ecdsa.VerifyASN1(f.client, digest[:], sig)
}

// ProcessProposal verifies the proposal's signature and answers a signed
// response.
func (f *Floor) ProcessProposal(_ context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
	if !f.verify(sp.GetProposalBytes(), sp.GetSignature()) {
		return nil, status.Error(codes.InvalidArgument, "floor: the proposal's signature does not verify")
	}
	e, err := f.endorse(f.payload)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &peer.ProposalResponse{
		Version:     1,
		Response:    &peer.Response{Status: 200, Payload: f.response},
		Payload:     f.payload,
		Endorsement: e,
	}, nil
}

// Broadcast verifies each envelope's signature and answers SUCCESS.
func (f *Floor) Broadcast(stream orderer.AtomicBroadcast_BroadcastServer) error {
	for {
		env, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		resp := &orderer.BroadcastResponse{Status: common.Status_SUCCESS}
		if !f.verify(env.GetPayload(), env.GetSignature()) {
			resp = &orderer.BroadcastResponse{Status: common.Status_BAD_REQUEST, Info: "floor: the envelope's signature does not verify"}
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// ServeFloorFromEnv serves a Floor when FloorEnv is set and reports true
// once ctx ends and the server stopped; it returns false at once when
// FloorEnv is unset. It prints the ready line to out.
func ServeFloorFromEnv(ctx context.Context, out io.Writer) (bool, error) {
	v, ok := os.LookupEnv(FloorEnv)
	if !ok {
		return false, nil
	}
	var cfg FloorConfig
	if err := json.Unmarshal([]byte(v), &cfg); err != nil {
		return true, fmt.Errorf("floor: %s=%q is not a FloorConfig in JSON: %w", FloorEnv, v, err)
	}
	f, err := NewFloor(cfg)
	if err != nil {
		return true, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return true, fmt.Errorf("floor: %w", err)
	}
	srv := grpc.NewServer()
	peer.RegisterEndorserServer(srv, f)
	orderer.RegisterAtomicBroadcastServer(srv, f)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	fmt.Fprintf(out, "loadtest floor ready address=%s\n", lis.Addr())
	select {
	case <-ctx.Done():
		srv.Stop()
		<-served
		return true, nil
	case err := <-served:
		return true, fmt.Errorf("floor: serve: %w", err)
	}
}

// StartFloor starts a Floor with cfg in a child process: binary (a test
// binary whose TestMain calls ServeFloorFromEnv) run with FloorEnv set and
// no test selected. It returns the process and the address it serves; its
// output goes to logDir/floor-<name>.log.
func StartFloor(ctx context.Context, binary, name, logDir string, cfg FloorConfig) (*Process, string, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("start floor %s: %w", name, err)
	}
	cmd := exec.Command(binary, "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(CleanEnv(), FloorEnv+"="+string(b))
	p, m, err := Start(ctx, "floor "+name, cmd, filepath.Join(logDir, "floor-"+name+".log"), floorReady)
	if err != nil {
		return nil, "", err
	}
	return p, m[1], nil
}
