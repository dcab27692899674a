package ledger

import "fmt"

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
	// PeerMSPID is the MSP ID of the peer's organisation. Clear private data
	// is kept only for collections this organisation is a member of; empty
	// keeps every collection's data.
	PeerMSPID string `envconfig:"PEER_MSPID"`
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
	return nil
}
