// Command fabriccc is the load benchmark's chaincode, written against
// Fabric's own Go shim (fabric-chaincode-go/v2) as an application's
// chaincode would be: Init writes the keys the queries read, "get" reads one
// key and "put" writes one. It lives under testdata so that no package of the
// module links Fabric's shim; the benchmark builds it with go build.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

type loadCC struct{}

// Init writes keys k0 to k<n-1>, each with the value given, for
// init(n, value).
func (loadCC) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	_, args := stub.GetFunctionAndParameters()
	if len(args) != 2 {
		return shim.Error(fmt.Sprintf("init takes a key count and a value, got %d arguments", len(args)))
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return shim.Error(fmt.Sprintf("init: the key count %q is not a number", args[0]))
	}
	for i := range n {
		if err := stub.PutState("k"+strconv.Itoa(i), []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
	}
	return shim.Success(nil)
}

// Invoke serves get(key) and put(key, value).
func (loadCC) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch {
	case fn == "get" && len(args) == 1:
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(v)
	case fn == "put" && len(args) == 2:
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	}
	return shim.Error(fmt.Sprintf("unknown call %s%q: use get KEY or put KEY VALUE", fn, args))
}

func main() {
	if err := shim.Start(loadCC{}); err != nil {
		fmt.Fprintln(os.Stderr, "fabriccc:", err)
		os.Exit(1)
	}
}
