package peersim

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
)

// admit is the chaincode server's Admission: the one decision whether a
// REGISTER for ccid is accepted, with the reason when it is not. The ccid
// must be known to the peer: "name:version" of a package installed through
// lscc, the package ID of one installed through _lifecycle, or the package
// ID of a definition the peer's organisation approved on one of its
// channels (Fabric 2.x development mode approves --package-id mycc:1.0
// without installing anything). In development mode that is enough, and
// so it is for a chaincode server the peer dialled (peersim/chaincode has
// already checked that the server registered as what it was dialled for).
// Otherwise the launcher's registry of the processes it started decides
// (AuthorizeCert): only a ccid the peer is launching, with the TLS
// certificate issued for that launch when chaincode TLS is on.
//
// A twin id (launcher.TwinOf of a known id, the second process of the
// determinism check) is accepted only from a process the launcher started
// for it: never in development mode nor from a dialled server. So is an
// org instance id (launcher.OrgInstanceOf of a known id and one of the
// peer's organisations but the first: that organisation's own process in
// production mode), and the twin of one.
func (p *Peer) admit(ccid string, info chaincode.ConnInfo) error {
	if primary, twin := launcher.PrimaryOf(ccid); twin {
		return p.admitTwin(ccid, primary, info)
	}
	if _, _, inst := launcher.InstanceOf(ccid); inst {
		return p.admitInstance(ccid, info)
	}
	if err := p.known(ccid); err != nil {
		return err
	}
	if p.cfg.Dev || info.Dialed {
		// Dev mode accepts any known id; a chaincode server was dialled
		// by the peer itself.
		return nil
	}
	if p.launcher == nil {
		return fmt.Errorf("peer will not accept external chaincode connection %s (except in dev mode)", ccid)
	}
	return p.launcher.AuthorizeCert(ccid, info.PeerCertificate)
}

// admitTwin is admit for the twin id of primary.
func (p *Peer) admitTwin(twin, primary string, info chaincode.ConnInfo) error {
	if p.cfg.Dev || info.Dialed || p.launcher == nil {
		return fmt.Errorf("chaincode id %s is the twin of %s, which only a process this peer starts for the determinism check in production mode registers as: start the chaincode as %s", twin, primary, primary)
	}
	if err := p.knownProcess(primary); err != nil {
		return fmt.Errorf("twin %s: %w", twin, err)
	}
	return p.launcher.AuthorizeCert(twin, info.PeerCertificate)
}

// admitInstance is admit for an org instance id.
func (p *Peer) admitInstance(id string, info chaincode.ConnInfo) error {
	ccid, mspID, _ := launcher.InstanceOf(id)
	if p.cfg.Dev || info.Dialed || p.launcher == nil {
		return fmt.Errorf("chaincode id %s is the process of %s that this peer starts for that organisation in production mode, which no other process registers as: start the chaincode as %s, which every organisation's peer uses in development mode and for a chaincode server",
			id, mspID, ccid)
	}
	if err := p.knownProcess(id); err != nil {
		return err
	}
	return p.launcher.AuthorizeCert(id, info.PeerCertificate)
}

// knownProcess is known for the id of a process this peer may start: a
// known ccid, or an org instance of one for one of the peer's
// organisations but the first (whose process is ccid itself).
func (p *Peer) knownProcess(id string) error {
	ccid, mspID, inst := launcher.InstanceOf(id)
	if !inst {
		return p.known(id)
	}
	if !slices.Contains(p.cfg.Orgs[1:], mspID) {
		return fmt.Errorf("chaincode id %s names organisation %s, which has no process of its own on this peer (the organisations with one are %v): start the chaincode as %s", id, mspID, p.cfg.Orgs[1:], ccid)
	}
	if err := p.known(ccid); err != nil {
		return fmt.Errorf("process %s of %s: %w", id, mspID, err)
	}
	return nil
}

// known returns nil when ccid is installed or approved, else a refusal
// that says what the peer looked for.
func (p *Peer) known(ccid string) error {
	name, version, ok := strings.Cut(ccid, ":")
	if !ok || name == "" || version == "" {
		return fmt.Errorf("chaincode id %q is not <name>:<version>: start the chaincode with CORE_CHAINCODE_ID_NAME (or CORE_ID_CHAINCODE_NAME) set to the name and version you installed, e.g. mycc:1.0, or to the package ID you approved", ccid)
	}
	_, err := p.store.Get(name, version)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ccpackage.ErrNotInstalled) {
		return fmt.Errorf("look up installed chaincode %s: %w", ccid, err)
	}
	if slices.ContainsFunc(p.store.Packages(), func(in ccpackage.Installed) bool { return in.PackageID == ccid }) {
		return nil
	}
	approved, err := p.approvedPackageIDs()
	if err != nil {
		return fmt.Errorf("look up the package IDs %s approved for chaincode %s: %w", p.approvers(), ccid, err)
	}
	if slices.Contains(approved, ccid) {
		return nil
	}
	lookedFor := fmt.Sprintf("no version of %s is installed", name)
	if versions := p.store.Versions(name); len(versions) > 0 {
		lookedFor = fmt.Sprintf("%s is not installed (installed versions of %s: %s)", ccid, name, strings.Join(versions, ", "))
	}
	approvedText := "none"
	if len(approved) > 0 {
		approvedText = strings.Join(approved, ", ")
	}
	return fmt.Errorf("%s, %s is not the package ID of a package installed through _lifecycle, and no definition %s approved on this peer's channels names it (approved package IDs: %s): "+
		"install %s first, approve a definition with --package-id %s, or start the chaincode as an installed or approved id",
		lookedFor, ccid, p.approvers(), approvedText, ccid, ccid)
}

// approvers names the organisations whose approvals make a package ID
// known: the peer's one, or "any of A, B".
func (p *Peer) approvers() string {
	if len(p.cfg.Orgs) == 1 {
		return p.cfg.Orgs[0]
	}
	return "any of " + strings.Join(p.cfg.Orgs, ", ")
}

// approvedPackageIDs returns the package IDs the peer's organisations named
// in their approvals on any of their channels, sorted, once each.
func (p *Peer) approvedPackageIDs() ([]string, error) {
	var out []string
	for _, ch := range p.chans.Names() {
		l, err := p.chans.Ledger(ch)
		if err != nil {
			continue // closed or removed since Names
		}
		members, err := p.chans.Members(ch)
		if err != nil {
			continue
		}
		for _, org := range members { // each reads its own implicit collection
			ids, err := syscc.ApprovedPackageIDs(l, org)
			if err != nil {
				return nil, fmt.Errorf("channel %s: %s: %w", ch, org, err)
			}
			out = append(out, ids...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
