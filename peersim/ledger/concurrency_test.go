package ledger

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

func TestConcurrentEndorsementCommitAndDelivery(t *testing.T) {
	for _, backend := range []string{BackendMemory, BackendBolt} {
		t.Run(backend, func(t *testing.T) {
			l := openTestLedger(t, testOpts{backend: backend})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := l.Height()
			const workers, perWorker = 4, 15
			c := newClient(t, org1)
			var wg sync.WaitGroup
			errc := make(chan error, workers)
			for w := range workers {
				wg.Go(func() {
					for i := range perWorker {
						p := c.propose(t, "cc")
						res, err := l.Simulate(p.txID, org1, func(s *Simulator) error {
							if _, err := s.GetState("cc", "shared"); err != nil {
								return err
							}
							it, err := s.GetStateRangeScanIterator("cc", "w", "x")
							if err != nil {
								return err
							}
							it.Close()
							return s.SetState("cc", fmt.Sprintf("w%d-%02d", w, i), []byte("v"))
						})
						if err != nil {
							errc <- err
							return
						}
						if _, err := l.CommitBlock([]*common.Envelope{p.envelope(t, res)}); err != nil {
							errc <- err
							return
						}
					}
				})
			}
			seen := map[string]int{}
			sub := l.Subscribe(start)
			for len(seen) < workers*perWorker {
				select {
				case err := <-errc:
					t.Fatal(err)
				default:
				}
				cb, err := sub.Next(ctx)
				if err != nil {
					t.Fatalf("after %d transactions: %v", len(seen), err)
				}
				for _, r := range cb.Txs {
					seen[r.TxID]++
					if seen[r.TxID] > 1 {
						t.Fatalf("transaction %s delivered twice", r.TxID)
					}
				}
			}
			wg.Wait()
			// Every transaction is in exactly one block; the valid ones' keys
			// are in state.
			valid := 0
			for n := start; n < l.Height(); n++ {
				cb, err := l.committedBlock(n)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range cb.Txs {
					if r.Err == nil {
						valid++
					}
				}
			}
			var inState int
			_, err := l.Simulate("count", org1, func(s *Simulator) error {
				it, err := s.GetStateRangeScanIterator("cc", "w", "x")
				if err != nil {
					return err
				}
				inState = len(drain(t, it))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if valid == 0 || inState != valid {
				t.Errorf("%d valid transactions, %d keys in state", valid, inState)
			}
		})
	}
}
