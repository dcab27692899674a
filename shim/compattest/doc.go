// Package compattest proves that chaincodekit's shim is a drop-in for
// Hyperledger Fabric's: a chaincode written against
// github.com/hyperledger/fabric-chaincode-go/v2 (shim, pkg/cid and
// pkg/statebased) compiles and vets against chaincodekit after only its
// import paths change. It has no code of its own, only the test and, in
// testdata/chaincode, the chaincode it builds.
package compattest
