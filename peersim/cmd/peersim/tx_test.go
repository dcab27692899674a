package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestTxTraceShowsWhatThePeerSaw(t *testing.T) {
	tp := startPeer(t)
	tp.ok(t, "chaincode", "install", "-n", "tr", "-v", "1.0", "-p", chaincodeDir(t))
	tp.startChaincode(t, "tr:1.0", testChaincode{})
	tp.ok(t, "chaincode", "instantiate", "-C", "mychannel", "-n", "tr", "-v", "1.0", "-c", `{"Args":["init"]}`)
	inv := tp.ok(t, "chaincode", "invoke", "-C", "mychannel", "-n", "tr", "-c", `{"Args":["put","colour","blue"]}`)
	m := regexp.MustCompile(`txid: ([0-9a-f]{64})`).FindStringSubmatch(inv.stderr)
	if m == nil {
		t.Fatalf("invoke printed no txid: %s", inv.stderr)
	}
	txID := m[1]

	out := tp.ok(t, "tx", "trace", txID).stdout
	for _, want := range []string{
		"transaction " + txID + " on channel mychannel",
		"creator   Org1MSP/Admin@org1.example.com",
		`function  put("colour", "blue")`,
		"chaincode tr:1.0",
		`PUT_STATE                    "colour"`,
		"TRANSACTION → COMPLETED",
		"endorsed by Org1MSP/peer0.org1.example.com",
		`write  "colour" = "blue"`,
		"VALID",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}

	js := tp.ok(t, "tx", "trace", txID, "--json", "-C", "mychannel").stdout
	var got struct {
		TxID   string `json:"txid"`
		Commit struct {
			Validation string `json:"validation"`
		} `json:"commit"`
	}
	if err := json.Unmarshal([]byte(js), &got); err != nil || got.TxID != txID || got.Commit.Validation != "VALID" {
		t.Errorf("--json: %v %+v\n%s", err, got, js)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "an unknown txid", args: []string{"tx", "trace", strings.Repeat("0", 64)}, want: "no trace of transaction " + strings.Repeat("0", 64)},
		{name: "a client that is not an admin", args: []string{"tx", "trace", txID, "--identity", "User1"}, want: "access denied for [pscc/GetTrace]"},
		{name: "no txid", args: []string{"tx", "trace"}, want: "accepts 1 arg(s), received 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tp.cli(tc.args...)
			if r.code == exitOK || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("peersim %s: exit %d, stderr %q; want a failure saying %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
			}
		})
	}
}
