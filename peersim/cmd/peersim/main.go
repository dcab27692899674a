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
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], newApp(os.Stdout, os.Stderr))
	stop()
	os.Exit(code)
}
