package peersim

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestStopFinishesInFlightWorkAndLeavesNoGoroutines(t *testing.T) {
	baseline := runtime.NumGoroutine()
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
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Stop, %d before:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
}

func mustSign(t *testing.T, n *testNet, inv identity.Invocation) *peer.SignedProposal {
	t.Helper()
	sp, _, err := n.user.NewSignedProposal(inv)
	if err != nil {
		t.Error(err)
	}
	return sp
}
