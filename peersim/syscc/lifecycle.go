package syscc

import (
	"context"
	"errors"
	"fmt"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"log/slog"
	"regexp"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"
)

// DefaultEndorsementPolicyRef is the channel policy a _lifecycle definition
// refers to when it names no endorsement policy, as in Fabric.
const DefaultEndorsementPolicyRef = identity.EndorsementRef

// The plugin names a _lifecycle definition gets when it names none.
const (
	defaultEndorsementPlugin = "escc"
	defaultValidationPlugin  = "vscc"
)

// versionPattern is Fabric's rule for a chaincode version.
var versionPattern = regexp.MustCompile(`^[A-Za-z0-9_.+-]+$`)

// namePattern is Fabric's rule for a chaincode name.
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$`)

// LifecycleChaincode is Fabric 2.x's lifecycle system chaincode,
// _lifecycle. Packages are installed per peer (in Store, beside lscc's
// installs); an organisation approves a definition with private writes to
// its implicit collection of the _lifecycle namespace, whose hashes every
// peer sees; CommitChaincodeDefinition writes the definition to public
// state once the approvals suffice. Approvals and commits are transactions
// of the channel: the client orders the endorsed result.
type LifecycleChaincode struct {
	// Store holds the installed packages.
	Store *ccpackage.Store
	// OrgMSPID is the peer's own organisation: the one that approves.
	OrgMSPID string
	// Members lists a channel's organisations, whose approvals
	// CheckCommitReadiness reports.
	Members func(channel string) ([]string, error)
	// Channels lets the installed-package queries name the definitions
	// that use a package.
	Channels Channels
	Log      *slog.Logger
}

// notFoundError is a missing definition or package: Fabric answers it with
// status 404 rather than 500.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }

// lifecycleFunctions are the functions LifecycleChaincode serves, in the
// order its refusal lists them.
func lifecycleFunctions() []string {
	return []string{"InstallChaincode", "QueryInstalledChaincode", "QueryInstalledChaincodes", "GetInstalledChaincodePackage",
		"ApproveChaincodeDefinitionForMyOrg", "QueryApprovedChaincodeDefinition", "QueryApprovedChaincodeDefinitions", "CheckCommitReadiness",
		"CommitChaincodeDefinition", "QueryChaincodeDefinition", "QueryChaincodeDefinitions"}
}

// Invoke serves one _lifecycle function: args[0] is its name, args[1] its
// marshalled *Args message, as Fabric's peer CLI sends them.
func (c *LifecycleChaincode) Invoke(_ context.Context, inv *Invocation) (*Result, error) {
	args := inv.Args()
	if len(args) == 0 {
		return nil, errors.New("lifecycle scc must be invoked with arguments")
	}
	if len(args) != 2 {
		return nil, fmt.Errorf("lifecycle scc operations require exactly two arguments but received %d", len(args))
	}
	fn := string(args[0])
	if !slices.Contains(lifecycleFunctions(), fn) {
		return nil, fmt.Errorf("failed to invoke backing implementation of '%s': _lifecycle has no function %q: use one of %v", fn, fn, lifecycleFunctions())
	}
	if err := c.authorize(inv, fn); err != nil {
		return nil, err
	}
	res, err := c.dispatch(inv, fn, args[1])
	if err != nil {
		var nf *notFoundError
		if errors.As(err, &nf) {
			return &Result{Response: &peer.Response{Status: 404, Message: err.Error()}}, nil
		}
		return nil, fmt.Errorf("failed to invoke backing implementation of '%s': %w", fn, err)
	}
	return res, nil
}

// authorize applies Fabric's default ACLs: the per-peer functions and the
// approvals need an admin of the peer's organisation; the channel-wide ones
// (CheckCommitReadiness, CommitChaincodeDefinition, QueryChaincodeDefinition
// and QueryChaincodeDefinitions) a member of the channel, which every
// proposal the MSP validated is. Those last ones also need a channel.
func (c *LifecycleChaincode) authorize(inv *Invocation, fn string) error {
	up := inv.Proposal
	switch fn {
	case "CheckCommitReadiness", "CommitChaincodeDefinition", "QueryChaincodeDefinition", "QueryChaincodeDefinitions":
	default:
		if err := requireAdmin(up, "_lifecycle/"+fn); err != nil {
			return err
		}
		if up.Creator.MSPID() != c.OrgMSPID {
			return fmt.Errorf("%w for [_lifecycle/%s]: %s is an admin of %s, not of the peer's organisation %s: use an admin of %s", ErrAccessDenied, fn, up.Creator, up.Creator.MSPID(), c.OrgMSPID, c.OrgMSPID)
		}
	}
	switch fn {
	case "ApproveChaincodeDefinitionForMyOrg", "QueryApprovedChaincodeDefinition", "QueryApprovedChaincodeDefinitions", "CheckCommitReadiness",
		"CommitChaincodeDefinition", "QueryChaincodeDefinition", "QueryChaincodeDefinitions":
		if inv.Ledger == nil {
			return fmt.Errorf("_lifecycle %s needs a channel: name one in the proposal (-C)", fn)
		}
	}
	return nil
}

// dispatch decodes input as fn's *Args message and runs fn.
func (c *LifecycleChaincode) dispatch(inv *Invocation, fn string, input []byte) (*Result, error) {
	decode := func(m proto.Message) error {
		if err := proto.Unmarshal(input, m); err != nil {
			return fmt.Errorf("failed to decode input arg to function %s: %w", fn, err)
		}
		return nil
	}
	var out proto.Message
	var sim *ledger.SimulationResults
	var err error
	switch fn {
	case "InstallChaincode":
		in := &lb.InstallChaincodeArgs{}
		if err = decode(in); err == nil {
			out, err = c.install(in)
		}
	case "QueryInstalledChaincode":
		in := &lb.QueryInstalledChaincodeArgs{}
		if err = decode(in); err == nil {
			out, err = c.queryInstalled(in)
		}
	case "QueryInstalledChaincodes":
		in := &lb.QueryInstalledChaincodesArgs{}
		if err = decode(in); err == nil {
			out, err = c.queryAllInstalled()
		}
	case "GetInstalledChaincodePackage":
		in := &lb.GetInstalledChaincodePackageArgs{}
		if err = decode(in); err == nil {
			out, err = c.getPackage(in)
		}
	case "ApproveChaincodeDefinitionForMyOrg":
		in := &lb.ApproveChaincodeDefinitionForMyOrgArgs{}
		if err = decode(in); err == nil {
			out, sim, err = c.approve(inv, in)
		}
	case "QueryApprovedChaincodeDefinition":
		in := &lb.QueryApprovedChaincodeDefinitionArgs{}
		if err = decode(in); err == nil {
			out, err = c.queryApproved(inv, in)
		}
	case "QueryApprovedChaincodeDefinitions":
		in := &lb.QueryApprovedChaincodeDefinitionsArgs{}
		if err = decode(in); err == nil {
			out, err = c.queryAllApproved(inv)
		}
	case "CheckCommitReadiness":
		in := &lb.CheckCommitReadinessArgs{}
		if err = decode(in); err == nil {
			out, err = c.checkCommitReadiness(inv, in)
		}
	case "CommitChaincodeDefinition":
		in := &lb.CommitChaincodeDefinitionArgs{}
		if err = decode(in); err == nil {
			out, sim, err = c.commit(inv, in)
		}
	case "QueryChaincodeDefinition":
		in := &lb.QueryChaincodeDefinitionArgs{}
		if err = decode(in); err == nil {
			out, err = c.queryDefinition(inv, in)
		}
	case "QueryChaincodeDefinitions":
		in := &lb.QueryChaincodeDefinitionsArgs{}
		if err = decode(in); err == nil {
			out, err = c.queryDefinitions(inv)
		}
	}
	if err != nil {
		return nil, err
	}
	res, err := answer(ledger.LifecycleNamespace, out)
	if err != nil {
		return nil, err
	}
	res.Simulation = sim
	return res, nil
}

// install stores a 2.x package.
func (c *LifecycleChaincode) install(in *lb.InstallChaincodeArgs) (proto.Message, error) {
	installed, err := c.Store.InstallPackage(in.GetChaincodeInstallPackage())
	switch {
	case errors.Is(err, ccpackage.ErrAlreadyInstalled):
		id := ccpackage.PackageID(labelOf(in.GetChaincodeInstallPackage()), in.GetChaincodeInstallPackage())
		return nil, fmt.Errorf("chaincode already successfully installed (package ID '%s')", id)
	case err != nil:
		return nil, fmt.Errorf("could not parse as a chaincode install package: %w", err)
	}
	label, _, _ := ccpackage.SplitPackageID(installed.PackageID)
	c.Log.Info("chaincode package installed", "package_id", installed.PackageID)
	return &lb.InstallChaincodeResult{PackageId: installed.PackageID, Label: label}, nil
}

// labelOf returns the label of a package the store already accepted.
func labelOf(pkg []byte) string {
	p, err := ccpackage.Parse(pkg)
	if err != nil {
		return ""
	}
	return p.Metadata.Label
}

// packageEntry returns the installed package with the ID, through either
// lifecycle, or Fabric's not-found error.
func (c *LifecycleChaincode) packageEntry(id string) (ccpackage.Installed, error) {
	for _, in := range c.Store.Packages() {
		if in.PackageID == id {
			return in, nil
		}
	}
	return ccpackage.Installed{}, &notFoundError{msg: fmt.Sprintf("chaincode install package '%s' not found", id)}
}

func (c *LifecycleChaincode) queryInstalled(in *lb.QueryInstalledChaincodeArgs) (proto.Message, error) {
	entry, err := c.packageEntry(in.GetPackageId())
	if err != nil {
		return nil, err
	}
	label, _, _ := ccpackage.SplitPackageID(entry.PackageID)
	out := &lb.QueryInstalledChaincodeResult{PackageId: entry.PackageID, Label: label, References: map[string]*lb.QueryInstalledChaincodeResult_References{}}
	for ch, refs := range c.references(entry.PackageID) {
		r := &lb.QueryInstalledChaincodeResult_References{}
		for _, d := range refs {
			r.Chaincodes = append(r.Chaincodes, &lb.QueryInstalledChaincodeResult_Chaincode{Name: d.Name, Version: d.Version})
		}
		out.References[ch] = r
	}
	return out, nil
}

func (c *LifecycleChaincode) queryAllInstalled() (proto.Message, error) {
	out := &lb.QueryInstalledChaincodesResult{}
	for _, entry := range c.Store.Packages() {
		label, _, _ := ccpackage.SplitPackageID(entry.PackageID)
		ic := &lb.QueryInstalledChaincodesResult_InstalledChaincode{PackageId: entry.PackageID, Label: label,
			References: map[string]*lb.QueryInstalledChaincodesResult_References{}}
		for ch, refs := range c.references(entry.PackageID) {
			r := &lb.QueryInstalledChaincodesResult_References{}
			for _, d := range refs {
				r.Chaincodes = append(r.Chaincodes, &lb.QueryInstalledChaincodesResult_Chaincode{Name: d.Name, Version: d.Version})
			}
			ic.References[ch] = r
		}
		out.InstalledChaincodes = append(out.InstalledChaincodes, ic)
	}
	return out, nil
}

func (c *LifecycleChaincode) getPackage(in *lb.GetInstalledChaincodePackageArgs) (proto.Message, error) {
	if _, err := c.packageEntry(in.GetPackageId()); err != nil {
		return nil, err
	}
	pkg, err := c.Store.LoadPackage(in.GetPackageId())
	if err != nil {
		return nil, fmt.Errorf("could not load cc install package %s: %w", in.GetPackageId(), err)
	}
	return &lb.GetInstalledChaincodePackageResult{ChaincodeInstallPackage: pkg.Bytes()}, nil
}

// references returns, per channel, the committed definitions that use the
// package: lscc definitions installed with it, and _lifecycle definitions
// whose approval by the peer's organisation names it.
func (c *LifecycleChaincode) references(packageID string) map[string][]*ledger.ChaincodeDefinition {
	out := map[string][]*ledger.ChaincodeDefinition{}
	if c.Channels == nil {
		return out
	}
	for _, ch := range c.Channels.Names() {
		l, err := c.Channels.Ledger(ch)
		if err != nil {
			continue
		}
		defs, err := l.ChaincodeDefinitions()
		if err != nil {
			c.Log.Warn("could not list chaincode definitions", "channel", ch, "error", err)
			continue
		}
		for _, d := range defs {
			var id string
			if d.Sequence == 0 {
				if in, err := c.Store.Get(d.Name, d.Version); err == nil {
					id = in.PackageID
				}
			} else if id, err = ApprovedPackageID(l, c.OrgMSPID, d.Name, d.Sequence); err != nil {
				c.Log.Warn("could not read the approved package", "channel", ch, "chaincode", d.Name, "error", err)
			}
			if id == packageID {
				out[ch] = append(out[ch], d)
			}
		}
	}
	return out
}

// ApprovedPackageID returns the package ID organisation mspID approved for
// chaincode name at sequence on l's channel, "" when it approved none or an
// empty one (see Approval).
func ApprovedPackageID(l *ledger.Ledger, mspID, name string, sequence int64) (string, error) {
	id, _, err := Approval(l, mspID, name, sequence)
	return id, err
}
