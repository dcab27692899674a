package main

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"
)

func TestPeerAddressFlagWinsOverTheEnvironment(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"the default", nil, nil, defaultPeerAddress},
		{"the environment", map[string]string{envPeerAddress: "10.0.0.1:7051"}, nil, "10.0.0.1:7051"},
		{"the flag wins", map[string]string{envPeerAddress: "10.0.0.1:7051"}, []string{"--peer-address", "10.0.0.2:7051"}, "10.0.0.2:7051"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(&bytes.Buffer{}, &bytes.Buffer{})
			a.lookupEnv = func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			a.homeDir = func() (string, error) { return "/home/test", nil }
			var f clientFlags
			cmd := &cobra.Command{Use: "test"}
			addClientFlags(cmd, &f, true)
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := a.resolve(cmd, &f); err != nil {
				t.Fatal(err)
			}
			if f.peerAddress != tt.want || f.dataDir != "/home/test/.peersim" {
				t.Errorf("resolved %q and %q, want %q and /home/test/.peersim", f.peerAddress, f.dataDir, tt.want)
			}
		})
	}
}
