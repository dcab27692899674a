package contractapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/google/go-cmp/cmp"
)

func TestChaincodeServerFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key, cert, root := write("key.pem", "KEY"), write("cert.pem", "CERT"), write("root.pem", "ROOT")
	tests := []struct {
		name    string
		env     map[string]string
		want    *shim.ChaincodeServer
		message string
	}{
		{"no server address means dialling the peer", map[string]string{"CORE_CHAINCODE_ID_NAME": "cc:1"}, nil, ""},
		{"CHAINCODE_ID gives the CCID", map[string]string{"CHAINCODE_SERVER_ADDRESS": "0.0.0.0:9999", "CHAINCODE_ID": "cc:abc"},
			&shim.ChaincodeServer{CCID: "cc:abc", Address: "0.0.0.0:9999", TLSProps: shim.TLSProperties{Disabled: true}}, ""},
		{"Fabric's CORE_CHAINCODE_ID_NAME is read too", map[string]string{"CHAINCODE_SERVER_ADDRESS": "h:1", "CORE_CHAINCODE_ID_NAME": "cc:def"},
			&shim.ChaincodeServer{CCID: "cc:def", Address: "h:1", TLSProps: shim.TLSProperties{Disabled: true}}, ""},
		{"CHAINCODE_ID wins over CORE_CHAINCODE_ID_NAME", map[string]string{"CHAINCODE_SERVER_ADDRESS": "h:1", "CHAINCODE_ID": "new", "CORE_CHAINCODE_ID_NAME": "old"},
			&shim.ChaincodeServer{CCID: "new", Address: "h:1", TLSProps: shim.TLSProperties{Disabled: true}}, ""},
		{"a server address without an ID is an error", map[string]string{"CHAINCODE_SERVER_ADDRESS": "h:1"}, nil,
			"neither CHAINCODE_ID nor CORE_CHAINCODE_ID_NAME is set"},
		{"TLS reads key, certificate and client CA", map[string]string{"CHAINCODE_SERVER_ADDRESS": "h:1", "CHAINCODE_ID": "x",
			"CORE_PEER_TLS_ENABLED": "true", "CORE_TLS_CLIENT_KEY_FILE": key, "CORE_TLS_CLIENT_CERT_FILE": cert, "CORE_PEER_TLS_ROOTCERT_FILE": root},
			&shim.ChaincodeServer{CCID: "x", Address: "h:1", TLSProps: shim.TLSProperties{Key: []byte("KEY"), Cert: []byte("CERT"), ClientCACerts: []byte("ROOT")}}, ""},
		{"TLS without a client CA does not verify clients", map[string]string{"CHAINCODE_SERVER_ADDRESS": "h:1", "CHAINCODE_ID": "x",
			"CORE_PEER_TLS_ENABLED": "1", "CORE_TLS_CLIENT_KEY_FILE": key, "CORE_TLS_CLIENT_CERT_FILE": cert},
			&shim.ChaincodeServer{CCID: "x", Address: "h:1", TLSProps: shim.TLSProperties{Key: []byte("KEY"), Cert: []byte("CERT")}}, ""},
		{"TLS explicitly off", map[string]string{"CHAINCODE_SERVER_ADDRESS": "h:1", "CHAINCODE_ID": "x", "CORE_PEER_TLS_ENABLED": "false"},
			&shim.ChaincodeServer{CCID: "x", Address: "h:1", TLSProps: shim.TLSProperties{Disabled: true}}, ""},
		{"a TLS flag that is not a boolean is an error", map[string]string{"CHAINCODE_SERVER_ADDRESS": "h:1", "CHAINCODE_ID": "x", "CORE_PEER_TLS_ENABLED": "yes please"}, nil,
			`CORE_PEER_TLS_ENABLED "yes please" is not a boolean`},
		{"TLS without key files is an error", map[string]string{"CHAINCODE_SERVER_ADDRESS": "h:1", "CHAINCODE_ID": "x", "CORE_PEER_TLS_ENABLED": "true"}, nil,
			"CORE_TLS_CLIENT_KEY_FILE"},
		{"an unreadable key file is an error naming it", map[string]string{"CHAINCODE_SERVER_ADDRESS": "h:1", "CHAINCODE_ID": "x", "CORE_PEER_TLS_ENABLED": "true",
			"CORE_TLS_CLIENT_KEY_FILE": filepath.Join(dir, "missing.pem"), "CORE_TLS_CLIENT_CERT_FILE": cert}, nil,
			"read CORE_TLS_CLIENT_KEY_FILE file " + filepath.Join(dir, "missing.pem")},
	}
	vars := []string{"CHAINCODE_SERVER_ADDRESS", "CHAINCODE_ID", "CORE_CHAINCODE_ID_NAME", "CORE_PEER_TLS_ENABLED",
		"CORE_TLS_CLIENT_KEY_FILE", "CORE_TLS_CLIENT_CERT_FILE", "CORE_PEER_TLS_ROOTCERT_FILE"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range vars {
				t.Setenv(v, tt.env[v])
			}
			got, err := chaincodeServer()
			if tt.message != "" {
				if err == nil || !strings.Contains(err.Error(), tt.message) {
					t.Fatalf("got error %v, want one containing %q", err, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("server (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStartReportsBadServerSettings(t *testing.T) {
	t.Setenv("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:0")
	t.Setenv("CHAINCODE_ID", "")
	t.Setenv("CORE_CHAINCODE_ID_NAME", "")
	cc := mustChaincode(t, &okContract{})
	if err := cc.Start(); err == nil || !strings.Contains(err.Error(), "CHAINCODE_ID") {
		t.Fatalf("Start error %v, want one about the missing CCID", err)
	}
}
