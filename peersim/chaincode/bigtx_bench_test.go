package chaincode

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// ledgerSim serves a transaction's writes and point reads from a real
// ledger simulator. Other requests reach the nil TxSimulator and panic,
// which the handler answers with ERROR; the large transaction makes none.
type ledgerSim struct {
	TxSimulator
	sim *ledger.Simulator
}

func (s ledgerSim) GetState(ns, key string) ([]byte, error) { return s.sim.GetState(ns, key) }
func (s ledgerSim) SetState(ns, key string, value []byte) error {
	return s.sim.SetState(ns, key, value)
}
func (s ledgerSim) DeleteState(ns, key string) error { return s.sim.DeleteState(ns, key) }

// largeTx is one way of writing a large transaction: a shim, and whether
// the chaincode brackets its writes with StartWriteBatch and
// FinishWriteBatch.
type largeTx struct {
	name    string
	shim    shimUnderTest
	batched bool
}

func largeTxs() []largeTx {
	var out []largeTx
	for _, sh := range shimsUnderTest {
		out = append(out, largeTx{name: sh.name + "/PutState", shim: sh}, largeTx{name: sh.name + "/WriteBatch", shim: sh, batched: true})
	}
	return out
}

// largeTxEnv is a peer side on bufconn with every shim connected, each as
// its own chaincode, and a memory ledger to simulate on.
type largeTxEnv struct {
	e      *env
	ledger *ledger.Ledger
	ccids  map[string]string // by shim name
}

func newLargeTxEnv(tb testing.TB, e *env) *largeTxEnv {
	tb.Helper()
	l, err := ledger.Open("ch1", ledger.MemoryConfig())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = l.Close() })
	le := &largeTxEnv{e: e, ledger: l, ccids: map[string]string{}}
	for i, sh := range shimsUnderTest {
		ccid := fmt.Sprintf("bigtx%d:1.0", i)
		startShim(tb, e, sh, ccid)
		le.ccids[sh.name] = ccid
	}
	return le
}

// run executes one transaction of n PutState calls the way tx says and
// returns its simulation results.
func (le *largeTxEnv) run(tb testing.TB, tx largeTx, txID string, n int) *ledger.SimulationResults {
	tb.Helper()
	sim, err := le.ledger.NewSimulator(txID, "Org1MSP")
	if err != nil {
		tb.Fatal(err)
	}
	defer sim.Done()
	ccid := le.ccids[tx.shim.name]
	args := [][]byte{[]byte("putMany"), []byte(strconv.Itoa(n))}
	if tx.batched {
		args = append(args, []byte("batch"))
	}
	msg, err := le.e.srv.Execute(context.Background(), ccid, ExecuteRequest{
		Type: peer.ChaincodeMessage_TRANSACTION, ChannelID: "ch1", TxID: txID, Namespace: nameOf(ccid),
		Input: &peer.ChaincodeInput{Args: args}, Simulator: ledgerSim{sim: sim},
	})
	if err != nil {
		tb.Fatalf("Execute %s: %v", txID, err)
	}
	resp := &peer.Response{}
	if err := proto.Unmarshal(msg.Payload, resp); msg.Type != peer.ChaincodeMessage_COMPLETED || err != nil || resp.Status != 200 {
		tb.Fatalf("Execute %s: got %s %q (%v), want COMPLETED with status 200", txID, msg.Type, msg.Payload, err)
	}
	res, err := sim.Results()
	if err != nil {
		tb.Fatalf("results of %s: %v", txID, err)
	}
	return res
}

// TestLargeTransactionReadWriteSet checks that a transaction of many
// PutState calls yields, through either shim and with or without a write
// batch, exactly the read-write set of the same writes made on the
// simulator directly.
func TestLargeTransactionReadWriteSet(t *testing.T) {
	const n = 2500 // several write batches
	le := newLargeTxEnv(t, newEnv(t, DefaultConfig()))
	want, err := le.ledger.Simulate("direct", "Org1MSP", func(s *ledger.Simulator) error {
		for i := range n {
			if err := s.SetState(nameOf(le.ccids[shimsUnderTest[0].name]), manyKey(i), []byte("value")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, tx := range largeTxs() {
		t.Run(tx.name, func(t *testing.T) {
			got := le.run(t, tx, fmt.Sprintf("rwset-tx%d", i), n)
			// Each chaincode writes its own namespace; compare the rest.
			if len(got.Public.NsRwset) != 1 || len(want.Public.NsRwset) != 1 {
				t.Fatalf("got %d namespaces, want 1", len(got.Public.NsRwset))
			}
			if g, w := got.Public.NsRwset[0], want.Public.NsRwset[0]; !bytes.Equal(g.Rwset, w.Rwset) || len(g.CollectionHashedRwset) != 0 {
				t.Errorf("read-write set of %d bytes (%d collections) differs from the direct simulation's %d bytes",
					len(g.Rwset), len(g.CollectionHashedRwset), len(w.Rwset))
			}
			if got.Private != nil {
				t.Errorf("private read-write set %v, want none", got.Private)
			}
		})
	}
}

// BenchmarkLargeTransaction runs one transaction of 100,000 PutState calls
// (10,000 with -short) through each shim, writing one at a time and in
// write batches, against the peer side on bufconn and a memory ledger's
// simulator, up to and including building the read-write set. Fabric's
// shim, writing one at a time, is the baseline: over a real network Fabric
// takes about 29 s for it, against a 30 s execute timeout.
func BenchmarkLargeTransaction(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	cfg := DefaultConfig()
	// A slow run is measured rather than cut off at the 30 s it is
	// compared with.
	cfg.ExecuteTimeout = 0
	srv, err := NewServer(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	le := newLargeTxEnv(b, &env{srv: srv, conn: serveOnBufconn(b, srv, nil, nil)})
	for _, tx := range largeTxs() {
		b.Run(tx.name, func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			txs := 0
			for b.Loop() {
				le.run(b, tx, fmt.Sprintf("bench-%s-%d", tx.name, txs), n)
				txs++
			}
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			puts := float64(txs * n)
			b.ReportMetric(elapsed.Seconds()/float64(txs), "s/tx")
			b.ReportMetric(float64(elapsed.Nanoseconds())/puts, "ns/put")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/puts, "allocs/put")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/puts, "B/put")
		})
	}
}
