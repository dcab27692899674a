package main

import (
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestSacc(t *testing.T) {
	t.Parallel()
	p := peersimtest.New(t)
	cc := p.Deploy(t, "sacc", SimpleAsset{}, peersimtest.InitArgs("a", "10"))

	// The steps run in order: each sees what the earlier ones committed.
	steps := []struct {
		name    string
		submit  bool
		args    []string
		status  int32
		payload string
		message string
	}{
		{name: "get returns the value Init stored", args: []string{"get", "a"}, status: 200, payload: "10"},
		{name: "set stores a value and returns it", submit: true, args: []string{"set", "b", "hello"}, status: 200, payload: "hello"},
		{name: "get returns a value set by an earlier transaction", args: []string{"get", "b"}, status: 200, payload: "hello"},
		{name: "set overwrites a value", submit: true, args: []string{"set", "a", "11"}, status: 200, payload: "11"},
		{name: "get sees the overwrite", args: []string{"get", "a"}, status: 200, payload: "11"},
		{name: "get of a missing key is an error", args: []string{"get", "nope"}, status: 500, message: `asset not found: "nope"`},
		{name: "set without a value is an error", submit: true, args: []string{"set", "a"}, status: 500, message: "set needs 2 arguments, a key and a value; got 1"},
		{name: "an unknown function is an error", args: []string{"put", "a", "1"}, status: 500, message: `unknown function "put": use set or get`},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			tx := cc.Tx(s.args[0], s.args[1:]...)
			var r *peersimtest.Result
			if s.submit {
				r = tx.Submit(t)
			} else {
				r = tx.Evaluate(t)
			}
			if r.Status != s.status || string(r.Payload) != s.payload || r.Message != s.message {
				t.Errorf("got status %d payload %q message %q, want %d %q %q", r.Status, r.Payload, r.Message, s.status, s.payload, s.message)
			}
			wantCommitted := s.submit && s.status == 200
			if r.Committed != wantCommitted || (wantCommitted && r.Code != peer.TxValidationCode_VALID) {
				t.Errorf("got committed %t with %s, want committed %t and VALID", r.Committed, r.Code, wantCommitted)
			}
		})
	}
}

func TestSaccInitRefusesBadArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no arguments", args: nil, want: "init needs 2 arguments, a key and a value; got 0"},
		{name: "a key without a value", args: []string{"a"}, want: "init needs 2 arguments, a key and a value; got 1"},
		{name: "three arguments", args: []string{"a", "1", "b"}, want: "init needs 2 arguments, a key and a value; got 3"},
	}
	p := peersimtest.New(t)
	p.Connect(t, "sacc", "1.0", SimpleAsset{}, "")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Instantiate(t, "sacc", peersimtest.InitArgs(tc.args...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("instantiate with %q: got %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
