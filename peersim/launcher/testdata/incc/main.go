// Command incc is a minimal chaincode inside the chaincodekit module, used
// to check that a package made from a directory of this repository (which
// carries the whole module) builds.
package main

import (
	"fmt"
	"os"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

type noop struct{}

func (noop) Init(shim.ChaincodeStubInterface) *peer.Response   { return shim.Success(nil) }
func (noop) Invoke(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func main() {
	if err := shim.Start(noop{}); err != nil {
		fmt.Fprintln(os.Stderr, "incc:", err)
		os.Exit(1)
	}
}
