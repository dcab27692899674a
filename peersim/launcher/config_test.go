//go:build unix

package launcher

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	good := writeBuilder(t, "good", map[string]string{"detect": "exit 0", "build": "exit 0"})
	noBuild := writeBuilder(t, "nobuild", map[string]string{"detect": "exit 0"})
	base := Config{DataDir: "/tmp/x", PeerAddress: "127.0.0.1:7052"}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"a minimal config is valid", func(*Config) {}, ""},
		{"a config with a complete external builder is valid", func(c *Config) { c.ExternalBuilders = []Builder{good} }, ""},
		{"the data dir is required", func(c *Config) { c.DataDir = "" }, "DataDir is empty"},
		{"the peer address is required", func(c *Config) { c.PeerAddress = "" }, "PeerAddress is empty"},
		{"TLS needs a CA", func(c *Config) { c.TLS = true }, "TLS is on but CA is nil"},
		{"a negative grace period is refused", func(c *Config) { c.StopGrace = -time.Second }, "StopGrace -1s is negative"},
		{"a negative build timeout is refused", func(c *Config) { c.BuildTimeout = -time.Minute }, "BuildTimeout -1m0s is negative"},
		{"a backoff cap below its start is refused", func(c *Config) { c.Backoff = Backoff{Initial: time.Minute, Max: time.Second} }, "Max 1s is below Initial 1m0s"},
		{"a negative backoff is refused", func(c *Config) { c.Backoff.Healthy = -1 }, "Healthy -1ns is negative"},
		{"a builder needs a name", func(c *Config) { c.ExternalBuilders = []Builder{{Path: good.Path}} }, "has no name"},
		{"a builder needs a path", func(c *Config) { c.ExternalBuilders = []Builder{{Name: "x"}} }, "(x) has no path"},
		{"builder names are unique", func(c *Config) { c.ExternalBuilders = []Builder{good, good} }, `builder name "good" is used twice`},
		{"built-in builder names are reserved", func(c *Config) { c.ExternalBuilders = []Builder{{Name: "golang", Path: good.Path}} }, "reserved"},
		{"a builder needs bin/build", func(c *Config) { c.ExternalBuilders = []Builder{noBuild} }, "external builder nobuild"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestBuildersFromDirsNamesEachAfterItsDirectory(t *testing.T) {
	got := BuildersFromDirs([]string{"/opt/builders/ccaas/", "rel/golang-ext"})
	if len(got) != 2 || got[0].Name != "ccaas" || got[0].Path != "/opt/builders/ccaas/" || got[1].Name != "golang-ext" {
		t.Errorf("BuildersFromDirs = %+v", got)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: 10 * time.Second}
	tests := []struct {
		name    string
		crashes int
		want    time.Duration
	}{
		{"no crash means no wait", 0, 0},
		{"the first crash is relaunched at once", 1, 0},
		{"the second crash in a row waits Initial", 2, time.Second},
		{"each further crash doubles the wait", 4, 4 * time.Second},
		{"the wait is capped at Max", 6, 10 * time.Second},
		{"a long crash loop does not overflow", 200, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Delay(tt.crashes); got != tt.want {
				t.Errorf("Delay(%d) = %s, want %s", tt.crashes, got, tt.want)
			}
		})
	}
	if got := (Backoff{}).Delay(2); got != DefaultBackoffInitial {
		t.Errorf("zero Backoff Delay(2) = %s, want the default %s", got, DefaultBackoffInitial)
	}
}
