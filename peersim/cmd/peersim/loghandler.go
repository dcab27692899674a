package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// quietKeys are attributes lineHandler leaves out: they repeat what the
// line says (the chaincode's output is prefixed with its id) or only
// matter in a peer's log.
var quietKeys = []string{"ccid", "stream", "package_id", "builder"}

// lineHandler writes log records for a person at a terminal, one line
// each: the level unless it is INFO, the message, then key=value
// attributes. `chaincode run -p` logs through it, the chaincode's output
// and the compiler's messages included, which then read as they were
// written.
type lineHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	attrs []slog.Attr
}

func newLineHandler(w io.Writer) *lineHandler { return &lineHandler{mu: &sync.Mutex{}, w: w} }

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	if r.Level != slog.LevelInfo {
		b.WriteString(r.Level.String() + " ")
	}
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		if !slices.Contains(quietKeys, a.Key) {
			v := a.Value.Resolve().String()
			if strings.ContainsAny(v, " \t\n\"=") {
				v = fmt.Sprintf("%q", v)
			}
			b.WriteString(" " + a.Key + "=" + v)
		}
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &lineHandler{mu: h.mu, w: h.w, attrs: append(slices.Clip(h.attrs), attrs...)}
}

// WithGroup is not needed by the records it writes; groups are flattened.
func (h *lineHandler) WithGroup(string) slog.Handler { return h }
