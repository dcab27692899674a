package stopping

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
)

// Drain counts the RPCs a gRPC server is running, as the server's
// stats.Handler (grpc.StatsHandler(d)), so that Stop can close the
// server's connections once every handler has returned and their last
// messages had the grace period to reach the clients. An RPC counts from
// its Begin to its End, which gRPC reports after the handler returned and
// its status was handed to the transport (not yet written).
type Drain struct {
	grace time.Duration

	mu      sync.Mutex
	running int
	idle    chan struct{} // closed when running drops to 0; nil while nobody waits
}

// NewDrain returns a Drain with no RPC running, whose Stop gives the
// connections grace to flush once no handler runs.
func NewDrain(grace time.Duration) *Drain { return &Drain{grace: grace} }

// rpcKey marks an RPC's context once its Begin was counted.
type rpcKey struct{}

// TagRPC gives each RPC a flag that HandleRPC sets when it counts it.
func (d *Drain) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, rpcKey{}, new(bool))
}

// HandleRPC counts server RPCs at their Begin and End.
func (d *Drain) HandleRPC(ctx context.Context, s stats.RPCStats) {
	counted, _ := ctx.Value(rpcKey{}).(*bool)
	if counted == nil || s.IsClient() {
		return
	}
	switch s.(type) {
	case *stats.Begin:
		d.mu.Lock()
		d.running++
		*counted = true
		d.mu.Unlock()
	case *stats.End:
		d.mu.Lock()
		if *counted {
			*counted = false
			d.running--
			if d.running == 0 && d.idle != nil {
				close(d.idle)
				d.idle = nil
			}
		}
		d.mu.Unlock()
	}
}

// TagConn is part of stats.Handler; connections are not counted.
func (d *Drain) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

// HandleConn is part of stats.Handler; connections are not counted.
func (d *Drain) HandleConn(context.Context, stats.ConnStats) {}

// Running returns the number of RPCs running.
func (d *Drain) Running() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running
}

// idled returns a channel closed once no RPC is running.
func (d *Drain) idled() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	if d.idle == nil {
		d.idle = make(chan struct{})
	}
	return d.idle
}

// Stop stops srv, whose stats.Handler d is: it refuses new RPCs at once
// and lets the running ones finish, as GracefulStop does; once no handler
// runs, the connections have the grace period to write what the handlers
// left (a reply is written after its End) and close, and then, or when ctx
// ends, the ones left are closed. Stream handlers must return when the
// server stops (Serve with the server's stopping channel). A stream whose
// client stopped reading leaves its last messages queued behind HTTP/2
// flow control in a connection that never drains: only closing the
// connection ends it, which GracefulStop alone never does.
func (d *Drain) Stop(ctx context.Context, srv *grpc.Server) {
	stopped := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
		return
	case <-d.idled():
		grace := time.NewTimer(d.grace)
		defer grace.Stop()
		select {
		case <-stopped:
			return
		case <-grace.C:
		case <-ctx.Done():
		}
	case <-ctx.Done():
	}
	srv.Stop()
	<-stopped
}
