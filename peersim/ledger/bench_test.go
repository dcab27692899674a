package ledger

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
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

// BenchmarkCommit1kTxBlock commits blocks of 1,000 transactions, each
// reading and writing one key. Without "p256" every signature and policy
// is accepted at no cost; with it each creator signature and each
// endorsement policy costs one P-256 verify, as a peer's MSP does for
// signatures it has not seen verified. "workers=1" validates sequentially
// (WithValidationWorkers(1)), the default on GOMAXPROCS goroutines.
func BenchmarkCommit1kTxBlock(b *testing.B) {
	cases := []struct {
		backend string
		policy  PolicyChecker
		workers int
	}{
		{BackendMemory, nil, 0},
		{BackendBolt, nil, 0},
		{BackendMemory, newP256Policy(b), 1},
		{BackendMemory, newP256Policy(b), 0},
	}
	for _, tc := range cases {
		name := tc.backend
		if tc.policy != nil {
			name += "/p256"
		}
		if tc.workers == 1 {
			name += "/workers=1"
		}
		b.Run(name, func(b *testing.B) {
			l := openTestLedger(b, testOpts{backend: tc.backend, policy: tc.policy})
			l.workers = tc.workers
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

// p256Policy accepts everything after one P-256 verify per call: the cost
// of a signature check that no record of verified signatures spares.
type p256Policy struct {
	pub    *ecdsa.PublicKey
	digest []byte
	sig    []byte
}

func newP256Policy(b *testing.B) *p256Policy {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("payload"))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	return &p256Policy{pub: &key.PublicKey, digest: digest[:], sig: sig}
}

func (p *p256Policy) verify() error {
	if !ecdsa.VerifyASN1(p.pub, p.digest, p.sig) {
		return errors.New("signature does not verify")
	}
	return nil
}

func (p *p256Policy) CheckCreator(creator, payload, signature []byte) error { return p.verify() }

func (p *p256Policy) CheckEndorsements(Policy, []byte, []*peer.Endorsement) error { return p.verify() }

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

// BenchmarkCommit10TxBlock commits blocks of 10 transactions, each writing
// one key of 64 bytes, as the load benchmark's invokes make them (batch
// size 10), on each backend; the policy accepts every signature at no
// cost, so what is measured is validation, the batch and the store's
// write. Each op is one block.
func BenchmarkCommit10TxBlock(b *testing.B) {
	for _, backend := range []string{BackendMemory, BackendBolt} {
		b.Run(backend, func(b *testing.B) {
			l := openTestLedger(b, testOpts{backend: backend})
			c := newClient(b, org1)
			const txs = 10
			value := bytes.Repeat([]byte("v"), 64)
			b.ReportAllocs()
			blocks := 0
			for b.Loop() {
				b.StopTimer()
				envs := make([]*common.Envelope, txs)
				for i := range envs {
					key := fmt.Sprintf("b%06dt%04d", blocks, i)
					envs[i] = c.propose(b, "cc").endorse(b, l, func(s *Simulator) error {
						return s.SetState("cc", key, value)
					})
				}
				b.StartTimer()
				commitValid(b, l, envs...)
				blocks++
			}
		})
	}
}
