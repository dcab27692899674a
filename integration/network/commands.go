package network

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Command is one `peersim` CLI call as a typed value; Peer.Run adds the
// data directory and the peer's address.
type Command interface {
	// Argv is the command line after the binary, without --data-dir,
	// --peer-address and --timeout.
	Argv() []string
}

// offlineCommand marks commands that work on the data directory only and
// take no --peer-address.
type offlineCommand interface {
	Command
	offline()
}

// ctor encodes arguments as the -c JSON of Fabric's peer CLI.
func ctor(args []string) string {
	if args == nil {
		args = []string{}
	}
	b, err := json.Marshal(struct{ Args []string }{args})
	if err != nil {
		panic(fmt.Sprintf("network: encode -c %q: %v", args, err)) // []string always encodes
	}
	return string(b)
}

// Package is `peersim chaincode package`.
type Package struct {
	Name, Version, Path, Output string
}

// Argv implements Command.
func (c Package) Argv() []string {
	return []string{"chaincode", "package", "-n", c.Name, "-v", c.Version, "-p", c.Path, "-o", c.Output}
}

func (Package) offline() {}

// Install is `peersim chaincode install`; Path is a chaincode directory
// or a package file.
type Install struct {
	Name, Version, Path string
}

// Argv implements Command.
func (c Install) Argv() []string {
	return []string{"chaincode", "install", "-n", c.Name, "-v", c.Version, "-p", c.Path}
}

// Instantiate is `peersim chaincode instantiate`: Init runs with Args.
type Instantiate struct {
	Channel, Name, Version string
	Args                   []string
	// Policy is -P, e.g. "OR('Org1MSP.member')"; the peer's default when empty.
	Policy string
	// CollectionsConfig is --collections-config, a collections_config.json.
	CollectionsConfig string
}

// Argv implements Command.
func (c Instantiate) Argv() []string { return deployArgs("instantiate", c) }

// Upgrade is `peersim chaincode upgrade`, with the fields of Instantiate.
type Upgrade Instantiate

// Argv implements Command.
func (c Upgrade) Argv() []string { return deployArgs("upgrade", Instantiate(c)) }

func deployArgs(op string, c Instantiate) []string {
	args := []string{"chaincode", op, "-C", c.Channel, "-n", c.Name, "-v", c.Version, "-c", ctor(c.Args)}
	if c.Policy != "" {
		args = append(args, "-P", c.Policy)
	}
	if c.CollectionsConfig != "" {
		args = append(args, "--collections-config", c.CollectionsConfig)
	}
	return args
}

// Invoke is `peersim chaincode invoke`: endorse, order, wait for commit.
type Invoke struct {
	Channel, Name string
	Args          []string
	// Transient is sent in the proposal's transient map (the CLI takes it
	// as JSON of base64 values, which is how encoding/json writes bytes).
	Transient map[string][]byte
	// Identity signs the proposal; the CLI's default (Admin) when empty.
	Identity string
	// IsInit is --isInit: the call runs Init, as the first invoke of a 2.x
	// definition committed with --init-required must. Invoke only: the
	// query command has no such flag and refuses it.
	IsInit bool
	// EndorsingOrgs is --endorsing-orgs: the organisations whose peers
	// endorse the invoke (a peer of several organisations). Invoke only.
	EndorsingOrgs []string
}

// Argv implements Command.
func (c Invoke) Argv() []string { return callArgs("invoke", c) }

// Query is `peersim chaincode query`: endorse only.
type Query Invoke

// Argv implements Command.
func (c Query) Argv() []string { return callArgs("query", Invoke(c)) }

func callArgs(op string, c Invoke) []string {
	args := []string{"chaincode", op, "-C", c.Channel, "-n", c.Name, "-c", ctor(c.Args)}
	if len(c.Transient) > 0 {
		b, err := json.Marshal(c.Transient)
		if err != nil {
			panic(fmt.Sprintf("network: encode --transient: %v", err)) // map[string][]byte always encodes
		}
		args = append(args, "--transient", string(b))
	}
	if c.Identity != "" {
		args = append(args, "--identity", c.Identity)
	}
	if c.IsInit {
		args = append(args, "--isInit")
	}
	if len(c.EndorsingOrgs) > 0 {
		args = append(args, "--endorsing-orgs", strings.Join(c.EndorsingOrgs, ","))
	}
	return args
}

// AsOrg runs Command as a client of organisation Org (--org): its
// identities and its virtual peer's address, which the CLI reads from the
// peer's address file (Peer.Run passes no --peer-address for it).
type AsOrg struct {
	Org string
	Command
}

// Argv implements Command.
func (c AsOrg) Argv() []string { return append(c.Command.Argv(), "--org", c.Org) }

// LifecyclePackage is `peersim lifecycle chaincode package`: Path, a Go
// chaincode directory, packaged as Fabric 2.x does into Output, with Label
// (e.g. sacc_1.0) in the package ID it gets at install.
type LifecyclePackage struct {
	Path, Label, Output string
}

// Argv implements Command.
func (c LifecyclePackage) Argv() []string {
	return []string{"lifecycle", "chaincode", "package", c.Output, "--path", c.Path, "--lang", "golang", "--label", c.Label}
}

func (LifecyclePackage) offline() {}

// LifecycleInstall is `peersim lifecycle chaincode install`; it prints
// "Chaincode code package identifier: <label>:<sha256>".
type LifecycleInstall struct {
	// Package is a file LifecyclePackage wrote.
	Package string
}

// Argv implements Command.
func (c LifecycleInstall) Argv() []string {
	return []string{"lifecycle", "chaincode", "install", c.Package}
}

// QueryInstalled is `peersim lifecycle chaincode queryinstalled`.
type QueryInstalled struct{}

// Argv implements Command.
func (QueryInstalled) Argv() []string { return []string{"lifecycle", "chaincode", "queryinstalled"} }

// Definition is a chaincode definition as the flags of `peersim lifecycle
// chaincode approveformyorg|checkcommitreadiness|commit` give it.
type Definition struct {
	Channel, Name, Version string
	// Sequence is --sequence: the committed sequence plus one.
	Sequence int
	// SignaturePolicy is --signature-policy, e.g. "OR('Org1MSP.member')";
	// the channel's /Channel/Application/Endorsement when empty.
	SignaturePolicy string
	// CollectionsConfig is --collections-config, a collections_config.json.
	CollectionsConfig string
	// InitRequired is --init-required: the first invoke must be IsInit.
	InitRequired bool
	// EndorsingOrgs is commit's --endorsing-orgs: the organisations whose
	// peers endorse the commit (a majority of the channel's).
	EndorsingOrgs []string
}

func (d Definition) argv(op string) []string {
	args := []string{"lifecycle", "chaincode", op, "-C", d.Channel, "-n", d.Name, "-v", d.Version, "--sequence", fmt.Sprint(d.Sequence)}
	if d.SignaturePolicy != "" {
		args = append(args, "--signature-policy", d.SignaturePolicy)
	}
	if d.CollectionsConfig != "" {
		args = append(args, "--collections-config", d.CollectionsConfig)
	}
	if d.InitRequired {
		args = append(args, "--init-required")
	}
	if op == "commit" && len(d.EndorsingOrgs) > 0 {
		args = append(args, "--endorsing-orgs", strings.Join(d.EndorsingOrgs, ","))
	}
	return args
}

// ApproveForMyOrg is `peersim lifecycle chaincode approveformyorg`: the
// peer's organisation approves the definition, running PackageID.
type ApproveForMyOrg struct {
	Definition
	// PackageID is --package-id: an installed package's label:sha256, or
	// in development mode the name:version the chaincode is started as.
	PackageID string
}

// Argv implements Command.
func (c ApproveForMyOrg) Argv() []string {
	args := c.argv("approveformyorg")
	if c.PackageID != "" {
		args = append(args, "--package-id", c.PackageID)
	}
	return args
}

// CheckCommitReadiness is `peersim lifecycle chaincode
// checkcommitreadiness`: it prints "<MSP ID>: true|false" per organisation.
type CheckCommitReadiness Definition

// Argv implements Command.
func (c CheckCommitReadiness) Argv() []string { return Definition(c).argv("checkcommitreadiness") }

// Commit is `peersim lifecycle chaincode commit`.
type Commit Definition

// Argv implements Command.
func (c Commit) Argv() []string { return Definition(c).argv("commit") }

// QueryCommitted is `peersim lifecycle chaincode querycommitted -C
// <channel>`, and with Name `-n <name>`.
type QueryCommitted struct{ Channel, Name string }

// Argv implements Command.
func (c QueryCommitted) Argv() []string {
	args := []string{"lifecycle", "chaincode", "querycommitted", "-C", c.Channel}
	if c.Name != "" {
		args = append(args, "-n", c.Name)
	}
	return args
}

// ListInstalled is `peersim chaincode list --installed`.
type ListInstalled struct{}

// Argv implements Command.
func (ListInstalled) Argv() []string { return []string{"chaincode", "list", "--installed"} }

// ListInstantiated is `peersim chaincode list --instantiated -C <channel>`.
type ListInstantiated struct{ Channel string }

// Argv implements Command.
func (c ListInstantiated) Argv() []string {
	return []string{"chaincode", "list", "--instantiated", "-C", c.Channel}
}

// ListRunning is `peersim chaincode list --running`.
type ListRunning struct{}

// Argv implements Command.
func (ListRunning) Argv() []string { return []string{"chaincode", "list", "--running"} }

// ChannelCreate is `peersim channel create`, with the member
// organisations Orgs (--orgs; all the peer's when empty).
type ChannelCreate struct {
	Channel string
	Orgs    []string
}

// Argv implements Command.
func (c ChannelCreate) Argv() []string {
	args := []string{"channel", "create", "-c", c.Channel}
	if len(c.Orgs) > 0 {
		args = append(args, "--orgs", strings.Join(c.Orgs, ","))
	}
	return args
}

// ChannelList is `peersim channel list`.
type ChannelList struct{}

// Argv implements Command.
func (ChannelList) Argv() []string { return []string{"channel", "list"} }

// IdentityAdd is `peersim identity add`.
type IdentityAdd struct {
	Name  string
	Attrs map[string]string
	Admin bool
}

// Argv implements Command.
func (c IdentityAdd) Argv() []string {
	args := []string{"identity", "add", c.Name}
	keys := make([]string, 0, len(c.Attrs))
	for k := range c.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--attr", k+"="+c.Attrs[k])
	}
	if c.Admin {
		args = append(args, "--admin")
	}
	return args
}

func (IdentityAdd) offline() {}

// IdentityList is `peersim identity list`.
type IdentityList struct{}

// Argv implements Command.
func (IdentityList) Argv() []string { return []string{"identity", "list"} }

func (IdentityList) offline() {}

// Env is `peersim env`: the export lines for Fabric's own peer CLI, for
// Identity (the CLI's default, Admin, when empty).
type Env struct{ Identity string }

// Argv implements Command.
func (c Env) Argv() []string {
	if c.Identity == "" {
		return []string{"env"}
	}
	return []string{"env", "--identity", c.Identity}
}

func (Env) offline() {}
