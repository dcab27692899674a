package chaincode

import (
	"fmt"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Config tunes the peer side of the chaincode stream. Start from
// DefaultConfig; the zero value is not valid.
type Config struct {
	// ExecuteTimeout bounds each Execute (Fabric chaincode.executetimeout,
	// 30 s in the shipped core.yaml). Zero means no timeout.
	ExecuteTimeout time.Duration `envconfig:"EXECUTE_TIMEOUT" default:"30s"`

	// Keepalive is the interval at which the peer sends KEEPALIVE on every
	// stream (Fabric chaincode.keepalive). Zero turns it off.
	Keepalive time.Duration `envconfig:"KEEPALIVE" default:"0s"`

	// TotalQueryLimit caps the results one range, rich or history query can
	// return across all its batches (Fabric ledger.state.totalQueryLimit,
	// code default 10000).
	TotalQueryLimit int `envconfig:"TOTAL_QUERY_LIMIT" default:"10000"`

	// UseWriteBatch, MaxSizeWriteBatch, UseGetMultipleKeys and
	// MaxSizeGetMultipleKeys are advertised to the chaincode in READY as
	// peer.ChaincodeAdditionalParams (Fabric chaincode.runtimeParams; the
	// shipped core.yaml sets true/1000/true/1000). The peer serves
	// WRITE_BATCH_STATE and GET_STATE_MULTIPLE whatever it advertised.
	UseWriteBatch          bool   `envconfig:"USE_WRITE_BATCH" default:"true"`
	MaxSizeWriteBatch      uint32 `envconfig:"MAX_SIZE_WRITE_BATCH" default:"1000"`
	UseGetMultipleKeys     bool   `envconfig:"USE_GET_MULTIPLE_KEYS" default:"true"`
	MaxSizeGetMultipleKeys uint32 `envconfig:"MAX_SIZE_GET_MULTIPLE_KEYS" default:"1000"`

	// MaxInFlight bounds the requests one stream may have in flight
	// (received and not yet answered on the stream). When it is reached
	// the peer stops reading that stream until replies drain, so a
	// chaincode that does not read its replies slows itself down instead
	// of growing the peer. Fabric has no such bound.
	MaxInFlight int `envconfig:"MAX_INFLIGHT" default:"128"`

	// MaxInFlightPerTx bounds the requests one transaction may have in
	// flight. A shim waits for each reply before its next request, so it
	// never has more than one; a stream that exceeds the bound is ended
	// with ErrTooManyRequests. At most MaxInFlight.
	MaxInFlightPerTx int `envconfig:"MAX_INFLIGHT_PER_TX" default:"16"`
}

// DefaultConfig returns the configuration of a Fabric 3.1 peer with the
// shipped core.yaml (except totalQueryLimit, which keeps Fabric's code
// default of 10000).
func DefaultConfig() Config {
	return Config{
		ExecuteTimeout:         30 * time.Second,
		TotalQueryLimit:        10000,
		UseWriteBatch:          true,
		MaxSizeWriteBatch:      1000,
		UseGetMultipleKeys:     true,
		MaxSizeGetMultipleKeys: 1000,
		MaxInFlight:            128,
		MaxInFlightPerTx:       16,
	}
}

// ConfigFromEnv reads a Config from environment variables named
// <prefix>_EXECUTE_TIMEOUT, <prefix>_KEEPALIVE, <prefix>_TOTAL_QUERY_LIMIT,
// <prefix>_USE_WRITE_BATCH, <prefix>_MAX_INFLIGHT,
// <prefix>_MAX_INFLIGHT_PER_TX, ... (durations in Go syntax, e.g. "30s"); unset
// variables keep their defaults. The result is validated.
func ConfigFromEnv(prefix string) (Config, error) {
	var cfg Config
	if err := envconfig.Process(prefix, &cfg); err != nil {
		return Config{}, fmt.Errorf("read chaincode config from environment (prefix %q): %w", prefix, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate reports the first field that holds an unusable value.
func (c Config) Validate() error {
	switch {
	case c.ExecuteTimeout < 0:
		return fmt.Errorf("chaincode config: ExecuteTimeout %s is negative; use 0 for no timeout", c.ExecuteTimeout)
	case c.Keepalive < 0:
		return fmt.Errorf("chaincode config: Keepalive %s is negative; use 0 to turn keepalive off", c.Keepalive)
	case c.TotalQueryLimit <= 0:
		return fmt.Errorf("chaincode config: TotalQueryLimit %d must be positive (Fabric's default is 10000)", c.TotalQueryLimit)
	case c.TotalQueryLimit > maxQueryLimit:
		return fmt.Errorf("chaincode config: TotalQueryLimit %d exceeds the maximum %d", c.TotalQueryLimit, maxQueryLimit)
	case c.MaxSizeWriteBatch == 0:
		return fmt.Errorf("chaincode config: MaxSizeWriteBatch 0 must be positive (Fabric's default is 1000)")
	case c.MaxSizeGetMultipleKeys == 0:
		return fmt.Errorf("chaincode config: MaxSizeGetMultipleKeys 0 must be positive (Fabric's default is 1000)")
	case c.MaxInFlight <= 0:
		return fmt.Errorf("chaincode config: MaxInFlight %d must be positive (the default is 128)", c.MaxInFlight)
	case c.MaxInFlightPerTx <= 0:
		return fmt.Errorf("chaincode config: MaxInFlightPerTx %d must be positive (the default is 16)", c.MaxInFlightPerTx)
	case c.MaxInFlightPerTx > c.MaxInFlight:
		return fmt.Errorf("chaincode config: MaxInFlightPerTx %d exceeds MaxInFlight %d; raise MaxInFlight or lower MaxInFlightPerTx", c.MaxInFlightPerTx, c.MaxInFlight)
	}
	return nil
}

// maxQueryLimit keeps the limit inside the int32 of QueryResponseMetadata.
const maxQueryLimit = 1<<31 - 1
