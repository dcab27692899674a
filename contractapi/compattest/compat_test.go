package compattest_test

import (
	"bytes"
	"encoding/json"
	"go/format"
	"os"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/contractapi"
	"github.com/chaincodekit/chaincodekit/contractapi/compattest"
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/google/go-cmp/cmp"
	fabshim "github.com/hyperledger/fabric-chaincode-go/v2/shim"
	fabcontractapi "github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// importRewrites maps Fabric's import paths to ours, longest first.
var importRewrites = []struct{ from, to string }{
	{`"github.com/hyperledger/fabric-contract-api-go/v2/contractapi/utils"`, `"github.com/chaincodekit/chaincodekit/contractapi/utils"`},
	{`"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"`, `"github.com/chaincodekit/chaincodekit/contractapi"`},
	{`"github.com/hyperledger/fabric-contract-api-go/v2/metadata"`, `"github.com/chaincodekit/chaincodekit/contractapi/metadata"`},
	{`"github.com/hyperledger/fabric-contract-api-go/v2/serializer"`, `"github.com/chaincodekit/chaincodekit/contractapi/serializer"`},
	{`"github.com/hyperledger/fabric-chaincode-go/v2/shim"`, `"github.com/chaincodekit/chaincodekit/shim"`},
	{`"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"`, `"github.com/chaincodekit/chaincodekit/shim/cid"`},
}

// TestOurCopyIsFabricSourceWithImportsRewritten proves the contract compiled
// against our library (asset_ours_test.go, part of this test binary) is
// Fabric's source with nothing changed but import paths and package clause.
func TestOurCopyIsFabricSourceWithImportsRewritten(t *testing.T) {
	fabricSrc, err := os.ReadFile("asset_fabric_test.go")
	if err != nil {
		t.Fatal(err)
	}
	oursSrc, err := os.ReadFile("asset_ours_test.go")
	if err != nil {
		t.Fatal(err)
	}
	rewritten := strings.Replace(string(fabricSrc), "package compattest\n", "package compattest_test\n", 1)
	for _, r := range importRewrites {
		rewritten = strings.ReplaceAll(rewritten, r.from, r.to)
	}
	if strings.Contains(rewritten, "hyperledger/fabric-c") {
		t.Fatalf("rewritten source still imports a Fabric library:\n%s", rewritten)
	}
	want, err := format.Source([]byte(rewritten))
	if err != nil {
		t.Fatalf("format rewritten source: %v", err)
	}
	got, err := format.Source(oursSrc)
	if err != nil {
		t.Fatalf("format our copy: %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("asset_ours_test.go is not asset_fabric_test.go with imports rewritten (-want +got):\n%s", diff)
	}
}

// fabricStub is enough of Fabric's stub for routing; other methods panic.
type fabricStub struct {
	fabshim.ChaincodeStubInterface
	args []string
}

func (s *fabricStub) GetFunctionAndParameters() (string, []string) { return s.args[0], s.args[1:] }
func (s *fabricStub) GetCreator() ([]byte, error)                  { return nil, nil }
func (s *fabricStub) GetTxID() string                              { return "tx1" }

// ourStub is the same for our shim.
type ourStub struct {
	shim.ChaincodeStubInterface
	args []string
}

func (s *ourStub) GetFunctionAndParameters() (string, []string) { return s.args[0], s.args[1:] }
func (s *ourStub) GetCreator() ([]byte, error)                  { return nil, nil }
func (s *ourStub) GetTxID() string                              { return "tx1" }

// TestStartRunsTheServerWhenAsked runs the shared Run (NewChaincode, setting
// the public fields, Start) against ours with a chaincode server address and
// no CCID: Start must stop with our configuration error rather than dial.
func TestStartRunsTheServerWhenAsked(t *testing.T) {
	t.Setenv("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:0")
	t.Setenv("CHAINCODE_ID", "")
	t.Setenv("CORE_CHAINCODE_ID_NAME", "")
	if err := Run(); err == nil || !strings.Contains(err.Error(), "CHAINCODE_ID") {
		t.Fatalf("Run: %v, want the missing CCID reported", err)
	}
}

func chaincodes(t *testing.T) (*fabcontractapi.ContractChaincode, *contractapi.ContractChaincode) {
	t.Helper()
	fab, err := fabcontractapi.NewChaincode(compattest.Contracts()...)
	if err != nil {
		t.Fatalf("Fabric NewChaincode: %v", err)
	}
	ours, err := contractapi.NewChaincode(Contracts()...)
	if err != nil {
		t.Fatalf("our NewChaincode: %v", err)
	}
	return fab, ours
}

func decode(t *testing.T, who string, resp *peer.Response) any {
	t.Helper()
	if resp.GetStatus() != shim.OK {
		t.Fatalf("%s GetMetadata: status %d: %s", who, resp.GetStatus(), resp.GetMessage())
	}
	var doc any
	if err := json.Unmarshal(resp.GetPayload(), &doc); err != nil {
		t.Fatalf("%s GetMetadata payload is not JSON: %v\n%s", who, err, resp.GetPayload())
	}
	return doc
}

// TestGetMetadataMatchesFabric compares the metadata documents as parsed JSON.
func TestGetMetadataMatchesFabric(t *testing.T) {
	fab, ours := chaincodes(t)
	call := []string{contractapi.SystemContractName + ":GetMetadata"}
	want := decode(t, "Fabric", fab.Invoke(&fabricStub{args: call}))
	got := decode(t, "our", ours.Invoke(&ourStub{args: call}))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetMetadata differs from Fabric's (-Fabric +ours):\n%s", diff)
	}
	if !bytes.Contains(mustJSON(t, got), []byte(`"assets"`)) {
		t.Errorf("metadata has no assets contract: %s", mustJSON(t, got))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInvokeMatchesFabric runs the same calls through both chaincodes and
// compares status and payload, and the message where we kept Fabric's text.
func TestInvokeMatchesFabric(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		sameMessage bool
	}{
		{"a call to the default contract with a lower-case name succeeds", []string{"scalars", "true", "-1", "-8", "-16", "-32", "-64", "1", "8", "16", "32", "64", "1.5", "2.5", "s"}, true},
		{"a returned struct whose nil slices marshal as null fails the return schema", []string{"assets:Read", "a1"}, true},
		{"a map of lists is returned as JSON", []string{"NoticeContract:Peek"}, true},
		{"a time is returned in RFC 3339", []string{"assets:Timestamp"}, true},
		{"an unknown function goes to the unknown hook", []string{"NoticeContract:Nope"}, true},
		{"an unknown function without hook is an error", []string{"assets:Nope"}, true},
		{"an unknown contract is an error", []string{"nobody:Read"}, true},
		{"a blank function name is an error", []string{"assets:"}, true},
		{"a struct missing required fields is rejected", []string{"assets:Create", `{"id":"a"}`}, true},
		{"an out-of-range uint8 is rejected", []string{"assets:Scalars", "true", "1", "1", "1", "1", "1", "1", "256", "1", "1", "1", "1", "1", "s"}, false},
		{"an interface argument is echoed", []string{"assets:Anything", `x`, "2024-01-02T03:04:05Z"}, true},
		{"a bad time is rejected", []string{"assets:Anything", `x`, "yesterday"}, false},
		{"the function returning nothing succeeds", []string{"NoticeContract:Post", "hello"}, true},
		{"the custom context reaches the stub", []string{"assets:TxID"}, true},
		{"an empty struct is rejected before the function runs", []string{"assets:Create", `{}`}, true},
	}
	fab, ours := chaincodes(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := fab.Invoke(&fabricStub{args: tt.args})
			got := ours.Invoke(&ourStub{args: tt.args})
			if want.GetStatus() != got.GetStatus() || !bytes.Equal(want.GetPayload(), got.GetPayload()) {
				t.Errorf("Fabric answered %d %q %q, we answered %d %q %q", want.GetStatus(), want.GetPayload(), want.GetMessage(),
					got.GetStatus(), got.GetPayload(), got.GetMessage())
			}
			if tt.sameMessage && want.GetMessage() != got.GetMessage() {
				t.Errorf("message: Fabric %q, ours %q", want.GetMessage(), got.GetMessage())
			}
		})
	}
}
