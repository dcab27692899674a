package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim"
)

// writeAddressFile writes f as the address file of a peer on dataDir.
func writeAddressFile(t *testing.T, dataDir string, f peersim.AddressFile) {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(peersim.AddressFilePath(dataDir), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// deadPID is never a process: it is above every system's pid limit
// (Linux allows at most 2^22).
const deadPID = 1 << 30

func TestPeerAddressComesFromTheFlagTheEnvironmentTheAddressFileOrTheDefault(t *testing.T) {
	live := peersim.AddressFile{Address: "127.0.0.1:40001", ChaincodeAddress: "127.0.0.1:40002", PID: os.Getpid(), Dev: true}
	stale := live
	stale.PID = deadPID

	tests := []struct {
		name string
		env  map[string]string
		args []string
		file *peersim.AddressFile
		// want is the address, from a substring of where it came from,
		// warning a substring of stderr ("" for nothing).
		want, from, warning string
	}{
		{"the default", nil, nil, nil, defaultPeerAddress, "the default: no peer wrote", ""},
		{"the environment", map[string]string{envPeerAddress: "10.0.0.1:7051"}, nil, nil, "10.0.0.1:7051", "from PEERSIM_PEER_ADDRESS", ""},
		{"the flag wins over the environment", map[string]string{envPeerAddress: "10.0.0.1:7051"}, []string{"--peer-address", "10.0.0.2:7051"}, nil, "10.0.0.2:7051", "given with --peer-address", ""},
		{"a running peer's address file wins over the default", nil, nil, &live, "127.0.0.1:40001", "peer.addresses.json, written by the peer with pid", ""},
		{"the environment wins over the address file", map[string]string{envPeerAddress: "10.0.0.1:7051"}, nil, &live, "10.0.0.1:7051", "from PEERSIM_PEER_ADDRESS", ""},
		{"the flag wins over the address file", nil, []string{"--peer-address", "10.0.0.2:7051"}, &live, "10.0.0.2:7051", "given with --peer-address", ""},
		{"a stale address file is ignored, with a warning", nil, nil, &stale, defaultPeerAddress, "is stale: the peer that wrote it", "Warning: ignoring"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != nil {
				writeAddressFile(t, dir, *tt.file)
			}
			var stderr bytes.Buffer
			a := newApp(&bytes.Buffer{}, &stderr)
			a.lookupEnv = func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			var f clientFlags
			cmd := &cobra.Command{Use: "test"}
			addClientFlags(cmd, &f, true)
			if err := cmd.ParseFlags(append([]string{"--data-dir", dir}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			if err := a.resolve(cmd, &f); err != nil {
				t.Fatal(err)
			}
			if f.peerAddress != tt.want || !strings.Contains(f.peerAddressFrom, tt.from) {
				t.Errorf("resolved %q (%s), want %q (%s)", f.peerAddress, f.peerAddressFrom, tt.want, tt.from)
			}
			if tt.warning == "" && stderr.Len() != 0 || !strings.Contains(stderr.String(), tt.warning) {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.warning)
			}
		})
	}
}

func TestDataDirDefaultsToTheHomeDirectory(t *testing.T) {
	a := newApp(&bytes.Buffer{}, &bytes.Buffer{})
	a.lookupEnv = func(string) (string, bool) { return "", false }
	a.homeDir = func() (string, error) { return "/home/test", nil }
	var f clientFlags
	cmd := &cobra.Command{Use: "test"}
	addClientFlags(cmd, &f, true)
	if err := a.resolve(cmd, &f); err != nil {
		t.Fatal(err)
	}
	if f.dataDir != "/home/test/.peersim" {
		t.Errorf("data dir %q, want /home/test/.peersim", f.dataDir)
	}
}

func TestAMalformedAddressFileIsAnErrorNamingIt(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(peersim.AddressFilePath(dir), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := newApp(&bytes.Buffer{}, &bytes.Buffer{})
	a.lookupEnv = func(string) (string, bool) { return "", false }
	var f clientFlags
	cmd := &cobra.Command{Use: "test"}
	addClientFlags(cmd, &f, true)
	if err := cmd.ParseFlags([]string{"--data-dir", dir}); err != nil {
		t.Fatal(err)
	}
	err := a.resolve(cmd, &f)
	if err == nil || !strings.Contains(err.Error(), peersim.AddressFilePath(dir)) || !strings.Contains(err.Error(), "--peer-address") {
		t.Errorf("resolve error %v, want one naming the file and --peer-address", err)
	}
}
