package launcher

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
)

// maxMessageSize is the largest chaincode message, as the peer's chaincode
// listener allows (100 MiB).
const maxMessageSize = 100 * 1024 * 1024

// Dial connects to a chaincode server (chaincode-as-a-service) as Fabric's
// peer does: TLS from connection.json (root_cert, domain as the server name,
// client_key/client_cert when client_auth_required), 100 MiB messages,
// keepalive every minute with a 20 s timeout, and a connection that must
// be up within conn's dial_timeout (3 s by default). opts are appended to
// these. The peer then opens protos.Chaincode/Connect on the returned
// connection and serves the stream; it closes the connection when done.
func Dial(ctx context.Context, conn ccpackage.Connection, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	if err := conn.Validate(); err != nil {
		return nil, fmt.Errorf("dial chaincode server %s: %w", conn.Address, err)
	}
	creds, err := transportCredentials(conn)
	if err != nil {
		return nil, fmt.Errorf("dial chaincode server %s: %w", conn.Address, err)
	}
	all := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: time.Minute, Timeout: 20 * time.Second, PermitWithoutStream: true}),
	}, opts...)
	cc, err := grpc.NewClient(conn.Address, all...)
	if err != nil {
		return nil, fmt.Errorf("dial chaincode server %s: %w", conn.Address, err)
	}
	ctx, cancel := context.WithTimeout(ctx, conn.Timeout())
	defer cancel()
	cc.Connect()
	for {
		state := cc.GetState()
		if state == connectivity.Ready {
			return cc, nil
		}
		if !cc.WaitForStateChange(ctx, state) {
			cc.Close()
			return nil, fmt.Errorf("dial chaincode server %s: not ready within %s (connection %s): %w", conn.Address, conn.Timeout(), state, ctx.Err())
		}
	}
}

func transportCredentials(conn ccpackage.Connection) (credentials.TransportCredentials, error) {
	if !conn.TLSRequired {
		return insecure.NewCredentials(), nil
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(conn.RootCert)) {
		return nil, errors.New("root_cert holds no PEM certificate")
	}
	cfg := &tls.Config{RootCAs: roots, ServerName: conn.Domain, MinVersion: tls.VersionTLS12}
	if conn.ClientAuthRequired {
		cert, err := tls.X509KeyPair([]byte(conn.ClientCert), []byte(conn.ClientKey))
		if err != nil {
			return nil, fmt.Errorf("client_cert and client_key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg), nil
}
