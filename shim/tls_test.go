package shim

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
	"github.com/chaincodekit/chaincodekit/shim/internal/transport"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
)

// testCA issues certificates for the TLS tests.
type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate and key for cn, valid for 127.0.0.1.
func (ca *testCA) issue(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// clientCN returns the common name of the client certificate the peer saw.
func clientCN(c *peerConn) string {
	info, ok := c.auth.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		return ""
	}
	return info.State.PeerCertificates[0].Subject.CommonName
}

func TestMutualTLSWithThePeerOverLoopback(t *testing.T) {
	peerCA := newTestCA(t, "peer-ca")
	clientCA := newTestCA(t, "client-ca")
	serverCert, serverKey := peerCA.issue(t, "peer0")
	dir := t.TempDir()
	clientCert, clientKey := clientCA.issue(t, "mycc-client")
	rootFile := writeFile(t, dir, "peer.crt", peerCA.certPEM)

	serverTLS, err := transport.ServerTLS(serverCert, serverKey, clientCA.certPEM)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		cfg  func() config
	}{
		{"key and certificate as base64 of PEM, as a peer writes them", func() config {
			return config{
				ClientKeyPath:  writeFile(t, dir, "client.key", []byte(base64.StdEncoding.EncodeToString(clientKey)+"\n")),
				ClientCertPath: writeFile(t, dir, "client.crt", []byte(base64.StdEncoding.EncodeToString(clientCert))),
			}
		}},
		{"key and certificate as PEM files, preferred over the base64 ones", func() config {
			return config{
				ClientKeyFile:  writeFile(t, dir, "client_pem.key", clientKey),
				ClientCertFile: writeFile(t, dir, "client_pem.crt", clientCert),
				ClientKeyPath:  writeFile(t, dir, "garbage.key", []byte("not base64!")),
				ClientCertPath: writeFile(t, dir, "garbage.crt", []byte("not base64!")),
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			fp := serveFakePeer(t, lis, transport.ServerOptions(serverTLS, nil)...)
			raw := tt.cfg()
			raw.IDChaincodeName = "mycc:1.0"
			raw.TLSEnabled = "true"
			raw.RootCertFile = rootFile
			cfg, err := resolveConfig([]string{"-peer.address", lis.Addr().String()}, raw)
			if err != nil {
				t.Fatal(err)
			}
			h := attach(t, fp.conns, "mycc:1.0", func() error {
				return run(cfg, &chaincodeFuncs{}, slog.New(slog.DiscardHandler))
			})
			h.handshake(nil)
			h.transaction(false, "ch", "tx1")
			h.expectCompleted("ch", "tx1")
			if cn := clientCN(h.conn); cn != "mycc-client" {
				t.Errorf("peer saw client certificate %q, want mycc-client", cn)
			}
		})
	}

	t.Run("a client certificate from another CA is refused", func(t *testing.T) {
		leakcheck.Check(t)
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		serveFakePeer(t, lis, transport.ServerOptions(serverTLS, nil)...)
		strangerCert, strangerKey := newTestCA(t, "stranger").issue(t, "stranger")
		cfg, err := resolveConfig([]string{"-peer.address", lis.Addr().String()}, config{
			IDChaincodeName: "mycc:1.0", TLSEnabled: "true", RootCertFile: rootFile,
			ClientKeyFile: writeFile(t, dir, "s.key", strangerKey), ClientCertFile: writeFile(t, dir, "s.crt", strangerCert),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := run(cfg, &chaincodeFuncs{}, slog.New(slog.DiscardHandler)); err == nil {
			t.Error("run succeeded with an untrusted client certificate")
		}
	})

	t.Run("unreadable key material is a clear error", func(t *testing.T) {
		cfg := config{TLS: true, RootCertFile: rootFile, ClientKeyPath: writeFile(t, dir, "bad.key", []byte("%%%")), ClientCertFile: writeFile(t, dir, "ok.crt", clientCert)}
		if _, err := cfg.tlsConfig(); !errContains(err, "CORE_TLS_CLIENT_KEY_PATH") || !errContains(err, "base64") {
			t.Errorf("got %v", err)
		}
		cfg = config{TLS: true, RootCertFile: filepath.Join(dir, "missing.pem")}
		if _, err := cfg.tlsConfig(); !errContains(err, "CORE_PEER_TLS_ROOTCERT_FILE") {
			t.Errorf("got %v", err)
		}
		// Each error also says how to fix it.
		cfg = config{TLS: true, RootCertFile: filepath.Join(dir, "missing.pem")}
		if _, err := cfg.tlsConfig(); !errContains(err, "missing.pem") || !errContains(err, "or set CORE_PEER_TLS_ENABLED=false") {
			t.Errorf("got %v, want the path and how to fix it", err)
		}
		cfg = config{TLS: true, RootCertFile: rootFile, ClientKeyFile: filepath.Join(dir, "missing.key"), ClientCertFile: writeFile(t, dir, "ok.crt", clientCert)}
		if _, err := cfg.tlsConfig(); !errContains(err, "read CORE_TLS_CLIENT_KEY_FILE") || !errContains(err, "missing.key") || !errContains(err, "CORE_TLS_CLIENT_KEY_PATH") {
			t.Errorf("got %v, want the variable, the path and the alternative", err)
		}
		cfg = config{TLS: true, RootCertFile: rootFile, ClientKeyFile: writeFile(t, dir, "ok.crt", clientCert), ClientCertFile: writeFile(t, dir, "ok.crt", clientCert)}
		if _, err := cfg.tlsConfig(); !errContains(err, "check that the key and certificate files belong together") {
			t.Errorf("got %v, want a hint about the key pair", err)
		}
	})
}

func TestChaincodeServerRegistersWithItsCCIDOnThePeersConnection(t *testing.T) {
	ca := newTestCA(t, "ca")
	serverCert, serverKey := ca.issue(t, "chaincode")
	clientCert, clientKey := ca.issue(t, "peer0")
	cs := &ChaincodeServer{
		CCID:     "basic_1.0:abc123",
		Address:  "127.0.0.1:0",
		CC:       &chaincodeFuncs{invoke: func(ChaincodeStubInterface) *peer.Response { return Success([]byte("served")) }},
		TLSProps: TLSProperties{Key: serverKey, Cert: serverCert, ClientCACerts: ca.certPEM},
	}
	srv, err := cs.newServer()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.certPEM)
	pair, err := tls.X509KeyPair(clientCert, clientKey)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a peer with a client certificate is served", func(t *testing.T) {
		leakcheck.Check(t)
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan struct{})
		go func() {
			defer close(served)
			_ = srv.Serve(lis)
		}()
		t.Cleanup(func() {
			srv.Stop()
			<-served
		})
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}})))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		stream, err := peer.NewChaincodeClient(conn).Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns := make(chan *peerConn, 1)
		conns <- newPeerConn(ctx, stream, func(error) { _ = stream.CloseSend() })
		h := &harness{t: t, name: cs.CCID}
		h.conn = <-conns
		h.handshake(nil)
		h.transaction(false, "ch", "tx1")
		if res, _ := h.expectCompleted("ch", "tx1"); string(res.Payload) != "served" {
			t.Errorf("got %v", res)
		}
		_ = stream.CloseSend()
		h.recvClosed()
	})

	t.Run("a peer without a client certificate is refused", func(t *testing.T) {
		leakcheck.Check(t)
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv, err := cs.newServer()
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan struct{})
		go func() {
			defer close(served)
			_ = srv.Serve(lis)
		}()
		t.Cleanup(func() {
			srv.Stop()
			<-served
		})
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		stream, err := peer.NewChaincodeClient(conn).Connect(context.Background())
		if err == nil {
			_, err = stream.Recv()
		}
		if err == nil {
			t.Error("a peer without a client certificate received a message")
		}
	})
}

func TestChaincodeServerSettingsAreChecked(t *testing.T) {
	cc := &chaincodeFuncs{}
	tests := []struct {
		name string
		cs   ChaincodeServer
		want string
	}{
		{"no CCID", ChaincodeServer{Address: "127.0.0.1:0", CC: cc}, "CCID is empty"},
		{"no chaincode", ChaincodeServer{CCID: "a:b", Address: "127.0.0.1:0"}, "CC is nil"},
		{"no address", ChaincodeServer{CCID: "a:b", CC: cc}, "address is empty"},
		{"TLS on without a key", ChaincodeServer{CCID: "a:b", Address: "127.0.0.1:0", CC: cc}, "TLSProps.Key"},
		{"TLS on with a bad key pair", ChaincodeServer{CCID: "a:b", Address: "127.0.0.1:0", CC: cc, TLSProps: TLSProperties{Key: []byte("k"), Cert: []byte("c")}}, "load server key pair"},
		{"an address that cannot be listened on", ChaincodeServer{CCID: "a:b", Address: "256.0.0.1:1", CC: cc, TLSProps: TLSProperties{Disabled: true}}, "chaincode server a:b"},
		{"an address that cannot be listened on names the field and value", ChaincodeServer{CCID: "a:b", Address: "256.0.0.1:1", CC: cc, TLSProps: TLSProperties{Disabled: true}}, `ChaincodeServer.Address "256.0.0.1:1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cs.Start(); !errContains(err, tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestStartReportsAnUnreachablePeer(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	cfg, err := resolveConfig([]string{"-peer.address", addr}, config{IDChaincodeName: "mycc:1.0"})
	if err != nil {
		t.Fatal(err)
	}
	err = run(cfg, &chaincodeFuncs{}, slog.New(slog.DiscardHandler))
	if !errContains(err, addr) {
		t.Errorf("got %v, want an error naming %s", err, addr)
	}
}

func TestMessagesUpTo100MiBCrossTheStream(t *testing.T) {
	leakcheck.Check(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fp := serveFakePeer(t, lis, transport.ServerOptions(nil, nil)...)
	cfg, err := resolveConfig([]string{"-peer.address", lis.Addr().String()}, config{IDChaincodeName: "mycc:1.0"})
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 5<<20) // above gRPC's 4 MiB default
	got := make(chan []byte, 1)
	h := attach(t, fp.conns, "mycc:1.0", func() error {
		return run(cfg, &chaincodeFuncs{invoke: func(s ChaincodeStubInterface) *peer.Response {
			if err := s.PutState("k", big); err != nil {
				return Error(err.Error())
			}
			v, err := s.GetState("k")
			if err != nil {
				return Error(err.Error())
			}
			got <- v
			return Success(nil)
		}}, slog.New(slog.DiscardHandler))
	})
	h.handshake(nil)
	h.transaction(false, "ch", "tx1")
	// Compared by hand: cmp on 5 MiB of bytes takes a minute under -race.
	put := h.expectRequest(peer.ChaincodeMessage_PUT_STATE, "ch", "tx1", nil)
	ps := &peer.PutState{}
	if err := proto.Unmarshal(put.Payload, ps); err != nil || ps.Key != "k" || !bytes.Equal(ps.Value, big) {
		t.Fatalf("PUT_STATE carried key %q and %d bytes (%v), want k and %d bytes", ps.Key, len(ps.Value), err, len(big))
	}
	h.reply(put, nil)
	h.reply(h.expectRequest(peer.ChaincodeMessage_GET_STATE, "ch", "tx1", &peer.GetState{Key: "k"}), big)
	if res, _ := h.expectCompleted("ch", "tx1"); res.Status != OK {
		t.Fatalf("got %v", res)
	}
	if v := <-got; !bytes.Equal(v, big) {
		t.Errorf("got %d bytes back, want %d", len(v), len(big))
	}
}
