// Package gateway is the Fabric Gateway service (gateway.Gateway, Fabric
// 2.4 and later) of a peer, for applications written with the
// fabric-gateway client libraries:
//
//   - Evaluate runs a proposal on the peer's endorser and returns the
//     chaincode's response; nothing is ordered or committed.
//   - Endorse runs it and returns the prepared transaction, which the
//     client signs.
//   - Submit orders the signed transaction and returns once the orderer has
//     accepted it.
//   - CommitStatus waits for the transaction to commit and returns its
//     validation code and block number.
//   - ChaincodeEvents streams a chaincode's events from valid transactions,
//     from the next commit, a block number, or after a transaction id.
//
// Failures are gRPC statuses with Fabric's codes and texts, and a
// gateway.ErrorDetail (address, MSP ID, message) for each endorser or
// orderer that failed, so the client's EndorseError, SubmitError and
// CommitStatusError carry what Fabric's do; a chaincode's own error status
// and message reach the application unchanged.
//
// The peer has one organisation and one endorser, itself: the endorsement
// plan is that peer, and EndorsingOrganizations or TargetOrganizations
// other than its own are refused as having no endorsers.
package gateway
