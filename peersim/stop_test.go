package peersim

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestStopFinishesInFlightWorkAndLeavesNoGoroutines(t *testing.T) {
	goroutines := peerGoroutines(leakcheck.Take())
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

	goroutines.Verify(t)
}

// peerGoroutines narrows a leak check to goroutines running the peer's
// code, outside this package's tests: connections and fake chaincode servers
// that a test closes only in its own cleanup are not judged.
func peerGoroutines(b leakcheck.Baseline) leakcheck.Baseline {
	return b.Only("chaincodekit/chaincodekit/peersim").Except("_test.go")
}

func mustSign(t *testing.T, n *testNet, inv identity.Invocation) *peer.SignedProposal {
	t.Helper()
	sp, _, err := n.user.NewSignedProposal(inv)
	if err != nil {
		t.Error(err)
	}
	return sp
}

// TestStopDoesNotWaitForAClientThatStopsReading: a Deliver client that
// asks for more than the connection can buffer and then reads nothing
// leaves the peer's handler blocked sending. Stop must still end at once,
// not when its context does.
func TestStopDoesNotWaitForAClientThatStopsReading(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	big := strings.Repeat("x", 1<<20)
	for i := range 4 {
		if _, code := n.invoke(t, n.user, DefaultChannel, "mycc", "put", fmt.Sprintf("k%d", i), big); code != peer.TxValidationCode_VALID {
			t.Fatalf("put %d: %v", i, code)
		}
	}
	l, _ := n.p.chans.Ledger(DefaultChannel)
	newest := l.Height() - 1

	stream, err := peer.NewDeliverClient(n.client).Deliver(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	oldest := &orderer.SeekPosition{Type: &orderer.SeekPosition_Oldest{Oldest: &orderer.SeekOldest{}}}
	// Each seek delivers every block again: far more than the HTTP/2
	// windows and the in-memory connection hold. Nothing is read.
	for range 40 {
		if err := stream.Send(seekEnvelope(t, n.user, DefaultChannel, oldest, newest, orderer.SeekInfo_BLOCK_UNTIL_READY)); err != nil {
			t.Fatal(err)
		}
	}
	// The peer's Deliver handler is now stuck: gRPC's Send waits for
	// stream quota that only the client's reads give back.
	deadline := time.Now().Add(waitLimit)
	for !goroutineIn("transport.(*writeQuota).get") {
		if time.Now().After(deadline) {
			t.Fatal("the peer never blocked sending to the client that reads nothing")
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
	defer cancel()
	if err := n.p.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if ctx.Err() != nil {
		t.Errorf("Stop returned only when its context ended (%v): it waited for the Deliver client that reads nothing", ctx.Err())
	}
}

// goroutineIn reports whether some goroutine is running fn.
func goroutineIn(fn string) bool {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Contains(string(buf[:n]), fn)
		}
		buf = make([]byte, 2*len(buf))
	}
}
