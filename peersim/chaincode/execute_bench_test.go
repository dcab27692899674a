package chaincode

import (
	"fmt"
	"testing"
)

// BenchmarkExecutePut runs a transaction of one PutState, the load
// benchmark's put, through each shim against the peer side on bufconn:
// the TRANSACTION sent, the PUT_STATE served and answered, the COMPLETED
// received. Its allocations are both sides' (the shim runs in the same
// process), so compare them between runs of one shim, not across shims.
func BenchmarkExecutePut(b *testing.B) {
	srv, err := NewServer(DefaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	le := newLargeTxEnv(b, &env{srv: srv, conn: serveOnBufconn(b, srv, nil, nil)})
	for _, tx := range largeTxs() {
		if tx.batched {
			continue
		}
		b.Run(tx.shim.name, func(b *testing.B) {
			b.ReportAllocs()
			txs := 0
			for b.Loop() {
				le.run(b, tx, fmt.Sprintf("put-%s-%d", tx.name, txs), 1)
				txs++
			}
		})
	}
}
