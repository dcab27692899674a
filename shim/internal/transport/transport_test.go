package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/keepalive"
)

// Fabric's shim pings its peer every minute and gives up after 20 s without
// an answer, even with no stream open; a Fabric peer sends GOAWAY to clients
// that ping more often than once a minute. A chaincode server answers with
// the same values when its caller sets none.
func TestKeepaliveIsFabricsChaincodeKeepalive(t *testing.T) {
	tests := []struct {
		name      string
		got, want any
	}{
		{"a chaincode dialling its peer", ClientKeepalive(),
			keepalive.ClientParameters{Time: time.Minute, Timeout: 20 * time.Second, PermitWithoutStream: true}},
		{"a chaincode server without KaOpts", DefaultServerKeepalive(),
			keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second}},
		{"the message size limit", MaxMessageSize, 100 * 1024 * 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("differs from Fabric's (-want +got):\n%s", diff)
			}
		})
	}
}

// selfSigned returns the PEM certificate and key of a new self-signed CA.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

func TestTLSConfigurations(t *testing.T) {
	cert, key := selfSigned(t)
	tests := []struct {
		name       string
		build      func() (*tls.Config, error)
		wantErr    string
		clientAuth tls.ClientAuthType
	}{
		{name: "a client trusting the peer's CA and presenting its key pair", build: func() (*tls.Config, error) { return ClientTLS(cert, cert, key) }},
		{name: "a client without a root certificate", build: func() (*tls.Config, error) { return ClientTLS(nil, cert, key) }, wantErr: "load peer root certificate: no certificate given"},
		{name: "a client whose root file holds no PEM", build: func() (*tls.Config, error) { return ClientTLS([]byte("not pem"), cert, key) }, wantErr: "no PEM certificate found"},
		{name: "a client whose key does not match its certificate", build: func() (*tls.Config, error) {
			_, otherKey := selfSigned(t)
			return ClientTLS(cert, cert, otherKey)
		}, wantErr: "load client key pair"},
		{name: "a server requiring client certificates of a CA", build: func() (*tls.Config, error) { return ServerTLS(cert, key, cert) }, clientAuth: tls.RequireAndVerifyClientCert},
		{name: "a server without client CAs", build: func() (*tls.Config, error) { return ServerTLS(cert, key, nil) }, clientAuth: tls.NoClientCert},
		{name: "a server without a key", build: func() (*tls.Config, error) { return ServerTLS(cert, nil, nil) }, wantErr: "set TLSProps.Key"},
		{name: "a server without a certificate", build: func() (*tls.Config, error) { return ServerTLS(nil, key, nil) }, wantErr: "set TLSProps.Cert"},
		{name: "a server whose client CA file holds no PEM", build: func() (*tls.Config, error) { return ServerTLS(cert, key, []byte("x")) }, wantErr: "load client ca certificates: no PEM certificate found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf, err := tt.build()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if conf.MinVersion != tls.VersionTLS12 || len(conf.Certificates) != 1 || conf.ClientAuth != tt.clientAuth {
				t.Errorf("got MinVersion %x, %d certificates, ClientAuth %v; want TLS 1.2, 1, %v", conf.MinVersion, len(conf.Certificates), conf.ClientAuth, tt.clientAuth)
			}
		})
	}
}
