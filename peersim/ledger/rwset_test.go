package ledger

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteSetKeepsTheLastWriteToEachKeySorted(t *testing.T) {
	type kv struct{ key, value string }
	const n = 3000
	var rewrites []kv
	for i := range n {
		rewrites = append(rewrites, kv{fmt.Sprintf("k%d", i%3), fmt.Sprint(i)})
	}
	var ascending, descending []kv
	for i := range n {
		ascending = append(ascending, kv{fmt.Sprintf("k%06d", i), "v"})
	}
	for _, w := range slices.Backward(ascending) {
		descending = append(descending, w)
	}
	last := n - 1
	tests := []struct {
		name   string
		writes []kv
		want   []kv
	}{
		{name: "no writes give an empty set", writes: nil, want: nil},
		{name: "ascending distinct keys stay as written", writes: ascending, want: ascending},
		{name: "descending distinct keys come out ascending", writes: descending, want: ascending},
		{name: "a rewrite replaces the earlier value", writes: []kv{{"b", "1"}, {"a", "1"}, {"b", "2"}, {"a", "2"}, {"b", "3"}},
			want: []kv{{"a", "2"}, {"b", "3"}}},
		{name: "a rewrite of the last key replaces it", writes: []kv{{"a", "1"}, {"a", "2"}}, want: []kv{{"a", "2"}}},
		{name: "thousands of rewrites of three keys keep the last of each", writes: rewrites,
			want: []kv{{"k0", fmt.Sprint(last - 2)}, {"k1", fmt.Sprint(last - 1)}, {"k2", fmt.Sprint(last)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ws writeSet
			for _, w := range tt.writes {
				ws.set(w.key, write{value: []byte(w.value)})
			}
			var got []kv
			for _, e := range ws.sorted() {
				got = append(got, kv{e.key, string(e.w.value)})
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(kv{})); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			// A write after the results were built still replaces.
			if len(tt.want) > 0 {
				first := tt.want[0].key
				ws.set(first, write{value: []byte("again")})
				if e := ws.sorted()[0]; e.key != first || string(e.w.value) != "again" || len(ws.sorted()) != len(tt.want) {
					t.Errorf("after rewriting %s: first write %s=%s of %d, want %s=again of %d", first, e.key, e.w.value, len(ws.sorted()), first, len(tt.want))
				}
			}
		})
	}
}
