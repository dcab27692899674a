package loadtest

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"time"
)

// blockWriter is the floor's share of committing: it cuts the envelopes it
// is given into blocks as an orderer does (BatchSize of them, or what
// arrived BatchTimeout after the first) and appends each block to one file
// with one fsync, the least a peer writes to make a block durable. It
// validates, indexes and delivers nothing.
type blockWriter struct {
	file    *os.File
	size    int
	timeout time.Duration
	queue   chan pendingEnvelope
}

type pendingEnvelope struct {
	payload, signature []byte
	durable            chan error
}

func newBlockWriter(path string, size int, timeout time.Duration) (*blockWriter, error) {
	if size < 1 || timeout <= 0 {
		return nil, fmt.Errorf("floor: batch size %d and timeout %s: give a size of at least 1 and a positive timeout", size, timeout)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("floor: open the block file: %w", err)
	}
	return &blockWriter{file: f, size: size, timeout: timeout, queue: make(chan pendingEnvelope, size)}, nil
}

// write waits until the envelope is in a block on disk.
func (w *blockWriter) write(ctx context.Context, payload, signature []byte) error {
	p := pendingEnvelope{payload: payload, signature: signature, durable: make(chan error, 1)}
	select {
	case w.queue <- p:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	select {
	case err := <-p.durable:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// run cuts and writes blocks until ctx ends, then closes the file.
func (w *blockWriter) run(ctx context.Context) {
	defer w.file.Close()
	var buf []byte
	for {
		var batch []pendingEnvelope
		select {
		case p := <-w.queue:
			batch = append(batch, p)
		case <-ctx.Done():
			return
		}
		cut := time.NewTimer(w.timeout)
	fill:
		for len(batch) < w.size {
			select {
			case p := <-w.queue:
				batch = append(batch, p)
			case <-cut.C:
				break fill
			case <-ctx.Done():
				cut.Stop()
				return
			}
		}
		cut.Stop()
		buf = buf[:0]
		for _, p := range batch {
			buf = binary.AppendUvarint(buf, uint64(len(p.payload)))
			buf = append(buf, p.payload...)
			buf = binary.AppendUvarint(buf, uint64(len(p.signature)))
			buf = append(buf, p.signature...)
		}
		_, err := w.file.Write(buf)
		if err == nil {
			err = w.file.Sync()
		}
		if err != nil {
			err = fmt.Errorf("floor: write a block of %d envelopes: %w", len(batch), err)
		}
		for _, p := range batch {
			p.durable <- err
		}
	}
}
