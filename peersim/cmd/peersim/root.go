package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/client"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
)

// app is what the commands need from the outside world; tests replace
// parts of it.
type app struct {
	stdout io.Writer
	stderr io.Writer
	// lookupEnv reads the environment (os.LookupEnv).
	lookupEnv func(string) (string, bool)
	// homeDir gives the default data directory's parent (os.UserHomeDir).
	homeDir func() (string, error)
	// dial opens the client connection to a peer.
	dial func(address string) (*grpc.ClientConn, error)
	// peerOptions adds options to the peer `node start` creates.
	peerOptions func(cfg peersim.Config) ([]peersim.Option, error)
	// progressInterval paces the build progress of instantiate, upgrade
	// and invoke.
	progressInterval time.Duration
	// environ is the environment `chaincode run` passes on (os.Environ).
	environ func() []string
	// signals relays to c the signals `chaincode run` forwards to its
	// chaincode, SIGINT and SIGTERM, until stop is called.
	signals func(c chan<- os.Signal) (stop func())
}

func newApp(stdout, stderr io.Writer) *app {
	return &app{
		stdout:    stdout,
		stderr:    stderr,
		lookupEnv: os.LookupEnv,
		homeDir:   os.UserHomeDir,
		dial: func(address string) (*grpc.ClientConn, error) {
			return grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()),
				// A snapshot answer can be as large as the peer sends.
				grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(client.MaxMessageSize)))
		},
		peerOptions:      func(peersim.Config) ([]peersim.Option, error) { return nil, nil },
		progressInterval: progressInterval,
		environ:          os.Environ,
		signals: func(c chan<- os.Signal) func() {
			signal.Notify(c, os.Interrupt, syscall.SIGTERM)
			return func() { signal.Stop(c) }
		},
	}
}

// run executes the command line and returns the exit code; errors are
// printed on stderr with a hint when one helps.
func run(ctx context.Context, args []string, a *app) int {
	root := newRootCommand(a)
	root.SetArgs(args)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(a.stderr, "Error: %v\n", err)
		if hint := hintFor(err); hint != "" {
			fmt.Fprintf(a.stderr, "Hint: %s\n", hint)
		}
		if ee := (*exitError)(nil); errors.As(err, &ee) {
			return ee.code
		}
		return exitFailure
	}
	return exitOK
}

func newRootCommand(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "peersim",
		Short: "A Hyperledger Fabric peer in one binary, and its client",
		Long: `peersim runs a reference Hyperledger Fabric peer (development and production mode,
embedded ledger and ordering) and talks to it with the flags of Fabric's peer CLI.

Start a peer:           peersim node start --dev
Install chaincode:      peersim chaincode install -n basic -v 1.0 -p ./chaincode
Run it (dev mode):      peersim chaincode run -n basic -v 1.0 -p ./chaincode --watch   (or: -- ./basic)
Instantiate it:         peersim chaincode instantiate -C mychannel -n basic -v 1.0 -c '{"Args":["init"]}'
Invoke and query:       peersim chaincode invoke -C mychannel -n basic -c '{"Args":["put","a","1"]}'
Watch its events:       peersim channel events -C mychannel -n basic
Use Fabric's peer CLI:  eval "$(peersim env)"; peer channel list
Save the ledgers:       peersim ledger snapshot --out ledgers.snapshot
Restore them:           peersim node start --dev --from-snapshot ledgers.snapshot --data-dir ./restored`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newNodeCommand(a), newChaincodeCommand(a), newChannelCommand(a), newIdentityCommand(a), newEnvCommand(a), newLifecycleCommand(a), newTxCommand(a), newLedgerCommand(a))
	return root
}

// hintFor suggests a fix for the errors users meet most.
func hintFor(err error) string {
	var te *client.TransportError
	if errors.As(err, &te) && status.Code(te) == codes.Unavailable {
		at := te.Address
		if pe := (*peerError)(nil); errors.As(err, &pe) && pe.from != "" {
			at += " (" + pe.from + ")"
		}
		return fmt.Sprintf("no peer answers at %s: start one with `peersim node start` (add --dev for development mode), or point --peer-address / PEERSIM_PEER_ADDRESS at a running peer", at)
	}
	var ee *client.EndorseError
	if errors.As(err, &ee) && strings.Contains(ee.Message, "access denied") && strings.Contains(ee.Message, "not of the peer's organisation") {
		return "each organisation's peer takes its own organisation's admin: act as that organisation with --org MSPID (and --identity Admin), and endorse a transaction of several organisations with --endorsing-orgs"
	}
	if errors.As(err, &ee) && strings.Contains(ee.Message, "access denied") {
		return "the peer refused the identity: lifecycle and channel commands need an admin (--identity Admin), and the identity must come from the peer's --data-dir"
	}
	return ""
}

// defaultDataDir is ~/.peersim.
func (a *app) defaultDataDir() (string, error) {
	home, err := a.homeDir()
	if err != nil {
		return "", fmt.Errorf("find the default data directory: %w; set --data-dir or PEERSIM_DATA_DIR", err)
	}
	return filepath.Join(home, ".peersim"), nil
}
