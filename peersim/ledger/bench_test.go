package ledger

import (
	"fmt"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// loadKeys commits n keys "key%08d" into cc, writesPerTx per transaction
// and txsPerBlock transactions per block, through the real commit path.
func loadKeys(b *testing.B, l *Ledger, n, writesPerTx, txsPerBlock int, value func(i int) []byte) {
	b.Helper()
	c := newClient(b, org1)
	var envs []*common.Envelope
	for start := 0; start < n; start += writesPerTx {
		env := c.propose(b, "cc").endorse(b, l, func(s *Simulator) error {
			for i := start; i < min(start+writesPerTx, n); i++ {
				if err := s.SetState("cc", fmt.Sprintf("key%08d", i), value(i)); err != nil {
					return err
				}
			}
			return nil
		})
		envs = append(envs, env)
		if len(envs) == txsPerBlock {
			commitValid(b, l, envs...)
			envs = nil
		}
	}
	if len(envs) > 0 {
		commitValid(b, l, envs...)
	}
}

func BenchmarkGetState1MKeys(b *testing.B) {
	l := openTestLedger(b, testOpts{})
	const n = 1_000_000
	start := time.Now()
	loadKeys(b, l, n, 1000, 100, func(i int) []byte { return []byte(fmt.Sprintf("value-%d", i)) })
	b.Logf("loaded %d keys in %s", n, time.Since(start).Round(time.Millisecond))
	s, err := l.NewSimulator("bench", org1)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Done()
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = fmt.Sprintf("key%08d", (i*7919)%n)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if v, err := s.GetState("cc", keys[i%len(keys)]); err != nil || v == nil {
			b.Fatalf("get: %q, %v", v, err)
		}
		i++
	}
}

func BenchmarkRangeScan10kKeys(b *testing.B) {
	l := openTestLedger(b, testOpts{})
	const n = 10_000
	loadKeys(b, l, n, 1000, 10, func(i int) []byte { return []byte("v") })
	b.ReportAllocs()
	ops := 0
	for b.Loop() {
		s, err := l.NewSimulator("bench", org1)
		if err != nil {
			b.Fatal(err)
		}
		it, err := s.GetStateRangeScanIterator("cc", "", "")
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for {
			kv, err := it.Next()
			if err != nil {
				b.Fatal(err)
			}
			if kv == nil {
				break
			}
			count++
		}
		it.Close()
		s.Done()
		if count != n {
			b.Fatalf("scanned %d keys, want %d", count, n)
		}
		ops++
	}
	b.ReportMetric(float64(ops*n)/b.Elapsed().Seconds(), "keys/s")
}

func BenchmarkMangoQuery100kDocs(b *testing.B) {
	const n = 100_000
	for _, indexed := range []bool{false, true} {
		b.Run(fmt.Sprintf("indexed=%v", indexed), func(b *testing.B) {
			l := openTestLedger(b, testOpts{})
			loadKeys(b, l, n, 1000, 20, func(i int) []byte {
				return fmt.Appendf(nil, `{"docType":"asset","owner":"o%d","size":%d}`, i%100, i)
			})
			if indexed {
				if err := l.DefineIndexes("cc", "", []byte(`{"index":{"fields":["owner"]},"ddoc":"byOwner","name":"byOwner","type":"json"}`)); err != nil {
					b.Fatal(err)
				}
			}
			query := `{"selector":{"owner":"o42"}}`
			// The first query loads the documents into the engine.
			warm, err := l.NewSimulator("warm", org1)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := warm.ExecuteQuery("cc", query); err != nil {
				b.Fatal(err)
			}
			warm.Done()
			b.ReportAllocs()
			for b.Loop() {
				s, err := l.NewSimulator("bench", org1)
				if err != nil {
					b.Fatal(err)
				}
				it, err := s.ExecuteQuery("cc", query)
				if err != nil {
					b.Fatal(err)
				}
				count := 0
				for {
					kv, err := it.Next()
					if err != nil {
						b.Fatal(err)
					}
					if kv == nil {
						break
					}
					count++
				}
				s.Done()
				if count != n/100 {
					b.Fatalf("%d results, want %d", count, n/100)
				}
			}
		})
	}
}

func BenchmarkCommit1kTxBlock(b *testing.B) {
	for _, backend := range []string{BackendMemory, BackendBolt} {
		b.Run(backend, func(b *testing.B) {
			l := openTestLedger(b, testOpts{backend: backend})
			c := newClient(b, org1)
			const txs = 1000
			b.ReportAllocs()
			blocks := 0
			var committing time.Duration
			for b.Loop() {
				b.StopTimer()
				envs := make([]*common.Envelope, txs)
				for i := range envs {
					key := fmt.Sprintf("b%06dt%04d", blocks, i)
					envs[i] = c.propose(b, "cc").endorse(b, l, func(s *Simulator) error {
						if _, err := s.GetState("cc", key); err != nil {
							return err
						}
						return s.SetState("cc", key, []byte("value"))
					})
				}
				b.StartTimer()
				start := time.Now()
				commitValid(b, l, envs...)
				committing += time.Since(start)
				blocks++
			}
			b.ReportMetric(float64(blocks*txs)/committing.Seconds(), "tx/s")
		})
	}
}

// BenchmarkGetChaincodeDefinition is the definition lookup every proposal
// makes (the endorser's Simulator.GetChaincodeDefinition), of a chaincode
// with an endorsement policy (what lscc stores by default) and of one that
// also has a collection.
func BenchmarkGetChaincodeDefinition(b *testing.B) {
	policy := &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{
		SignaturePolicy: anyOf(msp.MSPRole_MEMBER, org1, "Org2MSP"),
	}}
	for _, def := range []*ChaincodeDefinition{
		{Name: "policy", Version: "1", EndorsementPolicy: policy},
		{Name: "collection", Version: "1", EndorsementPolicy: policy,
			Collections: collections(collSpec{name: "secret", members: []string{org1}})},
	} {
		b.Run(def.Name, func(b *testing.B) {
			l := openTestLedger(b, testOpts{})
			define(b, l, def)
			b.ReportAllocs()
			for b.Loop() {
				s, err := l.NewSimulator("bench", org1)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.GetChaincodeDefinition(def.Name); err != nil {
					b.Fatal(err)
				}
				s.Done()
			}
		})
	}
}
