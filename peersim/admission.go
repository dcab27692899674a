package peersim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// admit is the chaincode server's Admission. In development mode it accepts
// an installed "name:version"; in production mode only a ccid the peer is
// launching, with the TLS certificate issued for that launch.
func (p *Peer) admit(ccid string, info chaincode.ConnInfo) error {
	name, version, ok := strings.Cut(ccid, ":")
	if !ok || name == "" || version == "" {
		return fmt.Errorf("chaincode id %q is not <name>:<version>: start the chaincode with CORE_CHAINCODE_ID_NAME (or CORE_ID_CHAINCODE_NAME) set to the name and version you installed, e.g. mycc:1.0", ccid)
	}
	if _, err := p.store.Get(name, version); err != nil {
		if !errors.Is(err, ccpackage.ErrNotInstalled) {
			return fmt.Errorf("look up installed chaincode %s: %w", ccid, err)
		}
		if versions := p.store.Versions(name); len(versions) > 0 {
			return fmt.Errorf("%s is not installed (installed versions of %s: %s): install it first, or start the chaincode as an installed version",
				ccid, name, strings.Join(versions, ", "))
		}
		return fmt.Errorf("no version of %s is installed: install %s first, or start the chaincode as an installed version", name, ccid)
	}
	if p.cfg.Dev || info.Dialed {
		// Dev mode accepts any installed id; a chaincode server was dialled
		// by the peer itself.
		return nil
	}
	if p.launcher == nil {
		return fmt.Errorf("peer will not accept external chaincode connection %s (except in dev mode)", ccid)
	}
	return p.launcher.AuthorizeCert(ccid, info.PeerCertificate)
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
