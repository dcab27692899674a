package shim

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigurationRules(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     config
		want    config // only Name, TLS and PeerAddress are compared
		wantErr []string
	}{
		{
			name: "the dev-mode variable and a -peer.address argument",
			args: []string{"-peer.address", "127.0.0.1:7052"},
			env:  config{IDChaincodeName: "mycc:1.0"},
			want: config{Name: "mycc:1.0", PeerAddress: "127.0.0.1:7052"},
		},
		{
			name: "the variable a real peer sets and the = form",
			args: []string{"-peer.address=peer0:7052"},
			env:  config{ChaincodeIDName: "mycc:1.0", TLSEnabled: "false"},
			want: config{Name: "mycc:1.0", PeerAddress: "peer0:7052"},
		},
		{
			name: "both ID variables set to the same value",
			args: []string{"--peer.address", "peer0:7052"},
			env:  config{ChaincodeIDName: "mycc:1.0", IDChaincodeName: "mycc:1.0"},
			want: config{Name: "mycc:1.0", PeerAddress: "peer0:7052"},
		},
		{
			name:    "both ID variables set to different values",
			args:    []string{"-peer.address", "peer0:7052"},
			env:     config{ChaincodeIDName: "a:1", IDChaincodeName: "b:1"},
			wantErr: []string{`CORE_ID_CHAINCODE_NAME="b:1"`, `CORE_CHAINCODE_ID_NAME="a:1"`, "disagree"},
		},
		{
			name:    "no chaincode ID",
			args:    []string{"-peer.address", "peer0:7052"},
			wantErr: []string{"CORE_ID_CHAINCODE_NAME", "CORE_CHAINCODE_ID_NAME", startExample},
		},
		{
			name:    "a chaincode ID without a version",
			args:    []string{"-peer.address", "peer0:7052"},
			env:     config{IDChaincodeName: "mycc"},
			wantErr: []string{`"mycc"`, "name:version", startExample},
		},
		{
			name: "a package ID as chaincode ID",
			args: []string{"--peer.address=peer0:7052"},
			env:  config{ChaincodeIDName: "basic_1.0:4ec191e793b27e953ff2ede5a8bcc63152cecb1e4c3f301a26e22692c61967ad"},
			want: config{Name: "basic_1.0:4ec191e793b27e953ff2ede5a8bcc63152cecb1e4c3f301a26e22692c61967ad", PeerAddress: "peer0:7052"},
		},
		{
			name: "the address falls back to CORE_PEER_ADDRESS",
			env:  config{IDChaincodeName: "mycc:1.0", PeerAddressEnv: "peer0:7052"},
			want: config{Name: "mycc:1.0", PeerAddress: "peer0:7052"},
		},
		{
			name: "the argument wins over CORE_PEER_ADDRESS, among the chaincode's own flags",
			args: []string{"-v", "--mine=1", "-peer.address", "arg:1", "positional"},
			env:  config{IDChaincodeName: "mycc:1.0", PeerAddressEnv: "env:2"},
			want: config{Name: "mycc:1.0", PeerAddress: "arg:1"},
		},
		{
			name:    "no peer address at all",
			env:     config{IDChaincodeName: "mycc:1.0"},
			wantErr: []string{"-peer.address", "CORE_PEER_ADDRESS", startExample},
		},
		{
			name:    "-peer.address without a value",
			args:    []string{"-peer.address"},
			env:     config{IDChaincodeName: "mycc:1.0"},
			wantErr: []string{"-peer.address needs a value", startExample},
		},
		{
			name:    "a peer address without a port",
			args:    []string{"-peer.address", "peer0"},
			env:     config{IDChaincodeName: "mycc:1.0"},
			wantErr: []string{`-peer.address "peer0" is not valid`, startExample},
		},
		{
			name:    "a CORE_PEER_ADDRESS with a bad port",
			env:     config{IDChaincodeName: "mycc:1.0", PeerAddressEnv: "peer0:99999"},
			wantErr: []string{`CORE_PEER_ADDRESS "peer0:99999"`, "1 to 65535"},
		},
		{
			name:    "a TLS setting that is not a boolean",
			args:    []string{"-peer.address", "peer0:7052"},
			env:     config{IDChaincodeName: "mycc:1.0", TLSEnabled: "yes"},
			wantErr: []string{`CORE_PEER_TLS_ENABLED="yes"`, "true or false", startExample},
		},
		{
			name:    "a TLS setting of 1, which strconv.ParseBool would take",
			args:    []string{"-peer.address", "peer0:7052"},
			env:     config{IDChaincodeName: "mycc:1.0", TLSEnabled: "1"},
			wantErr: []string{`CORE_PEER_TLS_ENABLED="1"`, "true or false"},
		},
		{
			name: "TLS off in capitals",
			args: []string{"-peer.address", "peer0:7052"},
			env:  config{IDChaincodeName: "mycc:1.0", TLSEnabled: "FALSE"},
			want: config{Name: "mycc:1.0", PeerAddress: "peer0:7052"},
		},
		{
			name:    "TLS on without a root certificate",
			args:    []string{"-peer.address", "peer0:7052"},
			env:     config{IDChaincodeName: "mycc:1.0", TLSEnabled: "true"},
			wantErr: []string{"CORE_PEER_TLS_ROOTCERT_FILE is not set", "e.g. CORE_PEER_TLS_ROOTCERT_FILE=/"},
		},
		{
			name:    "TLS on without a client key",
			args:    []string{"-peer.address", "peer0:7052"},
			env:     config{IDChaincodeName: "mycc:1.0", TLSEnabled: "true", RootCertFile: "/ca.pem", ClientCertFile: "/c.pem"},
			wantErr: []string{"CORE_TLS_CLIENT_KEY_FILE", "CORE_TLS_CLIENT_KEY_PATH", "e.g. CORE_TLS_CLIENT_KEY_FILE=/"},
		},
		{
			name:    "TLS on without a client certificate",
			args:    []string{"-peer.address", "peer0:7052"},
			env:     config{IDChaincodeName: "mycc:1.0", TLSEnabled: "true", RootCertFile: "/ca.pem", ClientKeyPath: "/k.b64"},
			wantErr: []string{"CORE_TLS_CLIENT_CERT_FILE", "CORE_TLS_CLIENT_CERT_PATH", "e.g. CORE_TLS_CLIENT_CERT_FILE=/"},
		},
		{
			name: "TLS on with everything set",
			args: []string{"-peer.address", "peer0:7052"},
			env:  config{IDChaincodeName: "mycc:1.0", TLSEnabled: "true", RootCertFile: "/ca.pem", ClientKeyPath: "/k.b64", ClientCertFile: "/c.pem"},
			want: config{Name: "mycc:1.0", PeerAddress: "peer0:7052", TLS: true},
		},
		{
			name: "arguments after -- are not flags",
			args: []string{"--", "-peer.address", "x:1"},
			env:  config{IDChaincodeName: "mycc:1.0", PeerAddressEnv: "env:2"},
			want: config{Name: "mycc:1.0", PeerAddress: "env:2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveConfig(tt.args, tt.env)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("got config %+v, want an error", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if err.Error() != strings.ToLower(err.Error()[:1])+err.Error()[1:] {
					t.Errorf("error %q does not start in lower case", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			type resolved struct {
				Name, PeerAddress string
				TLS               bool
			}
			if diff := cmp.Diff(resolved{tt.want.Name, tt.want.PeerAddress, tt.want.TLS}, resolved{got.Name, got.PeerAddress, got.TLS}); diff != "" {
				t.Errorf("resolved config differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadConfigReadsEveryVariableThroughEnvconfig(t *testing.T) {
	vars := map[string]string{
		"CORE_ID_CHAINCODE_NAME":      "mycc:1.0",
		"CORE_CHAINCODE_ID_NAME":      "mycc:1.0",
		"CORE_PEER_TLS_ENABLED":       "true",
		"CORE_PEER_ADDRESS":           "env:1",
		"CORE_PEER_TLS_ROOTCERT_FILE": "/root.pem",
		"CORE_TLS_CLIENT_KEY_FILE":    "/key.pem",
		"CORE_TLS_CLIENT_CERT_FILE":   "/cert.pem",
		"CORE_TLS_CLIENT_KEY_PATH":    "/key.b64",
		"CORE_TLS_CLIENT_CERT_PATH":   "/cert.b64",
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	got, err := loadConfig([]string{"-peer.address", "arg:2"})
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		IDChaincodeName: "mycc:1.0", ChaincodeIDName: "mycc:1.0", TLSEnabled: "true", PeerAddressEnv: "env:1",
		RootCertFile: "/root.pem", ClientKeyFile: "/key.pem", ClientCertFile: "/cert.pem", ClientKeyPath: "/key.b64", ClientCertPath: "/cert.b64",
		PeerAddressArg: "arg:2", Name: "mycc:1.0", TLS: true, PeerAddress: "arg:2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config differs (-want +got):\n%s", diff)
	}
}

// The shim leaves the global flag set alone, so a chaincode that parses it
// must declare peer.address itself, as Start's documentation says. This
// checks both halves of that sentence on a flag set built like the global
// one.
func TestChaincodeFlagsAndThePeerAddressArgument(t *testing.T) {
	tests := []struct {
		name    string
		declare bool
		args    []string
		wantErr string
	}{
		{name: "undeclared, the peer's argument stops flag parsing", args: []string{"-peer.address", "127.0.0.1:7052"},
			wantErr: "flag provided but not defined: -peer.address"},
		{name: "declared as documented, the separate-value form parses", declare: true, args: []string{"-v", "-peer.address", "127.0.0.1:7052"}},
		{name: "declared as documented, the = form parses", declare: true, args: []string{"--peer.address=127.0.0.1:7052", "-v"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("mycc", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.Bool("v", false, "a flag of the chaincode's own")
			var declared *string
			if tt.declare {
				declared = fs.String("peer.address", "", "peer address (read by shim.Start)")
			}
			err := fs.Parse(tt.args)
			if tt.wantErr != "" {
				if !errContains(err, tt.wantErr) {
					t.Fatalf("flag parsing returned %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("flag parsing failed: %v", err)
			}
			fromArgs, err := peerAddressFromArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if fromArgs != *declared || fromArgs != "127.0.0.1:7052" {
				t.Errorf("the shim read %q and the chaincode's flag %q, want both 127.0.0.1:7052", fromArgs, *declared)
			}
		})
	}
}
