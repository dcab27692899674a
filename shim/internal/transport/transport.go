// Package transport holds the gRPC and TLS settings the shim shares with
// Fabric's chaincode endpoints: message size limits, keepalive and the TLS
// configurations of a chaincode that dials its peer or that a peer dials.
package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
)

// MaxMessageSize is the largest message, in bytes, sent or received on a
// chaincode stream: 100 MiB, as on Fabric's peer and shim.
const MaxMessageSize = 100 * 1024 * 1024

// ClientKeepalive returns the gRPC keepalive of a chaincode dialling its
// peer: a ping every minute, a dead connection declared after 20 s without
// an answer, pings even when no stream is open. A Fabric peer refuses pings
// more frequent than once a minute.
func ClientKeepalive() keepalive.ClientParameters {
	return keepalive.ClientParameters{
		Time:                time.Minute,
		Timeout:             20 * time.Second,
		PermitWithoutStream: true,
	}
}

// DefaultServerKeepalive returns the keepalive a chaincode server uses when
// its caller gives none.
func DefaultServerKeepalive() keepalive.ServerParameters {
	return keepalive.ServerParameters{Time: time.Minute, Timeout: 20 * time.Second}
}

// Dial prepares a client connection to a peer's chaincode endpoint. A nil
// tlsConf means plain text. The connection is made lazily, when the first
// stream is opened.
func Dial(address string, tlsConf *tls.Config, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if tlsConf != nil {
		creds = credentials.NewTLS(tlsConf)
	}
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithKeepaliveParams(ClientKeepalive()),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(MaxMessageSize),
			grpc.MaxCallSendMsgSize(MaxMessageSize),
		),
	}, extra...)
	conn, err := grpc.NewClient(address, opts...)
	if err != nil {
		return nil, fmt.Errorf("prepare connection to %s: %w", address, err)
	}
	return conn, nil
}

// ServerOptions returns the options of a chaincode server: TLS when tlsConf
// is not nil, the keepalive ka (DefaultServerKeepalive when nil), the
// message size limits and an enforcement policy that accepts a peer's
// client pings once a minute.
func ServerOptions(tlsConf *tls.Config, ka *keepalive.ServerParameters) []grpc.ServerOption {
	params := DefaultServerKeepalive()
	if ka != nil {
		params = *ka
	}
	opts := []grpc.ServerOption{
		grpc.KeepaliveParams(params),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             time.Minute,
			PermitWithoutStream: true,
		}),
		grpc.MaxRecvMsgSize(MaxMessageSize),
		grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.ConnectionTimeout(5 * time.Second),
	}
	if tlsConf != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsConf)))
	}
	return opts
}

// ClientTLS builds the TLS configuration of a chaincode dialling its peer:
// it trusts the PEM certificates in rootPEM and presents the key pair
// certPEM/keyPEM for mutual TLS.
func ClientTLS(rootPEM, certPEM, keyPEM []byte) (*tls.Config, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load client key pair: %w", err)
	}
	roots, err := certPool(rootPEM)
	if err != nil {
		return nil, fmt.Errorf("load peer root certificate: %w", err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		RootCAs:      roots,
	}, nil
}

// ServerTLS builds the TLS configuration of a chaincode server presenting
// certPEM/keyPEM. When clientCAPEM is not empty the server requires a client
// certificate signed by one of its CA certificates.
func ServerTLS(certPEM, keyPEM, clientCAPEM []byte) (*tls.Config, error) {
	if len(keyPEM) == 0 {
		return nil, errors.New("server tls key is empty: set TLSProps.Key to a PEM private key or set TLSProps.Disabled")
	}
	if len(certPEM) == 0 {
		return nil, errors.New("server tls certificate is empty: set TLSProps.Cert to a PEM certificate or set TLSProps.Disabled")
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load server key pair: %w", err)
	}
	conf := &tls.Config{
		MinVersion:             tls.VersionTLS12,
		Certificates:           []tls.Certificate{pair},
		SessionTicketsDisabled: true,
	}
	if len(clientCAPEM) > 0 {
		pool, err := certPool(clientCAPEM)
		if err != nil {
			return nil, fmt.Errorf("load client ca certificates: %w", err)
		}
		conf.ClientCAs = pool
		conf.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return conf, nil
}

func certPool(pemCerts []byte) (*x509.CertPool, error) {
	if len(pemCerts) == 0 {
		return nil, errors.New("no certificate given")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCerts) {
		return nil, errors.New("no PEM certificate found")
	}
	return pool, nil
}
