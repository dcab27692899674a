package ledger

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

func nsRWSet(t *testing.T, res *SimulationResults, ns string) *kvrwset.KVRWSet {
	t.Helper()
	for _, n := range res.Public.GetNsRwset() {
		if n.GetNamespace() == ns {
			kv := &kvrwset.KVRWSet{}
			if err := proto.Unmarshal(n.GetRwset(), kv); err != nil {
				t.Fatal(err)
			}
			return kv
		}
	}
	t.Fatalf("namespace %s not in read-write set", ns)
	return nil
}

func TestSimulatorSeesOnlyCommittedState(t *testing.T) {
	for _, backend := range []string{BackendMemory, BackendBolt} {
		t.Run(backend, func(t *testing.T) {
			l := openTestLedger(t, testOpts{backend: backend})
			put(t, l, "cc", "a", "committed")
			tests := []struct {
				name string
				run  func(s *Simulator) ([]byte, error)
				want string
			}{
				{"a key written earlier in the transaction reads its committed value", func(s *Simulator) ([]byte, error) {
					if err := s.SetState("cc", "a", []byte("mine")); err != nil {
						return nil, err
					}
					return s.GetState("cc", "a")
				}, "committed"},
				{"a key deleted earlier in the transaction still reads its committed value", func(s *Simulator) ([]byte, error) {
					if err := s.DeleteState("cc", "a"); err != nil {
						return nil, err
					}
					return s.GetState("cc", "a")
				}, "committed"},
				{"a key created earlier in the transaction reads as absent", func(s *Simulator) ([]byte, error) {
					if err := s.SetState("cc", "new", []byte("x")); err != nil {
						return nil, err
					}
					return s.GetState("cc", "new")
				}, ""},
				{"another namespace does not see the key", func(s *Simulator) ([]byte, error) {
					return s.GetState("other", "a")
				}, ""},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					s, err := l.NewSimulator("tx", org1)
					if err != nil {
						t.Fatal(err)
					}
					defer s.Done()
					got, err := tc.run(s)
					if err != nil {
						t.Fatal(err)
					}
					if string(got) != tc.want {
						t.Errorf("got %q, want %q", got, tc.want)
					}
				})
			}
		})
	}
}

func TestSimulatorRecordsFabricReadWriteSet(t *testing.T) {
	l := newLedger(t)
	cb := put(t, l, "cc", "a", "1", "b", "2")
	blk := cb.Block.GetHeader().GetNumber()
	res, err := l.Simulate("tx", org1, func(s *Simulator) error {
		for _, k := range []string{"b", "missing", "a"} {
			if _, err := s.GetState("cc", k); err != nil {
				return err
			}
		}
		if err := s.SetState("cc", "z", []byte("first")); err != nil {
			return err
		}
		if err := s.SetState("cc", "z", []byte("last")); err != nil {
			return err
		}
		if err := s.SetState("cc", "b", nil); err != nil {
			return err
		}
		return s.SetStateMetadata("cc", "a", map[string][]byte{"VALIDATION_PARAMETER": []byte("p")})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &kvrwset.KVRWSet{
		Reads: []*kvrwset.KVRead{
			{Key: "a", Version: &kvrwset.Version{BlockNum: blk, TxNum: 0}},
			{Key: "b", Version: &kvrwset.Version{BlockNum: blk, TxNum: 0}},
			{Key: "missing"},
		},
		Writes: []*kvrwset.KVWrite{
			{Key: "b", IsDelete: true},
			{Key: "z", Value: []byte("last")},
		},
		MetadataWrites: []*kvrwset.KVMetadataWrite{
			{Key: "a", Entries: []*kvrwset.KVMetadataEntry{{Name: "VALIDATION_PARAMETER", Value: []byte("p")}}},
		},
	}
	if diff := cmp.Diff(want, nsRWSet(t, res, "cc"), protocmp.Transform()); diff != "" {
		t.Errorf("read-write set (-want +got):\n%s", diff)
	}
}

func TestSimulatorQueryRulesUseFabricTexts(t *testing.T) {
	l := newLedger(t)
	define(t, l, &ChaincodeDefinition{Name: "cc", Version: "1", Collections: collections(
		collSpec{name: "open", members: []string{"Org1MSP"}, maxPeers: 1})})
	tests := []struct {
		name    string
		run     func(s *Simulator) error
		want    string
		wantErr error
	}{
		{"a write after a paginated range query is rejected", func(s *Simulator) error {
			if _, err := s.GetStateRangeScanIteratorWithPagination("cc", "", "", 10); err != nil {
				return err
			}
			return s.SetState("cc", "k", []byte("v"))
		}, "txid [tx]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed", ErrTxUnsupported},
		{"a paginated range query after a write is rejected", func(s *Simulator) error {
			if err := s.SetState("cc", "k", []byte("v")); err != nil {
				return err
			}
			_, err := s.GetStateRangeScanIteratorWithPagination("cc", "", "", 10)
			return err
		}, "txid [tx]: unsuppored transaction. Paginated queries are supported only in a read-only transaction", ErrTxUnsupported},
		{"a paginated rich query after a write is rejected", func(s *Simulator) error {
			if err := s.SetState("cc", "k", []byte("v")); err != nil {
				return err
			}
			_, err := s.ExecuteQueryWithPagination("cc", `{"selector":{}}`, "", 10)
			return err
		}, "txid [tx]: unsuppored transaction. Paginated queries are supported only in a read-only transaction", ErrTxUnsupported},
		{"a private range query after a write is rejected", func(s *Simulator) error {
			if err := s.SetState("cc", "k", []byte("v")); err != nil {
				return err
			}
			_, err := s.GetPrivateDataRangeScanIterator("cc", "open", "", "")
			return err
		}, "txid [tx]: unsuppored transaction. Queries on pvt data is supported only in a read-only transaction", ErrTxUnsupported},
		{"a write after a private rich query is rejected", func(s *Simulator) error {
			if _, err := s.ExecuteQueryOnPrivateData("cc", "open", `{"selector":{}}`); err != nil {
				return err
			}
			return s.SetPrivateData("cc", "open", "k", []byte("v"))
		}, "txid [tx]: unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed", ErrTxUnsupported},
		{"an unpaginated range query allows writes", func(s *Simulator) error {
			if _, err := s.GetStateRangeScanIterator("cc", "", ""); err != nil {
				return err
			}
			return s.SetState("cc", "k", []byte("v"))
		}, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := l.NewSimulator("tx", org1)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Done()
			err = tc.run(s)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error does not wrap %v", tc.wantErr)
			}
		})
	}
}

func TestSimulatorAfterDone(t *testing.T) {
	l := newLedger(t)
	s, err := l.NewSimulator("tx", org1)
	if err != nil {
		t.Fatal(err)
	}
	s.Done()
	s.Done() // idempotent
	if _, err := s.GetState("cc", "k"); !errors.Is(err, ErrSimulationDone) {
		t.Errorf("GetState after Done: %v, want ErrSimulationDone", err)
	}
	if err := s.SetState("cc", "k", []byte("v")); !errors.Is(err, ErrSimulationDone) {
		t.Errorf("SetState after Done: %v, want ErrSimulationDone", err)
	}
}

func TestSimulatorRejectsBadInput(t *testing.T) {
	l := newLedger(t)
	s, err := l.NewSimulator("tx", org1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Done()
	tests := []struct {
		name string
		run  func() error
	}{
		{"an empty namespace", func() error { _, err := s.GetState("", "k"); return err }},
		{"a key that is not UTF-8", func() error { return s.SetState("cc", "a\xffb", []byte("v")) }},
		{"a negative page size", func() error {
			_, err := s.GetStateRangeScanIteratorWithPagination("cc", "", "", -1)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("error %v, want ErrInvalidArgument", err)
			}
		})
	}
}

// Fabric's resultsItr sets a range query info's end key to the last key
// handed out, and, once its iterator returns nothing more (the range ended
// or a page is full), to the requested end key with itr_exhausted. The key
// a bookmark peeks at is never recorded.
func TestSimulatorRecordsRangeQueryInfosAsFabric(t *testing.T) {
	l := newLedger(t)
	cb := put(t, l, "cc", "a", "1", "b", "1", "c", "1")
	v := &kvrwset.Version{BlockNum: cb.Block.GetHeader().GetNumber()}
	reads := func(keys ...string) *kvrwset.RangeQueryInfo_RawReads {
		rr := &kvrwset.QueryReads{}
		for _, k := range keys {
			rr.KvReads = append(rr.KvReads, &kvrwset.KVRead{Key: k, Version: v})
		}
		return &kvrwset.RangeQueryInfo_RawReads{RawReads: rr}
	}
	tests := []struct {
		name       string
		start, end string
		pageSize   int32 // 0: unpaginated
		take       int   // results to read before Close; -1: until Next returns nil
		bookmark   bool  // ask for the bookmark after the reads
		want       *kvrwset.RangeQueryInfo
	}{
		{"a range read to its end is exhausted at the requested end key", "a", "z", 0, -1, false,
			&kvrwset.RangeQueryInfo{StartKey: "a", EndKey: "z", ItrExhausted: true, ReadsInfo: reads("a", "b", "c")}},
		{"an open range read to its end keeps the empty end key", "b", "", 0, -1, false,
			&kvrwset.RangeQueryInfo{StartKey: "b", EndKey: "", ItrExhausted: true, ReadsInfo: reads("b", "c")}},
		{"a range closed early ends at the last key handed out", "a", "z", 0, 2, false,
			&kvrwset.RangeQueryInfo{StartKey: "a", EndKey: "b", ItrExhausted: false, ReadsInfo: reads("a", "b")}},
		{"a full page read until Next returns nil is exhausted at the requested end key", "a", "z", 2, -1, false,
			&kvrwset.RangeQueryInfo{StartKey: "a", EndKey: "z", ItrExhausted: true, ReadsInfo: reads("a", "b")}},
		{"a last page is exhausted at the requested end key", "c", "", 2, -1, true,
			&kvrwset.RangeQueryInfo{StartKey: "c", EndKey: "", ItrExhausted: true, ReadsInfo: reads("c")}},
		{"a full page bookmarked at once, as the handler does, ends at the last key handed out without the peeked key", "a", "z", 2, 2, true,
			&kvrwset.RangeQueryInfo{StartKey: "a", EndKey: "b", ItrExhausted: false, ReadsInfo: reads("a", "b")}},
		{"a bookmark taken after Next returned nil on a full page changes nothing", "a", "z", 2, -1, true,
			&kvrwset.RangeQueryInfo{StartKey: "a", EndKey: "z", ItrExhausted: true, ReadsInfo: reads("a", "b")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := l.Simulate("tx", org1, func(s *Simulator) error {
				var it StateIterator
				var err error
				if tc.pageSize == 0 {
					it, err = s.GetStateRangeScanIterator("cc", tc.start, tc.end)
				} else {
					it, err = s.GetStateRangeScanIteratorWithPagination("cc", tc.start, tc.end, tc.pageSize)
				}
				if err != nil {
					return err
				}
				defer it.Close()
				for n := 0; tc.take < 0 || n < tc.take; n++ {
					kv, err := it.Next()
					if err != nil {
						return err
					}
					if kv == nil {
						break
					}
				}
				if tc.bookmark {
					it.(PagedStateIterator).Bookmark()
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got := nsRWSet(t, res, "cc").GetRangeQueriesInfo()
			if diff := cmp.Diff([]*kvrwset.RangeQueryInfo{tc.want}, got, protocmp.Transform()); diff != "" {
				t.Errorf("range query infos (-want +got):\n%s", diff)
			}
		})
	}
}
