package shim

import "flag"

// init declares -peer.address on the program's global flag set, as Fabric's
// shim does, so a chaincode that calls flag.Parse() for flags of its own still
// starts when the peer passes -peer.address. Start does not read the flag set:
// it finds the address in os.Args itself, so a chaincode that never calls
// flag.Parse works too. The declaration is skipped if the program already has
// a flag of that name.
func init() {
	if flag.Lookup(peerAddressFlag) == nil {
		flag.String(peerAddressFlag, "", "the peer's chaincode address, host:port (read by shim.Start)")
	}
}
