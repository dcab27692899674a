package chaincode

import (
	"strings"
	"testing"
)

func TestConfigValidateNamesTheBadInFlightBound(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"the defaults are valid", func(*Config) {}, ""},
		{"MaxInFlight must be positive", func(c *Config) { c.MaxInFlight = 0 }, "MaxInFlight 0 must be positive"},
		{"MaxInFlightPerTx must be positive", func(c *Config) { c.MaxInFlightPerTx = -1 }, "MaxInFlightPerTx -1 must be positive"},
		{"MaxInFlightPerTx may not exceed MaxInFlight", func(c *Config) { c.MaxInFlight, c.MaxInFlightPerTx = 4, 5 }, "MaxInFlightPerTx 5 exceeds MaxInFlight 4"},
		{"MaxInFlightPerTx may equal MaxInFlight", func(c *Config) { c.MaxInFlight, c.MaxInFlightPerTx = 4, 4 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			if got := errText(err); tt.want == "" && err != nil || !strings.Contains(got, tt.want) {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConfigFromEnvReadsTheInFlightBounds(t *testing.T) {
	t.Setenv("CCTEST_MAX_INFLIGHT", "7")
	t.Setenv("CCTEST_MAX_INFLIGHT_PER_TX", "3")
	cfg, err := ConfigFromEnv("CCTEST")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxInFlight != 7 || cfg.MaxInFlightPerTx != 3 {
		t.Errorf("got MaxInFlight %d, MaxInFlightPerTx %d, want 7 and 3", cfg.MaxInFlight, cfg.MaxInFlightPerTx)
	}
	if def := DefaultConfig(); def.MaxInFlight != 128 || def.MaxInFlightPerTx != 16 {
		t.Errorf("defaults %d/%d, want 128/16 as the envconfig tags say", def.MaxInFlight, def.MaxInFlightPerTx)
	}
}
