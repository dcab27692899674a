package stopping

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/stats"
)

func TestDrainCountsServerRPCsFromBeginToEnd(t *testing.T) {
	type event struct {
		rpc int // which RPC's context
		s   stats.RPCStats
	}
	begin, end := &stats.Begin{}, &stats.End{}
	tests := []struct {
		name    string
		events  []event
		running int
	}{
		{name: "nothing ran", running: 0},
		{name: "one began", events: []event{{0, begin}}, running: 1},
		{name: "one began and ended", events: []event{{0, begin}, {0, end}}, running: 0},
		{name: "two began, one ended", events: []event{{0, begin}, {1, begin}, {1, end}}, running: 1},
		{name: "an end without a begin is not counted", events: []event{{0, end}, {1, begin}}, running: 1},
		{name: "an end reported twice counts once", events: []event{{0, begin}, {1, begin}, {0, end}, {0, end}}, running: 1},
		{name: "client RPCs are not counted", events: []event{{0, &stats.Begin{Client: true}}}, running: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDrain(time.Second)
			ctxs := []context.Context{
				d.TagRPC(context.Background(), &stats.RPCTagInfo{FullMethodName: "/a/A"}),
				d.TagRPC(context.Background(), &stats.RPCTagInfo{FullMethodName: "/a/B"}),
			}
			for _, e := range tc.events {
				d.HandleRPC(ctxs[e.rpc], e.s)
			}
			if got := d.Running(); got != tc.running {
				t.Errorf("running = %d, want %d", got, tc.running)
			}
			select {
			case <-d.idled():
				if tc.running != 0 {
					t.Errorf("idle with %d running", tc.running)
				}
			default:
				if tc.running == 0 {
					t.Error("not idle with nothing running")
				}
			}
		})
	}
}

func TestDrainIdlesWhenTheLastRPCEnds(t *testing.T) {
	d := NewDrain(time.Second)
	ctx := d.TagRPC(context.Background(), &stats.RPCTagInfo{})
	d.HandleRPC(ctx, &stats.Begin{})
	idle := d.idled()
	select {
	case <-idle:
		t.Fatal("idle while an RPC runs")
	default:
	}
	d.HandleRPC(ctx, &stats.End{})
	<-idle // closed by the End
}
