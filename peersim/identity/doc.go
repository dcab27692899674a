// Package identity gives the reference peer its Fabric identities: an
// organisation in the MSP folder layout that Fabric's cryptogen writes, signing
// identities for the peer and its users, identities issued with Fabric CA
// attributes, signed proposals built the way Fabric clients build them,
// verification of creators and proposals (the MSP), endorsement policies
// (evaluation and the policy language of the peer CLI), the peer CLI's
// collections_config.json (ParseCollectionsJSON) and the short-lived TLS
// certificates a peer hands to the chaincode it launches.
//
// Typical wiring:
//
//	org, err := identity.EnsureOrg(filepath.Join(dataDir, "crypto", "org1.example.com"), identity.DefaultConfig())
//	user, err := org.Identity("User1")                        // or org.IssueIdentity("alice", attrs, false)
//	sp, txID, err := user.NewSignedProposal(identity.Invocation{ChannelID: "mychannel", Chaincode: "basic", Args: args})
//	up, err := org.MSP().ValidateProposal(sp)                 // creator, signature, txid checked
//	e, err := org.Peer().Endorse(proposalResponsePayloadBytes) // the peer's endorsement
//	err = org.MSP().EvaluateEndorsements(identity.MustParsePolicy("OR('Org1MSP.peer')"), prpBytes, endorsements)
//
// Only the standard library's crypto (ECDSA P-256, SHA-256, X.509) and the
// Fabric protobuf messages are used. Files on disk follow Fabric's tools: a
// Fabric peer or client can be pointed at the msp and tls folders written here.
//
// The MSP checks each certificate's chain once while it is valid (a bounded
// cache of validated identities, WithIdentityCache) and each signature once
// (a bounded record of signatures that verified or that a SelfEndorser
// made, WithSignatureRecord): an envelope verified at Broadcast is not
// verified again at validation, nor the peer's own endorsement. Both are
// keyed by every byte they vouch for, so a changed message, signature or
// signer is verified in full, and the signer's identity is validated on
// every use.
//
// What this package does not do: replay detection (a txid already in the
// ledger) is the ledger's and the peer's job; ACLs, channel configuration,
// CRLs and idemix are not modelled.
package identity
