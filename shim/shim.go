package shim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/chaincodekit/chaincodekit/shim/internal/transport"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
)

// Start connects the chaincode cc to its peer and serves it until the
// connection ends, returning why it ended; it never returns nil.
//
// It reads, through envconfig:
//   - the chaincode ID (name:version, or a package ID) from
//     CORE_CHAINCODE_ID_NAME, as a peer sets it, or CORE_ID_CHAINCODE_NAME,
//     as Fabric's dev-mode guide does (set to different values, they are
//     an error);
//   - CORE_PEER_TLS_ENABLED (true or false, unset is false) and, when true,
//     CORE_PEER_TLS_ROOTCERT_FILE and the client key pair from
//     CORE_TLS_CLIENT_KEY_FILE/CORE_TLS_CLIENT_CERT_FILE (PEM) or
//     CORE_TLS_CLIENT_KEY_PATH/CORE_TLS_CLIENT_CERT_PATH (base64 of PEM);
//
// and the peer address from the -peer.address host:port argument (also
// --peer.address and the "=" form), or CORE_PEER_ADDRESS when it is absent.
// The arguments are read from os.Args without parsing the global flag set,
// so the chaincode's own flags are its own business.
//
// Unlike Fabric's shim, this one does not declare -peer.address on the
// global flag set: Fabric's shim declares it in an init function, and a
// second declaration panics ("flag redefined") in any binary that links
// both. So a chaincode that parses its command line with package flag
// (flag.Parse, or a FlagSet of its own given os.Args) must declare the flag
// itself before parsing, or parsing fails with "flag provided but not
// defined: -peer.address" (flag.Parse exits the program) when a peer starts
// it:
//
//	flag.String("peer.address", "", "peer address (read by shim.Start)")
//
// A chaincode that does not parse its command line with package flag needs
// nothing.
//
// Logs go to slog.Default().
func Start(cc Chaincode) error {
	cfg, err := loadConfig(os.Args[1:])
	if err != nil {
		return err
	}
	return run(cfg, cc, slog.Default())
}

// run dials the peer named by cfg and serves cc on a Register stream.
func run(cfg config, cc Chaincode, log *slog.Logger, dialOpts ...grpc.DialOption) error {
	tlsConf, err := cfg.tlsConfig()
	if err != nil {
		return err
	}
	conn, err := transport.Dial(cfg.PeerAddress, tlsConf, dialOpts...)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := peer.NewChaincodeSupportClient(conn).Register(ctx)
	if err != nil {
		return fmt.Errorf("open chaincode stream to peer %s (TLS %t): %w", cfg.PeerAddress, cfg.TLS, err)
	}
	log = log.With("chaincode", cfg.Name, "peer", cfg.PeerAddress)
	if err := chat(cfg.Name, stream, cc, log); err != nil {
		return fmt.Errorf("chaincode %s with peer %s: %w", cfg.Name, cfg.PeerAddress, err)
	}
	return nil
}

// StartInProc serves cc as chaincodename on a stream the caller opened, as
// Start does once connected. It is how a chaincode runs inside the same
// process as its peer, and how tests drive the shim.
func StartInProc(chaincodename string, stream ClientStream, cc Chaincode) error {
	if stream == nil {
		return errors.New("no stream given to StartInProc")
	}
	return chat(chaincodename, stream, cc, slog.Default().With("chaincode", chaincodename))
}

// chat serves one client stream and then closes its sending side.
func chat(name string, stream ClientStream, cc Chaincode, log *slog.Logger) error {
	h := newHandler(stream, cc, log)
	err := h.serve(name)
	h.sendMu.Lock()
	_ = stream.CloseSend()
	h.sendMu.Unlock()
	return err
}
