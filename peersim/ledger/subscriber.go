package ledger

import (
	"context"
	"fmt"
)

// Subscription delivers committed blocks in order, from a start height,
// without gaps or duplicates: first the blocks already in the block store,
// then each new block as it commits. It holds no goroutine.
type Subscription struct {
	l    *Ledger
	next uint64
}

// Subscribe returns a subscription whose first block is number from.
func (l *Ledger) Subscribe(from uint64) *Subscription {
	return &Subscription{l: l, next: from}
}

// Next returns the next committed block, waiting for it to be committed if
// needed. It returns ctx's error when ctx ends first and ErrClosed once the
// ledger is closed.
func (s *Subscription) Next(ctx context.Context) (*CommittedBlock, error) {
	for {
		// Checked before stored blocks too: a reader that went away must
		// not replay the rest of the chain.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		wait, height, closed := s.l.waitChan()
		if closed {
			return nil, fmt.Errorf("subscription to %s at block %d: %w", s.l.channel, s.next, ErrClosed)
		}
		if s.next < height {
			cb, err := s.l.committedBlock(s.next)
			if err != nil {
				return nil, err
			}
			s.next++
			return cb, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wait:
		}
	}
}

// WaitBeyond returns the ledger's height once it is above height, waiting
// for commits as needed, without reading any block. It returns ctx's error
// when ctx ends first and ErrClosed once the ledger is closed.
func (l *Ledger) WaitBeyond(ctx context.Context, height uint64) (uint64, error) {
	for {
		wait, h, closed := l.waitChan()
		if closed {
			return h, fmt.Errorf("wait for block %d of %s: %w", height, l.channel, ErrClosed)
		}
		if h > height {
			return h, nil
		}
		select {
		case <-ctx.Done():
			return h, ctx.Err()
		case <-wait:
		}
	}
}

// committedBlock reads a block and its verdicts from the store.
func (l *Ledger) committedBlock(number uint64) (*CommittedBlock, error) {
	snap, err := l.st.snapshot()
	if err != nil {
		return nil, fmt.Errorf("read block %d of %s: %w", number, l.channel, err)
	}
	defer snap.release()
	b, err := readBlock(snap, number)
	if err != nil {
		return nil, err
	}
	raw, err := snap.get(bucketResults, be64(number))
	if err != nil {
		return nil, fmt.Errorf("read results of block %d: %w", number, err)
	}
	rs, err := decodeResults(raw)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", number, err)
	}
	return &CommittedBlock{Block: b, Txs: rs}, nil
}
