package stopping

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
)

// Drain counts the RPCs a gRPC server is running, as the server's
// stats.Handler (grpc.StatsHandler(d)), so that Stop can close the
// server's connections as soon as every handler has returned. An RPC
// counts from its Begin to its End, which gRPC reports after the handler
// returned and its status was handed to the transport.
type Drain struct {
	mu      sync.Mutex
	running int
	idle    chan struct{} // closed when running drops to 0; nil while nobody waits
}

// NewDrain returns a Drain with no RPC running.
func NewDrain() *Drain { return &Drain{} }

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
// and lets the running ones finish, and closes every connection once no
// handler is running, or when ctx ends. Stream handlers must return when
// the server stops (Serve with the server's stopping channel): a stream
// whose client stopped reading then leaves its handler's last messages
// queued in a connection that cannot drain, and only closing the
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
	case <-ctx.Done():
	}
	srv.Stop()
	<-stopped
}
