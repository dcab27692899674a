package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/snapshot"
)

// asUserOf is the configuration of a user whose environment names only
// the data directory dir.
func asUserOf(dir string) func(a *app) {
	return func(a *app) { a.lookupEnv = onlyDataDir(dir) }
}

func TestASnapshotOfARunningPeerStartsASecondPeer(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	startNode(t, "--dev", "--ledger", "memory", "--data-dir", dirA,
		"--address", "127.0.0.1:0", "--chaincode-address", "127.0.0.1:0", "--operations-address", "127.0.0.1:0")
	cliOf := func(dir string) func(args ...string) result {
		return func(args ...string) result {
			t.Helper()
			return runCLI(context.Background(), nil, asUserOf(dir), args...).mustSucceed(t, args...)
		}
	}
	cliA, cliB := cliOf(dirA), cliOf(dirB)
	cliA("chaincode", "install", "-n", "kv", "-v", "1.0", "-p", chaincodeDir(t))
	ccA := startChaincodeRun(t, asUserOf(dirA), "shim", "-n", "kv", "-v", "1.0")
	t.Cleanup(func() { ccA.signal(t, os.Kill); ccA.result(t) })
	cliA("chaincode", "instantiate", "-C", "mychannel", "-n", "kv", "-v", "1.0", "-c", `{"Args":["init","a","1"]}`)
	cliA("chaincode", "invoke", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["put","b","7"]}`)

	file := filepath.Join(t.TempDir(), "ledgers.snapshot")
	r := cliA("ledger", "snapshot", "--out", file)
	if !strings.Contains(r.stderr, "snapshot of 1 channels written to "+file) {
		t.Errorf("ledger snapshot said:\n%s", r.stderr)
	}
	if _, err := snapshot.ReadFile(file); err != nil {
		t.Fatalf("the written snapshot: %v", err)
	}

	// A second peer, on other ports and a bolt ledger, from the snapshot:
	// the definition is restored, the package (not ledger data) installed
	// again, and the chaincode started for it.
	b := startNode(t, "--dev", "--ledger", "bolt", "--data-dir", dirB, "--from-snapshot", file,
		"--address", "127.0.0.1:0", "--chaincode-address", "127.0.0.1:0", "--operations-address", "127.0.0.1:0")
	if !strings.Contains(b.stderr.String(), "channels restored") {
		t.Errorf("the restoring peer did not log the restore:\n%s", b.stderr)
	}
	cliB("chaincode", "install", "-n", "kv", "-v", "1.0", "-p", chaincodeDir(t))
	ccB := startChaincodeRun(t, asUserOf(dirB), "shim", "-n", "kv", "-v", "1.0")
	b.stderr.waitFor(t, "chaincode registered")
	if got := cliB("chaincode", "query", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["get","b"]}`).stdout; got != "7\n" {
		t.Errorf("query b on the restored peer printed %q, want 7", got)
	}
	if got := cliB("chaincode", "list", "--instantiated", "-C", "mychannel").stdout; !strings.Contains(got, "Name: kv, Version: 1.0") {
		t.Errorf("the restored peer's instantiated chaincode:\n%s", got)
	}
	cliB("chaincode", "invoke", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["put","b","8"]}`)

	// Started again from the same snapshot, the data directory is refused:
	// its ledger now holds more.
	ccB.signal(t, os.Kill)
	ccB.result(t)
	if code := b.stop(t); code != exitOK {
		t.Fatalf("node start exited %d:\n%s", code, b.stderr)
	}
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"node", "start", "--dev", "--data-dir", dirB, "--from-snapshot", file,
		"--address", "127.0.0.1:0", "--chaincode-address", "127.0.0.1:0", "--operations-address", "127.0.0.1:0"}, newApp(&stderr, &stderr))
	if code == exitOK || !strings.Contains(stderr.String(), "ledger not empty") {
		t.Errorf("a second restore into the same data directory exited %d:\n%s", code, stderr.String())
	}
}

func TestLedgerSnapshotRefusesWithoutARunningPeer(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(context.Background(), nil, asUserOf(dir), "ledger", "snapshot", "--out", filepath.Join(dir, "s"))
	if r.code == exitOK || !strings.Contains(r.stderr, "no peer is running on "+dir) || !strings.Contains(r.stderr, "does not read a stopped peer's ledgers") {
		t.Fatalf("ledger snapshot with no peer: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "s")); err == nil {
		t.Fatal("a file was written")
	}
	r = runCLI(context.Background(), nil, asUserOf(dir), "ledger", "snapshot")
	if r.code == exitOK || !strings.Contains(r.stderr, "--out FILE is required") {
		t.Fatalf("ledger snapshot without --out: exit %d\n%s", r.code, r.stderr)
	}
}

func TestLedgerSnapshotThroughTheCLIOnBufconn(t *testing.T) {
	tp := startPeer(t)
	tp.ok(t, "chaincode", "install", "-n", "kv", "-v", "1.0", "-p", chaincodeDir(t))
	tp.startChaincode(t, "kv:1.0", testChaincode{})
	tp.ok(t, "chaincode", "instantiate", "-C", "mychannel", "-n", "kv", "-v", "1.0", "-c", `{"Args":["init","a","1"]}`)
	file := filepath.Join(t.TempDir(), "s.snapshot")
	tp.ok(t, "ledger", "snapshot", "--peer-address", "bufnet", "--out", file)
	f, err := snapshot.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range f.Channels[0].State {
		found = found || e.Namespace == "kv" && e.Key == "a" && string(e.Value) == "1"
	}
	if !found {
		t.Fatalf("the snapshot lacks kv/a=1: %+v", f.Channels[0].State)
	}
	if r := tp.cli("ledger", "snapshot", "--peer-address", "bufnet", "--identity", "User1", "--out", file+".2"); r.code == exitOK || !strings.Contains(r.stderr, "access denied") {
		t.Fatalf("a snapshot as User1: exit %d\n%s", r.code, r.stderr)
	}
}
