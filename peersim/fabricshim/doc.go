// Package fabricshim holds only tests: a chaincode written against
// Fabric's own Go shim (fabric-chaincode-go/v2) runs against a
// development-mode peersim peer, driven through peersim's exported API only.
// Its test binary links Fabric's shim and not chaincodekit's, as a chaincode
// written for Fabric would be built.
package fabricshim
