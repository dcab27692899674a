package main

import (
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func deploy(t *testing.T) *peersimtest.Chaincode {
	t.Helper()
	p := peersimtest.New(t)
	return p.Deploy(t, "mycc", ABStore{}, peersimtest.InitArgs("init", "a", "100", "b", "200"))
}

func balances(t *testing.T, cc *peersimtest.Chaincode) (string, string) {
	t.Helper()
	return string(cc.Evaluate(t, "query", "a").Payload), string(cc.Evaluate(t, "query", "b").Payload)
}

func TestABStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		args         []string
		status       int32
		message      string
		wantA, wantB string
	}{
		{name: "a transfer moves the amount", args: []string{"invoke", "a", "b", "10"}, status: 200, wantA: "90", wantB: "210"},
		{name: "a transfer of everything empties the account", args: []string{"invoke", "a", "b", "100"}, status: 200, wantA: "0", wantB: "300"},
		{name: "a transfer back works the same", args: []string{"invoke", "b", "a", "50"}, status: 200, wantA: "150", wantB: "150"},
		{name: "overdrawing is refused", args: []string{"invoke", "a", "b", "101"}, status: 500, message: "insufficient funds: a has 100, cannot transfer 101", wantA: "100", wantB: "200"},
		{name: "a negative amount is refused", args: []string{"invoke", "a", "b", "-1"}, status: 500, message: "amount: -1 is negative", wantA: "100", wantB: "200"},
		{name: "a non-numeric amount is refused", args: []string{"invoke", "a", "b", "ten"}, status: 500, message: `amount: "ten" is not an integer`, wantA: "100", wantB: "200"},
		{name: "an unknown account is refused", args: []string{"invoke", "a", "c", "1"}, status: 500, message: "account c not found", wantA: "100", wantB: "200"},
		{name: "a transfer to itself is refused", args: []string{"invoke", "a", "a", "1"}, status: 500, message: "cannot transfer from a to itself", wantA: "100", wantB: "200"},
		{name: "missing arguments are refused", args: []string{"invoke", "a", "b"}, status: 500, message: "invoke needs 3 arguments (from, to, amount); got 2", wantA: "100", wantB: "200"},
		{name: "an unknown function is refused", args: []string{"move", "a", "b", "1"}, status: 500, message: `unknown function "move": use invoke, query or delete`, wantA: "100", wantB: "200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cc := deploy(t)
			r := cc.Submit(t, tc.args[0], tc.args[1:]...)
			if r.Status != tc.status || r.Message != tc.message {
				t.Errorf("got status %d message %q, want %d %q", r.Status, r.Message, tc.status, tc.message)
			}
			if tc.status == 200 && r.Code != peer.TxValidationCode_VALID {
				t.Errorf("committed %s, want VALID", r.Code)
			}
			if a, b := balances(t, cc); a != tc.wantA || b != tc.wantB {
				t.Errorf("balances a=%s b=%s, want a=%s b=%s", a, b, tc.wantA, tc.wantB)
			}
		})
	}
}

func TestABStoreDelete(t *testing.T) {
	t.Parallel()
	cc := deploy(t)
	if r := cc.Submit(t, "delete", "a"); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("delete a: %v", r)
	}
	if r := cc.Evaluate(t, "query", "a"); r.Status != 500 || r.Message != "account a not found" {
		t.Errorf("query of a deleted account: got %v, want status 500 %q", r, "account a not found")
	}
	if r := cc.Submit(t, "invoke", "b", "a", "1"); r.Status != 500 || r.Committed {
		t.Errorf("transfer to a deleted account: got %v, want refused", r)
	}
}

// Two transfers endorsed against the same balances race; the ledger keeps
// the first to commit and rejects the second, so no money is made.
func TestABStoreRacingTransfersDoNotBothApply(t *testing.T) {
	t.Parallel()
	cc := deploy(t)
	first := cc.Tx("invoke", "a", "b", "60").Endorse(t)
	second := cc.Tx("invoke", "a", "b", "60").Endorse(t)
	if !first.Endorsed || !second.Endorsed {
		t.Fatalf("both transfers should be endorsed (each sees a=100): %v / %v", first.Result, second.Result)
	}
	if r := first.Submit(t); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("first transfer: %v", r)
	}
	if r := second.Submit(t); r.Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Errorf("second transfer: got %v, want MVCC_READ_CONFLICT", r)
	}
	if a, b := balances(t, cc); a != "40" || b != "260" {
		t.Errorf("balances a=%s b=%s, want a=40 b=260", a, b)
	}
}

func TestABStoreInitRefusesBadArguments(t *testing.T) {
	t.Parallel()
	p := peersimtest.New(t)
	p.Connect(t, "mycc", "1.0", ABStore{}, "")
	for _, args := range [][]string{{"init", "a", "100", "b"}, {"init", "a", "x", "b", "1"}, {"init", "a", "-5", "b", "1"}} {
		if _, err := p.Instantiate(t, "mycc", peersimtest.InitArgs(args...)); err == nil {
			t.Errorf("instantiate with %q succeeded, want Init to refuse it", args)
		}
	}
}
