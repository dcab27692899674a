package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/chaincodekit/chaincodekit/shim/cid"
)

// waitLimit bounds every wait of these tests, so a bug fails them instead
// of hanging them.
const waitLimit = 30 * time.Second

// testPeer is a development-mode peer in process, served on bufconn.
type testPeer struct {
	p         *peersim.Peer
	dataDir   string
	client    *bufconn.Listener
	chaincode *bufconn.Listener
}

func startPeer(t *testing.T) *testPeer {
	t.Helper()
	leakcheck.Check(t)
	tp := &testPeer{dataDir: t.TempDir(), client: bufconn.Listen(1 << 20), chaincode: bufconn.Listen(1 << 20)}
	cfg := peersim.DefaultConfig(tp.dataDir)
	cfg.Dev = true
	cfg.Ledger = peersim.LedgerMemory
	cfg.BatchTimeout = 20 * time.Millisecond
	cfg.ChaincodeStartupTimeout = waitLimit
	p, err := peersim.New(cfg, nil)
	if err != nil {
		t.Fatalf("new peer: %v", err)
	}
	if err := p.StartOn(context.Background(), peersim.Listeners{Client: tp.client, Chaincode: tp.chaincode}); err != nil {
		t.Fatalf("start peer: %v", err)
	}
	tp.p = p
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Errorf("stop peer: %v", err)
		}
	})
	return tp
}

func bufDial(l *bufconn.Listener) (*grpc.ClientConn, error) {
	return grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return l.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// result is one CLI run.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the peersim command line against the test peer, with its data
// directory in the environment as a user would set it.
func (tp *testPeer) cli(args ...string) result {
	return tp.cliWith(context.Background(), nil, args...)
}

// cliWith is cli with a context (its end is the user's Ctrl-C) that also
// sends each line printed on stdout to lines, when not nil, as it comes.
func (tp *testPeer) cliWith(ctx context.Context, lines chan<- string, args ...string) result {
	return runCLI(ctx, lines, func(a *app) {
		a.lookupEnv = onlyDataDir(tp.dataDir)
		a.dial = func(string) (*grpc.ClientConn, error) { return bufDial(tp.client) }
	}, args...)
}

// runCLI runs the peersim command line with the app as configure leaves
// it, sending each line printed on stdout to lines when not nil.
func runCLI(ctx context.Context, lines chan<- string, configure func(a *app), args ...string) result {
	var stdout, stderr bytes.Buffer
	var out io.Writer = &stdout
	if lines != nil {
		out = io.MultiWriter(&stdout, &lineWriter{lines: lines})
	}
	a := newApp(out, &stderr)
	configure(a)
	code := run(ctx, args, a)
	return result{stdout.String(), stderr.String(), code}
}

// onlyDataDir is an environment that sets PEERSIM_DATA_DIR to dir and
// nothing else.
func onlyDataDir(dir string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		if k == envDataDir {
			return dir, true
		}
		return "", false
	}
}

// lineWriter sends each complete line written to it to lines.
type lineWriter struct {
	lines   chan<- string
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.lines <- string(w.partial[:i])
		w.partial = w.partial[i+1:]
	}
}

func (r result) mustSucceed(t *testing.T, args ...string) result {
	t.Helper()
	if r.code != exitOK {
		t.Fatalf("peersim %s exited %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func (tp *testPeer) ok(t *testing.T, args ...string) result {
	t.Helper()
	return tp.cli(args...).mustSucceed(t, args...)
}

// helperEnv makes the test binary a chaincode process for `peersim
// chaincode run`, re-executed as the helper instead of building one: with
// "shim" it serves testChaincode through shim.Start; with "print" it prints
// the settings it was given, with "printtls" its TLS settings; with "exit3"
// it exits 3.
const helperEnv = "PEERSIM_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "shim":
		if err := shim.Start(testChaincode{}); err != nil {
			fmt.Fprintln(os.Stderr, "chaincode:", err)
			os.Exit(1)
		}
	case "print":
		for _, k := range []string{"CORE_ID_CHAINCODE_NAME", "CORE_CHAINCODE_ID_NAME", "CORE_PEER_TLS_ENABLED", "CORE_PEER_LOCALMSPID"} {
			fmt.Printf("%s=%s\n", k, os.Getenv(k))
		}
		fmt.Printf("args: %s\n", strings.Join(os.Args[1:], " "))
	case "printtls":
		for _, k := range []string{"CORE_PEER_TLS_ENABLED", "CORE_PEER_TLS_ROOTCERT_FILE", "CORE_TLS_CLIENT_CERT_PATH", "CORE_TLS_CLIENT_KEY_PATH", "CORE_TLS_CLIENT_CERT_FILE", "CORE_TLS_CLIENT_KEY_FILE"} {
			fmt.Printf("%s=%s\n", k, os.Getenv(k))
		}
	case "exit3":
		os.Exit(3)
	}
	os.Exit(0)
}

// testChaincode is a small key-value chaincode: put, get, fail, whoami,
// transient, pput, pget, emit (sets an event), and incr, which waits at
// barrier (when set) so that two concurrent increments read the same
// version.
type testChaincode struct {
	barrier *barrier
}

func (testChaincode) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	args := stub.GetStringArgs()
	for i := 1; i+1 < len(args); i += 2 {
		if err := stub.PutState(args[i], []byte(args[i+1])); err != nil {
			return shim.Error(err.Error())
		}
	}
	return shim.Success(nil)
}

func (cc testChaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch fn {
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
	case "incr":
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		if cc.barrier != nil && !cc.barrier.arrive() {
			return shim.Error("the other increment never came")
		}
		if err := stub.PutState(args[0], append(v, '+')); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	case "transient":
		m, err := stub.GetTransient()
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(m[args[0]])
	case "whoami":
		v, _, err := cid.GetAttributeValue(stub, args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success([]byte(v))
	case "pput":
		if err := stub.PutPrivateData(args[0], args[1], []byte(args[2])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	case "pget":
		v, err := stub.GetPrivateData(args[0], args[1])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(v)
	case "emit":
		if err := stub.SetEvent(args[0], []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	case "fail":
		return shim.Error("asked to fail")
	}
	return shim.Error("unknown function " + fn)
}

// barrier releases its parties once n of them arrived.
type barrier struct {
	mu      sync.Mutex
	n       int
	release chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, release: make(chan struct{})} }

func (b *barrier) arrive() bool {
	b.mu.Lock()
	b.n--
	if b.n == 0 {
		close(b.release)
	}
	b.mu.Unlock()
	select {
	case <-b.release:
		return true
	case <-time.After(waitLimit):
		return false
	}
}

// startChaincode connects cc to the peer as ccid, as a developer starts
// chaincode against a development-mode peer.
func (tp *testPeer) startChaincode(t *testing.T, ccid string, cc shim.Chaincode) {
	t.Helper()
	conn, err := bufDial(tp.chaincode)
	if err != nil {
		t.Fatal(err)
	}
	ended := registerChaincode(t, conn, ccid, cc)
	// A user starts the chaincode and then invokes: wait, as the user
	// would, until the peer has it (a _lifecycle invoke fails at once
	// when it is not connected).
	deadline := time.Now().Add(waitLimit)
	for !slices.Contains(tp.p.Connected(), ccid) {
		select {
		case err := <-ended:
			t.Fatalf("chaincode %s ended before it registered: %v", ccid, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("chaincode %s did not register within %s", ccid, waitLimit)
		}
		time.Sleep(2 * time.Millisecond) // polling with a deadline
	}
}

// chaincodeDir writes a Go module with a main package to package.
func chaincodeDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":  "module example.com/kv\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() {}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestChaincodeLifecycleInvokeAndQueryThroughTheCLI(t *testing.T) {
	tp := startPeer(t)
	src := chaincodeDir(t)
	pkgFile := filepath.Join(t.TempDir(), "kv.tar.gz")

	packaged := tp.ok(t, "chaincode", "package", "-n", "kv", "-v", "1.0", "-p", src, "-o", pkgFile)
	pkg, err := os.ReadFile(pkgFile)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pkg) // Fabric's package ID: label, ':', hex SHA-256 of the bytes
	wantID := "kv_1.0:" + hex.EncodeToString(sum[:])
	if strings.TrimSpace(packaged.stdout) != wantID {
		t.Errorf("package printed %q, want the package ID %s", packaged.stdout, wantID)
	}
	installed := tp.ok(t, "chaincode", "install", "-n", "kv", "-v", "1.0", "-p", pkgFile)
	if strings.TrimSpace(installed.stdout) != wantID {
		t.Errorf("install of the file printed %q, want %s", installed.stdout, wantID)
	}
	// A directory is packaged on the fly: same source, same bytes, same ID
	// but for the label.
	installed2 := tp.ok(t, "chaincode", "install", "-n", "kv", "-v", "2.0", "-p", src)
	if !strings.HasPrefix(installed2.stdout, "kv_2.0:") {
		t.Errorf("install of the directory printed %q, want a kv_2.0 package ID", installed2.stdout)
	}
	list := tp.ok(t, "chaincode", "list", "--installed")
	for _, want := range []string{"Get installed chaincodes on peer:", "Name: kv, Version: 1.0, Path: example.com/kv, Id: " + wantID, "Name: kv, Version: 2.0"} {
		if !strings.Contains(list.stdout, want) {
			t.Errorf("list --installed output lacks %q:\n%s", want, list.stdout)
		}
	}

	tp.startChaincode(t, "kv:1.0", testChaincode{})
	inst := tp.ok(t, "chaincode", "instantiate", "-C", "mychannel", "-n", "kv", "-v", "1.0",
		"-c", `{"Args":["init","a","100"]}`, "-P", "OR('Org1MSP.member')")
	if !strings.Contains(inst.stderr, "validation code: VALID") {
		t.Errorf("instantiate stderr lacks the validation code:\n%s", inst.stderr)
	}
	if got := tp.ok(t, "chaincode", "list", "--instantiated", "-C", "mychannel").stdout; !strings.Contains(got, "Name: kv, Version: 1.0") {
		t.Errorf("list --instantiated:\n%s", got)
	}

	q := tp.ok(t, "chaincode", "query", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["get","a"]}`)
	if q.stdout != "100\n" {
		t.Errorf("query of Init's write printed %q, want 100", q.stdout)
	}
	inv := tp.ok(t, "chaincode", "invoke", "-C", "mychannel", "-n", "kv", "--identity", "User1", "-c", `{"function":"put","Args":["b","7"]}`)
	if inv.stdout != "stored b\n" {
		t.Errorf("invoke printed %q on stdout, want the payload", inv.stdout)
	}
	if !strings.Contains(inv.stderr, "txid: ") || !strings.Contains(inv.stderr, "validation code: VALID") {
		t.Errorf("invoke stderr lacks txid and code:\n%s", inv.stderr)
	}
	if got := tp.ok(t, "chaincode", "query", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["get","b"]}`).stdout; got != "7\n" {
		t.Errorf("query after invoke printed %q, want 7 (invoke waits for the commit)", got)
	}
	if got := tp.ok(t, "chaincode", "query", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["transient","k"]}`, "--transient", `{"k":"c2VjcmV0"}`).stdout; got != "secret\n" {
		t.Errorf("query with --transient printed %q, want the decoded value secret", got)
	}

	failed := tp.cli("chaincode", "invoke", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["fail"]}`)
	if failed.code != exitFailure || !strings.Contains(failed.stderr, "asked to fail") || failed.stdout != "" {
		t.Errorf("a failing invoke: exit %d, stdout %q, stderr %q; want 1 and the chaincode's message", failed.code, failed.stdout, failed.stderr)
	}
	running := tp.ok(t, "chaincode", "list", "--running")
	if strings.TrimSpace(running.stdout) != "CCID  PID  CHANNELS  STARTED" {
		t.Errorf("a development-mode peer runs no chaincode, got:\n%s", running.stdout)
	}
}

func TestInvokeReportsAnMVCCConflict(t *testing.T) {
	tp := startPeer(t)
	tp.ok(t, "chaincode", "install", "-n", "kv", "-v", "1.0", "-p", chaincodeDir(t))
	tp.startChaincode(t, "kv:1.0", testChaincode{barrier: newBarrier(2)})
	tp.ok(t, "chaincode", "instantiate", "-C", "mychannel", "-n", "kv", "-v", "1.0", "-c", `{"Args":["init","k","0"]}`)

	// Both increments read k before either writes it: the one committed
	// second must be invalidated.
	results := make(chan result, 2)
	for range 2 {
		go func() {
			results <- tp.cli("chaincode", "invoke", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["incr","k"]}`)
		}()
	}
	var valid, conflicts int
	for range 2 {
		r := <-results
		switch {
		case r.code == exitOK && strings.Contains(r.stderr, "validation code: VALID"):
			valid++
		case r.code == exitFailure && strings.Contains(r.stderr, "validation code: MVCC_READ_CONFLICT") && strings.Contains(r.stderr, "Error: transaction"):
			conflicts++
			// The reason comes from the peer's pscc GetTxReason: the key,
			// its namespace and both versions, not only the code.
			for _, want := range []string{`read conflict on key "k" in kv`, "read version {BlockNum: 0, TxNum: 0}", "version {BlockNum: 1, TxNum: 0}"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("the conflicting invoke's stderr lacks %q:\n%s", want, r.stderr)
				}
			}
		default:
			t.Errorf("unexpected outcome: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	}
	if valid != 1 || conflicts != 1 {
		t.Errorf("%d valid and %d conflicting invokes, want 1 and 1", valid, conflicts)
	}
}

func TestUpgradeAndCollectionsThroughTheCLI(t *testing.T) {
	tp := startPeer(t)
	src := chaincodeDir(t)
	tp.ok(t, "chaincode", "install", "-n", "kv", "-v", "1.0", "-p", src)
	tp.ok(t, "chaincode", "install", "-n", "kv", "-v", "2.0", "-p", src)
	tp.startChaincode(t, "kv:1.0", testChaincode{})
	tp.startChaincode(t, "kv:2.0", testChaincode{})
	colls := filepath.Join(t.TempDir(), "collections_config.json")
	if err := os.WriteFile(colls, []byte(`[{"name":"secrets","policy":"OR('Org1MSP.member')","requiredPeerCount":0,"maxPeerCount":1,"blockToLive":0,"memberOnlyRead":true}]`), 0o600); err != nil {
		t.Fatal(err)
	}

	missing := tp.cli("chaincode", "instantiate", "-C", "mychannel", "-n", "kv", "-v", "1.0", "-c", `{"Args":["init"]}`, "--collections-config", colls+".nope")
	if missing.code != exitFailure || !strings.Contains(missing.stderr, "--collections-config") || !strings.Contains(missing.stderr, "collections_config.json.nope") {
		t.Errorf("a missing collections file: exit %d, stderr %q; want 1 naming the flag and the file", missing.code, missing.stderr)
	}
	tp.ok(t, "chaincode", "instantiate", "-C", "mychannel", "-n", "kv", "-v", "1.0", "-c", `{"Args":["init","a","1"]}`, "--collections-config", colls)
	tp.ok(t, "chaincode", "invoke", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["pput","secrets","k","hidden"]}`)
	if got := tp.ok(t, "chaincode", "query", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["pget","secrets","k"]}`).stdout; got != "hidden\n" {
		t.Errorf("private read after the commit printed %q, want hidden", got)
	}

	up := tp.ok(t, "chaincode", "upgrade", "-C", "mychannel", "-n", "kv", "-v", "2.0", "-c", `{"Args":["init","b","2"]}`, "--collections-config", colls, "-P", "OR('Org1MSP.member')")
	if !strings.Contains(up.stderr, "validation code: VALID") {
		t.Errorf("upgrade stderr lacks the validation code:\n%s", up.stderr)
	}
	if got := tp.ok(t, "chaincode", "list", "--instantiated", "-C", "mychannel").stdout; !strings.Contains(got, "Name: kv, Version: 2.0") || strings.Contains(got, "Version: 1.0") {
		t.Errorf("list --instantiated after the upgrade:\n%s", got)
	}
	for key, want := range map[string]string{"a": "1\n", "b": "2\n"} {
		if got := tp.ok(t, "chaincode", "query", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["get","`+key+`"]}`).stdout; got != want {
			t.Errorf("after the upgrade get %s printed %q, want %q (Init ran again and kept the state)", key, got, want)
		}
	}
	if got := tp.ok(t, "chaincode", "query", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["pget","secrets","k"]}`).stdout; got != "hidden\n" {
		t.Errorf("private read after the upgrade printed %q, want hidden", got)
	}
}

func TestChannelAndIdentityCommands(t *testing.T) {
	tp := startPeer(t)
	if got := tp.ok(t, "channel", "list").stdout; got != "mychannel\n" {
		t.Errorf("channel list = %q, want mychannel", got)
	}
	tp.ok(t, "channel", "create", "-c", "other")
	if got := tp.ok(t, "channel", "list").stdout; got != "mychannel\nother\n" {
		t.Errorf("channel list after create = %q", got)
	}
	denied := tp.cli("channel", "create", "-c", "third", "--identity", "User1")
	if denied.code != exitFailure || !strings.Contains(denied.stderr, "access denied") || !strings.Contains(denied.stderr, "Hint: ") {
		t.Errorf("create as User1: exit %d, stderr %q; want 1, access denied and a hint", denied.code, denied.stderr)
	}

	tp.ok(t, "identity", "add", "carol", "--attr", "role=auditor")
	if got := tp.ok(t, "identity", "list").stdout; got != "Admin\nUser1\ncarol\n" {
		t.Errorf("identity list = %q", got)
	}
	again := tp.cli("identity", "add", "carol")
	if again.code != exitFailure || !strings.Contains(again.stderr, "already exists") {
		t.Errorf("adding carol twice: exit %d, stderr %q", again.code, again.stderr)
	}
	tp.ok(t, "chaincode", "install", "-n", "kv", "-v", "1.0", "-p", chaincodeDir(t))
	tp.startChaincode(t, "kv:1.0", testChaincode{})
	tp.ok(t, "chaincode", "instantiate", "-C", "mychannel", "-n", "kv", "-v", "1.0", "-c", `{"Args":["init"]}`)
	if got := tp.ok(t, "chaincode", "query", "-C", "mychannel", "-n", "kv", "--identity", "carol", "-c", `{"Args":["whoami","role"]}`).stdout; got != "auditor\n" {
		t.Errorf("carol's role attribute read by the chaincode = %q, want auditor", got)
	}
}

func TestClientErrorsSayHowToFixThem(t *testing.T) {
	tp := startPeer(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"an unknown identity lists the known ones", []string{"channel", "list", "--identity", "bob"},
			[]string{`unknown identity "bob"`, "known identities are Admin, User1", "peersim identity add bob"}},
		{"a missing flag is named", []string{"chaincode", "invoke", "-C", "mychannel", "-c", `{"Args":[]}`},
			[]string{"-n (chaincode name) is required"}},
		{"a bad policy is named with an example", []string{"chaincode", "instantiate", "-C", "mychannel", "-n", "kv", "-v", "1", "-c", `{"Args":[]}`, "-P", "OR(Org1MSP.member"},
			[]string{`-P "OR(Org1MSP.member"`, "e.g. -P"}},
		{"list needs exactly one choice", []string{"chaincode", "list"},
			[]string{"exactly one of --installed"}},
		{"events need a channel", []string{"channel", "events", "-n", "kv"},
			[]string{"-C (channel) is required"}},
		{"a bad --from is named", []string{"channel", "events", "-C", "mychannel", "--from", "soon"},
			[]string{`--from "soon"`, "oldest or newest"}},
		{"--to before --from is refused", []string{"channel", "events", "-C", "mychannel", "--from", "5", "--to", "3"},
			[]string{"--to 3 is before --from 5"}},
		{"an unknown channel lists the peer's channels", []string{"channel", "events", "-C", "nosuch", "--from", "0", "--to", "0"},
			[]string{`channel "nosuch"`, "has not joined the channel", "its channels are mychannel"}},
		{"a package file that is not one is refused before sending", []string{"chaincode", "install", "-n", "kv", "-v", "1", "-p", writeFile(t, "junk")},
			[]string{"is not a valid chaincode package"}},
		{"an uninstalled chaincode is the peer's message", []string{"chaincode", "query", "-C", "mychannel", "-n", "nosuch", "-c", `{"Args":["get"]}`},
			[]string{"nosuch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tp.cli(tt.args...)
			if r.code != exitFailure {
				t.Errorf("exit %d, want 1", r.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnUnreachablePeerSuggestsStartingOne(t *testing.T) {
	tp := startPeer(t) // for its data directory
	var stdout, stderr bytes.Buffer
	a := newApp(&stdout, &stderr)
	a.lookupEnv = func(k string) (string, bool) {
		switch k {
		case envDataDir:
			return tp.dataDir, true
		case envPeerAddress:
			return "127.0.0.1:1", true
		}
		return "", false
	}
	dead := bufconn.Listen(1)
	dead.Close()
	var dialed string
	a.dial = func(addr string) (*grpc.ClientConn, error) { dialed = addr; return bufDial(dead) }
	code := run(context.Background(), []string{"channel", "list"}, a)
	if code != exitFailure {
		t.Errorf("exit %d, want 1", code)
	}
	if dialed != "127.0.0.1:1" {
		t.Errorf("dialed %q, want PEERSIM_PEER_ADDRESS 127.0.0.1:1", dialed)
	}
	for _, w := range []string{"no peer answers at 127.0.0.1:1 (from PEERSIM_PEER_ADDRESS)", "peersim node start"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
		}
	}
}

// txidOf reads the txid an invoke or instantiate printed on stderr.
func txidOf(t *testing.T, r result) string {
	t.Helper()
	for l := range strings.Lines(r.stderr) {
		if id, ok := strings.CutPrefix(strings.TrimSpace(l), "txid: "); ok {
			return id
		}
	}
	t.Fatalf("no txid on stderr:\n%s", r.stderr)
	return ""
}

// deployEmitter installs, starts and instantiates testChaincode as kv,
// which commits block 0; it returns the instantiate's txid.
func (tp *testPeer) deployEmitter(t *testing.T) string {
	t.Helper()
	tp.ok(t, "chaincode", "install", "-n", "kv", "-v", "1.0", "-p", chaincodeDir(t))
	tp.startChaincode(t, "kv:1.0", testChaincode{})
	return txidOf(t, tp.ok(t, "chaincode", "instantiate", "-C", "mychannel", "-n", "kv", "-v", "1.0", "-c", `{"Args":["init"]}`))
}

func (tp *testPeer) invoke(t *testing.T, ctor string) string {
	t.Helper()
	return txidOf(t, tp.ok(t, "chaincode", "invoke", "-C", "mychannel", "-n", "kv", "-c", ctor))
}

func TestChannelEventsReplaysTransactionsAndChaincodeEvents(t *testing.T) {
	tp := startPeer(t)
	inst := tp.deployEmitter(t)                                            // block 0
	created := tp.invoke(t, `{"Args":["emit","created","{\"k\":\"v\"}"]}`) // block 1
	put := tp.invoke(t, `{"Args":["put","b","7"]}`)                        // block 2, no event
	raw := tp.invoke(t, `{"Args":["emit","raw","\u0000\u00ff"]}`)          // block 3, a binary payload

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"one line per transaction from block 0", []string{"channel", "events", "-C", "mychannel", "--from", "0", "--to", "3"}, []string{
			"block 0 tx 0 " + inst + " VALID",
			"block 1 tx 0 " + created + " VALID",
			"block 2 tx 0 " + put + " VALID",
			"block 3 tx 0 " + raw + " VALID",
		}},
		{"a range of blocks", []string{"channel", "events", "-c", "mychannel", "--from", "1", "--to", "2"}, []string{
			"block 1 tx 0 " + created + " VALID",
			"block 2 tx 0 " + put + " VALID",
		}},
		{"the events of a chaincode, binary payloads in base64", []string{"channel", "events", "-C", "mychannel", "-n", "kv", "--from", "oldest", "--to", "3"}, []string{
			"block 1 tx 0 " + created + ` created {"k":"v"}`,
			"block 3 tx 0 " + raw + " raw base64:AMO/",
		}},
		{"the events as JSON", []string{"channel", "events", "-C", "mychannel", "-n", "kv", "--from", "0", "--to", "3", "--json"}, []string{
			`{"blockNumber":1,"txIndex":0,"transactionId":"` + created + `","chaincodeName":"kv","eventName":"created","payload":"eyJrIjoidiJ9"}`,
			`{"blockNumber":3,"txIndex":0,"transactionId":"` + raw + `","chaincodeName":"kv","eventName":"raw","payload":"AMO/"}`,
		}},
		{"another chaincode's events are none", []string{"channel", "events", "-C", "mychannel", "-n", "other", "--from", "0", "--to", "3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tp.ok(t, tt.args...)
			want := strings.Join(tt.want, "\n")
			if want != "" {
				want += "\n"
			}
			if r.stdout != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
			}
			if r.stderr != "" {
				t.Errorf("stderr: %s", r.stderr)
			}
		})
	}
}

// follower is `peersim channel events` running in the background.
type follower struct {
	lines chan string
	done  chan result
	stop  context.CancelFunc
}

func (tp *testPeer) follow(args ...string) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{lines: make(chan string, 16), done: make(chan result, 1), stop: cancel}
	go func() { f.done <- tp.cliWith(ctx, f.lines, args...) }()
	return f
}

// next waits for the follower's next line.
func (f *follower) next(t *testing.T) string {
	t.Helper()
	select {
	case l := <-f.lines:
		return l
	case r := <-f.done:
		t.Fatalf("the follower exited %d before printing a line\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	case <-time.After(waitLimit):
		t.Fatalf("no line after %s", waitLimit)
	}
	return ""
}

// result waits for the follower to exit.
func (f *follower) result(t *testing.T) result {
	t.Helper()
	select {
	case r := <-f.done:
		return r
	case <-time.After(waitLimit):
		t.Fatalf("the follower did not exit after %s", waitLimit)
	}
	return result{}
}

func TestChannelEventsFollowNewCommitsUntilInterruptedOrThePeerStops(t *testing.T) {
	tp := startPeer(t)
	tp.deployEmitter(t)
	first := tp.invoke(t, `{"Args":["emit","first","1"]}`) // block 1, the newest

	events := tp.follow("channel", "events", "-C", "mychannel", "-n", "kv")
	defer events.stop()
	txs := tp.follow("channel", "events", "-C", "mychannel")
	defer txs.stop()
	// Both start at the newest block: once they printed it, they follow.
	if got, want := events.next(t), "block 1 tx 0 "+first+" first 1"; got != want {
		t.Errorf("first event line %q, want %q", got, want)
	}
	if got, want := txs.next(t), "block 1 tx 0 "+first+" VALID"; got != want {
		t.Errorf("first transaction line %q, want %q", got, want)
	}

	second := tp.invoke(t, `{"Args":["emit","second","2"]}`)
	if got, want := events.next(t), "block 2 tx 0 "+second+" second 2"; got != want {
		t.Errorf("event line after the invoke %q, want %q", got, want)
	}
	if got, want := txs.next(t), "block 2 tx 0 "+second+" VALID"; got != want {
		t.Errorf("transaction line after the invoke %q, want %q", got, want)
	}

	events.stop() // Ctrl-C
	if r := events.result(t); r.code != exitOK || r.stderr != "" {
		t.Errorf("interrupted: exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := tp.p.Stop(ctx); err != nil {
		t.Fatalf("stop peer: %v", err)
	}
	r := txs.result(t)
	if r.code != exitFailure || !strings.Contains(r.stderr, `Error: deliver on channel "mychannel"`) || !strings.Contains(r.stderr, "Unavailable") {
		t.Errorf("the peer stopped: exit %d, stderr %q; want 1 and an error naming the channel and Unavailable", r.code, r.stderr)
	}
}

// chaincodeRun is `peersim chaincode run` running in the background, its
// chaincode the test binary (helperEnv).
type chaincodeRun struct {
	signals chan chan<- os.Signal // the channel it forwards signals from
	done    chan result
}

func startChaincodeRun(t *testing.T, configure func(a *app), helper string, args ...string) *chaincodeRun {
	t.Helper()
	r := &chaincodeRun{signals: make(chan chan<- os.Signal, 1), done: make(chan result, 1)}
	go func() {
		r.done <- runCLI(context.Background(), nil, func(a *app) {
			configure(a)
			a.environ = func() []string { return append(os.Environ(), helperEnv+"="+helper) }
			a.signals = func(c chan<- os.Signal) func() { r.signals <- c; return func() {} }
		}, append(append([]string{"chaincode", "run"}, args...), "--", os.Args[0])...)
	}()
	return r
}

// signal sends sig as if the user sent it to `peersim chaincode run`.
func (r *chaincodeRun) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	select {
	case c := <-r.signals:
		c <- sig
	case res := <-r.done:
		r.done <- res
		t.Fatalf("chaincode run exited %d before it was sent %s\nstdout: %s\nstderr: %s", res.code, sig, res.stdout, res.stderr)
	case <-time.After(waitLimit):
		t.Fatalf("chaincode run did not start its chaincode in %s", waitLimit)
	}
}

func (r *chaincodeRun) result(t *testing.T) result {
	t.Helper()
	select {
	case res := <-r.done:
		return res
	case <-time.After(waitLimit):
		t.Fatalf("chaincode run did not exit in %s", waitLimit)
	}
	return result{}
}

func TestADevModePeerOnPortZeroIsFoundThroughItsAddressFile(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "--dev", "--ledger", "memory", "--data-dir", dir,
		"--address", "127.0.0.1:0", "--chaincode-address", "127.0.0.1:0", "--operations-address", "127.0.0.1:0")
	// Written before the peer logs that it is ready.
	file, err := peersim.ReadAddressFile(dir)
	if err != nil {
		t.Fatalf("a started peer's address file: %v\n%s", err, n.stderr)
	}
	if !file.Dev || file.PID != os.Getpid() || strings.HasSuffix(file.Address, ":0") || strings.HasSuffix(file.ChaincodeAddress, ":0") {
		t.Fatalf("address file %+v, want the bound addresses of a development-mode peer in this process", file)
	}

	// The client commands as a user runs them: no --peer-address, only
	// the data directory.
	var mu sync.Mutex
	dialed := map[string]bool{}
	user := func(a *app) {
		a.lookupEnv = onlyDataDir(dir)
		dial := a.dial
		a.dial = func(addr string) (*grpc.ClientConn, error) {
			mu.Lock()
			dialed[addr] = true
			mu.Unlock()
			return dial(addr)
		}
	}
	cli := func(args ...string) result {
		t.Helper()
		return runCLI(context.Background(), nil, user, args...).mustSucceed(t, args...)
	}
	if got := cli("channel", "list").stdout; got != "mychannel\n" {
		t.Errorf("channel list = %q, want mychannel", got)
	}
	mu.Lock()
	if !dialed[file.Address] || len(dialed) != 1 {
		t.Errorf("the client dialed %v, want only the address file's %s", dialed, file.Address)
	}
	mu.Unlock()

	cli("chaincode", "install", "-n", "kv", "-v", "1.0", "-p", chaincodeDir(t))
	cc := startChaincodeRun(t, user, "shim", "-n", "kv", "-v", "1.0")
	stopped := false
	t.Cleanup(func() { // before the peer stops
		if !stopped {
			cc.signal(t, os.Kill)
			cc.result(t)
		}
	})
	// Instantiate waits for the chaincode to register.
	cli("chaincode", "instantiate", "-C", "mychannel", "-n", "kv", "-v", "1.0", "-c", `{"Args":["init","a","1"]}`)
	if got := cli("chaincode", "invoke", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["put","b","7"]}`).stdout; got != "stored b\n" {
		t.Errorf("invoke printed %q, want stored b", got)
	}
	if got := cli("chaincode", "query", "-C", "mychannel", "-n", "kv", "-c", `{"Args":["get","b"]}`).stdout; got != "7\n" {
		t.Errorf("query printed %q, want 7", got)
	}

	cc.signal(t, syscall.SIGTERM)
	r := cc.result(t)
	stopped = true
	if r.code != 128+int(syscall.SIGTERM) {
		t.Errorf("chaincode run exited %d after SIGTERM, want %d (the chaincode's death by the forwarded signal)\nstderr: %s", r.code, 128+int(syscall.SIGTERM), r.stderr)
	}
	wantLine := "CORE_ID_CHAINCODE_NAME=kv:1.0 CORE_CHAINCODE_ID_NAME=kv:1.0 CORE_PEER_TLS_ENABLED=false CORE_PEER_LOCALMSPID=Org1MSP " +
		shellQuote(os.Args[0]) + " -peer.address " + file.ChaincodeAddress + "\n"
	if !strings.Contains(r.stderr, wantLine) || !strings.Contains(r.stderr, peersim.AddressFilePath(dir)) {
		t.Errorf("chaincode run's stderr lacks the command line %q or the address file it read:\n%s", wantLine, r.stderr)
	}

	if code := n.stop(t); code != exitOK {
		t.Errorf("node start exited %d, want 0:\n%s", code, n.stderr)
	}
	if _, err := peersim.ReadAddressFile(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after the peer stopped its address file is still there (%v)", err)
	}
}
