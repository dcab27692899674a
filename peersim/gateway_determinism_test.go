package peersim

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/chaincodekit/chaincodekit/peersim/determinism"
	ckshim "github.com/chaincodekit/chaincodekit/shim"
)

// countingCC has the global-state bug: "count" writes how many times the
// process ran it; "put" is deterministic.
type countingCC struct{ calls *atomic.Int64 }

func (countingCC) Init(ckshim.ChaincodeStubInterface) *peer.Response { return ckshim.Success(nil) }

func (c countingCC) Invoke(stub ckshim.ChaincodeStubInterface) *peer.Response {
	fn, a := stub.GetFunctionAndParameters()
	v := "same"
	if fn == "count" {
		v = strconv.FormatInt(c.calls.Add(1), 10)
	}
	if err := stub.PutState(a[0], []byte(v)); err != nil {
		return ckshim.Error(err.Error())
	}
	return ckshim.Success(nil)
}

// TestGatewayClientsAskForTheDeterminismCheckPerCall: a fabric-gateway
// application asks for the check on one call with the gRPC metadata
// header, as peersim's own client does, through EvaluateWithContext or
// SubmitWithContext.
func TestGatewayClientsAskForTheDeterminismCheckPerCall(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "nd", "1.0")
	n.startCC(t, "nd:1.0", countingCC{calls: &atomic.Int64{}})
	n.instantiate(t, DefaultChannel, "nd", "1.0", "init")
	u := loadGatewayUser(t, n, "User1")
	gw, err := client.Connect(u.id, client.WithSign(u.sign), client.WithClientConnection(n.client))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	contract := gw.GetNetwork(DefaultChannel).GetContract("nd")
	checked := metadata.AppendToOutgoingContext(context.Background(), determinism.Header, "true")

	tests := []struct {
		name    string
		ctx     context.Context
		fn      string
		refused bool
	}{
		{name: "unchecked, the bug goes unseen", ctx: context.Background(), fn: "count"},
		{name: "checked, a deterministic call passes", ctx: checked, fn: "put"},
		{name: "checked, the bug is refused with the diff", ctx: checked, fn: "count", refused: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := contract.EvaluateWithContext(tc.ctx, tc.fn, client.WithArguments("k"))
			why := errorDetails(err)
			switch {
			case tc.refused && (err == nil || !strings.Contains(why, "nondeterministic chaincode:") || !strings.Contains(why, `key "k"`)):
				t.Errorf("evaluate %s: %v (details %q), want the determinism check's refusal naming key k", tc.fn, err, why)
			case !tc.refused && err != nil:
				t.Errorf("evaluate %s: %v", tc.fn, err)
			}
		})
	}
	if _, err := contract.SubmitWithContext(checked, "count", client.WithArguments("k")); err == nil || !strings.Contains(errorDetails(err), "nondeterministic chaincode:") {
		t.Errorf("submit count with the check: %v (details %q), want refused at endorsement", err, errorDetails(err))
	}
}

// errorDetails joins the messages of the Gateway's ErrorDetails, where a
// fabric-gateway application reads why the peers refused.
func errorDetails(err error) string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if ed, ok := d.(*gp.ErrorDetail); ok {
			out = append(out, ed.GetMessage())
		}
	}
	return strings.Join(out, "; ")
}
