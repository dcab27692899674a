package loadtest

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunRunsEachOperationOnce(t *testing.T) {
	const ops, clients = 1000, 16
	seen := make([]atomic.Int32, ops)
	var mu sync.Mutex
	workers := map[int]bool{}
	r, err := Run(context.Background(), clients, ops, nil, func(_ context.Context, w, i int) error {
		seen[i].Add(1)
		mu.Lock()
		workers[w] = true
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops != ops || len(r.CPU) != 0 {
		t.Fatalf("Run = %+v, want %d operations and no CPU figures", r, ops)
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("operation %d ran %d times, want once", i, n)
		}
	}
	for w := range workers {
		if w < 0 || w >= clients {
			t.Fatalf("an operation ran as client %d, want 0 to %d", w, clients-1)
		}
	}
}

func TestRunStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int32
	_, err := Run(context.Background(), 1, 100, nil, func(_ context.Context, _, i int) error {
		ran.Add(1)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Run returned %v, want the operation's error", err)
	}
	if n := ran.Load(); n != 4 {
		t.Fatalf("%d operations ran, want 4: the load goes on after an error", n)
	}
}

func TestRunMeasuresTheProcessesGiven(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("skipped: no /proc on this system, and Run reads it")
	}
	r, err := Run(context.Background(), 2, 10, []int{os.Getpid()}, func(context.Context, int, int) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(r.CPU) != 1 || r.CPU[0] < 0 {
		t.Fatalf("Run measured %v for this process, want one figure ≥ 0", r.CPU)
	}
	if _, err := Run(context.Background(), 1, 1, []int{-1}, func(context.Context, int, int) error { return nil }); err == nil {
		t.Fatal("Run with pid -1 succeeded, want an error naming the process")
	}
}

func TestResultAddSumsTheLoads(t *testing.T) {
	a := Result{Ops: 10, Wall: time.Second, CPU: []time.Duration{time.Second, 2 * time.Second}}
	b := Result{Ops: 30, Wall: 3 * time.Second, CPU: []time.Duration{3 * time.Second, 6 * time.Second}}
	for _, tc := range []struct {
		name string
		got  Result
		want Result
	}{
		{"two loads", a.Add(b), Result{Ops: 40, Wall: 4 * time.Second, CPU: []time.Duration{4 * time.Second, 8 * time.Second}}},
		{"onto nothing", Result{}.Add(a), a},
	} {
		if tc.got.Ops != tc.want.Ops || tc.got.Wall != tc.want.Wall || !slices.Equal(tc.got.CPU, tc.want.CPU) {
			t.Errorf("%s: %+v, want %+v", tc.name, tc.got, tc.want)
		}
	}
	if got := a.Add(b).MicrosPerOp(1); got != 200_000 {
		t.Errorf("MicrosPerOp of the sum = %v, want 200000: 8 s over 40 operations", got)
	}
}
