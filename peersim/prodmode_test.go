package peersim

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	ckshim "github.com/chaincodekit/chaincodekit/shim"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// fakeLauncher "launches" a chaincode by connecting the test chaincode
// in process, as a real launcher's process would.
type fakeLauncher struct {
	mu       sync.Mutex
	n        *testNet
	t        *testing.T
	fail     error // Launch fails with it
	silent   bool  // Launch starts nothing
	launched []string
	stopped  []string
	running  map[string]*runningCC
	builds   []launcher.BuildStatus // what Builds reports
}

func (f *fakeLauncher) Launch(_ context.Context, ccid string, pkg *ccpackage.Package) (*launcher.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if pkg == nil {
		return nil, errors.New("no package")
	}
	f.launched = append(f.launched, ccid)
	if f.running == nil {
		f.running = map[string]*runningCC{}
	}
	if f.running[ccid] == nil && !f.silent {
		f.running[ccid] = f.n.connect(f.t, ccid, ourShim(newTestCC()))
	}
	return &launcher.Instance{CCID: ccid}, nil
}

func (f *fakeLauncher) AuthorizeCert(ccid string, _ *x509.Certificate) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.launched, ccid) {
		return fmt.Errorf("peer will not accept external chaincode connection %s (except in dev mode)", ccid)
	}
	return nil
}

func (f *fakeLauncher) Disconnected(string) {}

func (f *fakeLauncher) Stop(_ context.Context, ccid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, ccid)
	if r := f.running[ccid]; r != nil {
		r.cancel()
		delete(f.running, ccid)
	}
	return nil
}

func (f *fakeLauncher) Closing() {}

func (f *fakeLauncher) StopAll(ctx context.Context) error {
	for _, r := range f.List() {
		f.Stop(ctx, r.CCID)
	}
	return nil
}

func (f *fakeLauncher) List() []launcher.Running {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []launcher.Running
	for ccid := range f.running {
		out = append(out, launcher.Running{CCID: ccid, PID: 42, Started: time.Unix(0, 0)})
	}
	return out
}

func (f *fakeLauncher) Builds() []launcher.BuildStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.builds)
}

func TestProductionModeLaunchesThroughTheLauncher(t *testing.T) {
	fl := &fakeLauncher{t: t}
	n := startNet(t, t.TempDir(), withProduction(fl))
	fl.n = n
	n.install(t, n.admin, "mycc", "1.0")

	t.Run("an unsolicited connection is refused", func(t *testing.T) {
		r := n.connect(t, "mycc:1.0", ourShim(newTestCC()))
		err := <-r.done
		if err == nil || !strings.Contains(err.Error(), "peer will not accept external chaincode connection mycc:1.0 (except in dev mode)") {
			t.Errorf("got %v", err)
		}
		r.done <- err
	})

	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	if strings.Join(fl.launched, ",") != "mycc:1.0" {
		t.Fatalf("launches %v", fl.launched)
	}
	if _, code := n.invoke(t, n.user, DefaultChannel, "mycc", "put", "k", "v"); code != peer.TxValidationCode_VALID {
		t.Fatalf("invoke: %v", code)
	}

	resp, _, _ := n.propose(t, n.user, invocation("", psccName, "ListRunning"))
	var running []launcher.Running
	if err := json.Unmarshal(resp.GetResponse().GetPayload(), &running); err != nil {
		t.Fatalf("ListRunning %q: %v (%s)", resp.GetResponse().GetPayload(), err, resp.GetResponse().GetMessage())
	}
	if len(running) != 1 || running[0].CCID != "mycc:1.0" || strings.Join(running[0].Channels, ",") != DefaultChannel {
		t.Errorf("ListRunning %+v", running)
	}

	// ListBuilds names the installed chaincode each build is for.
	in, err := n.p.store.Get("mycc", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	fl.mu.Lock()
	fl.builds = []launcher.BuildStatus{
		{PackageID: in.PackageID, Label: "mycc_1.0", Builder: "golang", Started: time.Unix(1, 0)},
		{PackageID: "other_1:abc", Label: "other_1", Done: true, Seconds: 2.5, Error: "boom"},
	}
	fl.mu.Unlock()
	resp, _, _ = n.propose(t, n.user, invocation("", psccName, "ListBuilds"))
	var builds []launcher.BuildStatus
	if err := json.Unmarshal(resp.GetResponse().GetPayload(), &builds); err != nil {
		t.Fatalf("ListBuilds %q: %v (%s)", resp.GetResponse().GetPayload(), err, resp.GetResponse().GetMessage())
	}
	want := []launcher.BuildStatus{
		{PackageID: in.PackageID, Label: "mycc_1.0", Builder: "golang", Chaincodes: []string{"mycc:1.0"}, Started: time.Unix(1, 0)},
		{PackageID: "other_1:abc", Label: "other_1", Chaincodes: []string{}, Done: true, Seconds: 2.5, Error: "boom"},
	}
	if diff := cmp.Diff(want, builds); diff != "" {
		t.Errorf("ListBuilds (-want +got):\n%s", diff)
	}
}

func TestProductionModeLaunchFailures(t *testing.T) {
	tests := []struct {
		name     string
		launcher *fakeLauncher
		want     string
		stopped  bool
	}{
		{name: "a failed launch is wrapped as Fabric words it", launcher: &fakeLauncher{fail: errors.New("build failed")},
			want: "error in simulation: failed to execute transaction TXID: could not launch chaincode mycc:1.0: build failed"},
		{name: "a process that never registers times out and is stopped", launcher: &fakeLauncher{silent: true},
			want: "could not launch chaincode mycc:1.0: timeout expired while starting chaincode mycc:1.0 for transaction", stopped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.launcher.t = t
			n := startNet(t, t.TempDir(), withProduction(tt.launcher), withStartupTimeout(100*time.Millisecond))
			tt.launcher.n = n
			n.install(t, n.admin, "mycc", "1.0")
			cds := &peer.ChaincodeDeploymentSpec{ChaincodeSpec: &peer.ChaincodeSpec{ChaincodeId: &peer.ChaincodeID{Name: "mycc", Version: "1.0"}}}
			resp, prop, _ := n.propose(t, n.admin, identity.Invocation{ChannelID: DefaultChannel, Chaincode: lsccName,
				Args: [][]byte{[]byte("deploy"), []byte(DefaultChannel), mustMarshal(t, cds)}})
			want := strings.ReplaceAll(tt.want, "TXID", txIDOf(t, prop))
			if msg := resp.GetResponse().GetMessage(); resp.GetResponse().GetStatus() != 500 || !strings.Contains(msg, want) {
				t.Errorf("got %d %q, want %q", resp.GetResponse().GetStatus(), msg, want)
			}
			tt.launcher.mu.Lock()
			defer tt.launcher.mu.Unlock()
			if got := len(tt.launcher.stopped) > 0; got != tt.stopped {
				t.Errorf("stopped %v, want %v", tt.launcher.stopped, tt.stopped)
			}
		})
	}
}

// callerCC calls another chaincode and can misuse private data in Init.
type callerCC struct{}

func (callerCC) Init(stub ckshim.ChaincodeStubInterface) *peer.Response {
	switch fn, _ := stub.GetFunctionAndParameters(); fn {
	case "private":
		if err := stub.PutPrivateData("coll", "k", []byte("v")); err != nil {
			return ckshim.Error(err.Error())
		}
	case "fail":
		return ckshim.Error("init refused")
	case "notfound":
		return &peer.Response{Status: 404, Message: "init not found"}
	}
	return ckshim.Success(nil)
}

func (callerCC) Invoke(stub ckshim.ChaincodeStubInterface) *peer.Response {
	// caller <target> [@<channel>] args...
	target, a := stub.GetFunctionAndParameters()
	channel := ""
	if len(a) > 0 && strings.HasPrefix(a[0], "@") {
		channel, a = a[0][1:], a[1:]
	}
	return stub.InvokeChaincode(target, args(a...), channel)
}

func TestChaincodeToChaincodeAndInitRules(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.install(t, n.admin, "caller", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.startCC(t, "caller:1.0", callerCC{})
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init", "x")

	t.Run("private data in Init fails the instantiate", func(t *testing.T) {
		resp, _ := n.deploy(t, n.admin, "deploy", DefaultChannel, "caller", "1.0", "private")
		if msg := resp.GetResponse().GetMessage(); !strings.Contains(msg, "private data APIs are not allowed in chaincode Init()") {
			t.Errorf("got %d %q", resp.GetResponse().GetStatus(), msg)
		}
	})
	t.Run("an Init error fails the instantiate", func(t *testing.T) {
		resp, _ := n.deploy(t, n.admin, "deploy", DefaultChannel, "caller", "1.0", "fail")
		if msg := resp.GetResponse().GetMessage(); msg != "error in simulation: transaction returned with failure: init refused" {
			t.Errorf("got %d %q", resp.GetResponse().GetStatus(), msg)
		}
	})
	t.Run("an Init status of 4xx fails the instantiate", func(t *testing.T) {
		resp, _ := n.deploy(t, n.admin, "deploy", DefaultChannel, "caller", "1.0", "notfound")
		if msg := resp.GetResponse().GetMessage(); resp.GetResponse().GetStatus() != 500 || !strings.Contains(msg, "status 404: init not found") {
			t.Errorf("got %d %q", resp.GetResponse().GetStatus(), msg)
		}
	})
	n.instantiate(t, DefaultChannel, "caller", "1.0", "init")

	t.Run("a call reaches the instantiated callee", func(t *testing.T) {
		if r := n.query(t, DefaultChannel, "caller", "mycc", "get", "init"); r.GetStatus() != 200 || string(r.GetPayload()) != "init x" {
			t.Errorf("got %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
		}
	})
	t.Run("a call to another channel reads there and its writes are discarded", func(t *testing.T) {
		if err := n.p.CreateChannel("other"); err != nil {
			t.Fatal(err)
		}
		n.instantiate(t, "other", "mycc", "1.0", "init", "over", "there")
		if r := n.query(t, DefaultChannel, "caller", "mycc", "@other", "get", "init"); r.GetStatus() != 200 || string(r.GetPayload()) != "init over there" {
			t.Errorf("read: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
		}
		resp, code := n.invoke(t, n.user, DefaultChannel, "caller", "mycc", "@other", "put", "x", "lost")
		if code != peer.TxValidationCode_VALID {
			t.Fatalf("invoke: %s %v", resp.GetResponse().GetMessage(), code)
		}
		if r := n.query(t, "other", "mycc", "get", "x"); r.GetStatus() != 200 || len(r.GetPayload()) != 0 {
			t.Errorf("cross-channel write landed: %d %q", r.GetStatus(), r.GetPayload())
		}
		if r := n.query(t, DefaultChannel, "caller", "mycc", "@nochannel", "get", "k"); !strings.Contains(string(r.GetPayload()), "failed to find ledger for channel: nochannel") {
			t.Errorf("unknown channel: %d %q", r.GetStatus(), r.GetPayload())
		}
	})
	t.Run("a call to an unknown chaincode fails in the payload", func(t *testing.T) {
		r := n.query(t, DefaultChannel, "caller", "nosuch", "get", "k")
		if r.GetStatus() != 500 || !strings.Contains(string(r.GetPayload()), "could not find chaincode with name 'nosuch'") {
			t.Errorf("got %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
		}
	})
}

func TestProductionModeCreatesItsLauncherWithChaincodeTLS(t *testing.T) {
	cfg := DefaultConfig(t.TempDir())
	cfg.Ledger = LedgerMemory
	p := startOnLoopback(t, cfg, testLogger(t))
	if _, ok := p.launcher.(*launcher.Runner); !ok || p.ccCA == nil {
		t.Errorf("launcher %T, chaincode CA %v: want a *launcher.Runner and a CA for chaincode TLS", p.launcher, p.ccCA)
	}
	// Without TLS client certificates nothing may register.
	if err := p.admit("mycc:1.0", chaincode.ConnInfo{}); err == nil {
		t.Errorf("an uninstalled, unlaunched chaincode was admitted")
	}
}
