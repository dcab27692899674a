// Command chaincode is an asset-tracking chaincode written against Fabric's
// own shim, cid and statebased packages, the way chaincode authors write
// them. Package compattest builds it as it is, and again with only its import
// paths pointed at chaincodekit, to prove chaincodekit is a drop-in: between
// them, the files of this package use every method of ChaincodeStubInterface
// and every exported name of the three packages that a chaincode can use.
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func main() {
	cc := new(assets)
	if address := os.Getenv("CHAINCODE_SERVER_ADDRESS"); address != "" {
		// Chaincode as a service: the peer dials us.
		server := &shim.ChaincodeServer{
			CCID:    os.Getenv("CHAINCODE_ID"),
			Address: address,
			CC:      cc,
			TLSProps: shim.TLSProperties{
				Disabled:      os.Getenv("CHAINCODE_TLS_DISABLED") == "true",
				Key:           []byte(os.Getenv("CHAINCODE_TLS_KEY")),
				Cert:          []byte(os.Getenv("CHAINCODE_TLS_CERT")),
				ClientCACerts: []byte(os.Getenv("CHAINCODE_CLIENT_CA_CERT")),
			},
			KaOpts: nil,
		}
		if err := server.Start(); err != nil {
			log.Fatalf("serve chaincode at %s: %v", address, err)
		}
		return
	}
	if os.Getenv("CHAINCODE_IN_PROCESS") == "true" {
		// Embedded: a host on the other end of the channels plays the peer.
		fromPeer, toPeer := make(chan *peer.ChaincodeMessage), make(chan *peer.ChaincodeMessage)
		go func() {
			for m := range toPeer {
				log.Printf("to peer: %s %s", m.GetType(), m.GetTxid())
			}
		}()
		close(fromPeer)
		if err := startInProcess(cc, fromPeer, toPeer); err != nil {
			log.Fatalf("run chaincode in process: %v", err)
		}
		return
	}
	if err := shim.Start(cc); err != nil {
		log.Fatalf("start chaincode: %v", err)
	}
}

// assets implements shim.Chaincode.
type assets struct{}

var _ shim.Chaincode = (*assets)(nil)

// Init stores the owner's MSP ID, read from the peer's environment.
func (a *assets) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	mspID, err := shim.GetMSPID()
	if err != nil {
		return shim.Error(err.Error())
	}
	if err := stub.PutState("owner-msp", []byte(mspID)); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}

// Invoke routes on the function name.
func (a *assets) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, params := stub.GetFunctionAndParameters()
	handlers := map[string]func(shim.ChaincodeStubInterface, []string) *peer.Response{
		"describe":  describe,
		"put":       put,
		"get":       get,
		"remove":    remove,
		"range":     rangeQuery,
		"query":     richQuery,
		"history":   history,
		"byOwner":   byOwner,
		"private":   private,
		"call":      call,
		"batch":     batch,
		"whoami":    whoami,
		"restrict":  restrict,
		"endorsers": endorsers,
	}
	h, ok := handlers[fn]
	if !ok {
		return &peer.Response{Status: shim.ERRORTHRESHOLD, Message: fmt.Sprintf("unknown function %q", fn)}
	}
	return h(stub, params)
}
