//go:build unix

package launcher

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/test/bufconn"
)

// serveBufconn runs a gRPC server (no services) on an in-memory listener
// and returns the dial option reaching it.
func serveBufconn(t *testing.T, opts ...grpc.ServerOption) grpc.DialOption {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(opts...)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) })
}

func TestDial(t *testing.T) {
	ca := newRecordingCA(t)
	server, err := ca.IssueServer("chaincode.example.com")
	if err != nil {
		t.Fatal(err)
	}
	serverTLS, err := ca.ServerTLSConfig(server)
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.ChaincodeCA.IssueClient("peer")
	if err != nil {
		t.Fatal(err)
	}
	plain := serveBufconn(t)
	mutual := serveBufconn(t, grpc.Creds(credentials.NewTLS(serverTLS)))

	tests := []struct {
		name    string
		conn    ccpackage.Connection
		dialer  grpc.DialOption
		wantErr string
	}{
		{"a plaintext server is reached", ccpackage.Connection{Address: "passthrough:///plain"}, plain, ""},
		{"a mutual TLS server is reached with connection.json's material and domain", ccpackage.Connection{
			Address: "passthrough:///mutual", Domain: "chaincode.example.com", TLSRequired: true, ClientAuthRequired: true,
			RootCert: string(ca.CertPEM()), ClientCert: string(client.CertPEM), ClientKey: string(client.KeyPEM),
		}, mutual, ""},
		{"a server that wants a client certificate refuses a connection without one", ccpackage.Connection{
			Address: "passthrough:///mutual", Domain: "chaincode.example.com", TLSRequired: true, RootCert: string(ca.CertPEM()),
			DialTimeout: ccpackage.Duration(200 * time.Millisecond),
		}, mutual, "not ready within 200ms"},
		{"a missing address is refused before dialling", ccpackage.Connection{}, plain, "chaincode address not provided"},
		{"a root certificate that is not PEM is refused", ccpackage.Connection{Address: "x:1", TLSRequired: true, RootCert: "junk"}, plain, "root_cert holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, err := Dial(context.Background(), tt.conn, tt.dialer)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				cc.Close()
				return
			}
			if err == nil {
				cc.Close()
				t.Fatalf("Dial succeeded, want %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Dial = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCCaaSPackageLaunchReturnsTheConnection(t *testing.T) {
	tests := []struct {
		name     string
		conn     string
		env      []string
		wantAddr string
		wantErr  string
	}{
		{"a plain address is returned as is", `{"address":"cc.example.com:9999"}`, nil, "cc.example.com:9999", ""},
		{"templates are expanded from the builder config", `{"address":"{{.host}}:{{.port}}"}`,
			[]string{ccaasConfigEnv + `={"host":"10.0.0.7","port":"7777"}`}, "10.0.0.7:7777", ""},
		{"templates without the builder config are an error", `{"address":"{{.host}}:9999"}`, nil, "", ccaasConfigEnv + " is not set"},
		{"a template naming a missing value is an error", `{"address":"{{.nohost}}:9999"}`,
			[]string{ccaasConfigEnv + `={"host":"10.0.0.7"}`}, "", "nohost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunner(t, nil, func(c *Config) { c.Env = tt.env })
			pkg := pack(t, writeModule(t, map[string]string{"connection.json": tt.conn}), "svc_1", ccpackage.TypeCCaaS)
			inst, err := r.Launch(context.Background(), "svc:1", pkg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Launch = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if inst.Process != nil || inst.Connection == nil || inst.Connection.Address != tt.wantAddr || inst.Build.Builder != builtinCCaaS {
				t.Fatalf("Launch = %+v, want a connection to %s", inst, tt.wantAddr)
			}
			if l := r.List(); len(l) != 1 || l[0].Address != tt.wantAddr {
				t.Errorf("List() = %+v", l)
			}
		})
	}
}
