package peersim

import (
	"fmt"
	"net"
	"slices"

	"github.com/chaincodekit/chaincodekit/internal/stopping"
	"github.com/chaincodekit/chaincodekit/peersim/ccsupport"
	"github.com/chaincodekit/chaincodekit/peersim/endorser"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"google.golang.org/grpc"
)

// orgPeer is the virtual peer of one of Config.Orgs: what a real peer of
// that organisation has of its own. It endorses with its organisation's
// peer identity, runs the chaincode packages its organisation approved,
// keeps its organisation's private data (the ledgers keep each one's
// apart) and serves its clients on its own address. In production mode it
// runs its own chaincode processes, launcher.OrgInstanceOf(ccid, its MSP
// ID) but for the first organisation's, which run as ccid
// (ccsupport.Config.OrgInstance). The ledgers, the orderer, the installed
// packages, and in development mode and for chaincode servers the
// chaincode processes, are shared by all of them, as all peers of a
// channel agree on the public state.
type orgPeer struct {
	org     *identity.Org
	signer  *identity.SigningIdentity
	support *ccsupport.Support
	endo    *endorser.Endorser

	// Set by startOn, under Peer.mu.
	srv   *grpc.Server
	drain *stopping.Drain
	addr  string
}

// mspID names the virtual peer's organisation.
func (o *orgPeer) mspID() string { return o.org.MSPID() }

// home is the virtual peer of the first organisation: the one a
// single-organisation peer has, whose clients use Config.Address.
func (p *Peer) home() *orgPeer { return p.orgs[0] }

// orgPeer returns the virtual peer of organisation mspID.
func (p *Peer) orgPeer(mspID string) (*orgPeer, error) {
	for _, o := range p.orgs {
		if o.mspID() == mspID {
			return o, nil
		}
	}
	return nil, fmt.Errorf("organisation %q: %w: the peer's organisations are %v", mspID, ErrUnknownOrg, p.cfg.Orgs)
}

// chaincodeMSPID is the MSP ID of the organisation a chaincode registering
// as ccid runs for, which REGISTERED announces to it (our shim's GetMSPID):
// an org instance's, else the first organisation's.
func (p *Peer) chaincodeMSPID(ccid string) string {
	if _, mspID, ok := launcher.InstanceOf(ccid); ok {
		return mspID
	}
	return p.org.MSPID()
}

// OrgIDs returns the MSP IDs of the peer's organisations (Config.Orgs).
func (p *Peer) OrgIDs() []string { return slices.Clone(p.cfg.Orgs) }

// OrgOf returns organisation mspID (its CA, admin and users).
func (p *Peer) OrgOf(mspID string) (*identity.Org, error) {
	o, err := p.orgPeer(mspID)
	if err != nil {
		return nil, err
	}
	return o.org, nil
}

// OrgAddress returns the bound client address of organisation mspID's
// virtual peer (empty before Start).
func (p *Peer) OrgAddress(mspID string) (string, error) {
	o, err := p.orgPeer(mspID)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return o.addr, nil
}

// openOrgs opens (on first start: creates) each of Config.Orgs in the
// data directory and returns them with an MSP that knows them all.
func openOrgs(cfg Config) ([]*identity.Org, *identity.MSP, error) {
	var orgs []*identity.Org
	var configs []identity.MSPConfig
	for _, id := range cfg.Orgs {
		org, err := ensureOrg(cfg.DataDir, id)
		if err != nil {
			return nil, nil, fmt.Errorf("peer organisation %s: %w", id, err)
		}
		orgs = append(orgs, org)
		configs = append(configs, org.MSPConfig())
	}
	msp, err := identity.NewMSP(configs)
	if err != nil {
		return nil, nil, fmt.Errorf("the MSP of the peer's organisations %v: %w", cfg.Orgs, err)
	}
	return orgs, msp, nil
}

// listenOrgs opens the client listeners of the organisations after the
// first, at the addresses Config gives them.
func (p *Peer) listenOrgs(listen func(addr string) (net.Listener, error)) (map[string]net.Listener, error) {
	addrs, err := p.cfg.orgAddresses()
	if err != nil {
		return nil, err
	}
	out := map[string]net.Listener{}
	for i, id := range p.cfg.Orgs[1:] {
		l, err := listen(addrs[i+1])
		if err != nil {
			for _, l := range out {
				l.Close()
			}
			return nil, fmt.Errorf("listen for clients of %s on %s: %w", id, addrs[i+1], err)
		}
		out[id] = l
	}
	return out, nil
}

// ChannelMembers returns the MSP IDs of channel name's organisations.
func (p *Peer) ChannelMembers(name string) ([]string, error) { return p.chans.Members(name) }
