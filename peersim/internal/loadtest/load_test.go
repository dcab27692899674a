package loadtest

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
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
