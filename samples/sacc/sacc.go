// Command sacc is the smallest useful chaincode: a key/value store on the
// raw shim. Read it first.
//
// Init stores one key and its value; Invoke has two functions:
//
//	set <key> <value>   store value under key and return it
//	get <key>           return the value stored under key
//
// Run it against a development-mode peer as samples/README.md shows.
package main

import (
	"fmt"
	"log"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// SimpleAsset is the chaincode. It keeps no fields: everything it knows
// lives in the ledger, reached through the stub the peer hands it.
type SimpleAsset struct{}

// Init runs once, when the chaincode is instantiated on a channel. It
// expects exactly two arguments, a key and a value (for example
// -c '{"Args":["a","10"]}'), and stores them.
func (SimpleAsset) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	args := stub.GetStringArgs()
	if len(args) != 2 {
		return shim.Error(fmt.Sprintf("init needs 2 arguments, a key and a value; got %d", len(args)))
	}
	if err := stub.PutState(args[0], []byte(args[1])); err != nil {
		return shim.Error(fmt.Sprintf("store %q: %v", args[0], err))
	}
	return shim.Success(nil)
}

// Invoke runs for every transaction: the first argument names the
// function, the others are its parameters.
func (SimpleAsset) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	var (
		value []byte
		err   error
	)
	switch fn {
	case "set":
		value, err = set(stub, args)
	case "get":
		value, err = get(stub, args)
	default:
		err = fmt.Errorf("unknown function %q: use set or get", fn)
	}
	if err != nil {
		// A business failure is a response with status 500, not a panic.
		return shim.Error(err.Error())
	}
	return shim.Success(value)
}

// set stores the value of a key. The write becomes visible only once the
// transaction is committed: a get in the same transaction still sees the
// old value, as on every Fabric peer.
func set(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("set needs 2 arguments, a key and a value; got %d", len(args))
	}
	if err := stub.PutState(args[0], []byte(args[1])); err != nil {
		return nil, fmt.Errorf("set %q: %w", args[0], err)
	}
	return []byte(args[1]), nil
}

// get returns the committed value of a key.
func get(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("get needs 1 argument, a key; got %d", len(args))
	}
	value, err := stub.GetState(args[0])
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", args[0], err)
	}
	if value == nil {
		return nil, fmt.Errorf("asset not found: %q", args[0])
	}
	return value, nil
}

func main() {
	// Start reads CORE_ID_CHAINCODE_NAME (or CORE_CHAINCODE_ID_NAME) and
	// -peer.address, connects to the peer and serves until it goes away.
	if err := shim.Start(SimpleAsset{}); err != nil {
		log.Fatalf("sacc: %v", err)
	}
}
