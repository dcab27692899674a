package logging

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// NameKey is the attribute that names a logger.
const NameKey = "component"

// Levels holds the active Spec; Set changes it for every Handler made from
// it, at once and safely while they log.
type Levels struct {
	spec atomic.Pointer[Spec]
}

// NewLevels returns Levels starting at spec.
func NewLevels(spec Spec) *Levels {
	l := &Levels{}
	l.Set(spec)
	return l
}

// Spec returns the active specification.
func (l *Levels) Spec() Spec { return *l.spec.Load() }

// Set makes spec the active specification.
func (l *Levels) Set(spec Spec) { l.spec.Store(&spec) }

// Handler passes to its inner handler the records its logger's level
// admits. Give the inner handler the lowest level (e.g.
// slog.HandlerOptions{Level: slog.LevelDebug}) so that the specification
// alone decides.
type Handler struct {
	inner  slog.Handler
	levels *Levels
	name   string
}

// NewHandler wraps inner with the levels of levels.
func NewHandler(inner slog.Handler, levels *Levels) *Handler {
	return &Handler{inner: inner, levels: levels}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.levels.Spec().Level(h.name) && h.inner.Enabled(ctx, level)
}

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error { return h.inner.Handle(ctx, r) }

// WithAttrs implements slog.Handler; a NameKey attribute names the logger.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := &Handler{inner: h.inner.WithAttrs(attrs), levels: h.levels, name: h.name}
	for _, a := range attrs {
		if a.Key == NameKey {
			out.name = a.Value.String()
		}
	}
	return out
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name), levels: h.levels, name: h.name}
}
