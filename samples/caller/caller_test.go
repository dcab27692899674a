package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// store is a minimal key/value chaincode for the caller to call (sacc's
// functions, without its Init arguments).
type store struct{}

func (store) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (store) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch {
	case fn == "set" && len(args) == 2:
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success([]byte(args[1]))
	case fn == "get" && len(args) == 1:
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		if v == nil {
			return shim.Error("not found: " + args[0])
		}
		return shim.Success(v)
	}
	return shim.Error("bad call to store: " + fn)
}

type network struct {
	caller, store, otherStore *peersimtest.Chaincode
}

// setup deploys caller and store on mychannel, and store on channel
// "other" with k=elsewhere.
func setup(t *testing.T) network {
	t.Helper()
	p := peersimtest.New(t, peersimtest.WithChannels("other"))
	n := network{
		caller:     p.Deploy(t, "caller", Caller{}),
		store:      p.Deploy(t, "store", store{}),
		otherStore: p.Deploy(t, "store", nil, peersimtest.Channel("other")),
	}
	if r := n.otherStore.Submit(t, "set", "k", "elsewhere"); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("set k on other: %v", r)
	}
	return n
}

func TestCallsOnTheSameChannelJoinTheTransaction(t *testing.T) {
	t.Parallel()
	n := setup(t)
	r := n.caller.Submit(t, "callAndRecord", "store", "set", "k", "here")
	if r.Code != peer.TxValidationCode_VALID || string(r.Payload) != "here" {
		t.Fatalf("callAndRecord: %v", r)
	}
	// One transaction, two namespaces: the caller's record and the
	// callee's write commit together.
	for _, ns := range []string{"caller", "store"} {
		if !slices.Contains(r.Namespaces(), ns) {
			t.Errorf("read-write set namespaces %q lack %s", r.Namespaces(), ns)
		}
	}
	if w := r.KVRWSet("store").GetWrites(); len(w) != 1 || w[0].GetKey() != "k" || string(w[0].GetValue()) != "here" {
		t.Errorf("store's writes in the caller's transaction: %v", w)
	}
	if got := string(n.store.Evaluate(t, "get", "k").Payload); got != "here" {
		t.Errorf("store k = %q, want the value written through caller", got)
	}
	var last Call
	if err := json.Unmarshal(n.caller.Evaluate(t, "lastCall").Payload, &last); err != nil || last.Chaincode != "store" {
		t.Errorf("lastCall = %+v (%v), want the call to store", last, err)
	}
}

func TestCalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		args         []string
		status       int32
		payload      string
		message      string
		wantHere     string // store's k on mychannel afterwards ("" = not set)
		wantOther    string // store's k on other afterwards
		wantCommitOK bool
	}{
		{
			name: "a read on another channel sees that channel's state",
			args: []string{"call", "store", "other", "get", "k"}, status: 200, payload: "elsewhere",
			wantOther: "elsewhere", wantCommitOK: true,
		},
		{
			name: "a write on another channel is thrown away",
			args: []string{"call", "store", "other", "set", "k", "changed"}, status: 200, payload: "changed",
			wantOther: "elsewhere", wantCommitOK: true,
		},
		{
			name: "a call on this channel by name works with an empty channel",
			args: []string{"call", "store", "", "set", "k", "here"}, status: 200, payload: "here",
			wantHere: "here", wantOther: "elsewhere", wantCommitOK: true,
		},
		{
			name: "a callee's failure fails the caller",
			args: []string{"call", "store", "", "get", "missing"}, status: 500,
			message:   "chaincode store on this channel answered 500: not found: missing",
			wantOther: "elsewhere",
		},
		{
			name: "a chaincode not instantiated on the channel cannot be called",
			args: []string{"call", "nosuch", "", "get", "k"}, status: 500,
			message:   "could not find chaincode with name 'nosuch'",
			wantOther: "elsewhere",
		},
		{
			name: "a failing record call writes nothing",
			args: []string{"callAndRecord", "store", "get", "missing"}, status: 500,
			message:   "not found: missing",
			wantOther: "elsewhere",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := setup(t)
			r := n.caller.Submit(t, tc.args[0], tc.args[1:]...)
			if r.Status != tc.status || string(r.Payload) != tc.payload || !strings.Contains(r.Message, tc.message) {
				t.Errorf("got %v, want status %d payload %q message containing %q", r, tc.status, tc.payload, tc.message)
			}
			if ok := r.Committed && r.Code == peer.TxValidationCode_VALID; ok != tc.wantCommitOK {
				t.Errorf("committed VALID = %t, want %t (%v)", ok, tc.wantCommitOK, r)
			}
			here := n.store.Evaluate(t, "get", "k")
			if tc.wantHere == "" && here.Status != 500 || tc.wantHere != "" && string(here.Payload) != tc.wantHere {
				t.Errorf("store k on mychannel: %v, want %q", here, tc.wantHere)
			}
			if got := string(n.otherStore.Evaluate(t, "get", "k").Payload); got != tc.wantOther {
				t.Errorf("store k on other = %q, want %q", got, tc.wantOther)
			}
			if last := n.caller.Evaluate(t, "lastCall").Payload; tc.args[0] == "callAndRecord" && tc.status != 200 && last != nil {
				t.Errorf("a failed callAndRecord recorded %s", last)
			}
		})
	}
}
