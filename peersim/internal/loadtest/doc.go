// Package loadtest holds what the load benchmark (BenchmarkLoad in this
// package's tests) needs to run real processes and measure them: starting a
// `peersim node start --dev` process and a chaincode process on free
// loopback ports (Process, StartPeer), driving concurrent clients through
// Fabric's protocols on the peer's client port (Fabric: Endorser for a
// query; Endorser, AtomicBroadcast and DeliverFiltered until the commit for
// an invoke), the floor those operations are compared with (Floor: a bare
// gRPC server in its own process doing only the unavoidable work: the
// signatures, the chaincode's round trips and one fsync per block),
// and the CPU accounting of child processes (CPUTime, from /proc/<pid>/stat).
//
// Nothing here runs unless a benchmark calls it: `go test` without -bench
// starts no process.
package loadtest
