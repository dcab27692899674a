package launcher

import "strings"

// InstanceSeparator joins a chaincode id and an organisation's MSP ID in
// an org instance id (OrgInstanceOf). No Fabric chaincode id holds '@':
// lscc names ([a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*) and versions
// ([A-Za-z0-9_.+-]+), and the package labels of package IDs
// (ccpackage.ValidateLabel: alphanumerics and '_', '.', '+', '-') and
// their hex hashes, do not allow it. So an instance id never collides with
// an installed or approved one, and the first '@' ends the chaincode id
// even when the MSP ID holds one.
const InstanceSeparator = "@"

// OrgInstanceOf returns the id of organisation mspID's own process of
// chaincode ccid: in a peer that plays several organisations, each
// organisation but the first runs its own process of a package, as each
// organisation's peer runs its own chaincode on a Fabric network. The
// launcher starts it with CORE_PEER_LOCALMSPID (chaincode.json's mspid for
// an external builder) set to mspID, so shim.GetMSPID answers mspID in it.
// Its twin, TwinOf(OrgInstanceOf(ccid, mspID)), runs for mspID too.
func OrgInstanceOf(ccid, mspID string) string { return ccid + InstanceSeparator + mspID }

// InstanceOf splits an org instance id (OrgInstanceOf) into the chaincode
// id and the MSP ID, and reports whether id is one at all. The twin of an
// instance id is split too (ccid is then the chaincode id, not its twin):
// it runs for the same organisation. For any other id it returns id
// itself, "" and false.
func InstanceOf(id string) (ccid, mspID string, ok bool) {
	base := id
	if primary, twin := PrimaryOf(id); twin {
		base = primary
	}
	ccid, mspID, ok = strings.Cut(base, InstanceSeparator)
	if !ok || ccid == "" || mspID == "" {
		return id, "", false
	}
	return ccid, mspID, true
}

// mspIDFor is the MSP ID a process of ccid runs for: the organisation of an
// instance id, else Config.MSPID.
func (r *Runner) mspIDFor(ccid string) string {
	if _, mspID, ok := InstanceOf(ccid); ok {
		return mspID
	}
	return r.cfg.MSPID
}
