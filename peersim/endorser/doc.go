// Package endorser is the peer's protos.Endorser service. ProcessProposal
// verifies a signed proposal, refuses a transaction ID already committed
// or being endorsed, routes it to a system chaincode (package
// peersim/syscc) or simulates it on a user chaincode, and endorses the
// result in one place: a response of status below 400 is signed, 400 to 499
// carries the response only, 500 and above the response and the
// read-write set without a signature, as Fabric's endorser answers.
//
// Every error becomes a status-500 ProposalResponse with the error's text,
// in one function; the gRPC call itself succeeds, as with Fabric's
// endorser. What it needs of the peer it is given in Config: a proposal
// Verifier, the Channels, the system chaincode Table, a chaincode Runner,
// a Signer and a Stopping signal.
package endorser
