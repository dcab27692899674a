// Package cid tells a chaincode who submitted the transaction it is running:
// the MSP ID of the submitter, a stable ID for its X.509 certificate, the
// attributes its certificate authority put into it, and its organisational
// units. It has the same API and gives the same answers as
// github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid, so a chaincode moves
// over by changing its import path only.
//
// The submitter is read from ChaincodeStubInterface.GetCreator, which holds a
// serialized msp.SerializedIdentity. Its id_bytes are either
//
//   - a PEM-encoded X.509 certificate (any PEM block type; the first block is
//     used), whose attributes are the JSON document {"attrs":{"name":"value"}}
//     in the non-critical extension with OID 1.2.3.4.5.6.7.8.1, the way
//     Hyperledger Fabric CA writes them; or
//   - anything else, which is read as an msp.SerializedIdemixIdentity whose
//     organisational unit and role become the attributes "ou" and "role"
//     (role "member", "admin", "client" or "peer").
package cid
