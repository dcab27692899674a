// Package shim is the library a Go chaincode is written against. It is a
// drop-in replacement for github.com/hyperledger/fabric-chaincode-go/v2/shim:
// a chaincode compiles after changing only its import path, and runs both
// against peersim and against a real Hyperledger Fabric peer.
//
// A chaincode implements Chaincode and calls Start from main:
//
//	func main() {
//		if err := shim.Start(new(MyChaincode)); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// and is started with
//
//	CORE_ID_CHAINCODE_NAME=mycc:1.0 CORE_PEER_TLS_ENABLED=false ./mycc -peer.address 127.0.0.1:7052
//
// A peer that launches the chaincode itself sets CORE_CHAINCODE_ID_NAME and
// passes -peer.address; Start accepts both spellings of the ID variable and
// falls back to CORE_PEER_ADDRESS when the argument is absent. See Start for
// the TLS variables. A chaincode the peer dials instead (chaincode as a
// service) runs a ChaincodeServer.
//
// On the wire the shim behaves as Fabric's: the same messages in the same
// order, the same status rules and the same error texts from the peer. It
// differs where Fabric's shim would crash or hang:
//   - a panic in Init or Invoke fails that transaction only, with a message
//     naming the panic (Invoke answers status 500, Init answers ERROR, and
//     the writes it left in a write batch are not sent); the chaincode keeps
//     serving other transactions;
//   - a key, collection, query or name that is not valid UTF-8 is an error
//     returned by the stub call (protobuf cannot carry it), not a panic;
//   - GetTxTimestamp without a signed proposal is an error, not a panic;
//   - SplitCompositeKey of a key CreateCompositeKey did not make (empty, not
//     starting with U+0000 or not ending with it) is an error, where
//     Fabric's shim panics or silently drops the unterminated last part;
//   - the private-data calls reject an empty collection, including the
//     validation-parameter ones;
//   - an iterator fetches the next batch of results when Next needs it, not
//     as soon as the current batch is used up;
//   - when a called chaincode answers ERROR, InvokeChaincode's status-500
//     response carries that chaincode's error text as payload (Fabric's shim
//     puts the whole encoded message there);
//   - when the peer has not answered REGISTER after 30 s the shim logs what
//     to check, since a real peer stays silent when it refuses a registration.
//
// One difference is a limitation: the shim does not declare -peer.address on
// the global flag set. Fabric's shim declares it in an init function, and a
// second declaration panics ("flag redefined") in any binary that links both
// shims. A chaincode that parses its command line with package flag
// (flag.Parse, or a FlagSet of its own given os.Args) must therefore declare
// the flag itself before parsing, or parsing fails with "flag provided but
// not defined: -peer.address" (flag.Parse exits the program) when a peer
// starts the chaincode:
//
//	flag.String("peer.address", "", "peer address (read by shim.Start)")
//
// Start finds the address in os.Args either way.
package shim
