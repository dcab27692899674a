package peersimtest

import (
	"context"
	"fmt"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/grpc"
)

// Lifecycle is the chaincode lifecycle through which the kit deploys.
type Lifecycle int

const (
	// Lifecycle2 is Fabric 2.x's _lifecycle, the default: Connect installs
	// a package (peer lifecycle chaincode install) and connects the
	// chaincode as its package ID; Instantiate approves the definition for
	// each organisation of the channel (Org1MSP, or those of WithOrgs) with
	// that package ID and commits it at sequence 1; Upgrade
	// does the same at the committed sequence plus one. Init runs only
	// when InitArgs are given: the definition then requires
	// initialisation (--init-required) and the kit sends the first invoke
	// as Init (--isInit) with those arguments, as Fabric's users do.
	Lifecycle2 Lifecycle = iota
	// LSCC is Fabric 1.4's lifecycle, which Fabric 3 removed: Connect
	// installs name:version, Instantiate and Upgrade run Init (with
	// InitArgs, or none) in the transaction that defines the chaincode.
	LSCC
)

func (l Lifecycle) String() string {
	switch l {
	case Lifecycle2:
		return "_lifecycle"
	case LSCC:
		return "lscc"
	}
	return fmt.Sprintf("Lifecycle(%d)", int(l))
}

// WithLifecycle chooses the lifecycle Connect, Deploy, Instantiate and
// Upgrade use on this peer; the default is Lifecycle2.
func WithLifecycle(l Lifecycle) Option { return func(s *settings) { s.lifecycle = l } }

// Lifecycle returns the lifecycle the peer deploys through.
func (p *Peer) Lifecycle() Lifecycle { return p.lifecycle }

// install installs pkg, the package of name:version, through the peer's
// lifecycle and returns the id the chaincode registers as: name:version
// for lscc, the package ID for _lifecycle (a package already installed,
// e.g. by an earlier subtest, is used as it is).
func (p *Peer) install(ctx context.Context, admin *client.Client, name, version string, pkg []byte) (string, error) {
	if p.lifecycle == LSCC {
		if _, err := admin.Install(ctx, name, version, pkg); err != nil {
			return "", err
		}
		return name + ":" + version, nil
	}
	id := ccpackage.PackageID(ccpackage.Label(name, version), pkg)
	installed, err := admin.QueryInstalled(ctx)
	if err != nil {
		return "", err
	}
	if slices.ContainsFunc(installed, func(in *lb.QueryInstalledChaincodesResult_InstalledChaincode) bool { return in.GetPackageId() == id }) {
		return id, nil
	}
	got, _, err := admin.InstallPackage(ctx, pkg)
	if err != nil {
		return "", err
	}
	if got != id {
		return "", fmt.Errorf("the peer installed the package as %s, want %s", got, id)
	}
	return id, nil
}

// define makes d's definition current on its channel through _lifecycle,
// as `peer lifecycle chaincode approveformyorg` and `commit` do, and runs
// Init when d has InitArgs. Instantiate defines sequence 1; when that
// definition is already committed with the same version and requires
// init, only Init is sent again, as a Fabric user re-sends --isInit after
// a failed Init. Upgrade defines the committed sequence plus one.
func (p *Peer) define(ctx context.Context, admin *client.Client, op, name, ccid string, d deployment, dep client.Deployment) error {
	def := client.Definition{
		Channel: d.channel, Name: name, Version: d.version, Sequence: 1, PackageID: ccid,
		SignaturePolicy: dep.Policy, Collections: dep.Collections, InitRequired: d.args != nil,
	}
	cur, err := admin.QueryCommitted(ctx, d.channel, name)
	switch {
	case op == "upgrade" && err != nil:
		return err
	case op == "upgrade":
		def.Sequence = cur.GetSequence() + 1
	case err == nil && def.InitRequired && cur.GetInitRequired() && cur.GetVersion() == d.version && cur.GetSequence() == 1:
		return p.initialise(ctx, admin, name, d)
	}
	// Each organisation of the channel approves on its own peer, as its
	// admin; the commit carries all their peers' endorsements (the
	// lifecycle endorsement policy is their majority).
	members := p.members(d.channel)
	for _, org := range members {
		approver := admin
		if org != p.org.MSPID() {
			var err error
			if approver, err = p.orgAdmin(org); err != nil {
				return err
			}
		}
		if _, err := approver.ApproveForMyOrg(ctx, def); err != nil {
			if len(members) > 1 {
				return fmt.Errorf("%s: %w", org, err)
			}
			return err
		}
	}
	committer, err := p.endorsedByAll(members)
	if err != nil {
		return err
	}
	if _, err := committer.CommitDefinition(ctx, def); err != nil {
		return err
	}
	if def.InitRequired {
		return p.initialise(ctx, admin, name, d)
	}
	return nil
}

// members returns the organisations of channel; for a channel the peer
// does not have, the first organisation alone, whose peer then answers
// with its refusal.
func (p *Peer) members(channel string) []string {
	m, err := p.peer.ChannelMembers(channel)
	if err != nil {
		return []string{p.org.MSPID()}
	}
	return m
}

// orgAdmin is a client of organisation mspID's virtual peer signing as its
// Admin.
func (p *Peer) orgAdmin(mspID string) (*client.Client, error) {
	for _, o := range p.orgs {
		if o.MSPID() != mspID {
			continue
		}
		id, err := o.Identity("Admin")
		if err != nil {
			return nil, err
		}
		return client.New(p.orgConns[mspID], id, client.WithAddress("peersimtest "+mspID))
	}
	return nil, fmt.Errorf("organisation %s is not one of the peer's %v", mspID, p.Orgs())
}

// endorsedByAll is a client of the first organisation's Admin whose
// transactions the peers of every organisation in orgs endorse.
func (p *Peer) endorsedByAll(orgs []string) (*client.Client, error) {
	id, err := p.org.Identity("Admin")
	if err != nil {
		return nil, err
	}
	opts := []client.Option{client.WithAddress("peersimtest")}
	if len(p.orgs) > 1 {
		conns := make([]grpc.ClientConnInterface, len(orgs))
		for i, org := range orgs {
			conns[i] = p.orgConns[org]
		}
		opts = append(opts, client.WithEndorsers(conns...))
	}
	return client.New(p.clientConn, id, opts...)
}

// initialise sends the first invoke of an init-required definition: Init
// with d's arguments, endorsed by every organisation of the channel.
func (p *Peer) initialise(ctx context.Context, admin *client.Client, name string, d deployment) error {
	var err error
	if members := p.members(d.channel); len(members) > 1 {
		if admin, err = p.endorsedByAll(members); err != nil {
			return err
		}
	}
	inv := identity.Invocation{ChannelID: d.channel, Chaincode: name, Args: d.args, IsInit: true}
	if _, err := admin.Submit(ctx, inv); err != nil {
		return fmt.Errorf("init (--isInit): %w", err)
	}
	return nil
}
