// Command peersim is the reference Hyperledger Fabric peer in one binary and
// its client: `peersim node start` runs the peer; `peersim chaincode`,
// `peersim channel` and `peersim identity` talk to it (or to its data
// directory) with the flags of Fabric's `peer` CLI. Run `peersim help` for
// the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// gcPercent is the garbage collector's target unless GOGC says otherwise:
// a peer's live heap is small and its allocation rate high (every proposal
// decodes and builds messages), so Go's default of 100 collects often; at
// 400 the peer spends 10-15% less CPU per operation under BenchmarkLoad,
// for a heap up to five times its live size. GOGC=100 restores Go's
// default.
const gcPercent = 400

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], newApp(os.Stdout, os.Stderr))
	stop()
	os.Exit(code)
}
