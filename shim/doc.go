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
package shim
