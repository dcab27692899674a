package shim

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/chaincodekit/chaincodekit/shim/internal/transport"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// TLSProperties configures the TLS of a ChaincodeServer.
type TLSProperties struct {
	// Disabled turns TLS off; TLS is on by default.
	Disabled bool
	// Key is the server's PEM private key.
	Key []byte
	// Cert is the server's PEM certificate.
	Cert []byte
	// ClientCACerts, when set, makes the server require and verify a client
	// certificate signed by one of these PEM CA certificates.
	ClientCACerts []byte
}

// ChaincodeServer serves a chaincode for a peer to dial (chaincode as a
// service). On each connection the chaincode still speaks first: it sends
// REGISTER with CCID as the name, then serves transactions as with Start.
type ChaincodeServer struct {
	// CCID is the chaincode's package ID as installed on the peer.
	CCID string
	// Address is where the server listens, host:port.
	Address string
	// CC is the chaincode served.
	CC Chaincode
	// TLSProps configures TLS.
	TLSProps TLSProperties
	// KaOpts are the gRPC keepalive settings; nil means a ping every minute
	// with a 20 s timeout.
	KaOpts *keepalive.ServerParameters
}

var _ peer.ChaincodeServer = (*ChaincodeServer)(nil)

// Connect serves one peer connection: the stream of the peer.Chaincode
// service.
func (cs *ChaincodeServer) Connect(stream peer.Chaincode_ConnectServer) error {
	if err := cs.validate(); err != nil {
		return err
	}
	log := slog.Default().With("chaincode", cs.CCID)
	return newHandler(stream, cs.CC, log).serve(cs.CCID)
}

// Start listens on Address and serves peers until the server fails.
func (cs *ChaincodeServer) Start() error {
	if err := cs.validate(); err != nil {
		return err
	}
	if cs.Address == "" {
		return errors.New("chaincode server address is empty: set ChaincodeServer.Address to host:port, e.g. 0.0.0.0:9999")
	}
	srv, err := cs.newServer()
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", cs.Address)
	if err != nil {
		return fmt.Errorf("chaincode server %s cannot listen on ChaincodeServer.Address %q: %w; use a free host:port of this machine, e.g. 0.0.0.0:9999", cs.CCID, cs.Address, err)
	}
	if err := srv.Serve(lis); err != nil {
		return fmt.Errorf("chaincode server %s on %s: %w", cs.CCID, cs.Address, err)
	}
	return nil
}

// newServer builds the gRPC server Start serves on, with the Chaincode
// service registered.
func (cs *ChaincodeServer) newServer() (*grpc.Server, error) {
	var tlsConf *tls.Config
	if !cs.TLSProps.Disabled {
		var err error
		tlsConf, err = transport.ServerTLS(cs.TLSProps.Cert, cs.TLSProps.Key, cs.TLSProps.ClientCACerts)
		if err != nil {
			return nil, fmt.Errorf("chaincode server %s: %w", cs.CCID, err)
		}
	}
	srv := grpc.NewServer(transport.ServerOptions(tlsConf, cs.KaOpts)...)
	peer.RegisterChaincodeServer(srv, cs)
	return srv, nil
}

func (cs *ChaincodeServer) validate() error {
	switch {
	case cs.CCID == "":
		return errors.New("chaincode server CCID is empty: set ChaincodeServer.CCID to the package ID installed on the peer (label:hash)")
	case cs.CC == nil:
		return errors.New("chaincode server CC is nil: set ChaincodeServer.CC to the chaincode to serve")
	}
	return nil
}
