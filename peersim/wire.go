package peersim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/ccsupport"
	"github.com/chaincodekit/chaincodekit/peersim/channel"
	"github.com/chaincodekit/chaincodekit/peersim/endorser"
	"github.com/chaincodekit/chaincodekit/peersim/gateway"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/logging"
	"github.com/chaincodekit/chaincodekit/peersim/orderer"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
)

// openChannels opens the peer's channels: a memory or bolt ledger each,
// validated with the peer's MSP, with the CouchDB indexes of the chaincode
// defined on it restored and its metrics started.
//
// Channels in Config.FromSnapshot and Config.Fixtures are restored as they
// open; if one cannot be, the ledger folders the attempt created are
// removed, so the data directory is as it was.
func (p *Peer) openChannels() (*channel.Set, error) {
	ocfg := orderer.DefaultConfig()
	ocfg.BatchSize, ocfg.BatchTimeout = p.cfg.BatchSize, p.cfg.BatchTimeout
	restore, err := p.restoreSet()
	if err != nil {
		return nil, err
	}
	removable, err := p.checkRestorable(restore)
	if err != nil {
		return nil, restoreHint(err)
	}
	set, err := channel.Open(channel.Config{
		Restore:  restore,
		ListFile: channelsFile(p.cfg.DataDir),
		Default:  DefaultChannel,
		Ledger: func(name string) ledger.Config {
			cfg := ledger.MemoryConfig()
			if p.cfg.Ledger == LedgerBolt {
				cfg = ledger.DefaultConfig(ledgerDir(p.cfg.DataDir, name))
			}
			cfg.PeerMSPIDs = []string{p.org.MSPID()}
			return cfg
		},
		LedgerOptions: []ledger.Option{
			ledger.WithLogger(p.log.With(logging.NameKey, "ledger")), // the ledger adds its channel
			ledger.WithCommitObserver(p.met.BlockCommitted),
		},
		MSP:     p.msp,
		Orderer: ocfg,
		Opened: func(name string, l *ledger.Ledger) {
			if err := p.defineIndexes(l); err != nil {
				p.log.Warn("could not restore CouchDB indexes", "channel", name, "error", err)
			}
			p.met.Opened(name, l.Height())
		},
		Log: p.log.With(logging.NameKey, "orderer"), // the cutter adds its channel
	})
	if err != nil {
		removeDirs(p, removable)
		return nil, restoreHint(err)
	}
	if len(restore) > 0 {
		p.log.Info("channels restored", "snapshot", p.cfg.FromSnapshot, "fixtures", p.cfg.Fixtures, "channels", len(restore))
	}
	return set, nil
}

// defineIndexes hands l the CouchDB indexes of every chaincode defined on
// it (the ledger keeps them in memory only).
func (p *Peer) defineIndexes(l *ledger.Ledger) error {
	defs, err := l.ChaincodeDefinitions()
	if err != nil {
		return err
	}
	return syscc.DefineIndexes(l, p.store, p.org.MSPID(), defs...)
}

// newSupport builds what makes user chaincode ready and runs it.
func (p *Peer) newSupport() *ccsupport.Support {
	return ccsupport.New(ccsupport.Config{
		Dev:            p.cfg.Dev,
		StartupTimeout: p.startupTimeout(),
		MSPID:          p.org.MSPID(),
		ChaincodeTLSEnv: func() []string {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.devTLS == nil {
				return nil
			}
			return p.devTLS.Env()
		},
		ChaincodeAddress: func() string {
			if _, addr, _ := p.Addrs(); addr != "" {
				return addr
			}
			return p.cfg.ChaincodeAddress
		},
		Server:   p.cc,
		Packages: p.store,
		Channels: p.chans,
		Approval: func(channelID, name string, sequence int64) (string, bool, error) {
			l, err := p.chans.Ledger(channelID)
			if err != nil {
				return "", false, err
			}
			return syscc.Approval(l, p.org.MSPID(), name, sequence)
		},
		Launcher: func() ccsupport.Launcher { return p.launcher },
		Launched: p.met.Launched,
		Executed: p.met.Executed,
		Stopping: p.closing,
		Log:      p.log,
	})
}

// startupTimeout is ccsupport's limit of the wait for a chaincode to
// register: Config.ChaincodeStartupTimeout, except that in development
// mode an execute timeout of 0 lifts it too (0: no limit), so that a
// chaincode held in a debugger before it registers does not fail its
// instantiate.
func (p *Peer) startupTimeout() time.Duration {
	if p.cfg.Dev && p.cfg.ChaincodeExecuteTimeout == 0 {
		return 0
	}
	return p.cfg.ChaincodeStartupTimeout
}

// newEndorser builds the Endorser service and the system chaincodes it
// routes to, from the peer's parts.
func (p *Peer) newEndorser() *endorser.Endorser {
	// Production mode runs the determinism check's second simulation on a
	// twin process; development mode starts no chaincode, so it reruns on
	// the developer's one process.
	var second func(context.Context, string) (string, error)
	if !p.cfg.Dev {
		second = p.support.Twin
	}
	return endorser.New(endorser.Config{
		Verifier:   p.msp,
		Channels:   p.chans,
		System:     p.systemChaincodes(),
		Chaincodes: p.support,
		Signer:     p.msp.SelfEndorser(p.signer), // validation then need not verify what this peer signed
		Observe:    p.observeProposal,
		Stopping:   p.closing,

		CheckDeterminism: p.cfg.CheckDeterminism,
		SecondInstance:   second,
		Log:              p.log.With(logging.NameKey, "endorser"),
	})
}

// systemChaincodes is the table of the system chaincodes the peer serves.
func (p *Peer) systemChaincodes() syscc.Table {
	return syscc.Table{
		syscc.LSCC: &syscc.LSCCChaincode{Store: p.store, Chaincodes: p.support, MSPIDs: p.msp.IDs, Log: p.log},
		syscc.CSCC: &syscc.CSCCChaincode{Channels: p.chans, Create: p.CreateChannel, Log: p.log},
		syscc.QSCC: &syscc.QSCCChaincode{Channels: p.chans},
		syscc.PSCC: &syscc.PSCCChaincode{
			Processes: func() syscc.Processes {
				if p.launcher == nil {
					return nil
				}
				return p.launcher
			},
			Installed: func() []ccpackage.Installed { return p.store.List() },
			Channels:  p.chans,
			Trace:     func(channel, txID string) (any, bool) { return p.Trace(channel, txID) },
			Snapshot:  p.snapshotBytes,
		},
		syscc.Lifecycle: &syscc.LifecycleChaincode{Store: p.store, OrgMSPID: p.signer.MSPID(), MSPIDs: p.msp.IDs, Channels: p.chans, Log: p.log},
	}
}

// newGateway builds the Gateway service over the peer's endorser and the
// embedded orderer; addr is the client address, named in error details.
func (p *Peer) newGateway(ord gateway.Orderer, verify gateway.VerifierFunc, addr string) *gateway.Server {
	return gateway.New(gateway.Config{
		Endorser: p.endo,
		Orderer:  ord,
		Channels: p.chans,
		Verifier: verify,
		MSPID:    p.org.MSPID(),
		Address:  addr,
		// Names only: the table's chaincodes are the endorser's.
		SystemChaincodes: slices.Collect(maps.Keys(p.systemChaincodes())),
		Stopping:         p.closing,
		Log:              p.log.With(logging.NameKey, "gateway"),
	})
}

// CreateChannel adds a channel to the peer and remembers it across
// restarts.
func (p *Peer) CreateChannel(name string) error {
	err := p.chans.Create(name)
	if errors.Is(err, channel.ErrClosed) {
		return fmt.Errorf("create channel %s: %w", name, ErrStopped)
	}
	return err
}

// Channels returns the names of the peer's channels, sorted.
func (p *Peer) Channels() []string { return p.chans.Names() }
