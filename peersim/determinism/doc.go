// Package determinism compares two simulations of one proposal and says
// where, and probably why, they differ.
//
// A Fabric network rejects a transaction whose endorsements differ, and
// its author sees only "ProposalResponsePayloads do not match". The peer
// can do better: it simulates the proposal a second time (on a second
// chaincode process where it can), hands both results to [Compare] and,
// when the [Report] lists differences, refuses the endorsement with a
// [MismatchError] whose text is the field-by-field diff: which response
// field, which read, which write (by namespace, collection and key), which
// event field, from which byte, and a [Hint] at the usual cause — Go map
// iteration order, time.Now, random numbers or global state.
//
// The package does no I/O and holds no state: Compare reads two
// [Simulation] values built from Fabric's protos. [Request] and
// [Requested] carry a client's wish for the check on one proposal in gRPC
// metadata, so that the proposal itself, and what the chaincode sees of
// it, stay unchanged.
package determinism
