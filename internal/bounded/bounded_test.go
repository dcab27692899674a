package bounded

import "testing"

func TestMap(t *testing.T) {
	type op struct {
		add     bool
		absent  bool // AddIfAbsent rather than Add
		k, v    string
		want    string // Get's value, or what the add returned
		wantHit bool
	}
	tests := []struct {
		name    string
		max     int
		ops     []op
		wantLen int
	}{
		{name: "a value added is found", max: 2, wantLen: 1, ops: []op{
			{add: true, k: "a", v: "1", want: "1"}, {k: "a", want: "1", wantHit: true}}},
		{name: "the oldest is forgotten first", max: 2, wantLen: 2, ops: []op{
			{add: true, k: "a", v: "1", want: "1"}, {add: true, k: "b", v: "2", want: "2"}, {add: true, k: "c", v: "3", want: "3"},
			{k: "a"}, {k: "b", want: "2", wantHit: true}, {k: "c", want: "3", wantHit: true}}},
		{name: "Add replaces without making the entry younger", max: 2, wantLen: 2, ops: []op{
			{add: true, k: "a", v: "1", want: "1"}, {add: true, k: "b", v: "2", want: "2"}, {add: true, k: "a", v: "9", want: "9"},
			{add: true, k: "c", v: "3", want: "3"}, {k: "a"}, {k: "b", want: "2", wantHit: true}}},
		{name: "AddIfAbsent keeps what is there", max: 2, wantLen: 1, ops: []op{
			{add: true, k: "a", v: "1", want: "1"}, {add: true, absent: true, k: "a", v: "9", want: "1"}, {k: "a", want: "1", wantHit: true}}},
		{name: "a map of no entries keeps nothing", max: 0, wantLen: 0, ops: []op{
			{add: true, k: "a", v: "1", want: "1"}, {k: "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New[string, string](tt.max)
			for i, o := range tt.ops {
				switch {
				case o.add && o.absent:
					if got := m.AddIfAbsent(o.k, o.v); got != o.want {
						t.Errorf("op %d: AddIfAbsent(%s, %s) = %s, want %s", i, o.k, o.v, got, o.want)
					}
				case o.add:
					if got := m.Add(o.k, o.v); got != o.want {
						t.Errorf("op %d: Add(%s, %s) = %s, want %s", i, o.k, o.v, got, o.want)
					}
				default:
					if got, ok := m.Get(o.k); ok != o.wantHit || got != o.want {
						t.Errorf("op %d: Get(%s) = %q, %v; want %q, %v", i, o.k, got, ok, o.want, o.wantHit)
					}
				}
			}
			if got := m.Len(); got != tt.wantLen {
				t.Errorf("Len = %d, want %d", got, tt.wantLen)
			}
		})
	}
}
