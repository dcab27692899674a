// Package metrics holds a peer's Prometheus metrics, in a registry of its
// own so that several peers can live in one process: the peersim_*
// families, the Fabric peer's names where peersim measures the same thing
// (endorser_*, ledger_*, chaincode_*, with Fabric's labels and buckets),
// and the client library's Go runtime and process collectors.
//
// The peer hands its observer methods to the parts that measure:
// [Metrics.Proposal] to the endorser, [Metrics.Executed] and
// [Metrics.Launched] to chaincode support, [Metrics.Opened] to the channel
// set and [Metrics.BlockCommitted] to each ledger.
package metrics
