package peersim

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestStopFinishesInFlightWorkAndLeavesNoGoroutines(t *testing.T) {
	baseline := len(peerGoroutines())
	func() {
		n := startNet(t, t.TempDir())
		n.install(t, n.admin, "mycc", "1.0")
		cc := newTestCC()
		run := n.startCC(t, "mycc:1.0", cc)
		n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")

		answered := make(chan *peer.ProposalResponse, 1)
		go func() {
			sp := mustSign(t, n, invocation(DefaultChannel, "mycc", "block"))
			resp, err := peer.NewEndorserClient(n.client).ProcessProposal(context.Background(), sp)
			if err != nil {
				t.Errorf("in-flight proposal: %v", err)
			}
			answered <- resp
		}()
		<-cc.entered
		stopped := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			stopped <- n.p.Stop(ctx)
		}()
		deadline := time.Now().Add(waitLimit)
		for n.p.ready.Load() {
			if time.Now().After(deadline) {
				t.Fatal("Stop never began")
			}
			time.Sleep(time.Millisecond) // polling with a deadline
		}
		close(cc.release)
		if resp := <-answered; resp.GetResponse().GetStatus() != 200 {
			t.Errorf("in-flight proposal: %d %q, want it to finish", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
		}
		if err := <-stopped; err != nil {
			t.Errorf("Stop: %v", err)
		}
		n.stop()
		run.cancel()
		run.done <- <-run.done // the chaincode ended; keep the result for the cleanup
	}()

	deadline := time.Now().Add(waitLimit)
	for {
		left := peerGoroutines()
		if len(left) <= baseline {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines in peersim code after Stop, %d before:\n%s", len(left), baseline, strings.Join(left, "\n\n"))
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
}

// peerGoroutines returns the stacks of the goroutines running code of
// peersim's packages, other than test goroutines.
func peerGoroutines() []string {
	buf := make([]byte, 4<<20)
	all := strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n")
	var out []string
	for _, g := range all {
		if strings.Contains(g, "chaincodekit/chaincodekit/peersim") && !strings.Contains(g, "testing.tRunner") && !strings.Contains(g, "_test.go") {
			out = append(out, g)
		}
	}
	return out
}

func mustSign(t *testing.T, n *testNet, inv identity.Invocation) *peer.SignedProposal {
	t.Helper()
	sp, _, err := n.user.NewSignedProposal(inv)
	if err != nil {
		t.Error(err)
	}
	return sp
}
