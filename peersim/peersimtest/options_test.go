package peersimtest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/chaincodekit/chaincodekit/shim"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// recordingTB records the first Fatalf and ends the goroutine, as
// testing.T does, so the kit's refusals can be checked.
type recordingTB struct {
	t   *testing.T
	msg string
}

func (r *recordingTB) Helper()          {}
func (r *recordingTB) Cleanup(f func()) { r.t.Cleanup(f) }
func (r *recordingTB) TempDir() string  { return r.t.TempDir() }
func (r *recordingTB) Fatalf(f string, args ...any) {
	r.msg = fmt.Sprintf(f, args...)
	runtime.Goexit()
}

// fatalOf runs fn with a recording TB and returns what it failed with ("" if
// it did not).
func fatalOf(t *testing.T, fn func(peersimtest.TB)) string {
	r := &recordingTB{t: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.msg
}

func TestBadTestInputFailsTheTestClearly(t *testing.T) {
	t.Parallel()
	p := peersimtest.New(t)
	tests := []struct {
		name string
		fn   func(peersimtest.TB)
		want string
	}{
		{
			name: "a policy with a syntax error",
			fn: func(tb peersimtest.TB) {
				p.Deploy(tb, "probe1", probe{}, peersimtest.Policy("OR('Org1MSP.member'"))
			},
			want: "peersimtest: deploy probe1: endorsement policy:",
		},
		{
			name: "collections that are not JSON",
			fn: func(tb peersimtest.TB) {
				p.Deploy(tb, "probe2", probe{}, peersimtest.Collections([]byte("[{")))
			},
			want: "peersimtest: deploy probe2: collections:",
		},
		{
			name: "a META-INF directory that does not exist",
			fn: func(tb peersimtest.TB) {
				p.Deploy(tb, "probe3", probe{}, peersimtest.MetaInf("testdata/nope"))
			},
			want: "peersimtest: package probe3:1.0: META-INF testdata/nope:",
		},
		{
			name: "no chaincode",
			fn:   func(tb peersimtest.TB) { p.Deploy(tb, "probe4", nil) },
			want: "peersimtest: connect probe4:1.0: the chaincode is nil",
		},
		{
			name: "a channel the peer does not have",
			fn:   func(tb peersimtest.TB) { p.Deploy(tb, "probe5", probe{}, peersimtest.Channel("nochannel")) },
			want: `peersimtest: instantiate probe5:1.0 on nochannel through _lifecycle: approve probe5 version 1.0 sequence 1 on channel "nochannel": `,
		},
		{
			name: "a chaincode name Fabric does not allow",
			fn:   func(tb peersimtest.TB) { p.Deploy(tb, "bad name", probe{}) },
			want: `peersimtest: package bad name:1.0: pack `,
		},
		{
			name: "an unknown user",
			fn:   func(tb peersimtest.TB) { p.User(tb, "nobody") },
			want: `peersimtest: identity "nobody":`,
		},
		{
			name: "a timeout of zero",
			fn:   func(tb peersimtest.TB) { peersimtest.New(tb, peersimtest.WithTimeout(0)) },
			want: "peersimtest: WithTimeout 0s: must be positive",
		},
		{
			name: "a bad channel name",
			fn:   func(tb peersimtest.TB) { peersimtest.New(tb, peersimtest.WithChannels("Bad_Name")) },
			want: `peersimtest: create channel "Bad_Name":`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fatalOf(t, tc.fn)
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("failed with %q, want a message starting %q", got, tc.want)
			}
		})
	}
}

func TestDeployOptions(t *testing.T) {
	t.Parallel()
	t.Run("an endorsement policy the peer cannot satisfy fails at validation", func(t *testing.T) {
		t.Parallel()
		p := peersimtest.New(t)
		cc := p.Deploy(t, "probe", probe{}, peersimtest.Policy("AND('Org1MSP.peer', 'Org2MSP.peer')"))
		if r := cc.Submit(t, "put", "k", "v"); !r.Endorsed || r.Code != pb.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
			t.Errorf("got %v, want endorsed then ENDORSEMENT_POLICY_FAILURE", r)
		}
	})
	t.Run("a policy the peer satisfies lets writes commit", func(t *testing.T) {
		t.Parallel()
		p := peersimtest.New(t)
		cc := p.Deploy(t, "probe", probe{}, peersimtest.Policy("OR('Org1MSP.peer')"))
		mustValid(t, cc.Submit(t, "put", "k", "v"))
	})
	t.Run("a version other than 1.0", func(t *testing.T) {
		t.Parallel()
		p := peersimtest.New(t)
		cc := p.Deploy(t, "probe", probe{}, peersimtest.Version("2.1"), peersimtest.InitArgs("init"))
		mustValid(t, cc.Submit(t, "put", "k", "v"))
		infos, err := p.Client(t, p.Admin(t)).InstantiatedChaincodes(t.Context(), "mychannel")
		if err != nil || len(infos) != 1 || infos[0].GetVersion() != "2.1" {
			t.Errorf("instantiated chaincodes %v (%v), want probe 2.1", infos, err)
		}
	})
	for _, tc := range []struct {
		lifecycle peersimtest.Lifecycle
		want      string
	}{
		{peersimtest.Lifecycle2, "attempted to redefine the current committed sequence (1) for namespace probe"},
		{peersimtest.LSCC, "chaincode with name 'probe' already exists"},
	} {
		t.Run("a second instantiation on the same channel is refused by "+tc.lifecycle.String(), func(t *testing.T) {
			t.Parallel()
			p := peersimtest.New(t, peersimtest.WithLifecycle(tc.lifecycle))
			p.Deploy(t, "probe", probe{})
			if _, err := p.Instantiate(t, "probe"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("second instantiate: %v, want refused with %q", err, tc.want)
			}
		})
	}
}

// versioned answers "version" with its version, to tell upgrades apart.
type versioned struct {
	probe
	v string
}

func (c versioned) Invoke(stub shim.ChaincodeStubInterface) *pb.Response {
	if fn, _ := stub.GetFunctionAndParameters(); fn == "version" {
		return shim.Success([]byte(c.v))
	}
	return c.probe.Invoke(stub)
}

func TestUpgradeKeepsStateAndSwitchesTheCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lifecycle peersimtest.Lifecycle
		// sameVersion is the refusal of a second upgrade to the version
		// already defined; "" when the lifecycle accepts it (_lifecycle
		// defines a new sequence).
		sameVersion string
	}{
		{lifecycle: peersimtest.Lifecycle2},
		{lifecycle: peersimtest.LSCC, sameVersion: "version already exists"},
	} {
		t.Run(tc.lifecycle.String(), func(t *testing.T) {
			t.Parallel()
			p := peersimtest.New(t, peersimtest.WithLifecycle(tc.lifecycle))
			v1 := p.Deploy(t, "probe", versioned{v: "one"})
			mustValid(t, v1.Submit(t, "put", "k", "kept"))
			v2, err := p.Upgrade(t, "probe", versioned{v: "two"}, peersimtest.Version("2.0"))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(v2.Evaluate(t, "version").Payload); got != "two" {
				t.Errorf("after the upgrade version = %q, want two", got)
			}
			if got := string(v2.Evaluate(t, "get", "k").Payload); got != "kept" {
				t.Errorf("after the upgrade k = %q, want the state kept", got)
			}
			_, err = p.Upgrade(t, "probe", versioned{v: "two"}, peersimtest.Version("2.0"))
			switch {
			case tc.sameVersion != "" && (err == nil || !strings.Contains(err.Error(), tc.sameVersion)):
				t.Errorf("upgrade to the same version: %v, want refused with %q", err, tc.sameVersion)
			case tc.sameVersion == "" && err != nil:
				t.Errorf("upgrade to the same version: %v, want a new sequence", err)
			case tc.sameVersion == "":
				def, err := p.Client(t, p.Admin(t)).QueryCommitted(t.Context(), "mychannel", "probe")
				if err != nil || def.GetSequence() != 3 || def.GetVersion() != "2.0" {
					t.Errorf("after two upgrades the definition is %v (%v), want version 2.0 at sequence 3", def, err)
				}
			}
		})
	}
}

func TestReconnectSwapsTheCodeAndKeepsTheState(t *testing.T) {
	t.Parallel()
	for _, l := range []peersimtest.Lifecycle{peersimtest.Lifecycle2, peersimtest.LSCC} {
		t.Run(l.String(), func(t *testing.T) {
			t.Parallel()
			p := peersimtest.New(t, peersimtest.WithLifecycle(l))
			cc := p.Deploy(t, "probe", versioned{v: "one"})
			mustValid(t, cc.Submit(t, "put", "k", "kept"))
			p.Reconnect(t, "probe", "1.0", versioned{v: "two"})
			if got := string(cc.Evaluate(t, "version").Payload); got != "two" {
				t.Errorf("after Reconnect version = %q, want two", got)
			}
			if got := string(cc.Evaluate(t, "get", "k").Payload); got != "kept" {
				t.Errorf("after Reconnect k = %q, want the state kept", got)
			}
			mustValid(t, cc.Submit(t, "put", "k", "again"))
			if msg := fatalOf(t, func(tb peersimtest.TB) { p.Reconnect(tb, "nope", "1.0", probe{}) }); !strings.Contains(msg, "reconnect nope:1.0: it is not connected") {
				t.Errorf("Reconnect of a chaincode never connected failed with %q", msg)
			}
		})
	}
}
