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
//	organizations/peerOrganizations/org1.example.com/  an organisation, in cryptogen's layout (identity.Org); one per Config.Orgs
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

// defaultMSPID is the organisation of a peer with the default Config.Orgs.
const defaultMSPID = "Org1MSP"

// orgConfig is the organisation a peer creates in its data directory for
// MSP ID mspID: Fabric's test network's names, Org1MSP at
// org1.example.com, Org2MSP at org2.example.com; another ID's domain is
// the ID in lower case without an MSP suffix, under example.com.
func orgConfig(mspID string) identity.Config {
	c := identity.DefaultConfig()
	if mspID == c.MSPID {
		return c
	}
	label := strings.ToLower(mspID)
	if l := strings.TrimSuffix(label, "msp"); l != "" {
		label = l
	}
	c.MSPID, c.Domain = mspID, label+".example.com"
	return c
}

// OrgDomain returns the domain of the organisation a peer creates for
// mspID, e.g. org2.example.com for Org2MSP.
func OrgDomain(mspID string) string { return orgConfig(mspID).Domain }

// MSPID returns the MSP ID of the organisation a peer with the default
// configuration creates in its data directory, Org1MSP; a running peer
// records its organisations in its address file (AddressFile.MSPID,
// AddressFile.Orgs).
func MSPID() string { return defaultMSPID }

// OrgDir is the folder of the default organisation (MSPID) in dataDir, in
// Fabric cryptogen's layout: its CAs, MSP, the peer and the users'
// identities.
func OrgDir(dataDir string) string { return OrgDirOf(dataDir, defaultMSPID) }

// OrgDirOf is the folder of organisation mspID in dataDir.
func OrgDirOf(dataDir, mspID string) string {
	return filepath.Join(dataDir, "organizations", "peerOrganizations", orgConfig(mspID).Domain)
}

// chaincodesDir holds the installed chaincode packages.
func chaincodesDir(dataDir string) string { return filepath.Join(dataDir, "chaincodes") }

// ledgerDir holds the bolt ledger of channel.
func ledgerDir(dataDir, channel string) string { return filepath.Join(dataDir, "ledgers", channel) }

// channelsFile lists the channels the peer has.
func channelsFile(dataDir string) string { return filepath.Join(dataDir, "channels.json") }

// ensureOrg opens organisation mspID in dataDir, creating it first if
// there is none, as New does, and records in its folder that it is
// mspID's (orgOwnerFile).
func ensureOrg(dataDir, mspID string) (*identity.Org, error) {
	dir := OrgDirOf(dataDir, mspID)
	if err := checkOrgOwner(dir, mspID); err != nil {
		return nil, err
	}
	org, err := identity.EnsureOrg(dir, orgConfig(mspID))
	if err != nil {
		return nil, err
	}
	if err := recordOrgOwner(dir, mspID); err != nil {
		return nil, err
	}
	return org, nil
}

// orgOwnerFile, in an organisation's folder, holds the MSP ID the folder
// was created for. MSP IDs that differ only in case or an MSP suffix
// (Org1MSP, ORG1MSP, Org1) have the same domain and so the same folder;
// the file keeps a second one from using the first one's CA and keys.
// Folders made before it existed have none and are taken as the asker's.
const orgOwnerFile = "peersim-mspid"

// checkOrgOwner fails when the organisation folder dir was created for
// another MSP ID than mspID.
func checkOrgOwner(dir, mspID string) error {
	b, err := os.ReadFile(filepath.Join(dir, orgOwnerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the MSP ID of organisation folder %s: %w", dir, err)
	}
	if owner := strings.TrimSpace(string(b)); owner != mspID {
		return fmt.Errorf("organisation %q: its folder %s belongs to %s (MSP IDs that differ only in case or an MSP suffix share a folder): use %s, or give the organisation another name",
			mspID, dir, owner, owner)
	}
	return nil
}

// recordOrgOwner writes orgOwnerFile in dir if it is not there.
func recordOrgOwner(dir, mspID string) error {
	path := filepath.Join(dir, orgOwnerFile)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.WriteFile(path, []byte(mspID+"\n"), 0o644); err != nil {
		return fmt.Errorf("record the MSP ID of organisation folder %s: %w", dir, err)
	}
	return nil
}

// LoadIdentity loads the signing identity name from the default
// organisation in dataDir (LoadOrgIdentity of MSPID).
func LoadIdentity(dataDir, name string) (*identity.SigningIdentity, error) {
	return LoadOrgIdentity(dataDir, defaultMSPID, name)
}

// LoadOrgIdentity loads the signing identity name from organisation mspID
// in dataDir, for a client to sign with: Admin, User1 (which the peer
// creates on its first start) or one added with IssueIdentity. It creates
// nothing: when no peer has created that organisation in dataDir yet the
// error wraps ErrNoOrganization, and for an unknown name
// ErrIdentityNotFound.
func LoadOrgIdentity(dataDir, mspID, name string) (*identity.SigningIdentity, error) {
	org, err := loadOrg(dataDir, mspID)
	if err != nil {
		return nil, err
	}
	id, err := org.Identity(name)
	if err != nil && !errors.Is(err, ErrIdentityNotFound) { // that one names the identity already
		return nil, fmt.Errorf("load identity %q: %w", name, err)
	}
	return id, err
}

// loadOrg opens organisation mspID in dataDir without creating it: an
// error wrapping ErrNoOrganization when there is none.
func loadOrg(dataDir, mspID string) (*identity.Org, error) {
	if err := orgConfig(mspID).Validate(); err != nil {
		return nil, fmt.Errorf("organisation %q: %w", mspID, err)
	}
	dir := OrgDirOf(dataDir, mspID)
	// The ca/ folder marks an organisation (EnsureOrg moves it in last).
	if _, err := os.Stat(filepath.Join(dir, "ca")); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %s in %s", ErrNoOrganization, mspID, dataDir)
	}
	if err := checkOrgOwner(dir, mspID); err != nil {
		return nil, err
	}
	org, err := identity.LoadOrg(dir, orgConfig(mspID))
	if err != nil {
		return nil, fmt.Errorf("load the peer organisation from %s: %w", dataDir, err)
	}
	return org, nil
}

// IssueIdentity issues a new identity of the default organisation
// (IssueOrgIdentity of MSPID).
func IssueIdentity(dataDir, name string, attrs map[string]string, admin bool) (id *identity.SigningIdentity, dir string, err error) {
	return IssueOrgIdentity(dataDir, defaultMSPID, name, attrs, admin)
}

// IssueOrgIdentity issues a new identity name from the CA of organisation
// mspID in dataDir and stores it there, as Fabric CA enrols one (see
// identity.Org.IssueIdentity for attrs and admin), creating the organisation
// first if there is none, as the peer's first start does. It returns the
// identity and the folder it is stored in. A name already taken gives an
// error wrapping ErrIdentityExists.
func IssueOrgIdentity(dataDir, mspID, name string, attrs map[string]string, admin bool) (id *identity.SigningIdentity, dir string, err error) {
	if err := orgConfig(mspID).Validate(); err != nil {
		return nil, "", fmt.Errorf("add identity %q: organisation %q: %w", name, mspID, err)
	}
	org, err := ensureOrg(dataDir, mspID)
	if err != nil {
		return nil, "", fmt.Errorf("open the peer organisation in %s: %w", dataDir, err)
	}
	if id, err = org.IssueIdentity(name, attrs, admin); err != nil {
		return nil, "", fmt.Errorf("add identity %q: %w", name, err)
	}
	return id, org.UserDir(name), nil
}

// Identities lists the identities of the default organisation in dataDir
// (OrgIdentities of MSPID).
func Identities(dataDir string) ([]string, error) { return OrgIdentities(dataDir, defaultMSPID) }

// OrgIdentities lists the identities of organisation mspID in dataDir by
// the names LoadOrgIdentity takes (Admin, User1, ...), sorted. It creates
// the default organisation (MSPID) if there is none, as a peer's first
// start would; for another organisation that no peer has created in
// dataDir the error wraps ErrNoOrganization.
func OrgIdentities(dataDir, mspID string) ([]string, error) {
	if err := orgConfig(mspID).Validate(); err != nil {
		return nil, fmt.Errorf("list identities: organisation %q: %w", mspID, err)
	}
	var org *identity.Org
	var err error
	if mspID == defaultMSPID {
		org, err = ensureOrg(dataDir, mspID)
	} else {
		org, err = loadOrg(dataDir, mspID)
	}
	if err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
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
