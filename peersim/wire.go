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
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/channel"
	"github.com/chaincodekit/chaincodekit/peersim/endorser"
	"github.com/chaincodekit/chaincodekit/peersim/gateway"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/logging"
	"github.com/chaincodekit/chaincodekit/peersim/orderer"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
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
			cfg.PeerMSPIDs = p.cfg.Orgs
			return cfg
		},
		LedgerOptions: []ledger.Option{
			ledger.WithLogger(p.log.With(logging.NameKey, "ledger")), // the ledger adds its channel
			ledger.WithCommitObserver(p.met.BlockCommitted),
		},
		MSP:     p.msp,
		Orgs:    p.cfg.Orgs,
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

// supportFor is the chaincode support of the virtual peer a simulator
// belongs to, for a chaincode-to-chaincode call.
func (p *Peer) supportFor(sim chaincode.TxSimulator) *ccsupport.Support {
	if s, ok := sim.(interface{ PeerMSPID() string }); ok {
		if o, err := p.orgPeer(s.PeerMSPID()); err == nil {
			return o.support
		}
	}
	return p.home().support
}

// newSupport builds what makes user chaincode ready and runs it for
// virtual peer o: the packages o's organisation approved.
func (p *Peer) newSupport(o *orgPeer) *ccsupport.Support {
	return ccsupport.New(ccsupport.Config{
		Dev:            p.cfg.Dev,
		StartupTimeout: p.startupTimeout(),
		MSPID:          o.mspID(),
		OrgInstance:    o.mspID() != p.cfg.Orgs[0], // home's runs the plain ccid
		Gate:           p.txGate,
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
		Channels: p.chans.View(o.mspID()),
		Approval: func(channelID, name string, sequence int64) (string, bool, error) {
			l, err := p.chans.Ledger(channelID)
			if err != nil {
				return "", false, err
			}
			return syscc.Approval(l, o.mspID(), name, sequence)
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

// newEndorser builds the Endorser service of virtual peer o and the system
// chaincodes it routes to, from the peer's parts.
func (p *Peer) newEndorser(o *orgPeer) *endorser.Endorser {
	// Production mode runs the determinism check's second simulation on a
	// twin process; development mode starts no chaincode, so it reruns on
	// the developer's one process.
	var second func(context.Context, string) (string, error)
	if !p.cfg.Dev {
		second = o.support.Twin
	}
	return endorser.New(endorser.Config{
		Verifier:    p.msp,
		Channels:    p.chans.View(o.mspID()),
		System:      p.systemChaincodes(o),
		Chaincodes:  o.support,
		Signer:      p.msp.SelfEndorser(o.signer), // validation then need not verify what this peer signed
		PeerMSPID:   o.mspID(),
		Disseminate: len(p.orgs) > 1,
		Observe: func(resp *peer.ProposalResponse, facts endorser.Facts, took time.Duration) {
			p.observeProposal(o, resp, facts, took)
		},
		Stopping: p.closing,

		CheckDeterminism: p.cfg.CheckDeterminism,
		SecondInstance:   second,
		Log:              p.log.With(logging.NameKey, "endorser", "org", o.mspID()),
	})
}

// systemChaincodes is the table of the system chaincodes virtual peer o
// serves.
func (p *Peer) systemChaincodes(o *orgPeer) syscc.Table {
	return syscc.Table{
		syscc.LSCC: &syscc.LSCCChaincode{Store: p.store, Chaincodes: o.support, OrgMSPID: o.mspID(), Members: p.chans.Members, Log: p.log},
		syscc.CSCC: &syscc.CSCCChaincode{Channels: p.chans.View(o.mspID()), Create: p.CreateChannel, Log: p.log},
		syscc.QSCC: &syscc.QSCCChaincode{Channels: p.chans.View(o.mspID())},
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
		syscc.Lifecycle: &syscc.LifecycleChaincode{Store: p.store, OrgMSPID: o.mspID(), Members: p.chans.Members, Channels: p.chans.View(o.mspID()), Log: p.log},
	}
}

// newGateway builds the Gateway service of virtual peer o over its
// endorser and the embedded orderer.
func (p *Peer) newGateway(o *orgPeer, ord gateway.Orderer, verify gateway.VerifierFunc) *gateway.Server {
	// The gateway gathers the endorsements a policy needs from every
	// organisation's peer, as Fabric's does from the peers discovery finds.
	var peers map[string]gateway.Endorser
	var addrs map[string]string
	if len(p.orgs) > 1 {
		peers, addrs = map[string]gateway.Endorser{}, map[string]string{}
		for _, other := range p.orgs {
			peers[other.mspID()], addrs[other.mspID()] = other.endo, other.addr
		}
	}
	return gateway.New(gateway.Config{
		Peers:     peers,
		Addresses: addrs,
		Members:   p.chans.Members,
		Endorser:  o.endo,
		Orderer:   ord,
		Channels:  p.chans.View(o.mspID()),
		Verifier:  verify,
		MSPID:     o.mspID(),
		Address:   o.addr,
		// Names only: the table's chaincodes are the endorser's.
		SystemChaincodes: slices.Collect(maps.Keys(p.systemChaincodes(o))),
		Stopping:         p.closing,
		Log:              p.log.With(logging.NameKey, "gateway"),
	})
}

// CreateChannel adds a channel to the peer with the organisations orgs
// (all of Config.Orgs when none are given) and remembers it across
// restarts.
func (p *Peer) CreateChannel(name string, orgs ...string) error {
	err := p.chans.Create(name, orgs...)
	if errors.Is(err, channel.ErrClosed) {
		return fmt.Errorf("create channel %s: %w", name, ErrStopped)
	}
	return err
}

// Channels returns the names of the peer's channels, sorted.
func (p *Peer) Channels() []string { return p.chans.Names() }
