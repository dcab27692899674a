package shim

import (
	"errors"

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

// ChaincodeServer serves a chaincode for a peer to dial (chaincode as a service).
type ChaincodeServer struct {
	// CCID is the chaincode's package ID as installed on the peer.
	CCID string
	// Address is where the server listens, host:port.
	Address string
	// CC is the chaincode served.
	CC Chaincode
	// TLSProps configures TLS.
	TLSProps TLSProperties
	// KaOpts are the gRPC keepalive settings; nil uses sensible defaults.
	KaOpts *keepalive.ServerParameters
}

// Start listens on Address and serves until the server fails. Placeholder:
// being written (issue 2).
func (cs *ChaincodeServer) Start() error {
	return errors.New("chaincode server start: not implemented yet")
}
