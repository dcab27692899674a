package ccsupport

import (
	"context"
	"errors"
	"testing"
)

func TestTxGate(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name          string
		channel, txID string
		wantWait      bool
	}{
		{name: "the same transaction waits, whatever chaincode it runs", channel: "ch", txID: "tx1", wantWait: true},
		{name: "another transaction does not wait", channel: "ch", txID: "tx2"},
		{name: "the same transaction ID on another channel does not wait", channel: "other", txID: "tx1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewTxGate()
			leave, err := g.enter(context.Background(), "ch", "tx1")
			if err != nil {
				t.Fatal(err)
			}
			// A cancelled context returns at once from a wait, and enters
			// where there is nothing to wait for.
			second, err := g.enter(cancelled, tt.channel, tt.txID)
			if tt.wantWait {
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("enter while tx1 runs = %v, want it to wait (context.Canceled)", err)
				}
			} else {
				if err != nil {
					t.Fatalf("enter = %v, want no wait", err)
				}
				second()
			}
			leave()
			again, err := g.enter(cancelled, tt.channel, tt.txID)
			if err != nil {
				t.Fatalf("enter after leave = %v, want no wait", err)
			}
			again()
			g.mu.Lock()
			n := len(g.busy)
			g.mu.Unlock()
			if n != 0 {
				t.Errorf("%d executions still marked running, want 0", n)
			}
		})
	}
}

func TestTxGateWaiterEntersWhenTheFirstLeaves(t *testing.T) {
	g := NewTxGate()
	leave, err := g.enter(context.Background(), "ch", "tx1")
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan error, 1)
	go func() {
		l, err := g.enter(context.Background(), "ch", "tx1")
		if err == nil {
			l()
		}
		entered <- err
	}()
	leave()
	if err := <-entered; err != nil {
		t.Fatalf("the waiting execution: %v", err)
	}
}
