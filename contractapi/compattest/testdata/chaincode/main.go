// Command chaincode is a complete contract chaincode written against
// fabric-contract-api-go. The compatibility test builds it against
// chaincodekit with only its import paths rewritten.
package main

import (
	"fmt"
	"os"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Ledger stores strings by key.
type Ledger struct {
	contractapi.Contract
}

// Put stores value under key.
func (l *Ledger) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	return ctx.GetStub().PutState(key, []byte(value))
}

// Get returns the value under key.
func (l *Ledger) Get(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	b, err := ctx.GetStub().GetState(key)
	return string(b), err
}

// Swap stores value under key and returns what the same transaction then
// reads there: on a Fabric peer, the value committed before it.
func (l *Ledger) Swap(ctx contractapi.TransactionContextInterface, key, value string) (string, error) {
	if err := ctx.GetStub().PutState(key, []byte(value)); err != nil {
		return "", err
	}
	b, err := ctx.GetStub().GetState(key)
	return string(b), err
}

func main() {
	cc, err := contractapi.NewChaincode(&Ledger{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "create chaincode: %v\n", err)
		os.Exit(1)
	}
	if err := cc.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "start chaincode: %v\n", err)
		os.Exit(1)
	}
}
