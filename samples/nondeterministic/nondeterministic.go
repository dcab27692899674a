// Command nondeterministic is a chaincode with deliberate determinism bugs,
// to show what peersim's determinism check reports. On a Fabric network
// each of them makes endorsements by different peers differ, and the
// client sees only "ProposalResponsePayloads do not match".
//
//	register <id> <items>        BUG: stores the items, a JSON object of name → quantity, as
//	                             "name=qty,..." in Go map iteration order
//	registerSorted <id> <items>  the fix: the same, names sorted
//	stamp <id>                   BUG: stores time.Now()
//	stampTx <id>                 the fix: stores the proposal's timestamp
//	get <id>                     returns what is stored under id
//
// Try it against a peer started with `peersim node start --dev`, or
// check one call with `peersim chaincode invoke --check-determinism`, as
// samples/README.md shows.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Bundles is the chaincode.
type Bundles struct{}

// Init does nothing.
func (Bundles) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

// Invoke routes to the functions listed in the package documentation.
func (Bundles) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	var (
		value []byte
		err   error
	)
	switch fn {
	case "register":
		value, err = register(stub, args, false)
	case "registerSorted":
		value, err = register(stub, args, true)
	case "stamp":
		value, err = stamp(stub, args, false)
	case "stampTx":
		value, err = stamp(stub, args, true)
	case "get":
		value, err = get(stub, args)
	default:
		err = fmt.Errorf("unknown function %q: use register, registerSorted, stamp, stampTx or get", fn)
	}
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(value)
}

// register stores a bundle's manifest under id. Unsorted, the manifest
// lists the items in the order a range over the map visits them, which Go
// makes random: two peers (or two runs) write different bytes.
func register(stub shim.ChaincodeStubInterface, args []string, sorted bool) ([]byte, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("register needs 2 arguments, an id and a JSON object of item quantities; got %d", len(args))
	}
	var items map[string]int
	if err := json.Unmarshal([]byte(args[1]), &items); err != nil {
		return nil, fmt.Errorf("items of %q: %w: want a JSON object such as {\"apple\":2}", args[0], err)
	}
	names := make([]string, 0, len(items))
	for name := range items { // the bug: map order
		names = append(names, name)
	}
	if sorted {
		names = slices.Sorted(maps.Keys(items)) // the fix
	}
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s=%d", name, items[name])
	}
	manifest := []byte(strings.Join(parts, ","))
	if err := stub.PutState(args[0], manifest); err != nil {
		return nil, fmt.Errorf("store bundle %q: %w", args[0], err)
	}
	return []byte(fmt.Sprint(len(names))), nil
}

// stamp stores the time of the call under id: the peer's clock (a bug:
// every endorser's differs) or the proposal's timestamp, which the client
// set once for all endorsers.
func stamp(stub shim.ChaincodeStubInterface, args []string, fromProposal bool) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("stamp needs 1 argument, an id; got %d", len(args))
	}
	now := time.Now() // the bug
	if fromProposal {
		ts, err := stub.GetTxTimestamp() // the fix
		if err != nil {
			return nil, fmt.Errorf("proposal timestamp: %w", err)
		}
		now = ts.AsTime()
	}
	v := []byte(now.UTC().Format(time.RFC3339Nano))
	if err := stub.PutState(args[0], v); err != nil {
		return nil, fmt.Errorf("store stamp %q: %w", args[0], err)
	}
	return v, nil
}

func get(stub shim.ChaincodeStubInterface, args []string) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("get needs 1 argument, an id; got %d", len(args))
	}
	v, err := stub.GetState(args[0])
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", args[0], err)
	}
	if v == nil {
		return nil, fmt.Errorf("not found: %q", args[0])
	}
	return v, nil
}

func main() {
	if err := shim.Start(Bundles{}); err != nil {
		log.Fatalf("nondeterministic: %v", err)
	}
}
