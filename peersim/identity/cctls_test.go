package identity

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"
)

// handshake runs a TLS handshake over an in-memory pipe and returns the
// server's view of the client certificate and both sides' errors.
func handshake(t *testing.T, server *tls.Config, client *tls.Config) (clientCN string, clientHash []byte, serverErr, clientErr error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sc, cc := net.Pipe()
	defer sc.Close()
	defer cc.Close()
	type result struct {
		cn   string
		hash []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		srv := tls.Server(sc, server)
		err := srv.HandshakeContext(ctx)
		var r result
		r.err = err
		if err == nil {
			peers := srv.ConnectionState().PeerCertificates
			r.cn = peers[0].Subject.CommonName
			r.hash = CertHash(peers[0].Raw)
		}
		// Unblock the client if it still waits for our flight.
		sc.Close()
		done <- r
	}()
	cl := tls.Client(cc, client)
	clientErr = cl.HandshakeContext(ctx)
	if clientErr == nil {
		// TLS 1.3: the server verifies the client certificate after the
		// client's handshake returns; a read surfaces its verdict.
		_ = cl.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = cl.Read(make([]byte, 1))
	}
	cc.Close()
	r := <-done
	return r.cn, r.hash, r.err, clientErr
}

func TestChaincodeCAMutualTLS(t *testing.T) {
	ca, err := NewChaincodeCA(0)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := NewChaincodeCA(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.IssueServer("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	serverCfg, err := ca.ServerTLSConfig(server)
	if err != nil {
		t.Fatal(err)
	}
	good, err := ca.IssueClient("basic:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := good.Cert.NotAfter.Sub(good.Cert.NotBefore); got > DefaultChaincodeCertValidity+backdate+time.Minute {
		t.Errorf("client certificate lives %s, want about %s", got, DefaultChaincodeCertValidity)
	}
	stranger, err := foreign.IssueClient("basic:1.0")
	if err != nil {
		t.Fatal(err)
	}
	clientCfg := func(kp *KeyPair) *tls.Config {
		cfg := &tls.Config{RootCAs: ca.CertPool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
		if kp != nil {
			cert, err := kp.TLSCertificate()
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		return cfg
	}
	tests := []struct {
		name   string
		client *KeyPair
		wantOK bool
	}{
		{"a client certificate from the peer's chaincode CA is accepted", good, true},
		{"a client certificate from another CA is refused", stranger, false},
		{"a client without a certificate is refused", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn, hash, serverErr, clientErr := handshake(t, serverCfg, clientCfg(tt.client))
			if !tt.wantOK {
				if serverErr == nil {
					t.Fatalf("server accepted the client (client err %v)", clientErr)
				}
				return
			}
			if serverErr != nil || clientErr != nil {
				t.Fatalf("handshake: server %v, client %v", serverErr, clientErr)
			}
			if cn != "basic:1.0" || !bytes.Equal(hash, good.Hash()) {
				t.Errorf("server saw CN %q hash %x, want basic:1.0 %x", cn, hash, good.Hash())
			}
		})
	}
	if !strings.Contains(string(ca.CertPEM()), "BEGIN CERTIFICATE") {
		t.Error("CertPEM is not PEM")
	}
}

func TestChaincodeCARefusesBadRequests(t *testing.T) {
	if _, err := NewChaincodeCA(-time.Second); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative validity: %v", err)
	}
	ca, err := NewChaincodeCA(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.IssueClient(""); err == nil || !strings.Contains(err.Error(), "chaincode id is empty") {
		t.Errorf("empty ccid: %v", err)
	}
	if _, _, err := ca.IssueClientPEM(""); err == nil || !strings.Contains(err.Error(), "chaincode id is empty") {
		t.Errorf("empty ccid, PEM: %v", err)
	}
	if _, err := ca.IssueServer(); err == nil || !strings.Contains(err.Error(), "no host") {
		t.Errorf("no hosts: %v", err)
	}
}

func TestChaincodeCAIssueClientPEM(t *testing.T) {
	ca, err := NewChaincodeCA(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssueClientPEM("basic:1.0")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("the PEM is not a key pair: %v", err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "basic:1.0" {
		t.Errorf("CN %q, want basic:1.0", cert.Subject.CommonName)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.CertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("the certificate does not chain to the CA: %v", err)
	}
}
