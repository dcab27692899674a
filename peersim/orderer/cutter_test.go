package orderer_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// hangGuard bounds a wait for something the cutter is bound to do; it only
// keeps a broken cutter from hanging the test.
const hangGuard = 30 * time.Second

// blocks is a Committer that records each block it is handed.
type blocks struct {
	mu  sync.Mutex
	got [][]*common.Envelope
	cut chan int // the size of each block, as it is committed
	// fail, when set, is returned for the block of that index.
	fail map[int]error
}

func newBlocks() *blocks { return &blocks{cut: make(chan int, 100)} }

func (b *blocks) CommitBlock(envs []*common.Envelope) (*ledger.CommittedBlock, error) {
	b.mu.Lock()
	n := len(b.got)
	b.got = append(b.got, envs)
	b.mu.Unlock()
	b.cut <- len(envs)
	if err := b.fail[n]; err != nil {
		return nil, err
	}
	return &ledger.CommittedBlock{}, nil
}

func (b *blocks) sizes() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s []int
	for _, envs := range b.got {
		s = append(s, len(envs))
	}
	return s
}

// next waits for the next block to be committed and returns its size.
func (b *blocks) next(t *testing.T) int {
	t.Helper()
	select {
	case n := <-b.cut:
		return n
	case <-time.After(hangGuard):
		t.Fatalf("no block committed within %s; committed so far: %v", hangGuard, b.sizes())
		return 0
	}
}

func tx(i int) *common.Envelope {
	return &common.Envelope{Payload: []byte{byte(i)}, Signature: []byte("sig")}
}

func config(size int, timeout time.Duration) orderer.Config {
	c := orderer.DefaultConfig()
	c.BatchSize, c.BatchTimeout = size, timeout
	return c
}

func newCutter(t *testing.T, cfg orderer.Config, c orderer.Committer, log *slog.Logger) *orderer.Cutter {
	t.Helper()
	cut, err := orderer.NewCutter("mychannel", cfg, c, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cut.Stop)
	return cut
}

func TestCutterCutsBlocks(t *testing.T) {
	tests := []struct {
		name      string
		batchSize int
		timeout   time.Duration
		txs       int
		// wantSizes are the transaction counts of the blocks cut.
		wantSizes []int
	}{
		{"a full batch is cut at once", 3, time.Hour, 3, []int{3}},
		{"each full batch is a block of its own", 3, time.Hour, 6, []int{3, 3}},
		{"a batch size of one cuts a block per transaction", 1, time.Hour, 3, []int{1, 1, 1}},
		{"a partial batch is cut by the timeout", 10, time.Millisecond, 1, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBlocks()
			cut := newCutter(t, config(tc.batchSize, tc.timeout), b, nil)
			for i := range tc.txs {
				if err := cut.Submit(t.Context(), tx(i)); err != nil {
					t.Fatal(err)
				}
			}
			for i, want := range tc.wantSizes {
				if got := b.next(t); got != want {
					t.Errorf("block %d has %d transactions, want %d", i, got, want)
				}
			}
			cut.Stop()
			b.mu.Lock()
			defer b.mu.Unlock()
			var order []byte
			for _, envs := range b.got {
				for _, env := range envs {
					order = append(order, env.GetPayload()...)
				}
			}
			if want := []byte{0, 1, 2, 3, 4, 5}[:tc.txs]; !bytes.Equal(order, want) {
				t.Errorf("blocks hold transactions %v, want %v in submission order", order, want)
			}
		})
	}
}

func TestStopCommitsWhatIsPending(t *testing.T) {
	goroutines := leakcheck.Take()
	b := newBlocks()
	cut, err := orderer.NewCutter("mychannel", config(2, time.Hour), b, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := cut.Submit(t.Context(), tx(i)); err != nil {
			t.Fatal(err)
		}
	}
	cut.Stop()
	cut.Stop() // idempotent
	// Stop returns once the cutter has committed: no need to wait.
	if got, want := b.sizes(), []int{2, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("blocks of %v transactions after Stop, want %v", got, want)
	}
	goroutines.Verify(t)
}

func TestSubmitRefusals(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		// cutter returns a cutter in the state the case needs.
		cutter func(t *testing.T) *orderer.Cutter
		ctx    context.Context
		env    *common.Envelope
		want   error
		text   string
	}{
		{
			name:   "a nil envelope is an invalid argument",
			cutter: func(t *testing.T) *orderer.Cutter { return newCutter(t, orderer.DefaultConfig(), newBlocks(), nil) },
			ctx:    context.Background(),
			want:   ledger.ErrInvalidArgument,
			text:   "submit to mychannel: nil envelope: invalid argument",
		},
		{
			name: "a stopped cutter refuses as a closed ledger does",
			cutter: func(t *testing.T) *orderer.Cutter {
				cut := newCutter(t, orderer.DefaultConfig(), newBlocks(), nil)
				cut.Stop()
				return cut
			},
			ctx:  context.Background(),
			env:  tx(0),
			want: ledger.ErrClosed,
			text: "submit to mychannel: ledger closed",
		},
		{
			name: "a full queue gives way to the context",
			cutter: func(t *testing.T) *orderer.Cutter {
				// No queue, and the only block's commit is held until the
				// test ends: nothing takes the next envelope.
				release := make(chan struct{})
				held := make(chan struct{})
				cfg := config(1, time.Hour)
				cfg.SubmitQueue = 0
				cut := newCutter(t, cfg, orderer.CommitterFunc(func([]*common.Envelope) (*ledger.CommittedBlock, error) {
					close(held)
					<-release
					return &ledger.CommittedBlock{}, nil
				}), nil)
				t.Cleanup(func() { close(release) }) // runs before the cutter's Stop
				if err := cut.Submit(t.Context(), tx(0)); err != nil {
					t.Fatal(err)
				}
				<-held
				return cut
			},
			ctx:  cancelled,
			env:  tx(1),
			want: context.Canceled,
			text: "submit to mychannel: context canceled",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cutter(t).Submit(tc.ctx, tc.env)
			if !errors.Is(err, tc.want) || err.Error() != tc.text {
				t.Errorf("Submit = %v, want %q wrapping %v", err, tc.text, tc.want)
			}
		})
	}
}

func TestAFailedCommitIsLoggedAndTheCutterGoesOn(t *testing.T) {
	var logs syncBuffer
	b := newBlocks()
	b.fail = map[int]error{0: errors.New("disk full")}
	cut := newCutter(t, config(1, time.Hour), b, slog.New(slog.NewTextHandler(&logs, nil)))
	for i := range 2 {
		if err := cut.Submit(t.Context(), tx(i)); err != nil {
			t.Fatal(err)
		}
	}
	cut.Stop()
	if got, want := b.sizes(), []int{1, 1}; !slices.Equal(got, want) {
		t.Errorf("blocks of %v transactions, want %v: the block after the failed one is still cut", got, want)
	}
	out := logs.String()
	for _, want := range []string{"commit failed; the block's transactions are dropped", "channel=mychannel", "txs=1", "disk full"} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not contain %q:\n%s", want, out)
		}
	}
}

func TestNewCutterRefusals(t *testing.T) {
	tests := []struct {
		name string
		cfg  orderer.Config
		c    orderer.Committer
		want string
	}{
		{"a bad config is refused with the field", config(0, time.Second), newBlocks(), "start orderer of mychannel: orderer config: BatchSize 0 must be at least 1"},
		{"a missing committer is refused", orderer.DefaultConfig(), nil, "start orderer of mychannel: no committer: invalid argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cut, err := orderer.NewCutter("mychannel", tc.cfg, tc.c, nil)
			if err == nil {
				cut.Stop()
				t.Fatalf("NewCutter succeeded, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("NewCutter error %q, want %q", err, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*orderer.Config)
		want   string
	}{
		{"a zero batch size", func(c *orderer.Config) { c.BatchSize = 0 }, "orderer config: BatchSize 0 must be at least 1"},
		{"a zero batch timeout", func(c *orderer.Config) { c.BatchTimeout = 0 }, "orderer config: BatchTimeout 0s must be positive"},
		{"a negative queue", func(c *orderer.Config) { c.SubmitQueue = -1 }, "orderer config: SubmitQueue -1 must not be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := orderer.DefaultConfig()
			tc.mutate(&c)
			if err := c.Validate(); err == nil || err.Error() != tc.want {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
	if err := orderer.DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig invalid: %v", err)
	}
}

// syncBuffer is a bytes.Buffer a logger may write from another goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The peer stops a channel's cutter, then closes its ledger: what the
// cutter held is in the ledger by then.
func TestStopThenCloseKeepsWhatWasPendingInTheLedger(t *testing.T) {
	goroutines := leakcheck.Take()
	l, err := ledger.Open("mychannel", ledger.MemoryConfig())
	if err != nil {
		t.Fatal(err)
	}
	cut, err := orderer.NewCutter("mychannel", config(10, time.Hour), l, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The ledger commits an envelope it cannot parse too, with its
	// validation code: enough to see the block.
	if err := cut.Submit(t.Context(), tx(0)); err != nil {
		t.Fatal(err)
	}
	cut.Stop()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l.Height() != 1 {
		t.Errorf("height %d after Stop and Close, want 1 (the pending batch committed)", l.Height())
	}
	goroutines.Verify(t)
}
