// Package stopping ends a gRPC server's stream handlers when it stops
// (Serve) and stops the server once they have returned (Drain).
package stopping

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Serve runs a stream handler fn and returns its result, or Unavailable
// ("peer is stopping") as soon as stopping is closed; fn's context is then
// cancelled, so its goroutine ends with its stream.
func Serve(ctx context.Context, stopping <-chan struct{}, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	select {
	case err := <-done:
		return err
	case <-stopping:
		cancel()
		return status.Error(codes.Unavailable, "peer is stopping")
	}
}
