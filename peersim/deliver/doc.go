// Package deliver is the peer's protos.Deliver service: Deliver (blocks),
// DeliverFiltered (per transaction its ID, type, validation code and
// chaincode event name) and DeliverWithPrivateData (blocks with the
// private data the client may read, by Fabric's memberOnlyRead rule), and
// the embedded orderer's AtomicBroadcast.Deliver (OrdererDeliver: blocks,
// as an ordering service delivers them to `peer channel fetch -o`).
//
// Each seek envelope is answered with the blocks it asks for and then a
// status. The seek's checks return refusals, which one function turns
// into the status (BAD_REQUEST, NOT_FOUND, FORBIDDEN, SERVICE_UNAVAILABLE)
// and logs with the reason; any other error ends the stream. Open streams
// end with Unavailable when the peer stops.
package deliver
