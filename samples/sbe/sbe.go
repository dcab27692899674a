// Command sbe shows state-based (key-level) endorsement with package
// shim/statebased: a key can carry its own endorsement policy, which then
// replaces the chaincode's policy for writes to that key and for changes
// to the policy itself.
//
//	setValue <key> <value>     write the key
//	getValue <key>             read the key
//	addOrgs <key> <msp>...     require a peer of each MSP to endorse writes to key
//	delOrgs <key> <msp>...     stop requiring them
//	listOrgs <key>             the MSP IDs the key's policy names, as JSON
//	delPolicy <key>            remove the key's policy (back to the chaincode's)
//
// A key-level policy is checked when the transaction is validated, not
// when it is endorsed: a write the policy does not allow is still endorsed
// and then committed with ENDORSEMENT_POLICY_FAILURE.
package main

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/chaincodekit/chaincodekit/shim/statebased"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// SBE is the chaincode.
type SBE struct{}

// Init does nothing.
func (SBE) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

// Invoke dispatches on the function name.
func (SBE) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	if len(args) == 0 {
		return shim.Error(fmt.Sprintf("%s needs a key as its first argument", fn))
	}
	key, rest := args[0], args[1:]
	var (
		payload []byte
		err     error
	)
	switch fn {
	case "setValue":
		if len(rest) != 1 {
			return shim.Error("setValue needs 2 arguments, a key and a value")
		}
		err = stub.PutState(key, []byte(rest[0]))
	case "getValue":
		payload, err = stub.GetState(key)
	case "addOrgs":
		err = changeOrgs(stub, key, rest, true)
	case "delOrgs":
		err = changeOrgs(stub, key, rest, false)
	case "listOrgs":
		payload, err = listOrgs(stub, key)
	case "delPolicy":
		err = stub.SetStateValidationParameter(key, nil)
	default:
		err = fmt.Errorf("unknown function %q", fn)
	}
	if err != nil {
		return shim.Error(fmt.Sprintf("%s %s: %v", fn, key, err))
	}
	return shim.Success(payload)
}

// changeOrgs adds MSP IDs to, or removes them from, the key's policy. The
// policy requires a peer of every listed organisation.
func changeOrgs(stub shim.ChaincodeStubInterface, key string, orgs []string, add bool) error {
	if len(orgs) == 0 {
		return fmt.Errorf("name at least one MSP ID")
	}
	ep, err := keyPolicy(stub, key)
	if err != nil {
		return err
	}
	if add {
		err = ep.AddOrgs(statebased.RoleTypePeer, orgs...)
	} else {
		ep.DelOrgs(orgs...)
	}
	if err != nil {
		return err
	}
	policy, err := ep.Policy()
	if err != nil {
		return err
	}
	return stub.SetStateValidationParameter(key, policy)
}

func listOrgs(stub shim.ChaincodeStubInterface, key string) ([]byte, error) {
	ep, err := keyPolicy(stub, key)
	if err != nil {
		return nil, err
	}
	orgs := ep.ListOrgs()
	if orgs == nil {
		orgs = []string{}
	}
	return json.Marshal(orgs)
}

// keyPolicy reads the key's current policy; a key without one gives an
// empty policy to add organisations to.
func keyPolicy(stub shim.ChaincodeStubInterface, key string) (statebased.KeyEndorsementPolicy, error) {
	current, err := stub.GetStateValidationParameter(key)
	if err != nil {
		return nil, err
	}
	return statebased.NewStateEP(current)
}

func main() {
	if err := shim.Start(SBE{}); err != nil {
		log.Fatalf("sbe: %v", err)
	}
}
