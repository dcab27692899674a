package stopping

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestServe(t *testing.T) {
	t.Run("the handler's result is returned", func(t *testing.T) {
		want := errors.New("stream broke")
		if err := Serve(context.Background(), make(chan struct{}), func(context.Context) error { return want }); !errors.Is(err, want) {
			t.Errorf("got %v, want %v", err, want)
		}
	})
	t.Run("stopping ends the stream with Unavailable and cancels the handler", func(t *testing.T) {
		stop, entered, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			errc <- Serve(context.Background(), stop, func(ctx context.Context) error {
				close(entered)
				<-ctx.Done()
				close(ended)
				return ctx.Err()
			})
		}()
		<-entered
		close(stop)
		if err := <-errc; status.Code(err) != codes.Unavailable {
			t.Errorf("got %v, want Unavailable", err)
		}
		<-ended // the handler saw its context end
	})
}
