// Package identity gives the reference peer its Fabric identities: an
// organisation in the MSP folder layout that Fabric's cryptogen writes, signing
// identities for the peer and its users, identities issued with Fabric CA
// attributes, signed proposals built the way Fabric clients build them,
// verification of creators and proposals (the MSP), endorsement policies
// (evaluation and the policy language of the peer CLI) and the short-lived TLS
// certificates a peer hands to the chaincode it launches.
//
// Only the standard library's crypto (ECDSA P-256, SHA-256, X.509) and the
// Fabric protobuf messages are used. Files on disk are compatible with Fabric's
// tools: a peer or a client of real Fabric can be pointed at the msp and tls
// folders this package writes.
//
// What this package does not do: replay detection (a txid already in the
// ledger) is the ledger's and the peer's job; ACLs and channel configuration
// are not modelled.
package identity
