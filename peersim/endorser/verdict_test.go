package endorser

import (
	"context"
	"net"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/determinism"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// TestDeterminismVerdictReachesTheClient serves the endorser over gRPC
// and checks that a client that asked for the check learns how it ended:
// agreeing simulations, or a block committed between them (inconclusive,
// which the peer endorses and only logged before).
func TestDeterminismVerdictReachesTheClient(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ask     bool
		between bool // commit a block between the two simulations
		want    string
	}{
		{name: "agreeing simulations say agree", ask: true, want: determinism.VerdictAgree},
		{name: "a block committed between the simulations says inconclusive", ask: true, between: true, want: determinism.VerdictInconclusive},
		{name: "a call that did not ask hears nothing", want: "unset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.define(t)
			var second func(context.Context, string) (string, error)
			if tc.between {
				second = func(_ context.Context, ccid string) (string, error) {
					resp, prop := f.propose(t, identity.Invocation{ChannelID: channel, Chaincode: "cc"})
					env, err := client.NewSignedTx(prop, f.admin, resp)
					if err != nil {
						return "", err
					}
					if _, err := f.l.CommitBlock([]*common.Envelope{env}); err != nil {
						return "", err
					}
					return ccid, nil
				}
			}
			c := serve(t, f.checking(&countingRunner{}, false, second), f.admin)
			verdict := "unset"
			ctx := client.WithDeterminismVerdict(context.Background(), &verdict)
			if tc.ask {
				ctx = client.CheckDeterminism(ctx)
			}
			if _, err := c.Evaluate(ctx, identity.Invocation{ChannelID: channel, Chaincode: "cc"}); err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if verdict != tc.want {
				t.Errorf("verdict %q, want %q", verdict, tc.want)
			}
		})
	}
}

// serve serves e as the Endorser service on bufconn and returns a client
// of it signing as signer.
func serve(t *testing.T, e *Endorser, signer *identity.SigningIdentity) *client.Client {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	peer.RegisterEndorserServer(srv, e)
	go func() { _ = srv.Serve(lis) }() // returns once Stop runs
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c, err := client.New(conn, signer)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
