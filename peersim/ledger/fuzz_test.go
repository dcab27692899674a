package ledger

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// fuzzBytes hands out the fuzz input one byte at a time (0 once exhausted).
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) next() int {
	if len(f.b) == 0 {
		return 0
	}
	v := f.b[0]
	f.b = f.b[1:]
	return int(v)
}

type modelEntry struct {
	value string
	v     Version
}

// FuzzCommit commits random blocks of random transactions, all of a block
// simulated against the same committed state so that they conflict, and
// checks each verdict and the resulting state against a model that replays
// the valid transactions.
func FuzzCommit(f *testing.F) {
	f.Add([]byte{3, 2, 1, 0, 5, 1, 1, 7, 0, 2, 2, 3, 1, 0, 2, 4})
	f.Add([]byte{1, 4, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{4, 4, 3, 3, 0, 0, 3, 3, 5, 5, 1, 1, 0, 0, 2, 2, 3, 3, 1, 5, 16, 32, 48, 0, 3})
	f.Add([]byte{2, 0, 0, 0, 0, 255, 255, 255, 0, 1, 2, 1, 2, 1, 2, 3, 3, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		l := newLedger(t)
		in := &fuzzBytes{b: data}
		c := newClient(t, org1)
		model := map[string]modelEntry{}
		keys := []string{"a", "b", "c", "d", "e", "f"}
		for blk := 0; blk < 6 && len(in.b) > 0; blk++ {
			ntx := 1 + in.next()%4
			envs := make([]*common.Envelope, ntx)
			sets := make([]*kvrwset.KVRWSet, ntx)
			for i := range ntx {
				if in.next()%16 == 15 {
					envs[i] = &common.Envelope{Payload: []byte{byte(in.next()), 0xff}}
					continue
				}
				p := c.propose(t, "cc")
				nops := 1 + in.next()%4
				res, err := l.Simulate(p.txID, org1, func(s *Simulator) error {
					for range nops {
						op, k := in.next()%4, keys[in.next()%len(keys)]
						switch op {
						case 0:
							if _, err := s.GetState("cc", k); err != nil {
								return err
							}
						case 1:
							if err := s.SetState("cc", k, []byte(fmt.Sprintf("%s@%d", k, in.next()))); err != nil {
								return err
							}
						case 2:
							if err := s.DeleteState("cc", k); err != nil {
								return err
							}
						case 3:
							end := ""
							if e := in.next() % (len(keys) + 1); e < len(keys) {
								end = keys[e]
							}
							it, err := s.GetStateRangeScanIterator("cc", k, end)
							if err != nil {
								return err
							}
							for n := in.next() % 4; ; n-- {
								kv, err := it.Next()
								if err != nil {
									return err
								}
								if kv == nil || n == 0 {
									break
								}
							}
							it.Close()
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				envs[i] = p.envelope(t, res)
				sets[i] = &kvrwset.KVRWSet{}
				for _, n := range res.Public.NsRwset {
					if n.Namespace == "cc" {
						if err := proto.Unmarshal(n.Rwset, sets[i]); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			cb := commit(t, l, envs...)
			num := cb.Block.Header.Number
			touched := map[string]bool{} // keys written by earlier valid txs of the block
			for i, set := range sets {
				got := cb.Txs[i].Code
				if set == nil {
					if got == peer.TxValidationCode_VALID {
						t.Fatalf("block %d tx %d: a garbage envelope is VALID", num, i)
					}
					continue
				}
				want := modelVerdict(model, touched, set)
				if (got == peer.TxValidationCode_VALID) != (want == "") {
					t.Fatalf("block %d tx %d: code %s (%v), model says %q", num, i, got, cb.Txs[i].Err, want)
				}
				if got != peer.TxValidationCode_VALID {
					continue
				}
				for _, w := range set.Writes {
					touched[w.Key] = true
					if w.IsDelete {
						delete(model, w.Key)
					} else {
						model[w.Key] = modelEntry{value: string(w.Value), v: Version{BlockNum: num, TxNum: uint64(i)}}
					}
				}
			}
			compareState(t, l, model)
		}
	})
}

// modelVerdict returns "" when the read set matches the model, else why
// not. Like Fabric, a read of a key any earlier valid transaction of the
// block wrote (even a delete of an absent key) is a conflict.
func modelVerdict(model map[string]modelEntry, touched map[string]bool, set *kvrwset.KVRWSet) string {
	for _, r := range set.Reads {
		e, ok := model[r.Key]
		if touched[r.Key] || ok != (r.Version != nil) || ok && (e.v.BlockNum != r.Version.BlockNum || e.v.TxNum != r.Version.TxNum) {
			return "mvcc " + r.Key
		}
	}
	for _, rq := range set.RangeQueriesInfo {
		var want []string
		for _, k := range slices.Sorted(maps.Keys(model)) {
			inEnd := rq.EndKey == "" && rq.ItrExhausted || k < rq.EndKey || !rq.ItrExhausted && k == rq.EndKey
			if k >= rq.StartKey && inEnd {
				want = append(want, fmt.Sprintf("%s@%s", k, model[k].v))
			}
		}
		var got []string
		for _, r := range rq.GetRawReads().GetKvReads() {
			got = append(got, fmt.Sprintf("%s@%s", r.Key, Version{BlockNum: r.Version.GetBlockNum(), TxNum: r.Version.GetTxNum()}))
		}
		if !slices.Equal(want, got) {
			return fmt.Sprintf("phantom %v vs %v", want, got)
		}
	}
	return ""
}

func compareState(t *testing.T, l *Ledger, model map[string]modelEntry) {
	t.Helper()
	got := map[string]string{}
	_, err := l.Simulate("check", org1, func(s *Simulator) error {
		it, err := s.GetStateRangeScanIterator("cc", "", "")
		if err != nil {
			return err
		}
		defer it.Close()
		for {
			kv, err := it.Next()
			if err != nil || kv == nil {
				return err
			}
			got[kv.Key] = string(kv.Value)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for k, e := range model {
		want[k] = e.value
	}
	if !maps.Equal(got, want) {
		t.Fatalf("state %v, model %v", got, want)
	}
}

// FuzzCommitCorruptEnvelope flips bytes of a well-formed transaction: the
// commit must never panic or fail, and a corrupt transaction must never
// change state unless it still decodes to a valid one.
func FuzzCommitCorruptEnvelope(f *testing.F) {
	f.Add(uint16(0), byte(0xff), []byte(nil))
	f.Add(uint16(40), byte(0x01), []byte{1, 2, 3})
	f.Add(uint16(300), byte(0x80), []byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, pos uint16, xor byte, tail []byte) {
		l := newLedger(t)
		p := newClient(t, org1).propose(t, "cc")
		env := p.endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "k", []byte("v")) })
		payload := append([]byte(nil), env.Payload...)
		payload[int(pos)%len(payload)] ^= xor
		payload = append(payload, tail...)
		cb, err := l.CommitBlock([]*common.Envelope{{Payload: payload, Signature: env.Signature}})
		if err != nil {
			t.Fatalf("commit of a corrupt envelope failed the block: %v", err)
		}
		if cb.Txs[0].Code != peer.TxValidationCode_VALID && read(t, l, "cc", "k") != nil {
			t.Fatalf("an invalid (%s) transaction changed state", cb.Txs[0].Code)
		}
	})
}
