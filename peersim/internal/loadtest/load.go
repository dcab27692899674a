package loadtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Op is one operation of a load, run by client w as its i-th operation
// of the whole load (0 ≤ i < ops).
type Op func(ctx context.Context, w, i int) error

// Result is what one load measured.
type Result struct {
	// Ops is how many operations completed.
	Ops int
	// Wall is how long they took, from the first start to the last end.
	Wall time.Duration
	// CPU is the CPU time each measured process spent meanwhile, in the
	// order of the pids given to Run.
	CPU []time.Duration
	// Syscalls is how many read and write system calls each made.
	Syscalls []int64
}

// Add returns the two results as one load: their operations, wall time
// and CPU added up. A zero Result adds nothing.
func (r Result) Add(o Result) Result {
	return Result{Ops: r.Ops + o.Ops, Wall: r.Wall + o.Wall, CPU: addUp(r.CPU, o.CPU), Syscalls: addUp(r.Syscalls, o.Syscalls)}
}

func addUp[T time.Duration | int64](a, b []T) []T {
	sum := make([]T, max(len(a), len(b)))
	for i := range sum {
		if i < len(a) {
			sum[i] += a[i]
		}
		if i < len(b) {
			sum[i] += b[i]
		}
	}
	return sum
}

// SyscallsPerOp is the read and write system calls of process i per
// operation.
func (r Result) SyscallsPerOp(i int) float64 {
	if r.Ops == 0 {
		return 0
	}
	return float64(r.Syscalls[i]) / float64(r.Ops)
}

// OpsPerSecond is the throughput.
func (r Result) OpsPerSecond() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Wall.Seconds()
}

// MicrosPerOp is the CPU of process i per operation, in microseconds.
func (r Result) MicrosPerOp(i int) float64 {
	if r.Ops == 0 {
		return 0
	}
	return float64(r.CPU[i].Microseconds()) / float64(r.Ops)
}

// Run runs ops operations with clients concurrent clients (client w runs
// op with w, taking the next i until ops are taken) and measures the CPU
// time and system calls of the processes pids from before the first to
// after the last. The
// first error stops the load and is returned.
func Run(ctx context.Context, clients, ops int, pids []int, op Op) (Result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	before, err := cpuTimes(pids)
	if err != nil {
		return Result{}, err
	}
	callsBefore, err := syscalls(pids)
	if err != nil {
		return Result{}, err
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= ops || ctx.Err() != nil {
					return
				}
				if err := op(ctx, w, i); err != nil {
					cancel(fmt.Errorf("client %d, operation %d: %w", w, i, err))
					return
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return Result{}, err
	}
	after, err := cpuTimes(pids)
	if err != nil {
		return Result{}, err
	}
	callsAfter, err := syscalls(pids)
	if err != nil {
		return Result{}, err
	}
	r := Result{Ops: ops, Wall: wall, CPU: make([]time.Duration, len(pids)), Syscalls: make([]int64, len(pids))}
	for i := range pids {
		r.CPU[i] = after[i] - before[i]
		r.Syscalls[i] = callsAfter[i] - callsBefore[i]
	}
	return r, nil
}

func syscalls(pids []int) ([]int64, error) {
	out := make([]int64, len(pids))
	for i, pid := range pids {
		n, err := Syscalls(pid)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func cpuTimes(pids []int) ([]time.Duration, error) {
	out := make([]time.Duration, len(pids))
	for i, pid := range pids {
		t, err := CPUTime(pid)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}
