package ledger

import (
	"fmt"
	"strings"
)

// Storage backends accepted in Config.Backend.
const (
	// BackendBolt keeps the ledger in a bbolt file under Config.Dir.
	BackendBolt = "bbolt"
	// BackendMemory keeps the ledger in memory; everything is lost on Close.
	BackendMemory = "memory"
)

// Config configures one channel's ledger. The zero value is not valid; start
// from DefaultConfig. Fields carry envconfig tags so the peer can read them
// from the environment with a prefix of its choosing.
type Config struct {
	// Backend is BackendBolt or BackendMemory.
	Backend string `envconfig:"BACKEND" default:"bbolt"`
	// Dir holds one <channel>.db file per channel (bbolt backend only).
	Dir string `envconfig:"DIR"`
	// HistoryEnabled keeps the history index (Fabric's
	// ledger.history.enableHistoryDatabase).
	HistoryEnabled bool `envconfig:"HISTORY_ENABLED" default:"true"`
	// PeerMSPIDs are the MSP IDs of the organisations whose peers this
	// ledger serves: they share the channel's public state and hashed
	// private data, and each keeps its own clear private data, of the
	// collections it is a member of, as Fabric disseminates it. The store
	// records whose data is where, so a data directory can be reopened
	// with these in another order, fewer or more (see Open); the first is
	// the organisation of NewSimulator.
	// Empty: one store that keeps every collection's data; a data
	// directory written with PeerMSPIDs is refused without them.
	PeerMSPIDs []string `envconfig:"PEER_MSPIDS"`
	// CheckTxID rejects (BAD_PROPOSAL_TXID) a transaction whose ID is not
	// hex(SHA-256(nonce || creator)), as Fabric does.
	CheckTxID bool `envconfig:"CHECK_TXID" default:"true"`
}

// DefaultConfig returns a Config with the defaults, for the bbolt backend in dir.
func DefaultConfig(dir string) Config {
	return Config{
		Backend:        BackendBolt,
		Dir:            dir,
		HistoryEnabled: true,
		CheckTxID:      true,
	}
}

// MemoryConfig returns the defaults for the in-memory backend.
func MemoryConfig() Config {
	c := DefaultConfig("")
	c.Backend = BackendMemory
	return c
}

// Validate reports the first field with a value the ledger cannot use.
func (c Config) Validate() error {
	switch c.Backend {
	case BackendBolt:
		if c.Dir == "" {
			return fmt.Errorf("ledger config: Dir is empty; the %q backend needs a directory", BackendBolt)
		}
	case BackendMemory:
	default:
		return fmt.Errorf("ledger config: Backend %q is not supported; use %q or %q", c.Backend, BackendBolt, BackendMemory)
	}
	seen := make(map[string]bool, len(c.PeerMSPIDs))
	for i, id := range c.PeerMSPIDs {
		switch {
		case id == "":
			return fmt.Errorf("ledger config: PeerMSPIDs[%d] is empty", i)
		case strings.IndexByte(id, 0) >= 0:
			return fmt.Errorf("ledger config: PeerMSPIDs[%d] %q contains a null byte", i, id)
		case seen[id]:
			return fmt.Errorf("ledger config: PeerMSPIDs[%d] %q is a duplicate", i, id)
		}
		seen[id] = true
	}
	return nil
}
