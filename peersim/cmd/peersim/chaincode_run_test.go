package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim"
)

func TestChaincodeRunStartsTheChaincodeAsADevelopmentModePeerExpectsIt(t *testing.T) {
	live := peersim.AddressFile{Address: "127.0.0.1:40001", ChaincodeAddress: "127.0.0.1:40002", PID: os.Getpid(), Dev: true, MSPID: "Org1MSP"}
	withTLS := live
	withTLS.ChaincodeTLS = &peersim.DevTLSFiles{RootCert: "/d/ca.crt", ClientCert: "/d/client.crt", ClientKey: "/d/client.key",
		ClientCertBase64: "/d/client.crt.b64", ClientKeyBase64: "/d/client.key.b64"}
	production := live
	production.Dev = false
	stale := production // a stale file says nothing about the peer now
	stale.PID = deadPID
	settings := "CORE_ID_CHAINCODE_NAME=kv:1.0\nCORE_CHAINCODE_ID_NAME=kv:1.0\nCORE_PEER_TLS_ENABLED=false\nCORE_PEER_LOCALMSPID=Org1MSP\n"

	tests := []struct {
		name   string
		file   *peersim.AddressFile
		helper string
		args   []string
		// code is the exit code, stdout the chaincode's output, stderr
		// substrings of what chaincode run printed.
		code   int
		stdout string
		stderr []string
	}{
		{"the chaincode address of the running peer's address file", &live, "print", nil, 0,
			settings + "args: -peer.address 127.0.0.1:40002\n",
			[]string{"chaincode address 127.0.0.1:40002 (from ", "written by the peer with pid", "CORE_ID_CHAINCODE_NAME=kv:1.0 CORE_CHAINCODE_ID_NAME=kv:1.0 CORE_PEER_TLS_ENABLED=false CORE_PEER_LOCALMSPID=Org1MSP "}},
		{"--chaincode-address wins over the file", &live, "print", []string{"--chaincode-address", "127.0.0.1:50002"}, 0,
			settings + "args: -peer.address 127.0.0.1:50002\n",
			[]string{"(given with --chaincode-address)", "-peer.address 127.0.0.1:50002\n"}},
		{"without a file the documented default", nil, "print", nil, 0,
			settings + "args: -peer.address 127.0.0.1:7052\n",
			[]string{"chaincode address 127.0.0.1:7052 (the default: no peer wrote "}},
		{"a stale file is ignored with a warning", &stale, "print", nil, 0,
			settings + "args: -peer.address 127.0.0.1:7052\n",
			[]string{"Warning: ignoring ", "is stale"}},
		{"the program's own arguments come first", nil, "print", []string{"--", "-x", "it's"}, 0,
			settings + "args: -x it's -peer.address 127.0.0.1:7052\n",
			[]string{` -x 'it'\''s' -peer.address 127.0.0.1:7052`}},
		{"a peer with chaincode TLS gets the files it wrote, as Fabric's shim reads them", &withTLS, "printtls", nil, 0,
			"CORE_PEER_TLS_ENABLED=true\nCORE_PEER_TLS_ROOTCERT_FILE=/d/ca.crt\nCORE_TLS_CLIENT_CERT_PATH=/d/client.crt.b64\nCORE_TLS_CLIENT_KEY_PATH=/d/client.key.b64\n" +
				"CORE_TLS_CLIENT_CERT_FILE=/d/client.crt\nCORE_TLS_CLIENT_KEY_FILE=/d/client.key\n",
			[]string{"CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_ROOTCERT_FILE=/d/ca.crt "}},
		{"--chaincode-address of another peer drops the file's TLS settings", &withTLS, "printtls", []string{"--chaincode-address", "127.0.0.1:50002"}, 0,
			"CORE_PEER_TLS_ENABLED=false\nCORE_PEER_TLS_ROOTCERT_FILE=\nCORE_TLS_CLIENT_CERT_PATH=\nCORE_TLS_CLIENT_KEY_PATH=\nCORE_TLS_CLIENT_CERT_FILE=\nCORE_TLS_CLIENT_KEY_FILE=\n",
			nil},
		{"a production-mode peer is refused", &production, "print", nil, exitFailure, "",
			[]string{"Error: the peer at 127.0.0.1:40002", "runs in production mode", "restart the peer with --dev"}},
		{"the chaincode's exit code is the command's", nil, "exit3", nil, 3, "",
			[]string{"Error: chaincode kv:1.0 (pid ", "exit status 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != nil {
				writeAddressFile(t, dir, *tt.file)
			}
			// Flags first, then PROGRAM after --, then its own arguments.
			flags, own := tt.args, []string(nil)
			if i := slices.Index(tt.args, "--"); i >= 0 {
				flags, own = tt.args[:i], tt.args[i+1:]
			}
			args := append(append([]string{"chaincode", "run", "-n", "kv", "-v", "1.0"}, flags...), "--", os.Args[0])
			args = append(args, own...)
			r := runCLI(t.Context(), nil, func(a *app) {
				a.lookupEnv = onlyDataDir(dir)
				a.environ = func() []string { return append(os.Environ(), helperEnv+"="+tt.helper) }
			}, args...)
			if r.code != tt.code || r.stdout != tt.stdout {
				t.Errorf("exit %d, stdout:\n%s\nwant exit %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, tt.code, tt.stdout, r.stderr)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

func TestChaincodeRunRefusesAnIncompleteCommand(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"-v", "1.0", "--", "./mycc"}, "-n (chaincode name) is required"},
		{"no version", []string{"-n", "kv", "./mycc"}, "-v (chaincode version) is required"},
		{"no program", []string{"-n", "kv", "-v", "1.0"}, "requires at least 1 arg"},
		{"an empty --chaincode-address", []string{"-n", "kv", "-v", "1.0", "--chaincode-address", "", "./mycc"}, "--chaincode-address is empty"},
		{"a program that is not there", []string{"-n", "kv", "-v", "1.0", "./no-such-chaincode"}, "start chaincode ./no-such-chaincode"},
		{"both -p and a program", []string{"-n", "kv", "-v", "1.0", "-p", "./src", "./mycc"}, "-p ./src and PROGRAM ./mycc both given"},
		{"--watch without -p", []string{"-n", "kv", "-v", "1.0", "--watch", "./mycc"}, "--watch needs -p DIR"},
		{"a zero --watch-interval", []string{"-n", "kv", "-v", "1.0", "-p", "./src", "--watch", "--watch-interval", "0s"}, "--watch-interval 0s: must be positive"},
		{"a negative --watch-debounce", []string{"-n", "kv", "-v", "1.0", "-p", "./src", "--watch", "--watch-debounce", "-1s"}, "--watch-debounce -1s: must not be negative"},
		{"-p of a directory that is not there", []string{"-n", "kv", "-v", "1.0", "-p", "./no-such-dir"}, "no-such-dir: invalid chaincode source: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := runCLI(t.Context(), nil, func(a *app) { a.lookupEnv = onlyDataDir(dir) }, append([]string{"chaincode", "run"}, tt.args...)...)
			if r.code != exitFailure || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"./mycc", "./mycc"},
		{"127.0.0.1:7052", "127.0.0.1:7052"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
