package peersim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
)

// admit is the chaincode server's Admission: the one decision whether a
// REGISTER for ccid is accepted, with the reason when it is not. The ccid
// must be "name:version" of a package in the package store. In
// development mode that is enough, and so it is for a chaincode server the
// peer dialled (peersim/chaincode has already checked that the server
// registered as what it was dialled for). Otherwise the launcher's
// registry of the processes it started decides (AuthorizeCert): only a
// ccid the peer is launching, with the TLS certificate issued for that
// launch when chaincode TLS is on.
func (p *Peer) admit(ccid string, info chaincode.ConnInfo) error {
	name, version, ok := strings.Cut(ccid, ":")
	if !ok || name == "" || version == "" {
		return fmt.Errorf("chaincode id %q is not <name>:<version>: start the chaincode with CORE_CHAINCODE_ID_NAME (or CORE_ID_CHAINCODE_NAME) set to the name and version you installed, e.g. mycc:1.0", ccid)
	}
	if _, err := p.store.Get(name, version); err != nil {
		if !errors.Is(err, ccpackage.ErrNotInstalled) {
			return fmt.Errorf("look up installed chaincode %s: %w", ccid, err)
		}
		if versions := p.store.Versions(name); len(versions) > 0 {
			return fmt.Errorf("%s is not installed (installed versions of %s: %s): install it first, or start the chaincode as an installed version",
				ccid, name, strings.Join(versions, ", "))
		}
		return fmt.Errorf("no version of %s is installed: install %s first, or start the chaincode as an installed version", name, ccid)
	}
	if p.cfg.Dev || info.Dialed {
		// Dev mode accepts any installed id; a chaincode server was dialled
		// by the peer itself.
		return nil
	}
	if p.launcher == nil {
		return fmt.Errorf("peer will not accept external chaincode connection %s (except in dev mode)", ccid)
	}
	return p.launcher.AuthorizeCert(ccid, info.PeerCertificate)
}
