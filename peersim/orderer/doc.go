// Package orderer is the peer's embedded orderer: a solo-style ordering
// service for each channel, in the peer's own process. A Fabric network
// runs its orderer as a separate process; peersim keeps it inside the peer,
// with the same gRPC service, so that clients order transactions as they
// would with Fabric.
//
// # Shape
//
//	cut, err := orderer.NewCutter("mychannel", orderer.DefaultConfig(), l, log) // l: the channel's *ledger.Ledger
//	err = cut.Submit(ctx, envelope) // queued; the block's verdicts arrive through the ledger
//	cut.Stop()                      // commits what is pending; then the ledger may close
//
//	srv := orderer.NewServer(channels, verifier, log, orderer.WithStopping(stopping), orderer.WithDeliver(dlv.OrdererDeliver))
//	ab.RegisterAtomicBroadcastServer(grpcServer, srv)
//
// # Block cutting
//
// A [Cutter] batches the envelopes submitted to one channel and hands each
// batch to the channel's [Committer] (the ledger, which validates and
// commits the block it is given) when Config.BatchSize transactions are
// pending or Config.BatchTimeout has passed since the first of them
// arrived. Submit waits while Config.SubmitQueue envelopes are queued.
// Stop commits what is pending before it returns, so the peer stops a
// channel's cutter before it closes that channel's ledger.
//
// # Broadcast
//
// [Server] is the orderer.AtomicBroadcast gRPC service. It checks each
// envelope (a decodable ENDORSER_TRANSACTION with a payload, on a channel
// the peer has joined, signed by its creator) and queues it on the
// channel's [Submitter], answering each with a BroadcastResponse whose
// status and info say what was wrong. Blocks reach clients through the
// peer's Deliver service and through AtomicBroadcast's Deliver, which the
// server hands to the DeliverFunc given with [WithDeliver] (the peer gives
// its Deliver service's OrdererDeliver: one seek logic for both), as
// `peer channel fetch -o` expects of an ordering service.
// What the server needs of the peer (its channels, the creator signature
// check, when it stops) it takes through the small interfaces it declares.
package orderer
