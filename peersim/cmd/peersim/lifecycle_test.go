package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLifecycleCommands drives `peersim lifecycle chaincode ...` as
// Fabric's test-network drives `peer lifecycle chaincode ...`, and checks
// Fabric's output lines.
func TestLifecycleCommands(t *testing.T) {
	tp := startPeer(t)
	pkg := filepath.Join(t.TempDir(), "kv.tar.gz")
	tp.ok(t, "lifecycle", "chaincode", "package", pkg, "--path", chaincodeDir(t), "--lang", "golang", "--label", "kv_1")
	installed := tp.ok(t, "lifecycle", "chaincode", "install", pkg)
	m := regexp.MustCompile(`^Chaincode code package identifier: (kv_1:[0-9a-f]{64})\n$`).FindStringSubmatch(installed.stdout)
	if m == nil {
		t.Fatalf("install printed %q, want Fabric's package identifier line", installed.stdout)
	}
	id := m[1]
	if out := tp.ok(t, "lifecycle", "chaincode", "queryinstalled").stdout; out != "Installed chaincodes on peer:\nPackage ID: "+id+", Label: kv_1\n" {
		t.Errorf("queryinstalled printed %q", out)
	}
	def := []string{"-C", "mychannel", "-n", "kv", "-v", "1.0", "--sequence", "1", "--signature-policy", "OR('Org1MSP.member')", "--init-required"}
	cmd := func(op string, extra ...string) []string {
		return append(append([]string{"lifecycle", "chaincode", op}, def...), extra...)
	}
	readiness := "Chaincode definition for chaincode 'kv', version '1.0', sequence '1' on channel 'mychannel' approval status by org:\nOrg1MSP: %s\n"
	if out := tp.ok(t, cmd("checkcommitreadiness")...).stdout; out != strings.Replace(readiness, "%s", "false", 1) {
		t.Errorf("checkcommitreadiness before approval printed %q", out)
	}
	if r := tp.ok(t, cmd("approveformyorg", "--package-id", id)...); !strings.Contains(r.stderr, "validation code: VALID") {
		t.Errorf("approveformyorg stderr = %q, want the VALID commit", r.stderr)
	}
	if out := tp.ok(t, cmd("checkcommitreadiness")...).stdout; out != strings.Replace(readiness, "%s", "true", 1) {
		t.Errorf("checkcommitreadiness after approval printed %q", out)
	}
	if r := tp.ok(t, cmd("commit")...); !strings.Contains(r.stderr, "validation code: VALID") {
		t.Errorf("commit stderr = %q, want the VALID commit", r.stderr)
	}
	if out := tp.ok(t, "lifecycle", "chaincode", "querycommitted", "-C", "mychannel", "-n", "kv").stdout; out != "Committed chaincode definition for chaincode 'kv' on channel 'mychannel':\nVersion: 1.0, Sequence: 1, Endorsement Plugin: escc, Validation Plugin: vscc, Approvals: [Org1MSP: true]\n" {
		t.Errorf("querycommitted -n kv printed %q", out)
	}
	// The committed definition runs as the approved package id; with
	// --init-required the first invoke is --isInit, and only the first.
	tp.startChaincode(t, id, testChaincode{})
	invoke := func(extra ...string) result {
		return tp.cli(append([]string{"chaincode", "invoke", "-C", "mychannel", "-n", "kv"}, extra...)...)
	}
	if r := invoke("-c", `{"Args":["put","k","v"]}`); r.code == exitOK || !strings.Contains(r.stderr, "chaincode 'kv' has not been initialized for this version, must call as init first") {
		t.Errorf("invoke before init: exit %d, stderr %q; want Fabric's refusal", r.code, r.stderr)
	}
	if r := invoke("--isInit", "-c", `{"Args":["init","a","1"]}`); r.code != exitOK {
		t.Fatalf("invoke --isInit: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := invoke("-I", "-c", `{"Args":["init","a","2"]}`); r.code == exitOK || !strings.Contains(r.stderr, "is already initialized but called as init") {
		t.Errorf("second --isInit: exit %d, stderr %q; want Fabric's refusal", r.code, r.stderr)
	}
	if out := tp.ok(t, "chaincode", "query", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["get","a"]}`).stdout; out != "1\n" {
		t.Errorf("get a after init = %q, want 1", out)
	}
	if out := tp.ok(t, "lifecycle", "chaincode", "querycommitted", "-C", "mychannel").stdout; out != "Committed chaincode definitions on channel 'mychannel':\nName: kv, Version: 1.0, Sequence: 1, Endorsement Plugin: escc, Validation Plugin: vscc\n" {
		t.Errorf("querycommitted printed %q", out)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a missing channel is named", []string{"lifecycle", "chaincode", "commit", "-n", "kv", "-v", "1.0", "--sequence", "2"}, "-C (channel) is required"},
		{"a sequence of 0 is refused", []string{"lifecycle", "chaincode", "commit", "-C", "mychannel", "-n", "kv", "-v", "1.0"}, "sequences start at 1 (--sequence)"},
		{"a bad policy is named", []string{"lifecycle", "chaincode", "approveformyorg", "-C", "mychannel", "-n", "kv", "-v", "2.0", "--sequence", "2", "--signature-policy", "NOPE("}, `--signature-policy "NOPE("`},
		{"a skipped sequence gets Fabric's refusal", []string{"lifecycle", "chaincode", "approveformyorg", "-C", "mychannel", "-n", "kv", "-v", "2.0", "--sequence", "3"}, "requested sequence 3 is larger than the next available sequence number 2"},
		{"only golang is packaged", []string{"lifecycle", "chaincode", "package", filepath.Join(t.TempDir(), "x.tgz"), "--path", ".", "--label", "x", "--lang", "node"}, `--lang "node"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tp.cli(tt.args...)
			if r.code == exitOK || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want a failure naming %q", r.code, r.stderr, tt.want)
			}
		})
	}
}
