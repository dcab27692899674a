package main

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/chaincodekit/chaincodekit/shim"
)

// countingChaincode has the global-state bug: "count" writes how many
// times the process has run it. "put" is deterministic; "get" reads.
type countingChaincode struct{ calls *atomic.Int64 }

func (countingChaincode) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (cc countingChaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch fn {
	case "count":
		n := strconv.FormatInt(cc.calls.Add(1), 10)
		if err := stub.PutState("calls", []byte("calls="+n)); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	case "put":
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success([]byte("stored " + args[0]))
	case "get":
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(v)
	}
	return shim.Error("unknown function " + fn)
}

func TestCheckDeterminismThroughTheCLI(t *testing.T) {
	tp := startPeer(t)
	tp.ok(t, "chaincode", "install", "-n", "nd", "-v", "1.0", "-p", chaincodeDir(t))
	tp.startChaincode(t, "nd:1.0", countingChaincode{calls: &atomic.Int64{}})
	tp.ok(t, "chaincode", "instantiate", "-C", "mychannel", "-n", "nd", "-v", "1.0", "-c", `{"Args":["init"]}`)
	call := func(cmd, ctor string, check bool) result {
		args := []string{"chaincode", cmd, "-C", "mychannel", "-n", "nd", "-c", ctor}
		if check {
			args = append(args, "--check-determinism")
		}
		return tp.cli(args...)
	}
	refused := []string{
		"nondeterministic chaincode: transaction ",
		"ProposalResponsePayloads do not match",
		`1. write nd key "calls": differs from byte 6 (7 and 7 bytes)`,
		`first:  "calls=`, `second: "calls=`,
		"hint: global state",
	}
	for _, tc := range []struct {
		name, cmd, ctor string
		check           bool
		code            int
		stdout          string
		stderr          []string
	}{
		{name: "a deterministic invoke passes the check and commits", cmd: "invoke", ctor: `{"Args":["put","k","v"]}`, check: true,
			code: exitOK, stdout: "stored k\n", stderr: []string{"validation code: VALID", "determinism: the peer simulated the call twice and the results agree"}},
		{name: "a deterministic query passes the check", cmd: "query", ctor: `{"Args":["get","k"]}`, check: true,
			code: exitOK, stdout: "v\n", stderr: []string{"determinism: the peer simulated the call twice and the results agree"}},
		{name: "an invoke whose simulations differ is refused with the diff", cmd: "invoke", ctor: `{"Args":["count"]}`, check: true,
			code: exitFailure, stderr: refused},
		{name: "a query whose simulations differ is refused with the diff", cmd: "query", ctor: `{"Args":["count"]}`, check: true,
			code: exitFailure, stderr: refused},
		{name: "without the flag the same invoke commits", cmd: "invoke", ctor: `{"Args":["count"]}`,
			code: exitOK, stderr: []string{"validation code: VALID"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(tc.cmd, tc.ctor, tc.check)
			if r.code != tc.code || (tc.stdout != "" && r.stdout != tc.stdout) {
				t.Fatalf("exit %d stdout %q, want %d %q\nstderr: %s", r.code, r.stdout, tc.code, tc.stdout, r.stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if tc.code != exitOK && strings.Contains(r.stderr, "validation code:") {
				t.Errorf("a refused invoke was ordered:\n%s", r.stderr)
			}
		})
	}
	// Only the unchecked invoke committed: 2 simulations for each of the
	// two checks, then 1.
	if got := tp.ok(t, "chaincode", "query", "-C", "mychannel", "-n", "nd", "-c", `{"Args":["get","calls"]}`).stdout; got != "calls=5\n" {
		t.Errorf("committed %q, want calls=5 from the one unchecked invoke", got)
	}
}
