// Package chaincode is the peer side of the chaincode stream for peersim.
//
// A chaincode process talks to the peer over one bidirectional gRPC stream of
// peer.ChaincodeMessage. Either the chaincode dials the peer
// (protos.ChaincodeSupport/Register, served by [Server.Register]) or the peer
// dials a chaincode-as-a-service endpoint (protos.Chaincode/Connect, handed to
// [Server.ServeDialed]). In both models the chaincode speaks first with
// REGISTER, and the same handler serves the stream. The handler owns the
// whole handshake: a chaincode server the peer dialled may register with the
// package ID it was dialled for, as Fabric's do, and is registered under the
// ccid the peer gave in [DialedAs]; any other name is refused. The peer's
// [Admission] then decides whether the ccid may register.
//
// A [Server] keeps a registry of ready connections keyed by ccid
// ("name:version" for peersim), runs transactions on them with
// [Server.Execute], and answers the chaincode's requests (GET_STATE,
// PUT_STATE, range and rich queries, history, private data, chaincode to
// chaincode calls, ...) against the [TxSimulator] the peer supplies for each
// transaction. The wire behaviour follows a Fabric 3.1 peer's: the
// registration handshake, how INIT and TRANSACTION run, the payload of each
// request and of its reply, query iterators and pagination, and chaincode to
// chaincode calls.
//
// Each stream has at most Config.MaxInFlight chaincode requests in flight
// (received, reply not yet on the stream), served by as many workers,
// started as needed. At the bound the handler stops reading the stream
// until replies drain, so gRPC flow control holds back a chaincode that does
// not read its replies; when the stream ends every worker returns. One
// transaction may have at most Config.MaxInFlightPerTx requests in flight
// (a shim waits for each reply, so it has one); a stream that exceeds it is
// ended with [ErrTooManyRequests] (gRPC ResourceExhausted) and an error in
// the log.
//
// [Server.Stats] returns the gauges for metrics: the number of connected
// chaincodes, and per stream its ccid, requests in flight and executing
// transactions. It is cheap (one short lock per stream) and safe to call at
// any time.
//
// Where this package deliberately differs from Fabric:
//
//   - A stream's requests in flight are bounded (Config.MaxInFlight, with
//     back-pressure) and so are one transaction's (Config.MaxInFlightPerTx,
//     ending the stream). Fabric starts a goroutine per message without a
//     bound. A chaincode-to-chaincode call into the same stream (the same
//     chaincode on another channel) holds its caller's slot while the
//     callee runs, so MaxInFlight such nested calls at once would wait for
//     each other until the execute timeout.
//   - A refused REGISTER (empty name, duplicate live connection, a dialled
//     chaincode server naming neither the ccid nor the package ID it was
//     dialled for, or a refusal from the peer's [Admission]) is answered with
//     ERROR carrying the reason, and the stream is closed. A Fabric peer stays
//     silent and leaves the chaincode hanging.
//   - A second connection for an id that is already connected is refused and
//     the first one stays registered. Fabric ignores the second one and, when
//     it exits, unregisters the first.
//   - Bad messages from a registered chaincode (unknown or unexpected type,
//     undecodable payload or envelope, invalid UTF-8, request for an unknown
//     transaction) are answered with ERROR and the stream keeps serving the
//     other transactions. Fabric ends the whole stream for an unexpected type
//     and for an envelope protobuf cannot decode.
//   - Requests Fabric would crash on or half-accept get a clear ERROR instead:
//     PUT_STATE_METADATA (or a batch record) without metadata, and
//     INVOKE_CHAINCODE without a chaincode id.
//   - Capabilities (V1_3 metadata, V2_5 purge) are not modelled: every request
//     type is always available.
//   - A chaincode-to-chaincode callee runs under the caller's context, so it
//     also ends when the caller's transaction ends (Fabric lets it run to its
//     own timeout, with nobody waiting for the result).
package chaincode
