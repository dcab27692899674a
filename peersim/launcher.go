package peersim

import (
	"fmt"
	"net"

	"github.com/chaincodekit/chaincodekit/peersim/ccsupport"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
)

// Launcher is what the peer needs from a production-mode launcher: build
// and start chaincode, say which registrations come from processes it
// started, and stop them. *launcher.Runner implements it; New creates one
// when production mode is asked for without WithLauncher.
type Launcher = ccsupport.Launcher

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
	if p.traces != nil {
		cfg.Output = p.traces.Output
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

// Connected returns the ccids ("name:version") of the chaincode connected
// and ready, sorted.
func (p *Peer) Connected() []string { return p.cc.Connected() }
