package main

import (
	"cmp"
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
	// org is the organisation the command acts as (--org): the virtual
	// peer it dials and the organisation of its identity. resolve sets
	// it when the flag is not given.
	org string
	// orgGiven is set when --org was given, which the messages then
	// repeat.
	orgGiven bool
	// endorsingOrgs are the organisations whose virtual peers endorse the
	// command's transaction (--endorsing-orgs); none means the --org's.
	endorsingOrgs []string
	// endorserAddresses are endorsingOrgs's addresses, set by resolve.
	endorserAddresses []string
}

// addClientFlags registers the flags on cmd as persistent flags; withPeer
// adds those only commands that talk to a peer need.
func addClientFlags(cmd *cobra.Command, f *clientFlags, withPeer bool) {
	fs := cmd.PersistentFlags()
	fs.StringVar(&f.dataDir, "data-dir", "", "the peer's data directory, where the identities are (env "+envDataDir+", default ~/.peersim)")
	if !withPeer {
		fs.StringVar(&f.org, "org", "", "the organisation (MSP ID) whose identities to use, one of the peer's --orgs (default: the running peer's first organisation, else "+peersim.MSPID()+")")
		return
	}
	fs.StringVar(&f.org, "org", "", "the organisation (MSP ID) to act as, one of the peer's --orgs: the command dials that organisation's virtual peer (its address in "+peersim.AddressFileName+") and signs with --identity of that organisation (default: the running peer's first organisation, else "+peersim.MSPID()+")")
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
	f.orgGiven = cmd.Flags().Changed("org")
	if f.orgGiven && f.org == "" {
		return errors.New("--org is empty: give an MSP ID such as " + peersim.MSPID())
	}
	if cmd.Flags().Lookup("peer-address") != nil {
		if err := a.resolvePeerAddress(cmd, f); err != nil {
			return err
		}
	} else if !f.orgGiven {
		f.org = a.defaultOrg(f.dataDir)
	}
	if f.timeout <= 0 && cmd.Flags().Lookup("timeout") != nil {
		return fmt.Errorf("--timeout %s: must be positive", f.timeout)
	}
	return nil
}

// defaultOrg is the organisation of a command without --org: the first
// one of the peer running on dataDir, else the default organisation.
func (a *app) defaultOrg(dataDir string) string {
	if af, err := peersim.ReadAddressFile(dataDir); err == nil && af.Running() && af.MSPID != "" {
		return af.MSPID
	}
	return peersim.MSPID()
}

// orgsOf lists the organisations of the peer that wrote af.
func orgsOf(af *peersim.AddressFile) []string {
	var out []string
	for _, o := range af.Orgs {
		out = append(out, o.MSPID)
	}
	if len(out) == 0 && af.MSPID != "" {
		out = []string{af.MSPID}
	}
	return out
}

// unknownOrg is the error of an organisation the running peer does not
// play.
func unknownOrg(flag, org string, af *peersim.AddressFile, dataDir string) error {
	return fmt.Errorf("%s %s: the peer running on %s does not play organisation %s: its organisations are %s (start it with --orgs to add one)",
		flag, org, dataDir, org, strings.Join(orgsOf(af), ", "))
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
	// The running peer is read once, and only when it is needed: for the
	// address, the organisations' addresses or the default organisation.
	var running *peersim.AddressFile
	var why string
	var read bool
	runningPeer := func() (*peersim.AddressFile, string, error) {
		if !read {
			var err error
			if running, why, err = a.runningPeer(f.dataDir); err != nil {
				return nil, "", err
			}
			read = true
		}
		return running, why, nil
	}
	if len(f.endorsingOrgs) > 0 || (f.orgGiven && !cmd.Flags().Changed("peer-address")) {
		if _, _, err := runningPeer(); err != nil {
			return err
		}
		if err := f.resolveEndorsers(running, why); err != nil {
			return err
		}
	}
	if cmd.Flags().Changed("peer-address") {
		f.peerAddressFrom = "given with --peer-address"
		if !f.orgGiven {
			f.org = a.defaultOrg(f.dataDir)
		}
		return nil
	}
	if f.orgGiven && running != nil {
		addr, ok := running.OrgAddress(f.org)
		if !ok {
			return unknownOrg("--org", f.org, running, f.dataDir)
		}
		f.peerAddress = addr
		f.peerAddressFrom = fmt.Sprintf("organisation %s's address in %s, written by the peer with pid %d", f.org, peersim.AddressFilePath(f.dataDir), running.PID)
		return nil
	}
	if v, ok := a.lookupEnv(envPeerAddress); ok && v != "" {
		f.peerAddress, f.peerAddressFrom = v, "from "+envPeerAddress
		if !f.orgGiven {
			f.org = a.defaultOrg(f.dataDir)
		}
		return nil
	}
	if f.orgGiven && f.org != peersim.MSPID() {
		return fmt.Errorf("--org %s: no running peer tells its address (%s): start the peer with --orgs, or pass --peer-address", f.org, why)
	}
	if _, _, err := runningPeer(); err != nil {
		return err
	}
	if running != nil {
		f.peerAddress = running.Address
		f.peerAddressFrom = fmt.Sprintf("from %s, written by the peer with pid %d", peersim.AddressFilePath(f.dataDir), running.PID)
		if !f.orgGiven {
			f.org = cmp.Or(running.MSPID, peersim.MSPID())
		}
		return nil
	}
	f.peerAddress, f.peerAddressFrom = defaultPeerAddress, "the default: "+why
	if !f.orgGiven {
		f.org = peersim.MSPID()
	}
	return nil
}

// resolveEndorsers finds the addresses of --endorsing-orgs in the address
// file of the running peer.
func (f *clientFlags) resolveEndorsers(running *peersim.AddressFile, why string) error {
	f.endorserAddresses = nil
	if len(f.endorsingOrgs) == 0 {
		return nil
	}
	if running == nil {
		return fmt.Errorf("--endorsing-orgs %s: no running peer tells the organisations' addresses (%s): start the peer with --orgs on --data-dir %s",
			strings.Join(f.endorsingOrgs, ","), why, f.dataDir)
	}
	seen := map[string]bool{}
	for _, org := range f.endorsingOrgs {
		if org == "" {
			return fmt.Errorf("--endorsing-orgs %q: an organisation is empty", strings.Join(f.endorsingOrgs, ","))
		}
		if seen[org] {
			return fmt.Errorf("--endorsing-orgs %s: organisation %s is given twice", strings.Join(f.endorsingOrgs, ","), org)
		}
		seen[org] = true
		addr, ok := running.OrgAddress(org)
		if !ok {
			return unknownOrg("--endorsing-orgs", org, running, f.dataDir)
		}
		f.endorserAddresses = append(f.endorserAddresses, addr)
	}
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

// signingIdentity loads the identity name from organisation org in
// dataDir; an unknown name lists the known. orgGiven makes the hints
// repeat --org.
func signingIdentity(dataDir, org string, orgGiven bool, name string) (client.Signer, error) {
	orgFlag := ""
	if orgGiven {
		orgFlag = " --org " + org
	}
	id, err := peersim.LoadOrgIdentity(dataDir, org, name)
	switch {
	case err == nil:
		return id, nil
	case errors.Is(err, peersim.ErrNoOrganization) && org != peersim.MSPID():
		return nil, fmt.Errorf("no organisation %s in %s: start the peer with `peersim node start --data-dir %s --orgs ...,%s` (it creates its organisations), or add an identity with `peersim identity add NAME --org %s`", org, dataDir, dataDir, org, org)
	case errors.Is(err, peersim.ErrNoOrganization):
		return nil, fmt.Errorf("no peer organisation in %s: start the peer once with `peersim node start --data-dir %s` (it creates the organisation), or pass the peer's --data-dir", dataDir, dataDir)
	case !errors.Is(err, peersim.ErrIdentityNotFound):
		return nil, err
	}
	known, lerr := peersim.OrgIdentities(dataDir, org)
	if lerr != nil {
		return nil, fmt.Errorf("unknown identity %q: %w", name, err)
	}
	return nil, fmt.Errorf("unknown identity %q in %s: known identities are %s; add one with `peersim identity add %s%s`", name, peersim.OrgDirOf(dataDir, org), strings.Join(known, ", "), name, orgFlag)
}

// session is a client connected to the peer, signing as the chosen
// identity.
type session struct {
	*client.Client
	conn *grpc.ClientConn
	// endorsers are the other connections of --endorsing-orgs.
	endorsers []*grpc.ClientConn
}

func (s *session) Close() error {
	err := s.conn.Close()
	for _, c := range s.endorsers {
		err = errors.Join(err, c.Close())
	}
	return err
}

// connect resolves the flags, loads the identity and dials the peer, and
// the peers of --endorsing-orgs.
func (a *app) connect(cmd *cobra.Command, f *clientFlags) (*session, error) {
	if err := a.resolve(cmd, f); err != nil {
		return nil, err
	}
	signer, err := signingIdentity(f.dataDir, f.org, f.orgGiven, f.identity)
	if err != nil {
		return nil, err
	}
	conn, err := a.dial(f.peerAddress)
	if err != nil {
		return nil, f.peerErr(fmt.Errorf("connect to the peer at %s: %w", f.peerAddress, err))
	}
	s := &session{conn: conn}
	opts := []client.Option{client.WithAddress(f.peerAddress)}
	if len(f.endorserAddresses) > 0 {
		var conns []grpc.ClientConnInterface
		for i, addr := range f.endorserAddresses {
			if addr == f.peerAddress {
				conns = append(conns, conn)
				continue
			}
			ec, err := a.dial(addr)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("connect to the peer of %s at %s: %w", f.endorsingOrgs[i], addr, err)
			}
			s.endorsers = append(s.endorsers, ec)
			conns = append(conns, ec)
		}
		opts = append(opts, client.WithEndorsers(conns...))
	}
	c, err := client.New(conn, signer, opts...)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Client = c
	return s, nil
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

// endorsingOrgsFlag registers --endorsing-orgs on a command that submits a
// transaction.
func endorsingOrgsFlag(cmd *cobra.Command, f *clientFlags) {
	cmd.Flags().StringSliceVar(&f.endorsingOrgs, "endorsing-orgs", nil,
		"the organisations (MSP IDs, comma-separated) whose virtual peers endorse the transaction, as Fabric's repeated --peerAddresses: each endorses the same proposal and the transaction carries every endorsement (default: only --org's peer)")
}
