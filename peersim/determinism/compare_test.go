package determinism

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// rw builds a read-write set of one namespace.
func rw(t *testing.T, ns string, kv *kvrwset.KVRWSet, colls ...*rwset.CollectionHashedReadWriteSet) *rwset.TxReadWriteSet {
	t.Helper()
	b, err := proto.Marshal(kv)
	if err != nil {
		t.Fatal(err)
	}
	return &rwset.TxReadWriteSet{NsRwset: []*rwset.NsReadWriteSet{{Namespace: ns, Rwset: b, CollectionHashedRwset: colls}}}
}

func hashedColl(t *testing.T, name string, writes map[string]string) (*rwset.CollectionHashedReadWriteSet, *rwset.TxPvtReadWriteSet) {
	t.Helper()
	h := &kvrwset.HashedRWSet{}
	clear := &kvrwset.KVRWSet{}
	for k, v := range writes {
		vh := keyHash(v)
		h.HashedWrites = append(h.HashedWrites, &kvrwset.KVWriteHash{KeyHash: keyHash(k), ValueHash: vh})
		clear.Writes = append(clear.Writes, &kvrwset.KVWrite{Key: k, Value: []byte(v)})
	}
	hb, err := proto.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := proto.Marshal(clear)
	if err != nil {
		t.Fatal(err)
	}
	pvt := &rwset.TxPvtReadWriteSet{NsPvtRwset: []*rwset.NsPvtReadWriteSet{{Namespace: "cc", CollectionPvtRwset: []*rwset.CollectionPvtReadWriteSet{{CollectionName: name, Rwset: cb}}}}}
	return &rwset.CollectionHashedReadWriteSet{CollectionName: name, HashedRwset: hb}, pvt
}

func ok(payload string) *peer.Response { return &peer.Response{Status: 200, Payload: []byte(payload)} }

func write(k, v string) *kvrwset.KVWrite { return &kvrwset.KVWrite{Key: k, Value: []byte(v)} }

func read(k string, block uint64) *kvrwset.KVRead {
	return &kvrwset.KVRead{Key: k, Version: &kvrwset.Version{BlockNum: block}}
}

// brief is the part of a Difference the table checks.
type brief struct {
	Field            Field
	Namespace, Coll  string
	Key              string
	Offset           int
	Hint             Hint
	FirstAbsent      bool
	SecondAbsent     bool
	FirstV, SecondV  string
	FirstDel, SecDel bool
	Hashed           bool
}

func briefs(ds []Difference) []brief {
	var out []brief
	for _, d := range ds {
		out = append(out, brief{
			Field: d.Field, Namespace: d.Namespace, Coll: d.Collection, Key: d.Key, Offset: d.Offset, Hint: d.Hint,
			FirstAbsent: d.First.Absent, SecondAbsent: d.Second.Absent, FirstV: string(d.First.Value), SecondV: string(d.Second.Value),
			FirstDel: d.First.Deleted, SecDel: d.Second.Deleted, Hashed: d.First.Hashed && d.Second.Hashed,
		})
	}
	return out
}

func TestCompare(t *testing.T) {
	collA, pvtA := hashedColl(t, "secret", map[string]string{"p1": "price=10"})
	collB, pvtB := hashedColl(t, "secret", map[string]string{"p1": "price=11"})
	for _, tc := range []struct {
		name          string
		first, second func(t *testing.T) Simulation
		want          []brief
		changed       int
	}{
		{
			name: "identical simulations agree",
			first: func(t *testing.T) Simulation {
				return Simulation{Response: ok("x"), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{write("a", "1")}})}
			},
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok("x"), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{write("a", "1")}})}
			},
		},
		{
			name: "a value written in another map order names the key and hints at map iteration",
			first: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{write("bundle1", "apple=1,pear=2,plum=3")}})}
			},
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{write("bundle1", "pear=2,plum=3,apple=1")}})}
			},
			want: []brief{{Field: FieldWrite, Namespace: "cc", Key: "bundle1", Offset: 0, Hint: HintMapOrder, FirstV: "apple=1,pear=2,plum=3", SecondV: "pear=2,plum=3,apple=1"}},
		},
		{
			name:   "a response payload with a Unix time in nanoseconds hints at time.Now",
			first:  func(t *testing.T) Simulation { return Simulation{Response: ok(`{"at":1750000000123456789}`)} },
			second: func(t *testing.T) Simulation { return Simulation{Response: ok(`{"at":1750000000987654321}`)} },
			want:   []brief{{Field: FieldPayload, Offset: 16, Hint: HintTime, FirstV: `{"at":1750000000123456789}`, SecondV: `{"at":1750000000987654321}`}},
		},
		{
			name: "an event payload with an RFC 3339 time hints at time.Now",
			first: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), Event: &peer.ChaincodeEvent{EventName: "e", Payload: []byte("2025-06-01T10:00:01Z")}}
			},
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), Event: &peer.ChaincodeEvent{EventName: "e", Payload: []byte("2025-06-01T10:00:02Z")}}
			},
			want: []brief{{Field: FieldEventPayload, Offset: 18, Hint: HintTime, FirstV: "2025-06-01T10:00:01Z", SecondV: "2025-06-01T10:00:02Z"}},
		},
		{
			name:   "a counter one higher in the second simulation hints at global state",
			first:  func(t *testing.T) Simulation { return Simulation{Response: ok("call 41")} },
			second: func(t *testing.T) Simulation { return Simulation{Response: ok("call 42")} },
			want:   []brief{{Field: FieldPayload, Offset: 6, Hint: HintGlobalState, FirstV: "call 41", SecondV: "call 42"}},
		},
		{
			name:   "a random identifier hints at random numbers",
			first:  func(t *testing.T) Simulation { return Simulation{Response: ok("id=9f2c41d0")} },
			second: func(t *testing.T) Simulation { return Simulation{Response: ok("id=03be77aa")} },
			want:   []brief{{Field: FieldPayload, Offset: 3, Hint: HintRandom, FirstV: "id=9f2c41d0", SecondV: "id=03be77aa"}},
		},
		{
			name: "a key written by one simulation only hints at control flow",
			first: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{write("a", "1")}})}
			},
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{write("a", "1"), write("b", "2")}})}
			},
			want: []brief{{Field: FieldWrite, Namespace: "cc", Key: "b", Offset: -1, Hint: HintControlFlow, FirstAbsent: true, SecondV: "2"}},
		},
		{
			name: "a delete against a write is reported as such",
			first: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: "a", IsDelete: true}}})}
			},
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{write("a", "1")}})}
			},
			want: []brief{{Field: FieldWrite, Namespace: "cc", Key: "a", Offset: -1, Hint: HintControlFlow, FirstDel: true, SecondV: "1"}},
		},
		{
			name: "a key read by one simulation only is a read difference",
			first: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{read("a", 1)}})}
			},
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{read("a", 1), read("b", 2)}})}
			},
			want: []brief{{Field: FieldRead, Namespace: "cc", Key: "b", Offset: -1, Hint: HintControlFlow, FirstAbsent: true, SecondV: "read at version 2:0"}},
		},
		{
			name: "a key read at two versions makes the report inconclusive, not a difference",
			first: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{read("a", 1)}})}
			},
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{read("a", 2)}})}
			},
			changed: 1,
		},
		{
			name: "a range query with other results names its bounds",
			first: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{RangeQueriesInfo: []*kvrwset.RangeQueryInfo{{StartKey: "a", EndKey: "z", ItrExhausted: true,
					ReadsInfo: &kvrwset.RangeQueryInfo_RawReads{RawReads: &kvrwset.QueryReads{KvReads: []*kvrwset.KVRead{read("b", 1)}}}}}})}
			},
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{RangeQueriesInfo: []*kvrwset.RangeQueryInfo{{StartKey: "a", EndKey: "z", ItrExhausted: false,
					ReadsInfo: &kvrwset.RangeQueryInfo_RawReads{RawReads: &kvrwset.QueryReads{KvReads: []*kvrwset.KVRead{read("b", 1)}}}}}})}
			},
			want: []brief{{Field: FieldRangeQuery, Namespace: "cc", Key: `["a", "z")`, Offset: 16, Hint: HintUnknown, FirstV: `["b"] exhausted=true`, SecondV: `["b"] exhausted=false`}},
		},
		{
			name: "a private write names the clear key and shows the clear values",
			first: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{}, collA), Private: pvtA}
			},
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{}, collB), Private: pvtB}
			},
			want: []brief{{Field: FieldPrivateWrite, Namespace: "cc", Coll: "secret", Key: "p1", Offset: 7, Hint: HintGlobalState, FirstV: "price=10", SecondV: "price=11"}},
		},
		{
			name: "a private write without clear values is named by its key hash",
			first: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{}, collA)}
			},
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), RWSet: rw(t, "cc", &kvrwset.KVRWSet{}, collB)}
			},
			want: []brief{{Field: FieldPrivateWrite, Namespace: "cc", Coll: "secret", Key: "hash:" + hexOf("p1"), Offset: 0, Hint: HintUnknown,
				FirstV: string(keyHash("price=10")), SecondV: string(keyHash("price=11")), Hashed: true}},
		},
		{
			name:  "a status and message that differ are two differences",
			first: func(t *testing.T) Simulation { return Simulation{Response: ok("")} },
			second: func(t *testing.T) Simulation {
				return Simulation{Response: &peer.Response{Status: 500, Message: "boom"}}
			},
			want: []brief{
				{Field: FieldStatus, Offset: 0, Hint: HintUnknown, FirstV: "200", SecondV: "500"},
				{Field: FieldMessage, Offset: 0, Hint: HintUnknown, FirstV: "", SecondV: "boom"},
			},
		},
		{
			name:  "an event set by one simulation only",
			first: func(t *testing.T) Simulation { return Simulation{Response: ok("")} },
			second: func(t *testing.T) Simulation {
				return Simulation{Response: ok(""), Event: &peer.ChaincodeEvent{EventName: "sold", Payload: []byte("x")}}
			},
			want: []brief{{Field: FieldEvent, Offset: -1, Hint: HintControlFlow, FirstAbsent: true, SecondV: "sold: x"}},
		},
		{
			name:  "a second simulation that fails is an outcome difference",
			first: func(t *testing.T) Simulation { return Simulation{Response: ok("")} },
			second: func(t *testing.T) Simulation {
				return Simulation{Err: errors.New("transaction returned with failure: nil map")}
			},
			want: []brief{{Field: FieldOutcome, Offset: 0, Hint: HintUnknown, FirstV: "succeeded", SecondV: "failed: transaction returned with failure: nil map"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compare(tc.first(t), tc.second(t))
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			want := tc.want
			if d := cmp.Diff(want, briefs(r.Differences)); d != "" {
				t.Errorf("differences (-want +got):\n%s\nreport:\n%s", d, r)
			}
			if len(r.Changed) != tc.changed {
				t.Errorf("changed = %q, want %d entries", r.Changed, tc.changed)
			}
			if r.Deterministic() != (len(want) == 0) {
				t.Errorf("Deterministic() = %v with %d differences", r.Deterministic(), len(want))
			}
		})
	}
}

func hexOf(v string) string { return hex.EncodeToString(keyHash(v)) }
