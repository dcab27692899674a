package peersimtest_test

import (
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/chaincodekit/chaincodekit/shim"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// initCounter counts its Inits in the key "inits" and refuses an Init
// whose function is "fail".
type initCounter struct{ probe }

func (initCounter) Init(stub shim.ChaincodeStubInterface) *pb.Response {
	if fn, args := stub.GetFunctionAndParameters(); fn == "fail" {
		return shim.Error("init refused: " + strings.Join(args, " "))
	}
	if _, err := probeCall(stub, "incr", []string{"inits"}); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}

// TestInitRunsAsEachLifecycleRunsIt shows the difference between the two
// lifecycles a test sees: lscc runs Init at every instantiate, _lifecycle
// only when the definition requires it (InitArgs given), as the first
// invoke, and exactly once.
func TestInitRunsAsEachLifecycleRunsIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		lifecycle peersimtest.Lifecycle
		opts      []peersimtest.DeployOption
		inits     string // the "inits" key after Deploy
		// initAgain is the refusal of a later AsInit transaction.
		initAgain string
	}{
		{
			name: "_lifecycle with InitArgs requires init and runs it once", lifecycle: peersimtest.Lifecycle2,
			opts: []peersimtest.DeployOption{peersimtest.InitArgs("init")}, inits: "1",
			initAgain: "chaincode 'counter' is already initialized but called as init",
		},
		{
			name: "_lifecycle without InitArgs never runs Init", lifecycle: peersimtest.Lifecycle2,
			inits:     "",
			initAgain: "chaincode 'counter' does not require initialization but called as init",
		},
		{
			name: "lscc runs Init at instantiate, with or without InitArgs", lifecycle: peersimtest.LSCC,
			inits:     "1",
			initAgain: "chaincode 'counter' does not require initialization but called as init",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := peersimtest.New(t, peersimtest.WithLifecycle(tc.lifecycle))
			cc := p.Deploy(t, "counter", initCounter{}, tc.opts...)
			if got := string(cc.Evaluate(t, "get", "inits").Payload); got != tc.inits {
				t.Errorf("after Deploy inits = %q, want %q", got, tc.inits)
			}
			r := cc.Tx("init").AsInit().Evaluate(t)
			if r.Status != 500 || !strings.Contains(r.Message, tc.initAgain) {
				t.Errorf("a later --isInit call: %v, want status 500 with %q", r, tc.initAgain)
			}
		})
	}
}

func TestLifecycle2Deploy(t *testing.T) {
	t.Parallel()
	t.Run("a failed Init leaves the definition committed, and Instantiate again only retries Init", func(t *testing.T) {
		t.Parallel()
		p := peersimtest.New(t)
		p.Connect(t, "counter", "1.0", initCounter{}, "")
		_, err := p.Instantiate(t, "counter", peersimtest.InitArgs("fail", "now"))
		if err == nil || !strings.Contains(err.Error(), "init (--isInit)") || !strings.Contains(err.Error(), "init refused: now") {
			t.Fatalf("instantiate with a failing Init: %v, want the Init's refusal", err)
		}
		def, err := p.Client(t, p.Admin(t)).QueryCommitted(t.Context(), "mychannel", "counter")
		if err != nil || def.GetSequence() != 1 || !def.GetInitRequired() {
			t.Fatalf("after the failed Init the definition is %v (%v), want sequence 1 requiring init", def, err)
		}
		cc, err := p.Instantiate(t, "counter", peersimtest.InitArgs("init"))
		if err != nil {
			t.Fatalf("instantiate again: %v", err)
		}
		if got := string(cc.Evaluate(t, "get", "inits").Payload); got != "1" {
			t.Errorf("inits = %q, want 1", got)
		}
	})
	t.Run("the chaincode runs as the installed package, which queryinstalled lists", func(t *testing.T) {
		t.Parallel()
		p := peersimtest.New(t)
		p.Deploy(t, "probe", probe{}, peersimtest.Version("1.2"))
		installed, err := p.Client(t, p.Admin(t)).QueryInstalled(t.Context())
		if err != nil || len(installed) != 1 || installed[0].GetLabel() != "probe_1.2" {
			t.Fatalf("installed packages %v (%v), want one labelled probe_1.2", installed, err)
		}
		if connected := p.Peer().Connected(); len(connected) != 1 || connected[0] != installed[0].GetPackageId() {
			t.Errorf("connected chaincodes %v, want the package ID %s", connected, installed[0].GetPackageId())
		}
		def, err := p.Client(t, p.Admin(t)).QueryCommitted(t.Context(), "mychannel", "probe")
		if err != nil || def.GetVersion() != "1.2" || def.GetSequence() != 1 || def.GetInitRequired() {
			t.Errorf("committed definition %v (%v), want probe 1.2 at sequence 1 without init", def, err)
		}
	})
	t.Run("Upgrade of a chaincode never defined says so", func(t *testing.T) {
		t.Parallel()
		p := peersimtest.New(t)
		_, err := p.Upgrade(t, "probe", probe{})
		if err == nil || !strings.Contains(err.Error(), "upgrade probe:1.0 on mychannel through _lifecycle") || !strings.Contains(err.Error(), "probe") {
			t.Errorf("upgrade of an undefined chaincode: %v, want refused", err)
		}
	})
}
