package peersim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"os"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// withDevTLS turns development-mode chaincode TLS on, with the chaincode
// listener on TCP (bufconn carries no TLS).
func withDevTLS() netOption {
	return func(s *netSetup) { s.cfg.ChaincodeDevTLS, s.tcpChaincode = true, true }
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dialTLS dials the peer's chaincode address with the CA of files and,
// when withCert, its client certificate.
func dialTLS(t *testing.T, addr string, files *DevTLSFiles, withCert bool) *grpc.ClientConn {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(readFile(t, files.RootCert)) {
		t.Fatalf("%s holds no certificate", files.RootCert)
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if withCert {
		pair, err := tls.LoadX509KeyPair(files.ClientCert, files.ClientKey)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestADevelopmentModePeerWithChaincodeTLSAdmitsChaincodeThatHoldsTheFilesItWrote(t *testing.T) {
	n := startNet(t, t.TempDir(), withDevTLS())
	n.install(t, n.admin, "mycc", "1.0")
	files := n.p.devTLS
	if files == nil {
		t.Fatal("no development-mode TLS files after start")
	}
	// Fabric's shim reads CORE_TLS_CLIENT_*_PATH as base64 of the PEM.
	for pem, b64 := range map[string]string{files.ClientCert: files.ClientCertBase64, files.ClientKey: files.ClientKeyBase64} {
		decoded, err := base64.StdEncoding.DecodeString(string(readFile(t, b64)))
		if err != nil || !bytes.Equal(decoded, readFile(t, pem)) {
			t.Errorf("%s is not base64 of %s (%v)", b64, pem, err)
		}
	}
	_, ccAddr, _ := n.p.Addrs()

	// With the client certificate: registered, and it serves.
	n.cc = dialTLS(t, ccAddr, files, true)
	n.startCC(t, "mycc:1.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	if r := n.query(t, DefaultChannel, "mycc", "get", "k"); r.GetStatus() >= 400 {
		t.Errorf("query over the TLS stream: %d %s", r.GetStatus(), r.GetMessage())
	}

	// Without one the listener refuses the connection.
	stream, err := peer.NewChaincodeSupportClient(dialTLS(t, ccAddr, files, false)).Register(context.Background())
	if err == nil {
		_, err = stream.Recv()
	}
	if err == nil {
		t.Error("a chaincode without the client certificate got a stream")
	}
}
