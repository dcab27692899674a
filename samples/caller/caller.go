// Command caller calls another chaincode (for example samples/sacc) with
// stub.InvokeChaincode.
//
// On the same channel the called chaincode runs inside the caller's
// transaction: its reads and writes join the caller's read-write set, in
// its own namespace, and commit or fail together. On another channel the
// call is a query: the called chaincode reads that channel's state, and
// anything it writes there is thrown away.
//
//	call <chaincode> <channel> <function> <arg>...   call and return the callee's payload;
//	                                                 channel "" means the caller's own
//	callAndRecord <chaincode> <function> <arg>...    call on this channel and record the
//	                                                 call under key "lastCall" in the caller's state
//	lastCall                                         the recorded call
package main

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// LastCallKey is the caller's own key that callAndRecord writes.
const LastCallKey = "lastCall"

// Call describes a chaincode-to-chaincode call.
type Call struct {
	Chaincode string   `json:"chaincode"`
	Channel   string   `json:"channel,omitempty"`
	Args      []string `json:"args"`
}

// Caller is the chaincode.
type Caller struct{}

// Init does nothing.
func (Caller) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

// Invoke dispatches on the function name.
func (Caller) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch fn {
	case "call":
		if len(args) < 3 {
			return shim.Error("call needs at least 3 arguments: chaincode, channel, function")
		}
		return call(stub, Call{Chaincode: args[0], Channel: args[1], Args: args[2:]})
	case "callAndRecord":
		if len(args) < 2 {
			return shim.Error("callAndRecord needs at least 2 arguments: chaincode, function")
		}
		c := Call{Chaincode: args[0], Args: args[1:]}
		resp := call(stub, c)
		if resp.GetStatus() >= shim.ERRORTHRESHOLD {
			return resp
		}
		raw, err := json.Marshal(c)
		if err != nil {
			return shim.Error(err.Error())
		}
		if err := stub.PutState(LastCallKey, raw); err != nil {
			return shim.Error(fmt.Sprintf("record call: %v", err))
		}
		return resp
	case "lastCall":
		raw, err := stub.GetState(LastCallKey)
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(raw)
	}
	return shim.Error(fmt.Sprintf("unknown function %q: use call, callAndRecord or lastCall", fn))
}

// call invokes the other chaincode and passes its response on, naming the
// callee in a failure.
func call(stub shim.ChaincodeStubInterface, c Call) *peer.Response {
	args := make([][]byte, len(c.Args))
	for i, a := range c.Args {
		args[i] = []byte(a)
	}
	resp := stub.InvokeChaincode(c.Chaincode, args, c.Channel)
	if resp.GetStatus() >= shim.ERRORTHRESHOLD {
		where := "this channel"
		if c.Channel != "" {
			where = "channel " + c.Channel
		}
		// When the peer could not run the callee at all (not instantiated,
		// not reachable), the reason comes as the payload, not the message.
		reason := resp.GetMessage()
		if reason == "" {
			reason = string(resp.GetPayload())
		}
		return shim.Error(fmt.Sprintf("chaincode %s on %s answered %d: %s", c.Chaincode, where, resp.GetStatus(), reason))
	}
	return shim.Success(resp.GetPayload())
}

func main() {
	if err := shim.Start(Caller{}); err != nil {
		log.Fatalf("caller: %v", err)
	}
}
