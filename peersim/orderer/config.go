package orderer

import (
	"fmt"
	"time"
)

// Config configures the Cutter of one channel. The zero value is not
// valid; start from DefaultConfig. Fields carry envconfig tags so the peer
// can read them from the environment with a prefix of its choosing.
type Config struct {
	// BatchSize is the number of transactions after which the orderer cuts
	// a block.
	BatchSize int `envconfig:"BATCH_SIZE" default:"10"`
	// BatchTimeout is how long the orderer waits after the first pending
	// transaction before cutting a block anyway.
	BatchTimeout time.Duration `envconfig:"BATCH_TIMEOUT" default:"200ms"`
	// SubmitQueue is the number of submitted transactions that may wait for
	// the orderer before Submit blocks.
	SubmitQueue int `envconfig:"SUBMIT_QUEUE" default:"1000"`
}

// DefaultConfig returns a Config with the defaults.
func DefaultConfig() Config {
	return Config{
		BatchSize:    10,
		BatchTimeout: 200 * time.Millisecond,
		SubmitQueue:  1000,
	}
}

// Validate reports the first field with a value the orderer cannot use.
func (c Config) Validate() error {
	if c.BatchSize < 1 {
		return fmt.Errorf("orderer config: BatchSize %d must be at least 1", c.BatchSize)
	}
	if c.BatchTimeout <= 0 {
		return fmt.Errorf("orderer config: BatchTimeout %s must be positive", c.BatchTimeout)
	}
	if c.SubmitQueue < 0 {
		return fmt.Errorf("orderer config: SubmitQueue %d must not be negative", c.SubmitQueue)
	}
	return nil
}
