package syscc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// LSCCChaincode is Fabric 1.4's legacy lifecycle: install, deploy, upgrade,
// getinstalledchaincodes and getchaincodes. Deploy and upgrade wait for the
// chaincode, then simulate the definition write and Init in one
// transaction; the client orders it, and the chaincode counts as
// instantiated once that transaction commits VALID.
type LSCCChaincode struct {
	// Store holds the installed packages.
	Store *ccpackage.Store
	// Chaincodes runs the Init of deploy and upgrade.
	Chaincodes Runner
	// OrgMSPID is the organisation of the peer that endorses: Init reads
	// its clear private data. Empty: the ledger's first organisation.
	OrgMSPID string
	// Members lists a channel's organisations: the default endorsement
	// policy is one member of any of them.
	Members func(channel string) ([]string, error)
	Log     *slog.Logger
}

// Invoke serves one lscc function.
func (c *LSCCChaincode) Invoke(ctx context.Context, inv *Invocation) (*Result, error) {
	args := inv.Args()
	if len(args) == 0 {
		return nil, errors.New("invalid number of arguments to lscc: 0")
	}
	switch fn := string(args[0]); fn {
	case "install":
		pkgID, err := c.install(inv.Proposal, args)
		if err != nil {
			return nil, err
		}
		return ok([]byte(pkgID)), nil
	case "deploy", "upgrade":
		return c.instantiate(ctx, inv, fn)
	case "getinstalledchaincodes":
		var out peer.ChaincodeQueryResponse
		for _, in := range c.Store.List() {
			out.Chaincodes = append(out.Chaincodes, c.info(in.Name, in.Version))
		}
		return answer(LSCC, &out)
	case "getchaincodes":
		if inv.Ledger == nil {
			return nil, errors.New("getchaincodes needs a channel: name one in the proposal")
		}
		defs, err := inv.Ledger.ChaincodeDefinitions()
		if err != nil {
			return nil, err
		}
		var out peer.ChaincodeQueryResponse
		for _, d := range defs {
			out.Chaincodes = append(out.Chaincodes, c.info(d.Name, d.Version))
		}
		return answer(LSCC, &out)
	default:
		return nil, fmt.Errorf("invalid function to lscc: %s", fn)
	}
}

// info describes name:version, with its package when installed.
func (c *LSCCChaincode) info(name, version string) *peer.ChaincodeInfo {
	info := &peer.ChaincodeInfo{Name: name, Version: version}
	if in, err := c.Store.Get(name, version); err == nil {
		info.Id = []byte(in.PackageID)
		if pkg, err := c.Store.Load(name, version); err == nil {
			info.Path = pkg.Metadata.Path
		}
	}
	return info
}

// install stores the package of an install proposal and returns its
// package ID.
func (c *LSCCChaincode) install(up *identity.UnpackedProposal, args [][]byte) (string, error) {
	if err := requireAdmin(up, "install"); err != nil {
		return "", err
	}
	if len(args) != 2 {
		return "", fmt.Errorf("invalid number of arguments to lscc install: %d, want 2 (install, deployment spec)", len(args))
	}
	cds := &peer.ChaincodeDeploymentSpec{}
	if err := proto.Unmarshal(args[1], cds); err != nil {
		return "", fmt.Errorf("invalid deployment spec in lscc install: %w", err)
	}
	id := cds.GetChaincodeSpec().GetChaincodeId()
	if err := validateNameVersion(id.GetName(), id.GetVersion()); err != nil {
		return "", err
	}
	pkg, err := ccpackage.FromDeploymentSpec(cds.GetChaincodeSpec().GetType().String(), id.GetPath(), ccpackage.Label(id.GetName(), id.GetVersion()), cds.GetCodePackage())
	if err != nil {
		return "", fmt.Errorf("install %s:%s: %w", id.GetName(), id.GetVersion(), err)
	}
	in, err := c.Store.Install(id.GetName(), id.GetVersion(), pkg)
	if err != nil {
		return "", fmt.Errorf("install %s:%s: %w", id.GetName(), id.GetVersion(), err)
	}
	c.Log.Info("chaincode installed", "name", in.Name, "version", in.Version, "package_id", in.PackageID)
	return in.PackageID, nil
}

func validateNameVersion(name, version string) error {
	if slices.Contains(reserved, name) {
		return fmt.Errorf("chaincode name %q is reserved for a system chaincode: choose another name", name)
	}
	if err := ccpackage.ValidateName(name); err != nil {
		return err
	}
	return ccpackage.ValidateVersion(version)
}

// instantiate simulates a deploy or upgrade (what).
func (c *LSCCChaincode) instantiate(ctx context.Context, inv *Invocation, what string) (*Result, error) {
	up, l, upgrade := inv.Proposal, inv.Ledger, what == "upgrade"
	if err := requireAdmin(up, what); err != nil {
		return nil, err
	}
	if l == nil {
		return nil, fmt.Errorf("lscc %s needs a channel: name one in the proposal", what)
	}
	args := inv.Args()
	if len(args) < 3 {
		return nil, fmt.Errorf("invalid number of arguments to lscc %s: %d, want at least 3 (%s, channel, deployment spec)", what, len(args), what)
	}
	if string(args[1]) != l.ChannelID() {
		return nil, fmt.Errorf("lscc %s for channel %q sent on channel %q: they must be the same", what, args[1], l.ChannelID())
	}
	cds := &peer.ChaincodeDeploymentSpec{}
	if err := proto.Unmarshal(args[2], cds); err != nil {
		return nil, fmt.Errorf("invalid deployment spec in lscc %s: %w", what, err)
	}
	spec := cds.GetChaincodeSpec()
	name, version := spec.GetChaincodeId().GetName(), spec.GetChaincodeId().GetVersion()
	if err := validateNameVersion(name, version); err != nil {
		return nil, err
	}
	def := &ledger.ChaincodeDefinition{Name: name, Version: version}
	members, err := c.Members(l.ChannelID())
	if err != nil {
		return nil, err
	}
	env := identity.AnyMember(members...)
	if len(args) > 3 && len(args[3]) > 0 {
		env = &common.SignaturePolicyEnvelope{}
		if err := proto.Unmarshal(args[3], env); err != nil {
			return nil, fmt.Errorf("invalid endorsement policy in lscc %s: %w", what, err)
		}
	}
	def.EndorsementPolicy = &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: env}}
	if len(args) > 6 && len(args[6]) > 0 {
		def.Collections = &peer.CollectionConfigPackage{}
		if err := proto.Unmarshal(args[6], def.Collections); err != nil {
			return nil, fmt.Errorf("invalid collection configuration in lscc %s: %w", what, err)
		}
	}
	if _, err := c.Store.Get(name, version); err != nil {
		return nil, fmt.Errorf("cannot get package for chaincode (%s:%s): %w", name, version, err)
	}
	existing, err := l.ChaincodeDefinition(name)
	switch {
	case err != nil && !errors.Is(err, ledger.ErrChaincodeNotDefined):
		return nil, err
	case !upgrade && err == nil:
		return nil, fmt.Errorf("chaincode with name '%s' already exists", name)
	case upgrade && err != nil:
		return nil, &NotInstantiatedError{Name: name}
	case upgrade && existing.Sequence > 0:
		return nil, fmt.Errorf("chaincode %s is defined on channel %s by _lifecycle (sequence %d), which takes precedence over lscc: change it with approveformyorg and commit at sequence %d", name, l.ChannelID(), existing.Sequence, existing.Sequence+1)
	case upgrade && existing.Version == version:
		return nil, fmt.Errorf("version already exists for chaincode with name '%s'", name)
	}
	txID := up.TxID()
	if err := c.Chaincodes.EnsureConnected(ctx, name, version, true); err != nil {
		return nil, fmt.Errorf("error in simulation: failed to execute transaction %s: %w", txID, err)
	}
	res, resp, err := c.simulate(ctx, inv, def, spec.GetInput())
	if err != nil {
		return nil, fmt.Errorf("error in simulation: %w", err)
	}
	if res.Private != nil || hasCollections(res) {
		return nil, fabricf("Private data is forbidden to be used in instantiate")
	}
	if err := DefineIndexes(l, c.Store, "", def); err != nil {
		c.Log.Warn("could not define CouchDB indexes", "chaincode", name+":"+version, "error", err)
	}
	c.Log.Info("chaincode "+what+" endorsed; it takes effect when the transaction commits",
		"channel", l.ChannelID(), "name", name, "version", version, "txid", txID)
	return &Result{Response: &peer.Response{Status: 200, Message: resp.GetMessage(), Payload: resp.GetPayload()}, Simulation: res}, nil
}

// simulate writes def and runs Init with input in one simulation.
func (c *LSCCChaincode) simulate(ctx context.Context, inv *Invocation, def *ledger.ChaincodeDefinition, input *peer.ChaincodeInput) (*ledger.SimulationResults, *peer.Response, error) {
	l, txID := inv.Ledger, inv.Proposal.TxID()
	sim, err := l.NewSimulatorAt(c.OrgMSPID, txID, inv.Proposal.Creator.MSPID())
	if err != nil {
		return nil, nil, err
	}
	defer sim.Done()
	// Read the current definition so that two deploys or upgrades racing
	// each other conflict at commit.
	if _, err := sim.GetChaincodeDefinition(def.Name); err != nil && !errors.Is(err, ledger.ErrChaincodeNotDefined) {
		return nil, nil, err
	}
	if err := sim.PutChaincodeDefinition(def); err != nil {
		return nil, nil, err
	}
	resp, _, err := c.Chaincodes.Execute(ctx, Execution{
		CCID: def.Name + ":" + def.Version, Init: true, ChannelID: l.ChannelID(), TxID: txID, Namespace: def.Name,
		Input:          &peer.ChaincodeInput{Args: input.GetArgs(), Decorations: input.GetDecorations()},
		SignedProposal: inv.Proposal.SignedProposal, Simulator: sim,
	})
	if err != nil {
		return nil, nil, err
	}
	if resp.GetStatus() >= 400 {
		return nil, nil, fmt.Errorf("transaction returned with failure: Init of %s:%s returned status %d: %s", def.Name, def.Version, resp.GetStatus(), resp.GetMessage())
	}
	sim.Done()
	res, err := sim.Results()
	if err != nil {
		return nil, nil, err
	}
	return res, resp, nil
}

func hasCollections(res *ledger.SimulationResults) bool {
	for _, ns := range res.Public.GetNsRwset() {
		if len(ns.GetCollectionHashedRwset()) > 0 {
			return true
		}
	}
	return false
}

// DefineIndexes hands l the CouchDB indexes in the package of each
// definition in defs (the ledger keeps them in memory only). An lscc
// definition runs the package installed as name:version; a _lifecycle one
// runs the package organisation mspID approved for its sequence, as a
// Fabric 2.x peer deploys the indexes of the package its org approved. A
// _lifecycle definition whose package is not approved or not installed on
// this peer has no indexes here yet, which is not an error.
func DefineIndexes(l *ledger.Ledger, store *ccpackage.Store, mspID string, defs ...*ledger.ChaincodeDefinition) error {
	var errs []error
	for _, d := range defs {
		pkg, err := definedPackage(l, store, mspID, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if pkg == nil {
			continue
		}
		byColl := map[string][][]byte{}
		for _, ix := range pkg.Indexes {
			byColl[ix.Collection] = append(byColl[ix.Collection], ix.Definition)
		}
		for coll, ixs := range byColl {
			if err := l.DefineIndexes(d.Name, coll, ixs...); err != nil {
				errs = append(errs, fmt.Errorf("indexes of %s:%s (collection %q): %w", d.Name, d.Version, coll, err))
			}
		}
	}
	return errors.Join(errs...)
}

// definedPackage loads the package that runs d on l's channel for
// organisation mspID; nil, with no error, for a _lifecycle definition
// whose package this peer does not have.
func definedPackage(l *ledger.Ledger, store *ccpackage.Store, mspID string, d *ledger.ChaincodeDefinition) (*ccpackage.Package, error) {
	if d.Sequence == 0 {
		return store.Load(d.Name, d.Version)
	}
	id, approved, err := Approval(l, mspID, d.Name, d.Sequence)
	if err != nil {
		return nil, fmt.Errorf("indexes of %s sequence %d: read %s's approval: %w", d.Name, d.Sequence, mspID, err)
	}
	if !approved {
		return nil, nil
	}
	var pkg *ccpackage.Package
	if _, _, notPackageID := ccpackage.SplitPackageID(id); notPackageID == nil {
		pkg, err = store.LoadPackage(id)
	} else {
		// No package approved, or a development-mode id name:version:
		// the package installed as that name and version, if any.
		name, version := d.Name, d.Version
		if n, v, ok := strings.Cut(id, ":"); ok {
			name, version = n, v
		}
		pkg, err = store.Load(name, version)
	}
	if errors.Is(err, ccpackage.ErrNotInstalled) {
		return nil, nil
	}
	return pkg, err
}
