package peersim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/logging"
	"github.com/chaincodekit/chaincodekit/peersim/orderer"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
)

// channelNamePattern is Fabric's rule for channel names.
var channelNamePattern = regexp.MustCompile(`^[a-z][a-z0-9.-]*$`)

const maxChannelNameLength = 249

// channels is the set of channels the peer has, one ledger and one
// orderer (block cutter) each. The list of names is kept in
// <DataDir>/channels.json.
type channels struct {
	p       *Peer
	file    string
	mu      sync.RWMutex
	ledgers map[string]*ledger.Ledger
	cutters map[string]*orderer.Cutter
	closed  bool
}

func openChannels(p *Peer) (*channels, error) {
	c := &channels{p: p, file: channelsFile(p.cfg.DataDir), ledgers: map[string]*ledger.Ledger{}, cutters: map[string]*orderer.Cutter{}}
	names := []string{DefaultChannel}
	raw, err := os.ReadFile(c.file)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read channel list: %w", err)
	default:
		var saved []string
		if err := json.Unmarshal(raw, &saved); err != nil {
			return nil, fmt.Errorf("channel list %s is corrupt: %w", c.file, err)
		}
		names = append(names, saved...)
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		if err := c.open(name); err != nil {
			c.close()
			return nil, err
		}
	}
	if err := c.save(); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func validateChannelName(name string) error {
	if len(name) > maxChannelNameLength || !channelNamePattern.MatchString(name) {
		return fmt.Errorf("bad channel name %q: must match %s and be at most %d characters", name, channelNamePattern, maxChannelNameLength)
	}
	return nil
}

// open opens the ledger of name and starts its orderer; c.mu must be held
// or c not yet shared.
func (c *channels) open(name string) error {
	if err := validateChannelName(name); err != nil {
		return err
	}
	cfg := ledger.MemoryConfig()
	if c.p.cfg.Ledger == LedgerBolt {
		cfg = ledger.DefaultConfig(ledgerDir(c.p.cfg.DataDir, name))
	}
	cfg.PeerMSPID = c.p.org.MSPID()
	l, err := ledger.Open(name, cfg,
		ledger.WithLogger(c.p.log.With(logging.NameKey, "ledger")), // the ledger adds its channel
		ledger.WithPolicyChecker(policyChecker{msp: c.p.msp}),
		ledger.WithCommitObserver(c.p.met.blockCommitted))
	if err != nil {
		return fmt.Errorf("open ledger of channel %s: %w", name, err)
	}
	ocfg := orderer.DefaultConfig()
	ocfg.BatchSize, ocfg.BatchTimeout = c.p.cfg.BatchSize, c.p.cfg.BatchTimeout
	cut, err := orderer.NewCutter(name, ocfg, l, c.p.log.With(logging.NameKey, "orderer")) // the cutter adds its channel
	if err != nil {
		_ = l.Close()
		return err
	}
	c.ledgers[name], c.cutters[name] = l, cut
	if err := c.defineIndexes(l); err != nil {
		c.p.log.Warn("could not restore CouchDB indexes", "channel", name, "error", err)
	}
	c.p.met.opened(name, l.Height())
	return nil
}

func (c *channels) save() error {
	c.mu.RLock()
	names := c.namesLocked()
	c.mu.RUnlock()
	raw, err := json.Marshal(names)
	if err != nil {
		return fmt.Errorf("encode channel list: %w", err)
	}
	tmp := c.file + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("write channel list: %w", err)
	}
	if err := os.Rename(tmp, c.file); err != nil {
		return fmt.Errorf("write channel list: %w", err)
	}
	return nil
}

func (c *channels) namesLocked() []string {
	names := make([]string, 0, len(c.ledgers))
	for n := range c.ledgers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (c *channels) names() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.namesLocked()
}

// notJoined completes Fabric's "channel 'x' not found" for a user: which
// channels the peer has and how to add one.
func (c *channels) notJoined(name string) string {
	return fmt.Sprintf("this peer's channels are %s; create one with `peersim channel create -c %s`",
		strings.Join(c.names(), ", "), name)
}

// submitter returns the orderer of a channel, for Broadcast; its error
// is the notJoined hint.
func (c *channels) submitter(name string) (orderer.Submitter, error) {
	c.mu.RLock()
	cut, closed := c.cutters[name], c.closed
	c.mu.RUnlock()
	if cut == nil || closed {
		return nil, errors.New(c.notJoined(name))
	}
	return cut, nil
}

// get returns the ledger of a channel.
func (c *channels) get(name string) (*ledger.Ledger, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	l := c.ledgers[name]
	if l == nil || c.closed {
		return nil, fmt.Errorf("channel %q: %w", name, ErrChannelNotFound)
	}
	return l, nil
}

func (c *channels) create(name string) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return fmt.Errorf("create channel %s: %w", name, ErrStopped)
	}
	if c.ledgers[name] != nil {
		c.mu.Unlock()
		return fmt.Errorf("create channel %s: %w", name, ErrChannelExists)
	}
	err := c.open(name)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.save()
}

func (c *channels) close() error {
	c.mu.Lock()
	c.closed = true
	var errs []error
	for name, l := range c.ledgers {
		c.cutters[name].Stop() // commits what it holds while the ledger is open
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close ledger of channel %s: %w", name, err))
		}
	}
	c.mu.Unlock()
	return errors.Join(errs...)
}

// CreateChannel adds a channel to the peer and remembers it across
// restarts.
func (p *Peer) CreateChannel(name string) error { return p.chans.create(name) }

// Channels returns the names of the peer's channels, sorted.
func (p *Peer) Channels() []string { return p.chans.names() }

// simulatorFactory gives chaincode-to-chaincode calls on another channel a
// simulator of their own.
type simulatorFactory struct{ p *Peer }

func (f simulatorFactory) NewTxSimulator(channelID, txID string) (sim chaincode.TxSimulator, release func(), err error) {
	l, err := f.p.chans.get(channelID)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to find ledger for channel: %s", channelID)
	}
	s, err := l.NewSimulator(txID, "")
	if err != nil {
		return nil, nil, err
	}
	return txSimulator{s}, s.Done, nil
}

// Names returns the names of the channels, sorted.
func (c *channels) Names() []string { return c.names() }

// Ledger returns the ledger of channel name.
func (c *channels) Ledger(name string) (*ledger.Ledger, error) { return c.get(name) }

// NotJoined completes Fabric's "channel 'x' not found" for a user.
func (c *channels) NotJoined(name string) string { return c.notJoined(name) }

// defineIndexes hands l the CouchDB indexes of every chaincode defined on
// it (the ledger keeps them in memory only).
func (c *channels) defineIndexes(l *ledger.Ledger) error {
	defs, err := l.ChaincodeDefinitions()
	if err != nil {
		return err
	}
	return syscc.DefineIndexes(l, c.p.store, defs...)
}
