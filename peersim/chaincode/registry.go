package chaincode

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// registry holds every live stream and, by ccid, the registered ones.
type registry struct {
	mu       sync.Mutex
	closed   bool
	handlers map[*handler]struct{}
	byID     map[string]*registration
	// changed is closed and replaced whenever a registration changes.
	changed chan struct{}
}

type registration struct {
	h     *handler
	ready bool
}

func newRegistry() *registry {
	return &registry{
		handlers: map[*handler]struct{}{},
		byID:     map[string]*registration{},
		changed:  make(chan struct{}),
	}
}

func (r *registry) broadcast() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// add records a new stream.
func (r *registry) add(h *handler) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrServerClosed
	}
	r.handlers[h] = struct{}{}
	return nil
}

// reserve claims ccid for h while the handshake runs.
func (r *registry) reserve(ccid string, h *handler) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byID[ccid]; ok {
		return &duplicateError{ccid: ccid}
	}
	r.byID[ccid] = &registration{h: h}
	return nil
}

// markReady makes h the handler Execute finds for ccid.
func (r *registry) markReady(ccid string, h *handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if reg, ok := r.byID[ccid]; ok && reg.h == h {
		reg.ready = true
		r.broadcast()
	}
}

// remove forgets h and reports whether it was registered and ready.
func (r *registry) remove(h *handler) (wasReady bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.handlers, h)
	for id, reg := range r.byID {
		if reg.h == h {
			delete(r.byID, id)
			wasReady = reg.ready
			r.broadcast()
		}
	}
	return wasReady
}

// ready returns the ready handler for ccid, or nil.
func (r *registry) ready(ccid string) *handler {
	r.mu.Lock()
	defer r.mu.Unlock()
	if reg, ok := r.byID[ccid]; ok && reg.ready {
		return reg.h
	}
	return nil
}

// wait blocks until ccid is ready or ctx ends.
func (r *registry) wait(ctx context.Context, ccid string) (*handler, error) {
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return nil, ErrServerClosed
		}
		if reg, ok := r.byID[ccid]; ok && reg.ready {
			r.mu.Unlock()
			return reg.h, nil
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (r *registry) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for id, reg := range r.byID {
		if reg.ready {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// close refuses new streams and stops the live ones.
func (r *registry) close() {
	r.mu.Lock()
	r.closed = true
	r.broadcast()
	handlers := make([]*handler, 0, len(r.handlers))
	for h := range r.handlers {
		handlers = append(handlers, h)
	}
	r.mu.Unlock()
	for _, h := range handlers {
		h.stop(ErrServerClosed)
	}
}

// stats reads the gauges of every live stream.
func (r *registry) stats() Stats {
	r.mu.Lock()
	byHandler := make(map[*handler]*registration, len(r.byID))
	ids := make(map[*handler]string, len(r.byID))
	for id, reg := range r.byID {
		byHandler[reg.h], ids[reg.h] = reg, id
	}
	handlers := make([]*handler, 0, len(r.handlers))
	for h := range r.handlers {
		handlers = append(handlers, h)
	}
	r.mu.Unlock()

	st := Stats{Streams: make([]StreamStats, 0, len(handlers))}
	for _, h := range handlers {
		s := StreamStats{CCID: ids[h], InFlight: len(h.slots)}
		if reg := byHandler[h]; reg != nil && reg.ready {
			s.Ready = true
			st.Connected++
		}
		h.mu.Lock()
		s.Transactions = len(h.txs)
		h.mu.Unlock()
		st.InFlight += s.InFlight
		st.Streams = append(st.Streams, s)
	}
	slices.SortFunc(st.Streams, func(a, b StreamStats) int { return strings.Compare(a.CCID, b.CCID) })
	return st
}
