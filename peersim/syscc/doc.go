// Package syscc holds the peer's system chaincodes, one file each: lscc
// (Fabric 1.4's legacy lifecycle), _lifecycle (Fabric 2.x's lifecycle:
// install by package ID, approvals in each organisation's implicit
// collection, commit of sequenced definitions), cscc (channels), qscc
// (ledger queries) and peersim's own pscc (running processes, builds, why a
// transaction was invalidated).
//
// Each implements Chaincode: it gets the decoded proposal and its
// channel's ledger, simulates what it needs on that ledger and returns a
// Result or an error. None signs: the endorser (package peersim/endorser)
// endorses every result in one place and turns an error into Fabric's
// status-500 answer with the error's text. What a system chaincode needs of
// the rest of the peer it is given as a field: the package store, the
// channel set, the chaincode Runner.
//
// Adding a system chaincode is one file with its type and one row in the
// Table the peer builds.
package syscc
