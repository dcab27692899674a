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
// The gateway belongs to one organisation (Config.MSPID) and may know the
// peers of other organisations in the same process (Config.Peers). Endorse
// plans as Fabric's Gateway does: it endorses on its own organisation's
// peer, reads the chaincode's endorsement policy (a channel Endorsement
// reference is MAJORITY of the channel's organisations) and the policies
// the first response's ChaincodeInterest names, and gathers in parallel
// the endorsements of the other organisations of the first set that
// satisfies them all (identity.EndorsementLayouts); EndorsingOrganizations
// endorses on exactly those. Evaluate runs on one peer: its own
// organisation's, or the TargetOrganizations'. Without Peers the gateway's
// organisation is the only one, and other organisations are refused as
// having no endorsers.
package gateway
