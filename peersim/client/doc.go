// Package client talks to a peersim peer (or a Fabric peer with the legacy
// lifecycle) on its client port, as Fabric's peer CLI and SDKs do: it sends
// signed proposals to the Endorser service, assembles the endorsed
// transaction envelope, orders it through AtomicBroadcast and waits for its
// validation code on DeliverFiltered.
//
//	conn, err := grpc.NewClient("127.0.0.1:7051", grpc.WithTransportCredentials(insecure.NewCredentials()))
//	c, err := client.New(conn, signer) // e.g. an *identity.SigningIdentity, as peersim.LoadIdentity loads it
//	payload, err := c.Evaluate(ctx, client.Invocation{ChannelID: "mychannel", Chaincode: "basic", Args: args})
//	res, err := c.Submit(ctx, client.Invocation{...}) // returns once committed
//
// FilteredBlocks and ChaincodeEvents follow a channel as range-over-func
// iterators: its transactions (DeliverFiltered) or one chaincode's events in
// valid transactions (Deliver), from the newest block or WithStartBlock, to
// WithStopBlock or until the context ends:
//
//	for ev, err := range c.ChaincodeEvents(ctx, "mychannel", "basic", client.WithStartBlock(0)) {
//		if err != nil { ... }
//		fmt.Println(ev.BlockNumber, ev.TxID, ev.EventName, ev.Payload)
//	}
//
// A transaction that an endorsement policy wants endorsed by several
// organisations is endorsed on several peers, as Fabric's peer CLI does with
// several --peerAddresses: WithEndorsers(conns...) sends Submit's proposal
// to each of them in parallel, checks that all endorsed it with identical
// payloads (ErrPayloadMismatch otherwise) and orders one transaction
// carrying every endorsement; queries stay on the client's own peer.
//
// The lifecycle helpers (Install, Instantiate, Upgrade, InstalledChaincodes,
// InstantiatedChaincodes) drive Fabric 1.4's lscc; Channels and CreateChannel
// use cscc; RunningChaincodes uses peersim's own pscc. When a transaction is
// committed invalid, Submit asks pscc "GetTxReason" for the validator's
// verdict (e.g. the key of an MVCC conflict); a peer without it leaves a
// generic explanation of the code.
//
// Failures come as a small family of error types for errors.As:
// *EndorseError (the proposal was refused, or the Endorser call failed),
// *SubmitError (ordering refused the transaction), *CommitError (the
// transaction committed with a code other than VALID), *DeliverError (the
// peer ended a deliver stream with a status, e.g. NOT_FOUND for a channel it
// has not joined) and *TransportError
// (a gRPC call to the peer failed; it names the address, and status.FromError
// sees the gRPC status through it). Timeouts come from the context.
package client
