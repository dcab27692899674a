package peersimtest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/chaincodekit/chaincodekit/shim"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// vault keeps public and private values: put/get and pput/pget (private,
// collection "secrets", the value in the transient field "value").
type vault struct{}

func (vault) Init(stub shim.ChaincodeStubInterface) *pb.Response { return shim.Success(nil) }

func (vault) Invoke(stub shim.ChaincodeStubInterface) *pb.Response {
	fn, args := stub.GetFunctionAndParameters()
	var err error
	var out []byte
	switch fn {
	case "put":
		err = stub.PutState(args[0], []byte(args[1]))
	case "get":
		out, err = stub.GetState(args[0])
	case "pput":
		var tm map[string][]byte
		if tm, err = stub.GetTransient(); err == nil {
			err = stub.PutPrivateData("secrets", args[0], tm["value"])
		}
	case "pget":
		out, err = stub.GetPrivateData("secrets", args[0])
	default:
		return shim.Error("unknown function " + fn)
	}
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(out)
}

var secrets = []byte(`[{"name": "secrets", "policy": "OR('Org1MSP.member')", "requiredPeerCount": 0, "maxPeerCount": 1, "blockToLive": 0, "memberOnlyRead": true}]`)

// scenario deploys vault, writes public and private values and returns
// the peer.
func scenario(t *testing.T, opts ...peersimtest.Option) *peersimtest.Peer {
	t.Helper()
	p := peersimtest.New(t, opts...)
	cc := p.Deploy(t, "vault", vault{}, peersimtest.Collections(secrets))
	mustValid(t, cc.Submit(t, "put", "a", "1"))
	mustValid(t, cc.Submit(t, "put", "b", "2"))
	mustValid(t, cc.Tx("pput", "s").WithTransient("value", []byte("secret")).Submit(t))
	return p
}

func TestSnapshotRestoresStatePrivateDataAndDefinitions(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "vault.snapshot")
	scenario(t).Snapshot(t, file)

	p := peersimtest.New(t, peersimtest.WithSnapshot(file))
	cc := p.Attach(t, "vault", vault{})
	if got := cc.Evaluate(t, "get", "b").Payload; string(got) != "2" {
		t.Fatalf("get b = %q, want 2", got)
	}
	if got := cc.Evaluate(t, "pget", "s"); string(got.Payload) != "secret" {
		t.Fatalf("pget s = %d %q %s, want secret", got.Status, got.Payload, got.Message)
	}
	mustValid(t, cc.Submit(t, "put", "a", "3"))
	if got := cc.Evaluate(t, "get", "a").Payload; string(got) != "3" {
		t.Fatalf("get a = %q, want 3", got)
	}
	if msg := fatalOf(t, func(tb peersimtest.TB) { p.Attach(tb, "nope", vault{}) }); !strings.Contains(msg, "channel mychannel has no definition of nope:1.0") {
		t.Fatalf("attach of an unknown chaincode failed with %q", msg)
	}
}

func TestWithSnapshotRefusesABadFile(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.snapshot")
	if err := os.WriteFile(bad, []byte(`{"format":"peersim-snapshot","version":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := fatalOf(t, func(tb peersimtest.TB) { peersimtest.New(tb, peersimtest.WithSnapshot(bad)) })
	if !strings.Contains(msg, "peersimtest: create peer") || !strings.Contains(msg, "not gzip") {
		t.Fatalf("New with a bad snapshot failed with %q", msg)
	}
}

func TestWithFixtureSeedsAChannel(t *testing.T) {
	t.Parallel()
	fixture := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(fixture, []byte(`{"vault": {"a": "100", "doc": {"color": "blue"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := peersimtest.New(t, peersimtest.WithFixture("seeded", fixture))
	cc := p.Deploy(t, "vault", vault{}, peersimtest.Channel("seeded"), peersimtest.Collections(secrets))
	for key, want := range map[string]string{"a": "100", "doc": `{"color":"blue"}`} {
		if got := cc.Evaluate(t, "get", key).Payload; string(got) != want {
			t.Fatalf("get %s = %q, want %s", key, got, want)
		}
	}
}

func TestDeterministicClockMakesTheSameBlocks(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	blocks := func(opts ...peersimtest.Option) [][]byte {
		return scenario(t, opts...).Blocks(t, "mychannel")
	}
	first := blocks(peersimtest.WithDeterministicClock(t0))
	second := blocks(peersimtest.WithDeterministicClock(t0))
	if len(first) != 5 || len(first) != len(second) {
		t.Fatalf("%d and %d blocks, want 5 (approve, commit, two puts, a private put)", len(first), len(second))
	}
	for i := range first {
		if !bytes.Equal(first[i], second[i]) {
			t.Fatalf("block %d differs between two runs of the same scenario", i)
		}
	}
	// Without the option the same scenario makes other bytes (txids,
	// timestamps, keys): the comparison above is not vacuous.
	for i, b := range blocks() {
		if bytes.Equal(b, first[i]) {
			t.Fatalf("block %d is the same without a deterministic clock", i)
		}
	}

	t.Run("a run restored from a snapshot is deterministic too, and its txids are new", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "s.snapshot")
		scenario(t, peersimtest.WithDeterministicClock(t0)).Snapshot(t, file)
		run := func() [][]byte {
			p := peersimtest.New(t, peersimtest.WithSnapshot(file), peersimtest.WithDeterministicClock(t0))
			mustValid(t, p.Attach(t, "vault", vault{}).Submit(t, "put", "c", "3")) // not a DUPLICATE_TXID
			return p.Blocks(t, "mychannel")
		}
		a, b := run(), run()
		// The restored channel holds the snapshot's last block, then the new one.
		if len(a) != 2 || len(b) != 2 || !bytes.Equal(a[0], first[len(first)-1]) || !bytes.Equal(a[1], b[1]) {
			t.Fatalf("restored runs hold %d and %d blocks, want the snapshot's last and the same new block", len(a), len(b))
		}
	})
}
