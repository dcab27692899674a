package peersim

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// BenchmarkGateway measures a query and a submit-until-committed through
// the Gateway service with the fabric-gateway client, beside the same
// operations through the Endorser, Broadcast and Deliver services with
// peersim's client API, in one run: the Gateway adds no simulation and no
// signature of its own, so the two should cost about the same.
func BenchmarkGateway(b *testing.B) {
	for _, c := range []int{1, 16} {
		b.Run(fmt.Sprintf("evaluate/endorser/concurrency=%d", c), func(b *testing.B) {
			n := benchNet(b)
			runConcurrently(b, c, func(ctx context.Context, i int) error {
				return n.benchQuery(ctx, fmt.Sprintf("k%d", i%100))
			})
		})
		b.Run(fmt.Sprintf("evaluate/gateway/concurrency=%d", c), func(b *testing.B) {
			n := benchNet(b)
			contract := benchGateway(b, n)
			runConcurrently(b, c, func(ctx context.Context, i int) error {
				_, err := contract.EvaluateWithContext(ctx, "get", client.WithArguments(fmt.Sprintf("k%d", i%100)))
				return err
			})
		})
		b.Run(fmt.Sprintf("submit/endorser/concurrency=%d", c), func(b *testing.B) {
			n := benchNet(b)
			var seq atomic.Int64
			runConcurrently(b, c, func(ctx context.Context, _ int) error {
				return n.benchInvoke(ctx, fmt.Sprintf("key%d", seq.Add(1)))
			})
		})
		b.Run(fmt.Sprintf("submit/gateway/concurrency=%d", c), func(b *testing.B) {
			n := benchNet(b)
			contract := benchGateway(b, n)
			var seq atomic.Int64
			runConcurrently(b, c, func(ctx context.Context, _ int) error {
				_, err := contract.SubmitWithContext(ctx, "put", client.WithArguments(fmt.Sprintf("key%d", seq.Add(1))))
				return err
			})
		})
	}
}

// benchGateway connects User1 to n's Gateway and returns the bench
// chaincode's contract.
func benchGateway(b *testing.B, n *testNet) *client.Contract {
	b.Helper()
	u := loadGatewayUser(b, n, "User1")
	gw, err := client.Connect(u.id, client.WithSign(u.sign), client.WithClientConnection(n.client))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gw.Close() })
	return gw.GetNetwork(DefaultChannel).GetContract("bench")
}
