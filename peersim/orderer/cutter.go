package orderer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// Committer validates and commits the blocks a Cutter cuts; a channel's
// *ledger.Ledger is one.
type Committer interface {
	// CommitBlock validates envs in order and commits them as the
	// channel's next block. An error means nothing was committed.
	CommitBlock(envs []*common.Envelope) (*ledger.CommittedBlock, error)
}

// CommitterFunc adapts a function to Committer.
type CommitterFunc func(envs []*common.Envelope) (*ledger.CommittedBlock, error)

// CommitBlock calls f.
func (f CommitterFunc) CommitBlock(envs []*common.Envelope) (*ledger.CommittedBlock, error) {
	return f(envs)
}

// Cutter is the orderer of one channel: it batches submitted envelopes and
// hands a block to its Committer when Config.BatchSize transactions are
// pending or Config.BatchTimeout has passed since the first of them
// arrived. Blocks are committed one at a time, in the order their
// envelopes were submitted. Its methods are safe for concurrent use.
type Cutter struct {
	channel string
	commit  Committer
	log     *slog.Logger
	size    int
	timeout time.Duration
	in      chan *common.Envelope
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// NewCutter validates cfg and starts the cutter of channelID, which
// commits its blocks with c. logger may be nil; the cutter adds the
// channel to it. Stop the cutter when done.
func NewCutter(channelID string, cfg Config, c Committer, logger *slog.Logger) (*Cutter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("start orderer of %s: %w", channelID, err)
	}
	if c == nil {
		return nil, fmt.Errorf("start orderer of %s: no committer: %w", channelID, ledger.ErrInvalidArgument)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cut := &Cutter{
		channel: channelID,
		commit:  c,
		log:     logger.With("channel", channelID),
		size:    cfg.BatchSize,
		timeout: cfg.BatchTimeout,
		in:      make(chan *common.Envelope, cfg.SubmitQueue),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go cut.run()
	return cut, nil
}

// Submit hands an endorsed transaction envelope to the orderer. It returns
// once the envelope is queued; the outcome arrives through the committer
// (a ledger's Subscribe, or TxStatus once committed). After Stop it
// returns an error wrapping ledger.ErrClosed, as the cutter stops when its
// channel's ledger closes; when ctx ends first, ctx's error.
func (c *Cutter) Submit(ctx context.Context, env *common.Envelope) error {
	if env == nil {
		return fmt.Errorf("submit to %s: nil envelope: %w", c.channel, ledger.ErrInvalidArgument)
	}
	select {
	case <-c.quit:
		return fmt.Errorf("submit to %s: %w", c.channel, ledger.ErrClosed)
	default:
	}
	select {
	case c.in <- env:
		return nil
	case <-c.quit:
		return fmt.Errorf("submit to %s: %w", c.channel, ledger.ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("submit to %s: %w", c.channel, ctx.Err())
	}
}

// Stop commits what is pending, in blocks of at most Config.BatchSize,
// and returns once the cutter's goroutine has ended. It is idempotent.
func (c *Cutter) Stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}

func (c *Cutter) run() {
	defer close(c.done)
	var pending []*common.Envelope
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	cut := func() {
		timer.Stop()
		if len(pending) == 0 {
			return
		}
		batch := pending
		pending = nil
		if _, err := c.commit.CommitBlock(batch); err != nil {
			c.log.Error("commit failed; the block's transactions are dropped", "txs", len(batch), "err", err)
		}
	}
	for {
		select {
		case env := <-c.in:
			pending = append(pending, env)
			if len(pending) == 1 {
				timer.Reset(c.timeout)
			}
			if len(pending) >= c.size {
				cut()
			}
		case <-timer.C:
			cut()
		case <-c.quit:
			for {
				select {
				case env := <-c.in:
					pending = append(pending, env)
					if len(pending) >= c.size {
						cut()
					}
				default:
					cut()
					return
				}
			}
		}
	}
}
