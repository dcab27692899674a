package peersim

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	ckshim "github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// fakeLauncher "launches" a chaincode by connecting the test chaincode
// in process, as a real launcher's process would.
type fakeLauncher struct {
	mu       sync.Mutex
	n        *testNet
	t        *testing.T
	launched []LaunchRequest
	running  map[string]*runningCC
}

func (f *fakeLauncher) Launch(_ context.Context, req LaunchRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.launched = append(f.launched, req)
	if f.running == nil {
		f.running = map[string]*runningCC{}
	}
	if f.running[req.CCID] == nil {
		f.running[req.CCID] = f.n.connect(f.t, req.CCID, ourShim(newTestCC()))
	}
	return nil
}

func (f *fakeLauncher) Stop(_ context.Context, ccid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.running[ccid]; r != nil {
		r.cancel()
		delete(f.running, ccid)
	}
	return nil
}

func (f *fakeLauncher) Running() []RunningChaincode {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []RunningChaincode
	for ccid := range f.running {
		out = append(out, RunningChaincode{CCID: ccid, PID: 42, Started: time.Unix(0, 0)})
	}
	return out
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
	if len(fl.launched) != 1 || fl.launched[0].CCID != "mycc:1.0" || fl.launched[0].Package == nil || fl.launched[0].MSPID != "Org1MSP" {
		t.Fatalf("launches %+v", fl.launched)
	}
	if _, code := n.invoke(t, n.user, DefaultChannel, "mycc", "put", "k", "v"); code != peer.TxValidationCode_VALID {
		t.Fatalf("invoke: %v", code)
	}

	resp, _, _ := n.propose(t, n.user, invocation("", psccName, "ListRunning"))
	var running []RunningChaincode
	if err := json.Unmarshal(resp.GetResponse().GetPayload(), &running); err != nil {
		t.Fatalf("ListRunning %q: %v (%s)", resp.GetResponse().GetPayload(), err, resp.GetResponse().GetMessage())
	}
	if len(running) != 1 || running[0].CCID != "mycc:1.0" || strings.Join(running[0].Channels, ",") != DefaultChannel {
		t.Errorf("ListRunning %+v", running)
	}
}

func TestProductionModeWithoutLauncherSaysSo(t *testing.T) {
	n := startNet(t, t.TempDir(), withProduction(nil))
	n.install(t, n.admin, "mycc", "1.0")
	resp, _ := n.deploy(t, n.admin, "deploy", DefaultChannel, "mycc", "1.0", "init")
	if msg := resp.GetResponse().GetMessage(); resp.GetResponse().GetStatus() != 500 || !strings.Contains(msg, "production mode needs the launcher") {
		t.Errorf("got %d %q", resp.GetResponse().GetStatus(), msg)
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
	target, a := stub.GetFunctionAndParameters()
	return stub.InvokeChaincode(target, args(a...), "")
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
	t.Run("a call to an unknown chaincode fails in the payload", func(t *testing.T) {
		r := n.query(t, DefaultChannel, "caller", "nosuch", "get", "k")
		if r.GetStatus() != 500 || !strings.Contains(string(r.GetPayload()), "could not find chaincode with name 'nosuch'") {
			t.Errorf("got %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
		}
	})
}
