package peersim

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// A peer keeps what it owns in Config.DataDir:
//
//	organizations/peerOrganizations/org1.example.com/  the organisation, in cryptogen's layout (identity.Org)
//	chaincodes/                                        installed packages (ccpackage.Store)
//	ledgers/<channel>/                                 a channel's ledger, with the bolt ledger
//	channels.json                                      the channels the peer has
//	peer.addresses.json                                the running peer's addresses (AddressFile)
//	core.yaml                                          for Fabric's peer CLI as FABRIC_CFG_PATH (WriteCoreYAML, fabriccli.go)
//	peersim.lock                                       held by the running peer (internal/dirlock names it)
//	builds/, launches/, logs/                          production mode's chaincode (package launcher names them)
//
// This file is the one place that names what the peer itself keeps there;
// the CLI and other tools on the same machine go through the functions below
// instead of building paths.

// orgConfig is the organisation a peer creates in its data directory:
// Fabric's test network's first, Org1MSP at org1.example.com.
func orgConfig() identity.Config { return identity.DefaultConfig() }

// MSPID returns the MSP ID of the organisation a peer creates in its data
// directory, Org1MSP; a running peer also records it in its address file
// (AddressFile.MSPID).
func MSPID() string { return orgConfig().MSPID }

// OrgDir is the folder of the peer's organisation in dataDir, in Fabric
// cryptogen's layout: its CAs, MSP, the peer and the users' identities.
func OrgDir(dataDir string) string {
	return filepath.Join(dataDir, "organizations", "peerOrganizations", orgConfig().Domain)
}

// chaincodesDir holds the installed chaincode packages.
func chaincodesDir(dataDir string) string { return filepath.Join(dataDir, "chaincodes") }

// ledgerDir holds the bolt ledger of channel.
func ledgerDir(dataDir, channel string) string { return filepath.Join(dataDir, "ledgers", channel) }

// channelsFile lists the channels the peer has.
func channelsFile(dataDir string) string { return filepath.Join(dataDir, "channels.json") }

// ensureOrg opens the organisation in dataDir, creating it first if there
// is none, as New does.
func ensureOrg(dataDir string) (*identity.Org, error) {
	return identity.EnsureOrg(OrgDir(dataDir), orgConfig())
}

// LoadIdentity loads the signing identity name from the organisation in
// dataDir, for a client to sign with: Admin, User1 (which the peer creates
// on its first start) or one added with IssueIdentity. It creates nothing:
// when no peer has created its organisation in dataDir yet the error wraps
// ErrNoOrganization, and for an unknown name ErrIdentityNotFound.
func LoadIdentity(dataDir, name string) (*identity.SigningIdentity, error) {
	dir := OrgDir(dataDir)
	// The ca/ folder marks an organisation (EnsureOrg moves it in last).
	if _, err := os.Stat(filepath.Join(dir, "ca")); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoOrganization, dataDir)
	}
	org, err := identity.LoadOrg(dir, orgConfig())
	if err != nil {
		return nil, fmt.Errorf("load the peer organisation from %s: %w", dataDir, err)
	}
	id, err := org.Identity(name)
	if err != nil && !errors.Is(err, ErrIdentityNotFound) { // that one names the identity already
		return nil, fmt.Errorf("load identity %q: %w", name, err)
	}
	return id, err
}

// IssueIdentity issues a new identity name from the CA of the organisation
// in dataDir and stores it there, as Fabric CA enrols one (see
// identity.Org.IssueIdentity for attrs and admin), creating the organisation
// first if there is none, as the peer's first start does. It returns the
// identity and the folder it is stored in. A name already taken gives an
// error wrapping ErrIdentityExists.
func IssueIdentity(dataDir, name string, attrs map[string]string, admin bool) (id *identity.SigningIdentity, dir string, err error) {
	org, err := ensureOrg(dataDir)
	if err != nil {
		return nil, "", fmt.Errorf("open the peer organisation in %s: %w", dataDir, err)
	}
	if id, err = org.IssueIdentity(name, attrs, admin); err != nil {
		return nil, "", fmt.Errorf("add identity %q: %w", name, err)
	}
	return id, org.UserDir(name), nil
}

// Identities lists the identities of the organisation in dataDir by the
// names LoadIdentity takes (Admin, User1, ...), sorted, creating the
// organisation first if there is none.
func Identities(dataDir string) ([]string, error) {
	org, err := ensureOrg(dataDir)
	if err != nil {
		return nil, fmt.Errorf("open the peer organisation in %s: %w", dataDir, err)
	}
	return identityNames(org)
}

// identityNames lists org's users by short name: their folders are
// <name>@<domain>.
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
