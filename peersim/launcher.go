package peersim

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
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
	p.serving.Add(1)
	go func() {
		defer p.serving.Done()
		defer close(done)
		defer conn.Close()
		defer cancel()
		// The server registers with the package ID, as Fabric's do, or
		// with the ccid; p.cc registers the stream as ccid either way.
		registered, err := p.cc.ServeDialed(stream, chaincode.DialedAs{CCID: ccid, PackageID: packageID, Address: c.Address})
		if err != nil {
			p.log.Info("chaincode server stream ended", "ccid", ccid, "address", c.Address, "error", err)
		}
		if !registered {
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

// exitCause words an early exit of a launched process as Fabric does.
func exitCause(err error) error {
	var ee *launcher.ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return fmt.Errorf("chaincode registration failed: container exited with %d", ee.Code)
	}
	return fmt.Errorf("chaincode registration failed: %w", err)
}
