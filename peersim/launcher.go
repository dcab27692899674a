package peersim

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Launcher is what the peer needs from a production-mode launcher: build
// and start chaincode, say which registrations come from processes it
// started, and stop them. *launcher.Runner implements it; New creates one
// when production mode is asked for without WithLauncher.
type Launcher interface {
	// Launch makes sure ccid runs from pkg. The peer waits for the
	// REGISTER itself (or dials Instance.Connection for
	// chaincode-as-a-service) and watches Instance.Process for an early
	// exit.
	Launch(ctx context.Context, ccid string, pkg *ccpackage.Package) (*launcher.Instance, error)
	// AuthorizeCert decides whether a REGISTER for ccid, presenting cert
	// (nil without TLS), comes from a process the launcher started.
	AuthorizeCert(ccid string, cert *x509.Certificate) error
	// Disconnected tells the launcher that ccid's stream has ended.
	Disconnected(ccid string)
	// Stop stops the process serving ccid.
	Stop(ctx context.Context, ccid string) error
	// List describes the running chaincode (pscc ListRunning).
	List() []launcher.Running
	// Builds describes the builds in progress and the last finished ones
	// (pscc ListBuilds).
	Builds() []launcher.BuildStatus
	// Closing says the peer is stopping, before it ends the chaincode
	// streams; StopAll follows.
	Closing()
	// StopAll stops every process; the peer calls it when it stops.
	StopAll(ctx context.Context) error
}

var _ Launcher = (*launcher.Runner)(nil)

// newRunner creates the production-mode launcher once the chaincode
// listener is bound (processes are told its real address).
func (p *Peer) newRunner(ccAddr net.Addr) (Launcher, error) {
	cfg := launcher.Config{
		DataDir:          p.cfg.DataDir,
		PeerAddress:      ccAddr.String(),
		MSPID:            p.org.MSPID(),
		TLS:              p.ccCA != nil,
		ExternalBuilders: launcher.BuildersFromDirs(p.cfg.ExternalBuilders),
		BuildTimeout:     p.cfg.ChaincodeBuildTimeout,
	}
	if p.ccCA != nil {
		cfg.CA = p.ccCA
	}
	r, err := launcher.New(cfg, p.log.With("component", "launcher"))
	if err != nil {
		return nil, fmt.Errorf("production-mode launcher: %w", err)
	}
	return r, nil
}

// launch has the launcher start name:version and returns what to watch
// while waiting for its registration: a channel closed if the process
// exits, and the exit's error. Chaincode-as-a-service is dialled here.
func (p *Peer) launch(ctx context.Context, name, version string) (exited <-chan struct{}, exitErr func() error, err error) {
	if p.launcher == nil {
		return nil, nil, ErrNeedLauncher
	}
	ccid := name + ":" + version
	pkg, err := p.store.Load(name, version)
	if err != nil {
		return nil, nil, err
	}
	inst, err := p.launcher.Launch(ctx, ccid, pkg)
	if err != nil {
		return nil, nil, err
	}
	if inst.Connection != nil {
		return p.dialChaincode(ctx, ccid, pkg.ID(), *inst.Connection)
	}
	if inst.Process != nil {
		return inst.Process.Done(), inst.Process.Err, nil
	}
	return nil, nil, nil
}

// dialChaincode connects to a chaincode server and serves the stream
// until it ends or the peer stops. The returned channel is closed when the
// stream ends, and its function then says why, so that a server that
// fails to register fails the launch at once instead of at the startup
// timeout.
func (p *Peer) dialChaincode(ctx context.Context, ccid, packageID string, c ccpackage.Connection) (ended <-chan struct{}, endErr func() error, err error) {
	conn, err := launcher.Dial(ctx, c)
	if err != nil {
		return nil, nil, fmt.Errorf("dial chaincode server %s: %w", c.Address, err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := peer.NewChaincodeClient(conn).Connect(sctx)
	if err != nil {
		cancel()
		conn.Close()
		return nil, nil, fmt.Errorf("connect to chaincode server %s: %w", c.Address, err)
	}
	done := make(chan struct{})
	var cause error
	ds := &dialedStream{Chaincode_ConnectClient: stream, ccid: ccid, packageID: packageID, address: c.Address}
	p.serving.Add(1)
	go func() {
		defer p.serving.Done()
		defer close(done)
		defer conn.Close()
		defer cancel()
		err := p.cc.ServeDialed(ds, chaincode.ConnInfo{Dialed: true})
		if err != nil {
			p.log.Info("chaincode server stream ended", "ccid", ccid, "address", c.Address, "error", err)
		}
		if !ds.passed.Load() {
			// It never registered, so the disconnect hook will not tell
			// the launcher that the address no longer serves ccid.
			p.launcher.Disconnected(ccid)
		}
		if err == nil {
			err = fmt.Errorf("chaincode server %s closed the stream", c.Address)
		}
		cause = err
	}()
	return done, func() error { <-done; return cause }, nil
}

// dialedStream is the stream to a chaincode server as the peer's handler
// sees it. A chaincode server registers with the package ID (Fabric's
// contract, and what shim.ChaincodeServer.CCID documents), while peersim
// routes by name:version: the REGISTER is renamed to the ccid the peer
// dialled for. A server registering as anything else is refused, as
// Fabric refuses a name it is not launching.
type dialedStream struct {
	peer.Chaincode_ConnectClient
	ccid, packageID, address string
	// passed is set once a REGISTER went on to the handler.
	passed atomic.Bool
}

// Recv receives a message through RecvMsg.
func (s *dialedStream) Recv() (*peer.ChaincodeMessage, error) {
	msg := &peer.ChaincodeMessage{}
	if err := s.RecvMsg(msg); err != nil {
		return nil, err
	}
	return msg, nil
}

// RecvMsg receives a message and renames the first REGISTER (see
// dialedStream). m is a *peer.ChaincodeMessage or, as the peer's handler
// passes, a message that keeps its raw bytes (Marshal and Unmarshal).
func (s *dialedStream) RecvMsg(m any) error {
	if err := s.Chaincode_ConnectClient.RecvMsg(m); err != nil || s.passed.Load() {
		return err
	}
	msg, ok := m.(*peer.ChaincodeMessage)
	raw, isRaw := m.(rawMessage)
	if isRaw {
		b, err := raw.Marshal()
		if err != nil {
			return nil // left for the handler to refuse
		}
		msg = &peer.ChaincodeMessage{}
		if proto.Unmarshal(b, msg) != nil {
			return nil // the handler refuses it and says why
		}
	} else if !ok {
		return nil
	}
	if msg.GetType() != peer.ChaincodeMessage_REGISTER {
		return nil
	}
	s.passed.Store(true)
	id := &peer.ChaincodeID{}
	if err := proto.Unmarshal(msg.GetPayload(), id); err != nil {
		return nil // the handler refuses it and says why
	}
	switch id.GetName() {
	case s.ccid:
		return nil
	case s.packageID:
	default:
		s.passed.Store(false)
		return fmt.Errorf("peer will not accept external chaincode connection %s: the chaincode server at %s was dialled for %s (package ID %s): set its CCID to the package ID",
			id.GetName(), s.address, s.ccid, s.packageID)
	}
	id.Name = s.ccid
	payload, err := proto.Marshal(id)
	if err == nil {
		msg.Payload = payload
		if isRaw {
			var b []byte
			if b, err = proto.Marshal(msg); err == nil {
				err = raw.Unmarshal(b)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("rename REGISTER of chaincode server %s: %w", s.address, err)
	}
	return nil
}

// rawMessage is a message that receives its wire bytes undecoded.
type rawMessage interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// exitCause words an early exit of a launched process as Fabric does.
func exitCause(err error) error {
	var ee *launcher.ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return fmt.Errorf("chaincode registration failed: container exited with %d", ee.Code)
	}
	return fmt.Errorf("chaincode registration failed: %w", err)
}
