package peersim

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
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

// commandFor is the command that starts a development-mode chaincode.
func (p *Peer) commandFor(ccid string) string {
	// Both id variables, so that the line works with Fabric's shim too, and
	// the MSP ID, which Fabric's shim.GetMSPID reads from the environment.
	_, addr, _ := p.Addrs()
	if addr == "" {
		addr = p.cfg.ChaincodeAddress
	}
	name, version, _ := strings.Cut(ccid, ":")
	return fmt.Sprintf("CORE_ID_CHAINCODE_NAME=%s CORE_CHAINCODE_ID_NAME=%s CORE_PEER_TLS_ENABLED=false CORE_PEER_LOCALMSPID=%s <binary> -peer.address %s"+
		" (or: peersim chaincode run -n %s -v %s -- <binary>)",
		ccid, ccid, p.org.MSPID(), addr, name, version)
}

// ensureConnected returns once name:version is registered: at once if it
// is, else after launching it (production mode) or after waiting for the
// developer to start it (dev mode, when wait is set: instantiate and
// upgrade), at most Config.ChaincodeStartupTimeout. A dev-mode invoke of a
// chaincode that is not connected fails at once with the command that
// starts it.
func (p *Peer) ensureConnected(ctx context.Context, name, version string, wait bool) error {
	ccid := name + ":" + version
	if slices.Contains(p.cc.Connected(), ccid) {
		return nil
	}
	if p.cfg.Dev && !wait {
		return fmt.Errorf("could not launch chaincode %s: %w: the peer runs in development mode and starts no chaincode; start it with: %s",
			ccid, ErrChaincodeNotConnected, p.commandFor(ccid))
	}
	start := time.Now()
	timedOut, err := p.launchAndWait(ctx, name, version)
	p.met.launched(ccid, err == nil, timedOut, time.Since(start))
	return err
}

// launchAndWait launches name:version (production mode) or waits for the
// developer to start it, until it registers or the startup timeout;
// timedOut reports the timeout.
func (p *Peer) launchAndWait(ctx context.Context, name, version string) (timedOut bool, _ error) {
	ccid := name + ":" + version
	var exited <-chan struct{}
	var exitErr func() error
	if !p.cfg.Dev {
		var err error
		if exited, exitErr, err = p.launch(ctx, name, version); err != nil {
			return false, fmt.Errorf("could not launch chaincode %s: %w", ccid, err)
		}
	} else {
		p.log.Info("waiting for chaincode to connect; start it with the command below",
			"ccid", ccid, "timeout", p.cfg.ChaincodeStartupTimeout, "command", p.commandFor(ccid),
			"note", "Fabric's own shim reads CORE_CHAINCODE_ID_NAME, this repo's either name; shim.GetMSPID returns CORE_PEER_LOCALMSPID")
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, p.cfg.ChaincodeStartupTimeout)
	defer cancelTimeout()
	wctx, cancel := context.WithCancelCause(tctx)
	defer cancel(nil)
	// Stop waiting when the peer stops or the launched process exits.
	go func() {
		select {
		case <-p.closing:
			cancel(ErrStopped)
		case <-exited:
			cancel(exitCause(exitErr()))
		case <-wctx.Done():
		}
	}()
	if _, err := p.cc.WaitReady(wctx, ccid); err != nil {
		if cause := context.Cause(wctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
			return false, fmt.Errorf("could not launch chaincode %s: %w", ccid, cause)
		}
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			if p.cfg.Dev {
				return true, fmt.Errorf("could not launch chaincode %s: %w within %s: start it with: %s",
					ccid, ErrChaincodeNotConnected, p.cfg.ChaincodeStartupTimeout, p.commandFor(ccid))
			}
			// As Fabric stops a container that did not register.
			if err := p.launcher.Stop(context.WithoutCancel(ctx), ccid); err != nil {
				p.log.Warn("could not stop chaincode that missed its startup timeout", "ccid", ccid, "error", err)
			}
			return true, fmt.Errorf("could not launch chaincode %s: timeout expired while starting chaincode %s for transaction", ccid, ccid)
		}
		return false, fmt.Errorf("could not launch chaincode %s: %w", ccid, err)
	}
	return false, nil
}

// definitionReader is a simulator that reads chaincode definitions,
// recording the read (the ledger's Simulator, inside txSimulator).
type definitionReader interface {
	GetChaincodeDefinition(name string) (*ledger.ChaincodeDefinition, error)
}

// resolveChaincode finds the ccid of the chaincode another chaincode calls.
// As Fabric 1.4's handler does, it reads the callee's definition through
// the simulator the callee runs on, so on the same channel lscc/<callee>
// joins the transaction's read set and an upgrade of the callee committed
// first invalidates it.
func (p *Peer) resolveChaincode(ctx context.Context, channelID, name string, _ *peer.SignedProposal, sim chaincode.TxSimulator) (string, error) {
	l, err := p.chans.get(channelID)
	if err != nil {
		return "", fmt.Errorf("failed to find ledger for channel: %s", channelID)
	}
	var def *ledger.ChaincodeDefinition
	if dr, ok := sim.(definitionReader); ok {
		def, err = dr.GetChaincodeDefinition(name)
	} else {
		def, err = l.ChaincodeDefinition(name)
	}
	if errors.Is(err, ledger.ErrChaincodeNotDefined) {
		return "", &syscc.NotInstantiatedError{Name: name}
	}
	if err != nil {
		return "", err
	}
	if err := p.ensureConnected(ctx, name, def.Version, false); err != nil {
		return "", err
	}
	return name + ":" + def.Version, nil
}

// Connected returns the ccids ("name:version") of the chaincode connected
// and ready, sorted.
func (p *Peer) Connected() []string { return p.cc.Connected() }
