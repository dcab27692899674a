package peersimtest_test

// The README's "Testing your own chaincode" examples, compiled and run
// here. The code between each "readme:start NAME" and "readme:end NAME"
// line must appear in README.md word for word: TestREADMEShowsThisCode
// checks it, so the README cannot drift from the kit's real API.

import (
	"os"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// MyChaincode stands for the reader's chaincode: set (emits the event
// "set" with the key), get, and add, which reads a number and writes it
// back increased.
type MyChaincode struct{}

func (MyChaincode) Init(stub shim.ChaincodeStubInterface) *peer.Response {
	args := stub.GetStringArgs()
	if len(args) != 2 {
		return shim.Error("init wants a key and a value")
	}
	return putResponse(stub, args[0], args[1])
}

func (MyChaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch {
	case fn == "set" && len(args) == 2:
		if err := stub.SetEvent("set", []byte(args[0])); err != nil {
			return shim.Error(err.Error())
		}
		return putResponse(stub, args[0], args[1])
	case fn == "get" && len(args) == 1:
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(v)
	case fn == "add" && len(args) == 2:
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return shim.Error("add: " + args[0] + " is not a number")
		}
		d, err := strconv.Atoi(args[1])
		if err != nil {
			return shim.Error("add: " + args[1] + " is not a number")
		}
		return putResponse(stub, args[0], strconv.Itoa(n+d))
	}
	return shim.Error("unknown function " + fn + " or wrong number of arguments")
}

func putResponse(stub shim.ChaincodeStubInterface, key, value string) *peer.Response {
	if err := stub.PutState(key, []byte(value)); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success([]byte(value))
}

// readme:start testing
func TestMyChaincode(t *testing.T) {
	t.Parallel()
	p := peersimtest.New(t) // an in-process development-mode peer on a memory ledger
	cc := p.Deploy(t, "mycc", MyChaincode{}, peersimtest.InitArgs("a", "10"))

	r := cc.Submit(t, "set", "a", "20") // endorse, order, wait for the commit
	if r.Code != peer.TxValidationCode_VALID || r.Event.GetEventName() != "set" {
		t.Fatalf("set: %v", r)
	}
	if got := cc.Evaluate(t, "get", "a").Payload; string(got) != "20" {
		t.Fatalf("get a = %q, want 20", got)
	}

	// Two transactions endorsed on the same version of a: the second to
	// commit fails MVCC validation, as on a Fabric peer.
	first := cc.Tx("add", "a", "1").Endorse(t)
	second := cc.Tx("add", "a", "2").As(p.User(t, "Admin")).Endorse(t)
	if r := first.Submit(t); r.Code != peer.TxValidationCode_VALID {
		t.Fatalf("first add: %v", r)
	}
	if r := second.Submit(t); r.Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("second add: %v", r)
	}
	if got := cc.Evaluate(t, "get", "a").Payload; string(got) != "21" {
		t.Fatalf("get a = %q, want 21", got)
	}
}

// readme:end testing

// TestMyChaincodeWithGinkgo runs the Ginkgo example below.
func TestMyChaincodeWithGinkgo(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "README Ginkgo example")
}

// readme:start ginkgo
var _ = Describe("MyChaincode", func() {
	var cc *peersimtest.Chaincode

	BeforeEach(func() { // a fresh peer per spec, stopped by Ginkgo's cleanup
		p := peersimtest.New(GinkgoT())
		cc = p.Deploy(GinkgoT(), "mycc", MyChaincode{}, peersimtest.InitArgs("a", "10"))
	})

	It("stores a value once the transaction commits", func() {
		Expect(cc.Submit(GinkgoT(), "set", "a", "20")).To(SatisfyAll(
			peersimtest.BeValid(),
			peersimtest.HaveEvent("set", "a"),
		))
		Expect(cc.Evaluate(GinkgoT(), "get", "a")).To(peersimtest.HavePayload("20"))
	})

	It("refuses a bad call without committing anything", func() {
		Expect(cc.Submit(GinkgoT(), "add", "a", "x")).To(peersimtest.HaveStatus(500, ContainSubstring("not a number")))
	})

	It("lets only one of two racing updates of a key commit", func() {
		first := cc.Tx("add", "a", "1").Endorse(GinkgoT())
		second := cc.Tx("add", "a", "2").Endorse(GinkgoT())
		Expect(first.Submit(GinkgoT())).To(peersimtest.BeValid())
		Expect(second.Submit(GinkgoT())).To(peersimtest.HaveValidationCode(peer.TxValidationCode_MVCC_READ_CONFLICT))
		Expect(cc.Evaluate(GinkgoT(), "get", "a")).To(peersimtest.HavePayload("11"))
	})
})

// readme:end ginkgo

// TestREADMEShowsThisCode checks that README.md shows the examples above
// exactly as they are compiled and run here.
func TestREADMEShowsThisCode(t *testing.T) {
	t.Parallel()
	self, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"testing", "ginkgo"} {
		t.Run("the "+name+" example", func(t *testing.T) {
			_, rest, ok := strings.Cut(string(self), "// readme:start "+name+"\n")
			if !ok {
				t.Fatalf("readme_test.go has no readme:start %s line", name)
			}
			code, _, ok := strings.Cut(rest, "// readme:end "+name+"\n")
			if !ok {
				t.Fatalf("readme_test.go has no readme:end %s line", name)
			}
			code = strings.TrimSpace(code)
			if !strings.Contains(string(readme), code) {
				t.Errorf("README.md does not show the %s example as readme_test.go compiles it; copy this into README.md:\n%s", name, code)
			}
		})
	}
}
