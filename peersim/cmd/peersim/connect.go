package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
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

// orgDir is where the peer keeps its organisation inside the data dir.
func orgDir(dataDir string) string {
	return filepath.Join(dataDir, "organizations", "peerOrganizations", "org1.example.com")
}

// loadOrg opens the organisation a peer created in dataDir.
func loadOrg(dataDir string) (*identity.Org, error) {
	dir := orgDir(dataDir)
	if _, err := os.Stat(filepath.Join(dir, "ca")); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no peer organisation in %s: start the peer once with `peersim node start --data-dir %s` (it creates the organisation), or pass the peer's --data-dir", dataDir, dataDir)
	}
	org, err := identity.LoadOrg(dir, identity.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("load the peer organisation from %s: %w", dataDir, err)
	}
	return org, nil
}

// ensureOrg opens the organisation in dataDir, creating it first if there
// is none (what the peer does on its first start).
func ensureOrg(dataDir string) (*identity.Org, error) {
	org, err := identity.EnsureOrg(orgDir(dataDir), identity.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("open the peer organisation in %s: %w", dataDir, err)
	}
	return org, nil
}

// signingIdentity loads a named identity; an unknown name lists the known.
func signingIdentity(org *identity.Org, name string) (*identity.SigningIdentity, error) {
	id, err := org.Identity(name)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, identity.ErrIdentityNotFound) {
		return nil, fmt.Errorf("load identity %q: %w", name, err)
	}
	known, lerr := identityNames(org)
	if lerr != nil {
		return nil, fmt.Errorf("unknown identity %q: %w", name, err)
	}
	return nil, fmt.Errorf("unknown identity %q in %s: known identities are %s; add one with `peersim identity add %s`", name, org.Dir(), strings.Join(known, ", "), name)
}

// identityNames lists the org's users by short name (Admin, User1, ...).
func identityNames(org *identity.Org) ([]string, error) {
	dirs, err := org.Identities()
	if err != nil {
		return nil, err
	}
	suffix := "@" + org.Config().Domain
	names := make([]string, len(dirs))
	for i, d := range dirs {
		names[i] = strings.TrimSuffix(d, suffix)
	}
	return names, nil
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
	org, err := loadOrg(f.dataDir)
	if err != nil {
		return nil, err
	}
	signer, err := signingIdentity(org, f.identity)
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
