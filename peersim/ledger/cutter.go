package ledger

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// cutter is the embedded orderer: it batches submitted envelopes and
// commits a block when BatchSize transactions are pending or BatchTimeout
// has passed since the first of them arrived.
type cutter struct {
	l       *Ledger
	size    int
	timeout time.Duration
	in      chan *common.Envelope
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
}

func startCutter(l *Ledger, cfg Config) *cutter {
	c := &cutter{
		l: l, size: cfg.BatchSize, timeout: cfg.BatchTimeout,
		in:   make(chan *common.Envelope, cfg.SubmitQueue),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	go c.run()
	return c
}

func (c *cutter) submit(ctx context.Context, env *common.Envelope) error {
	select {
	case <-c.quit:
		return fmt.Errorf("submit to %s: %w", c.l.channel, ErrClosed)
	default:
	}
	select {
	case c.in <- env:
		return nil
	case <-c.quit:
		return fmt.Errorf("submit to %s: %w", c.l.channel, ErrClosed)
	case <-ctx.Done():
		return fmt.Errorf("submit to %s: %w", c.l.channel, ctx.Err())
	}
}

// stop commits what is pending and ends the loop; it is idempotent.
func (c *cutter) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}

func (c *cutter) run() {
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
		if _, err := c.l.CommitBlock(batch); err != nil {
			c.l.log.Error("commit failed; the block's transactions are dropped", "txs", len(batch), "err", err)
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
