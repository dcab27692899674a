// Package fabricshim holds only tests: a chaincode written against
// Fabric's own Go shim (fabric-chaincode-go/v2) runs against a
// development-mode peersim peer. It is a package of its own so that its
// test binary does not also link chaincodekit's shim: both shims declare
// the -peer.address flag on the global flag set, and two declarations
// panic at start.
package fabricshim
