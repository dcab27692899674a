//go:build unix

package launcher

import (
	"context"
	"net"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	grpcpeer "google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"
)

// registerServer is a minimal chaincode listener: it answers a REGISTER
// the launcher authorises with REGISTERED and READY, anything else with
// ERROR, and reports each verdict.
type registerServer struct {
	peer.UnimplementedChaincodeSupportServer
	r        *Runner
	verdicts chan error
}

func (s *registerServer) Register(stream peer.ChaincodeSupport_RegisterServer) error {
	msg, err := stream.Recv()
	if err != nil {
		return err
	}
	var id peer.ChaincodeID
	if err := proto.Unmarshal(msg.Payload, &id); err != nil || msg.Type != peer.ChaincodeMessage_REGISTER {
		s.verdicts <- err
		return err
	}
	var hash []byte
	if p, ok := grpcpeer.FromContext(stream.Context()); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
			hash = info.State.PeerCertificates[0].Raw
		}
	}
	var verdict error
	if hash == nil {
		verdict = s.r.Authorize(id.Name, nil)
	} else {
		verdict = s.r.AuthorizeCert(id.Name, mustParse(hash))
	}
	s.verdicts <- verdict
	if verdict != nil {
		return stream.Send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Payload: []byte(verdict.Error())})
	}
	for _, typ := range []peer.ChaincodeMessage_Type{peer.ChaincodeMessage_REGISTERED, peer.ChaincodeMessage_READY} {
		if err := stream.Send(&peer.ChaincodeMessage{Type: typ}); err != nil {
			return err
		}
	}
	for {
		if _, err := stream.Recv(); err != nil {
			return nil
		}
	}
}

// TestAPackageOfThisModuleBuildsRunsAndRegistersOverMutualTLS packs a
// chaincode that lives inside the chaincodekit module (so the package
// carries the whole module and its go.mod), builds it with go build,
// launches it with TLS on, and checks that chaincodekit's shim registers
// with the per-launch client certificate and that the launcher accepts it.
func TestAPackageOfThisModuleBuildsRunsAndRegistersOverMutualTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the shim and its dependencies")
	}
	_, file, _, _ := runtime.Caller(0)
	// Pack takes the whole module, including whatever build output lies in
	// the working tree; a copy without large files keeps the test quick.
	module := copyModule(t, filepath.Join(filepath.Dir(file), "..", ".."))
	pkg := pack(t, filepath.Join(module, "peersim", "launcher", "testdata", "incc"), "incc_1", "")
	if pkg.Metadata.Path != "github.com/chaincodekit/chaincodekit/peersim/launcher/testdata/incc" {
		t.Fatalf("metadata path = %q", pkg.Metadata.Path)
	}

	ca := newRecordingCA(t)
	server, err := ca.IssueServer("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := ca.ServerTLSConfig(server)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(tlsCfg)))
	served := make(chan struct{})
	t.Cleanup(func() { srv.Stop(); <-served })

	sink := newLogSink()
	r := newRunner(t, sink, func(c *Config) {
		c.TLS, c.CA = true, ca
		c.PeerAddress = lis.Addr().String()
	})
	rs := &registerServer{r: r, verdicts: make(chan error, 4)}
	peer.RegisterChaincodeSupportServer(srv, rs)
	go func() { defer close(served); _ = srv.Serve(lis) }()

	inst, err := r.Launch(context.Background(), "incc:1", pkg)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case verdict := <-rs.verdicts:
		if verdict != nil {
			t.Fatalf("REGISTER refused: %v", verdict)
		}
	case <-inst.Process.Done():
		t.Fatalf("chaincode exited before registering: %v\n%s", inst.Process.Err(), sink.dump())
	}
	if inst.Build.Reused || inst.Build.Builder != builtinGolang {
		t.Errorf("build = %+v", inst.Build)
	}
	if err := inst.Process.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitDone(t, inst.Process)
}
