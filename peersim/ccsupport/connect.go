package ccsupport

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// EnsureConnected returns once name:version is registered: at once if it
// is, else after launching it (production mode) or after waiting for the
// developer to start it (development mode, when wait is set: instantiate
// and upgrade), at most Config.StartupTimeout. A development-mode invoke
// of a chaincode that is not connected fails at once with the command that
// starts it. With Config.OrgInstance it is the organisation's own process
// that production mode launches (see runAs).
func (s *Support) EnsureConnected(ctx context.Context, name, version string, wait bool) error {
	ccid := name + ":" + version
	if slices.Contains(s.cfg.Server.Connected(), s.runAs(ccid)) {
		return nil
	}
	if s.cfg.Dev && !wait {
		return fmt.Errorf("could not launch chaincode %s: %w: the peer runs in development mode and starts no chaincode; start it with: %s",
			ccid, ErrChaincodeNotConnected, s.CommandFor(ccid))
	}
	_, err := s.ready(ctx, ccid, func() (*ccpackage.Package, error) { return s.cfg.Packages.Load(name, version) })
	return err
}

// runAs is the id of the process that runs ccid for the peer's
// organisation: launcher.OrgInstanceOf(ccid, MSPID) for an OrgInstance in
// production mode, unless ccid runs as a chaincode server; ccid itself
// otherwise, and for an id that already names a process of its own (an
// instance or a twin).
func (s *Support) runAs(ccid string) string {
	if !s.cfg.OrgInstance || s.cfg.Dev {
		return ccid
	}
	if _, twin := launcher.PrimaryOf(ccid); twin {
		return ccid
	}
	if _, _, inst := launcher.InstanceOf(ccid); inst {
		return ccid
	}
	s.mu.Lock()
	shared := s.shared[ccid]
	s.mu.Unlock()
	if shared {
		return ccid
	}
	return launcher.OrgInstanceOf(ccid, s.cfg.MSPID)
}

// ready makes the process that runs ccid for the peer's organisation
// (runAs) ready, launching it from the package load returns, and returns
// its id. A package that turns out to run as a chaincode server has no
// process per organisation: the organisation then shares ccid's server.
func (s *Support) ready(ctx context.Context, ccid string, load func() (*ccpackage.Package, error)) (string, error) {
	id := s.runAs(ccid)
	if id != ccid {
		if slices.Contains(s.cfg.Server.Connected(), id) {
			return id, nil
		}
		err := s.connect(ctx, id, load)
		if !errors.Is(err, launcher.ErrServiceInstance) {
			if err != nil {
				return "", err // "could not launch chaincode <ccid>@<mspid>: ..."
			}
			return id, nil
		}
		s.mu.Lock()
		s.shared[ccid] = true
		s.mu.Unlock()
		s.cfg.Log.Info("chaincode runs as a service, so every organisation's peer uses the one server", "ccid", ccid, "org", s.cfg.MSPID)
	}
	if slices.Contains(s.cfg.Server.Connected(), ccid) {
		return ccid, nil
	}
	if err := s.connect(ctx, ccid, load); err != nil {
		return "", err
	}
	return ccid, nil
}

// connect launches ccid from the package load returns (production mode) or
// waits for the developer to start it, and observes the launch.
func (s *Support) connect(ctx context.Context, ccid string, load func() (*ccpackage.Package, error)) error {
	start := time.Now()
	timedOut, err := s.launchAndWait(ctx, ccid, load)
	if errors.Is(err, launcher.ErrServiceInstance) {
		return err // no launch: the caller shares the chaincode server (ready)
	}
	s.cfg.Launched(ccid, err == nil, timedOut, time.Since(start))
	return err
}

// CommandFor is the command that starts a development-mode chaincode.
func (s *Support) CommandFor(ccid string) string {
	// Both id variables, so that the line works with Fabric's shim too, and
	// the MSP ID, which Fabric's shim.GetMSPID reads from the environment.
	name, version, _ := strings.Cut(ccid, ":")
	tls := "CORE_PEER_TLS_ENABLED=false"
	if s.cfg.ChaincodeTLSEnv != nil {
		if env := s.cfg.ChaincodeTLSEnv(); len(env) > 0 {
			tls = strings.Join(env, " ")
		}
	}
	return fmt.Sprintf("CORE_ID_CHAINCODE_NAME=%s CORE_CHAINCODE_ID_NAME=%s %s CORE_PEER_LOCALMSPID=%s <binary> -peer.address %s"+
		" (or: peersim chaincode run -n %s -v %s -p <dir> --watch)",
		ccid, ccid, tls, s.cfg.MSPID, s.cfg.ChaincodeAddress(), name, version)
}

// launchAndWait launches ccid from the package load returns (production
// mode) or waits for the developer to start it, until it registers or the
// startup timeout; timedOut reports the timeout.
func (s *Support) launchAndWait(ctx context.Context, ccid string, load func() (*ccpackage.Package, error)) (timedOut bool, _ error) {
	var exited <-chan struct{}
	var exitErr func() error
	if !s.cfg.Dev {
		var err error
		if exited, exitErr, err = s.launch(ctx, ccid, load); err != nil {
			return false, fmt.Errorf("could not launch chaincode %s: %w", ccid, err)
		}
	} else {
		s.cfg.Log.Info("waiting for chaincode to connect; start it with the command below",
			"ccid", ccid, "timeout", s.cfg.StartupTimeout, "command", s.CommandFor(ccid),
			"note", "Fabric's own shim reads CORE_CHAINCODE_ID_NAME, this repo's either name; shim.GetMSPID returns CORE_PEER_LOCALMSPID")
	}
	tctx, cancelTimeout := context.WithCancel(ctx)
	if s.cfg.StartupTimeout > 0 {
		tctx, cancelTimeout = context.WithTimeout(ctx, s.cfg.StartupTimeout)
	}
	defer cancelTimeout()
	wctx, cancel := context.WithCancelCause(tctx)
	defer cancel(nil)
	// Stop waiting when the peer stops or the launched process exits.
	go func() {
		select {
		case <-s.cfg.Stopping:
			cancel(ErrStopped)
		case <-exited:
			cancel(exitCause(exitErr()))
		case <-wctx.Done():
		}
	}()
	if _, err := s.cfg.Server.WaitReady(wctx, ccid); err != nil {
		if cause := context.Cause(wctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
			return false, fmt.Errorf("could not launch chaincode %s: %w", ccid, cause)
		}
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			if s.cfg.Dev {
				return true, fmt.Errorf("could not launch chaincode %s: %w within %s: start it with: %s",
					ccid, ErrChaincodeNotConnected, s.cfg.StartupTimeout, s.CommandFor(ccid))
			}
			// As Fabric stops a container that did not register.
			if err := s.launcher().Stop(context.WithoutCancel(ctx), ccid); err != nil {
				s.cfg.Log.Warn("could not stop chaincode that missed its startup timeout", "ccid", ccid, "error", err)
			}
			return true, fmt.Errorf("could not launch chaincode %s: timeout expired while starting chaincode %s for transaction", ccid, ccid)
		}
		return false, fmt.Errorf("could not launch chaincode %s: %w", ccid, err)
	}
	return false, nil
}

// launch has the launcher start ccid from the package load returns and
// returns what to watch while waiting for its registration: a channel
// closed if the process exits, and the exit's error.
// Chaincode-as-a-service is dialled here.
func (s *Support) launch(ctx context.Context, ccid string, load func() (*ccpackage.Package, error)) (exited <-chan struct{}, exitErr func() error, err error) {
	l := s.launcher()
	if l == nil {
		return nil, nil, ErrNeedLauncher
	}
	pkg, err := load()
	if err != nil {
		return nil, nil, err
	}
	inst, err := l.Launch(ctx, ccid, pkg)
	if err != nil {
		return nil, nil, err
	}
	if inst.Connection != nil {
		return s.dial(ctx, l, ccid, pkg.ID(), *inst.Connection)
	}
	if inst.Process != nil {
		return inst.Process.Done(), inst.Process.Err, nil
	}
	return nil, nil, nil
}

// dial connects to a chaincode server and serves the stream until it ends
// or the peer stops. The returned channel is closed when the stream ends,
// and its function then says why, so that a server that fails to register
// fails the launch at once instead of at the startup timeout.
func (s *Support) dial(ctx context.Context, l Launcher, ccid, packageID string, c ccpackage.Connection) (ended <-chan struct{}, endErr func() error, err error) {
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
	s.dialled.Add(1)
	go func() {
		defer s.dialled.Done()
		defer close(done)
		defer conn.Close()
		defer cancel()
		// The server registers with the package ID, as Fabric's do, or
		// with the ccid; the chaincode server registers the stream as ccid
		// either way.
		registered, err := s.cfg.Server.ServeDialed(stream, chaincode.DialedAs{CCID: ccid, PackageID: packageID, Address: c.Address})
		if err != nil {
			s.cfg.Log.Info("chaincode server stream ended", "ccid", ccid, "address", c.Address, "error", err)
		}
		if !registered {
			// It never registered, so the disconnect hook will not tell
			// the launcher that the address no longer serves ccid.
			l.Disconnected(ccid)
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
