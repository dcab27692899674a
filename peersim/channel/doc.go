// Package channel holds the set of channels a peer has: for each, its
// ledger and its orderer (block cutter), opened when the set opens or when
// a channel is created, and closed together.
//
// Each channel has member organisations, some or all of the peer's. The
// list of channels and their members is kept in one file, written
// atomically, so a restarted peer reopens the channels it had. Each ledger
// validates the transactions it commits against the peer's MSP: creators'
// signatures, and endorsements against the endorsement policies, with the
// channel policies a definition may refer to read over the channel's
// members ([ResolvePolicy]). What else a ledger is opened
// with (memory or bolt, the peer's MSP ID, the commit observer) and what
// happens once it is open (indexes, metrics) come from the [Config]; the
// package knows nothing of the peer that wires it.
//
// A [Set] answers the lookups the peer's services need: [Set.Ledger] for
// the endorser, Deliver and the system chaincodes, [Set.Submitter] for
// Broadcast, and [Set.NotJoined] for the hint that completes Fabric's
// "channel not found".
package channel
