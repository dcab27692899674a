package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/client"
)

// Environment variables of the client commands.
const (
	envPeerAddress = "PEERSIM_PEER_ADDRESS"
	envDataDir     = "PEERSIM_DATA_DIR"
)

const defaultPeerAddress = "127.0.0.1:7051"

// clientFlags are the flags every command that talks to a peer takes.
type clientFlags struct {
	peerAddress string
	// peerAddressFrom says where resolve found peerAddress, for the hint
	// when no peer answers there.
	peerAddressFrom string
	dataDir         string
	identity        string
	timeout         time.Duration
}

// addClientFlags registers the flags on cmd as persistent flags; withPeer
// adds those only commands that talk to a peer need.
func addClientFlags(cmd *cobra.Command, f *clientFlags, withPeer bool) {
	fs := cmd.PersistentFlags()
	fs.StringVar(&f.dataDir, "data-dir", "", "the peer's data directory, where the identities are (env "+envDataDir+", default ~/.peersim)")
	if !withPeer {
		return
	}
	// No flag default: the default depends on the data directory (resolve).
	fs.StringVar(&f.peerAddress, "peer-address", "", "the peer's client address (env "+envPeerAddress+"; default: the address the peer running on --data-dir wrote to "+peersim.AddressFileName+" there, else "+defaultPeerAddress+")")
	fs.StringVar(&f.identity, "identity", "Admin", "the identity to sign with: Admin, User1 or one added with \"peersim identity add\"")
	fs.DurationVar(&f.timeout, "timeout", defaultTimeout, "how long to wait for the peer (endorsement, and the commit of invoke, instantiate and upgrade); Fabric's --waitForEventTimeout. Instantiate, upgrade and invoke, which can make a production-mode peer build the chaincode, default to "+launchTimeout().String())
}

// resolve fills what the flags leave unset from the environment, then the
// defaults: a flag given on the command line wins over its environment
// variable. The peer address comes from, in order: --peer-address,
// PEERSIM_PEER_ADDRESS, the address file of the peer running on the data
// directory, 127.0.0.1:7051.
func (a *app) resolve(cmd *cobra.Command, f *clientFlags) error {
	if err := a.resolveDataDir(cmd, f); err != nil {
		return err
	}
	if cmd.Flags().Lookup("peer-address") != nil {
		if err := a.resolvePeerAddress(cmd, f); err != nil {
			return err
		}
	}
	if f.timeout <= 0 && cmd.Flags().Lookup("timeout") != nil {
		return fmt.Errorf("--timeout %s: must be positive", f.timeout)
	}
	return nil
}

// resolveDataDir sets the data directory: --data-dir, PEERSIM_DATA_DIR,
// ~/.peersim.
func (a *app) resolveDataDir(cmd *cobra.Command, f *clientFlags) error {
	if !cmd.Flags().Changed("data-dir") {
		if v, ok := a.lookupEnv(envDataDir); ok && v != "" {
			f.dataDir = v
		}
	}
	if f.dataDir == "" {
		d, err := a.defaultDataDir()
		if err != nil {
			return err
		}
		f.dataDir = d
	}
	return nil
}

func (a *app) resolvePeerAddress(cmd *cobra.Command, f *clientFlags) error {
	if cmd.Flags().Changed("peer-address") {
		f.peerAddressFrom = "given with --peer-address"
		return nil
	}
	if v, ok := a.lookupEnv(envPeerAddress); ok && v != "" {
		f.peerAddress, f.peerAddressFrom = v, "from "+envPeerAddress
		return nil
	}
	running, why, err := a.runningPeer(f.dataDir)
	if err != nil {
		return err
	}
	if running != nil {
		f.peerAddress = running.Address
		f.peerAddressFrom = fmt.Sprintf("from %s, written by the peer with pid %d", peersim.AddressFilePath(f.dataDir), running.PID)
		return nil
	}
	f.peerAddress, f.peerAddressFrom = defaultPeerAddress, "the default: "+why
	return nil
}

// runningPeer reads the address file of the peer running on dataDir. It
// returns nil and why when there is no running peer's file: none at all,
// or one whose peer is gone (stale), which it also reports on stderr.
func (a *app) runningPeer(dataDir string) (f *peersim.AddressFile, why string, err error) {
	path := peersim.AddressFilePath(dataDir)
	af, err := peersim.ReadAddressFile(dataDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Sprintf("no peer wrote %s", path), nil
	case err != nil:
		return nil, "", fmt.Errorf("%w; remove it if no peer runs on %s, or pass --peer-address", err, dataDir)
	case !af.Running():
		why := fmt.Sprintf("%s is stale: the peer that wrote it (pid %d) is not running", path, af.PID)
		fmt.Fprintf(a.stderr, "Warning: ignoring %s\n", why)
		return nil, why, nil
	}
	return &af, "", nil
}

// peerError is an error of a command that talked to the peer at an address
// found as from says; the hint of an unreachable peer names it.
type peerError struct {
	err  error
	from string
}

func (e *peerError) Error() string { return e.err.Error() }
func (e *peerError) Unwrap() error { return e.err }

// peerErr wraps err, if any, with where the peer address came from.
func (f *clientFlags) peerErr(err error) error {
	if err == nil {
		return nil
	}
	return &peerError{err: err, from: f.peerAddressFrom}
}

// signingIdentity loads the identity name from the peer's organisation in
// dataDir; an unknown name lists the known.
func signingIdentity(dataDir, name string) (client.Signer, error) {
	id, err := peersim.LoadIdentity(dataDir, name)
	switch {
	case err == nil:
		return id, nil
	case errors.Is(err, peersim.ErrNoOrganization):
		return nil, fmt.Errorf("no peer organisation in %s: start the peer once with `peersim node start --data-dir %s` (it creates the organisation), or pass the peer's --data-dir", dataDir, dataDir)
	case !errors.Is(err, peersim.ErrIdentityNotFound):
		return nil, err
	}
	known, lerr := peersim.Identities(dataDir)
	if lerr != nil {
		return nil, fmt.Errorf("unknown identity %q: %w", name, err)
	}
	return nil, fmt.Errorf("unknown identity %q in %s: known identities are %s; add one with `peersim identity add %s`", name, peersim.OrgDir(dataDir), strings.Join(known, ", "), name)
}

// session is a client connected to the peer, signing as the chosen
// identity.
type session struct {
	*client.Client
	conn *grpc.ClientConn
}

func (s *session) Close() error { return s.conn.Close() }

// connect resolves the flags, loads the identity and dials the peer.
func (a *app) connect(cmd *cobra.Command, f *clientFlags) (*session, error) {
	if err := a.resolve(cmd, f); err != nil {
		return nil, err
	}
	signer, err := signingIdentity(f.dataDir, f.identity)
	if err != nil {
		return nil, err
	}
	conn, err := a.dial(f.peerAddress)
	if err != nil {
		return nil, f.peerErr(fmt.Errorf("connect to the peer at %s: %w", f.peerAddress, err))
	}
	c, err := client.New(conn, signer, client.WithAddress(f.peerAddress))
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &session{Client: c, conn: conn}, nil
}

// withPeer connects to the peer as the flags say and runs fn with a
// context bounded by --timeout, closing the connection afterwards.
func (a *app) withPeer(cmd *cobra.Command, f *clientFlags, fn func(ctx context.Context, s *session) error) error {
	s, err := a.connect(cmd, f)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, cancel := withTimeout(cmd, f)
	defer cancel()
	return f.peerErr(fn(ctx, s))
}
