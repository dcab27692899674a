package peersim

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/identity"
	ckshim "github.com/chaincodekit/chaincodekit/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// trivialCC writes or reads one key and does nothing else.
type trivialCC struct{}

func (trivialCC) Init(ckshim.ChaincodeStubInterface) *peer.Response { return ckshim.Success(nil) }

func (trivialCC) Invoke(stub ckshim.ChaincodeStubInterface) *peer.Response {
	fn, a := stub.GetFunctionAndParameters()
	if fn == "put" {
		if err := stub.PutState(a[0], []byte("v")); err != nil {
			return ckshim.Error(err.Error())
		}
		return ckshim.Success(nil)
	}
	v, err := stub.GetState(a[0])
	if err != nil {
		return ckshim.Error(err.Error())
	}
	return ckshim.Success(v)
}

// BenchmarkQuery measures evaluate (endorse only) through the client API
// against a trivial chaincode on the in-memory ledger, over bufconn.
func BenchmarkQuery(b *testing.B) {
	for _, c := range []int{1, 64} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			n := benchNet(b)
			runConcurrently(b, c, func(ctx context.Context, i int) error {
				return n.benchQuery(ctx, fmt.Sprintf("k%d", i%100))
			})
		})
	}
}

// BenchmarkInvokeUntilCommitted measures submit: endorse, broadcast and
// wait for the commit on DeliverFiltered, each transaction writing its
// own key. Blocks are cut after 10 transactions or 10 ms.
func BenchmarkInvokeUntilCommitted(b *testing.B) {
	for _, c := range []int{1, 64} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			n := benchNet(b)
			var seq atomic.Int64
			runConcurrently(b, c, func(ctx context.Context, _ int) error {
				return n.benchInvoke(ctx, fmt.Sprintf("key%d", seq.Add(1)))
			})
		})
	}
}

func benchNet(b *testing.B) *testNet {
	b.Helper()
	n := startNet(b, b.TempDir(), func(s *netSetup) { s.cfg.BatchSize, s.cfg.BatchTimeout = 10, 10*time.Millisecond })
	n.install(b, n.admin, "bench", "1.0")
	n.startCC(b, "bench:1.0", trivialCC{})
	n.instantiate(b, DefaultChannel, "bench", "1.0", "init")
	return n
}

// runConcurrently runs b.N operations on c workers and reports tx/s and
// the 50th and 99th latency percentiles.
func runConcurrently(b *testing.B, c int, op func(ctx context.Context, i int) error) {
	ctx := context.Background()
	var next atomic.Int64
	lat := make([][]time.Duration, c)
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for w := range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(ctx, i); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(math.Ceil(p*float64(len(all))))-1].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func (n *testNet) benchQuery(ctx context.Context, key string) error {
	sp, _, err := n.user.NewSignedProposal(identity.Invocation{ChannelID: DefaultChannel, Chaincode: "bench", Args: args("get", key)})
	if err != nil {
		return err
	}
	resp, err := peer.NewEndorserClient(n.client).ProcessProposal(ctx, sp)
	if err != nil {
		return err
	}
	if resp.GetResponse().GetStatus() != 200 {
		return fmt.Errorf("query: %d %s", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
	}
	return nil
}

func (n *testNet) benchInvoke(ctx context.Context, key string) error {
	prop, txID, err := n.user.NewProposal(identity.Invocation{ChannelID: DefaultChannel, Chaincode: "bench", Args: args("put", key)})
	if err != nil {
		return err
	}
	sp, err := n.user.SignProposal(prop)
	if err != nil {
		return err
	}
	resp, err := peer.NewEndorserClient(n.client).ProcessProposal(ctx, sp)
	if err != nil {
		return err
	}
	if resp.GetEndorsement() == nil {
		return fmt.Errorf("invoke not endorsed: %d %s", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	del, err := peer.NewDeliverClient(n.client).DeliverFiltered(ctx)
	if err != nil {
		return err
	}
	if err := del.Send(seekEnvelope(n.t, n.user, DefaultChannel, n.nextBlock(n.t, DefaultChannel), math.MaxUint64, orderer.SeekInfo_BLOCK_UNTIL_READY)); err != nil {
		return err
	}
	bc, err := orderer.NewAtomicBroadcastClient(n.client).Broadcast(ctx)
	if err != nil {
		return err
	}
	if err := bc.Send(envelope(n.t, n.user, prop, resp)); err != nil {
		return err
	}
	if br, err := bc.Recv(); err != nil || br.GetStatus() != common.Status_SUCCESS {
		return fmt.Errorf("broadcast: %v %v", br, err)
	}
	for {
		r, err := del.Recv()
		if err != nil {
			return err
		}
		for _, ft := range r.GetFilteredBlock().GetFilteredTransactions() {
			if ft.GetTxid() == txID {
				if ft.GetTxValidationCode() != peer.TxValidationCode_VALID {
					return fmt.Errorf("transaction %s: %v", txID, ft.GetTxValidationCode())
				}
				return nil
			}
		}
	}
}
