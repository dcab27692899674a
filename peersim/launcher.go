package peersim

import (
	"context"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
)

// Launcher starts and stops chaincode processes for a peer in production
// mode. Package peersim/launcher provides one; the peer works without it in
// development mode only.
type Launcher interface {
	// Launch builds the package if needed and starts its chaincode so that
	// it connects to the peer as req.CCID. It returns once the process is
	// started; the peer then waits for the registration. Launching a ccid
	// that is already running does nothing.
	Launch(ctx context.Context, req LaunchRequest) error
	// Stop stops the process serving ccid; a ccid that is not running is
	// not an error.
	Stop(ctx context.Context, ccid string) error
	// Running lists the processes the launcher runs.
	Running() []RunningChaincode
}

// LaunchRequest is what a Launcher needs to start one chaincode.
type LaunchRequest struct {
	// CCID is the routing id the chaincode must register with
	// (CORE_CHAINCODE_ID_NAME): "name:version".
	CCID string
	// Package is the installed package.
	Package *ccpackage.Package
	// PeerAddress is the peer's chaincode address (-peer.address).
	PeerAddress string
	// MSPID is the peer's MSP ID (CORE_PEER_LOCALMSPID).
	MSPID string
	// TLS is the client certificate issued for this launch; nil when the
	// chaincode listener runs without TLS.
	TLS *ChaincodeTLS
}

// ChaincodeTLS is the TLS material of one chaincode launch, all PEM.
type ChaincodeTLS struct {
	ClientCertPEM []byte
	ClientKeyPEM  []byte
	RootCertPEM   []byte
}

// RunningChaincode describes one chaincode process (the pscc ListRunning
// answer). The peer fills Channels.
type RunningChaincode struct {
	CCID     string    `json:"ccid"`
	PID      int       `json:"pid"`
	Channels []string  `json:"channels"`
	Started  time.Time `json:"started"`
}
