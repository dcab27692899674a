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
	"runtime/pprof"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
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
	// PayloadSize is the length of a real ProposalResponse's payload, so
	// the floor's answers are as large as the peer's.
	PayloadSize int `json:"payloadSize"`
	// Chaincode is the chaincode ID (name:version) the floor's chaincode
	// registers with; ValueSize is the length of the value its GET_STATE
	// calls are answered with.
	Chaincode string `json:"chaincode"`
	ValueSize int    `json:"valueSize"`
	// BlockFile is the file the floor appends its blocks to; BatchSize and
	// BatchTimeout cut them, as the peer's orderer does.
	BlockFile    string        `json:"blockFile"`
	BatchSize    int           `json:"batchSize"`
	BatchTimeout time.Duration `json:"batchTimeout"`
	// CPUProfile, when set, is the file the floor writes a CPU profile of
	// its whole life to.
	CPUProfile string `json:"cpuProfile,omitempty"`
}

// floorReady is the line a Floor prints once it serves.
var floorReady = regexp.MustCompile(`loadtest floor ready address=(\S+)`)

// Floor is the least any peer must spend on the load's operations with
// Fabric's security: a bare gRPC server of Endorser's ProcessProposal,
// AtomicBroadcast's Broadcast, ChaincodeSupport's Register and the Gateway
// service. Per proposal it verifies the client's P-256 signature, takes the
// proposal apart to learn what to run, runs it on the chaincode registered
// with it (TRANSACTION, an answer to each state call without any ledger
// behind it, COMPLETED) and signs a response of the peer's size. Per
// envelope it verifies the client's signature and answers once the
// envelope is in a block on disk (one write and one fsync per block). It
// simulates no ledger and validates, indexes and delivers nothing: the
// answer to Broadcast or Submit stands for the commit event.
type Floor struct {
	peer.UnimplementedEndorserServer
	orderer.UnimplementedAtomicBroadcastServer
	peer.UnimplementedChaincodeSupportServer
	gateway.UnimplementedGatewayServer

	client      *ecdsa.PublicKey
	endorse     func([]byte) (*peer.Endorsement, error)
	payloadSize int
	chaincode   *chaincodeLink
	blocks      *blockWriter

	sizeResults sync.Once
	results     []byte // filler that makes a response payload the peer's size
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
	blocks, err := newBlockWriter(cfg.BlockFile, cfg.BatchSize, cfg.BatchTimeout)
	if err != nil {
		return nil, err
	}
	return &Floor{
		client:      pub,
		endorse:     e.Endorse,
		payloadSize: cfg.PayloadSize,
		chaincode:   newChaincodeLink(cfg.Chaincode, cfg.ValueSize),
		blocks:      blocks,
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

// ProcessProposal verifies the proposal's signature, runs it on the
// chaincode and answers a signed response.
func (f *Floor) ProcessProposal(ctx context.Context, sp *peer.SignedProposal) (*peer.ProposalResponse, error) {
	_, resp, err := f.endorseProposal(ctx, sp)
	return resp, err
}

// endorseProposal is what every call with a proposal does: verify its
// signature, take it apart, run it on the chaincode and sign the response.
// Its error is a gRPC status.
func (f *Floor) endorseProposal(ctx context.Context, sp *peer.SignedProposal) (*identity.UnpackedProposal, *peer.ProposalResponse, error) {
	if !f.verify(sp.GetProposalBytes(), sp.GetSignature()) {
		return nil, nil, status.Error(codes.InvalidArgument, "floor: the proposal's signature does not verify")
	}
	up, err := identity.UnpackProposal(sp)
	if err != nil {
		return nil, nil, status.Error(codes.InvalidArgument, err.Error())
	}
	input, err := proto.Marshal(up.Input())
	if err != nil {
		return nil, nil, status.Error(codes.Internal, err.Error())
	}
	resp, err := f.chaincode.execute(ctx, up.ChannelID(), up.TxID(), input, sp)
	if err != nil {
		return nil, nil, status.Error(codes.Unavailable, err.Error())
	}
	payload, err := f.responsePayload(up, resp)
	if err != nil {
		return nil, nil, status.Error(codes.Internal, err.Error())
	}
	e, err := f.endorse(payload)
	if err != nil {
		return nil, nil, status.Error(codes.Internal, err.Error())
	}
	return up, &peer.ProposalResponse{Version: 1, Response: resp, Payload: payload, Endorsement: e}, nil
}

// responsePayload is a real ProposalResponsePayload (the proposal's hash,
// and a ChaincodeAction with the chaincode's response), which a Gateway
// client reads its result from, as large as the peer's: its results are
// filler of the length that makes up the difference.
func (f *Floor) responsePayload(up *identity.UnpackedProposal, resp *peer.Response) ([]byte, error) {
	marshal := func(results []byte) ([]byte, error) {
		ext, err := proto.Marshal(&peer.ChaincodeAction{Results: results, Response: resp, ChaincodeId: up.ChaincodeID})
		if err != nil {
			return nil, err
		}
		return proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: up.ProposalHash, Extension: ext})
	}
	f.sizeResults.Do(func() {
		if b, err := marshal(nil); err == nil {
			// Three bytes for the results field's tag and length.
			f.results = filler(max(0, f.payloadSize-len(b)-3))
		}
	})
	return marshal(f.results)
}

// Register serves the floor's chaincode.
func (f *Floor) Register(stream peer.ChaincodeSupport_RegisterServer) error {
	return f.chaincode.register(stream)
}

// Broadcast verifies each envelope's signature and answers SUCCESS once it
// is in a block on disk.
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
		} else if err := f.blocks.write(stream.Context(), env.GetPayload(), env.GetSignature()); err != nil {
			resp = &orderer.BroadcastResponse{Status: common.Status_SERVICE_UNAVAILABLE, Info: err.Error()}
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
	if cfg.CPUProfile != "" {
		out, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return true, fmt.Errorf("floor: %w", err)
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return true, fmt.Errorf("floor: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	// The peer's client port serves its calls on as many stream workers.
	srv := grpc.NewServer(grpc.NumStreamWorkers(64))
	peer.RegisterEndorserServer(srv, f)
	orderer.RegisterAtomicBroadcastServer(srv, f)
	peer.RegisterChaincodeSupportServer(srv, f)
	gateway.RegisterGatewayServer(srv, f)
	writing, stopWriting := context.WithCancel(context.Background())
	defer stopWriting()
	go f.blocks.run(writing)
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
