// Command tally is a tiny chaincode for the integration suites: counters
// that conflict when two transactions bump the same one, and a "version"
// function whose answer depends on a build tag, so a suite can restart the
// chaincode with new code under the same name:version.
//
//	version       the build's answer: "tally v1", or "tally v2" with -tags variant2
//	incr <key>    read the counter, add one, write it back and return it
//	get <key>     the counter's committed value ("0" when unset)
package main

import (
	"fmt"
	"log"
	"strconv"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Tally is the chaincode.
type Tally struct{}

// Init accepts any arguments and writes nothing.
func (Tally) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

// Invoke dispatches on the function name.
func (Tally) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch {
	case fn == "version" && len(args) == 0:
		return shim.Success([]byte(answer))
	case fn == "incr" && len(args) == 1:
		n, err := counter(stub, args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		v := []byte(strconv.Itoa(n + 1))
		if err := stub.PutState(args[0], v); err != nil {
			return shim.Error(fmt.Sprintf("store counter %q: %v", args[0], err))
		}
		return shim.Success(v)
	case fn == "get" && len(args) == 1:
		n, err := counter(stub, args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success([]byte(strconv.Itoa(n)))
	}
	return shim.Error(fmt.Sprintf("unknown call %q %q: use version, incr <key> or get <key>", fn, args))
}

func counter(stub shim.ChaincodeStubInterface, key string) (int, error) {
	raw, err := stub.GetState(key)
	if err != nil {
		return 0, fmt.Errorf("read counter %q: %w", key, err)
	}
	if raw == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, fmt.Errorf("counter %q holds %q, not a number: %w", key, raw, err)
	}
	return n, nil
}

func main() {
	if err := shim.Start(Tally{}); err != nil {
		log.Fatalf("tally: %v", err)
	}
}
