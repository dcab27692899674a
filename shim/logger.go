package shim

import (
	"bytes"
	"context"
	"log/slog"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/metadata"
)

// peerLogType and peerLogHeader are peersim's: a ChaincodeMessage of
// peerLogType carries one line the chaincode logged for a transaction, and
// peersim advertises that it takes them with the Register stream's
// response header peerLogHeader (peersim/chaincode.LogMessageType and
// LogHeader). Fabric's peer has neither, so the shim sends no such message
// to it.
const (
	peerLogType   peer.ChaincodeMessage_Type = 1000
	peerLogHeader                            = "peersim-chaincode-logs"
)

// Logger returns a logger for what the chaincode does in the transaction
// of stub: its records go to slog.Default(), with the transaction's ID and
// channel, and, when the peer is a development-mode peersim peer, also to
// the peer, which shows them in the transaction's trace (peersim tx trace;
// a production-mode peersim peer reads the process's output instead). A
// stub that is not this shim's gets slog.Default() with the same
// attributes.
func Logger(stub ChaincodeStubInterface) *slog.Logger {
	base := slog.Default()
	s, ok := stub.(*ChaincodeStub)
	if !ok {
		return base.With("txid", stub.GetTxID(), "channel", stub.GetChannelID())
	}
	attrs := []any{"txid", s.TxID, "channel", s.ChannelID}
	if s.handler == nil || !s.handler.peerLogs {
		return base.With(attrs...)
	}
	return slog.New(teeHandler{base.Handler(), &peerLogHandler{h: s.handler, txID: s.TxID, channelID: s.ChannelID}}).With(attrs...)
}

// peerAcceptsLogs reports whether the peer on stream advertised
// peerLogHeader. It is asked once the peer's first message arrived, when
// a gRPC stream has its header.
func peerAcceptsLogs(stream PeerChaincodeStream) bool {
	hs, ok := stream.(interface{ Header() (metadata.MD, error) })
	if !ok {
		return false
	}
	md, err := hs.Header()
	return err == nil && len(md.Get(peerLogHeader)) > 0
}

// peerLogHandler sends each record, as logfmt without the time, to the
// peer for one transaction.
type peerLogHandler struct {
	h               *handler
	txID, channelID string
	attrs           []slog.Attr
	groups          []string
}

func (p *peerLogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (p *peerLogHandler) Handle(ctx context.Context, r slog.Record) error {
	var buf bytes.Buffer
	th := slog.Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	if len(p.attrs) > 0 {
		th = th.WithAttrs(p.attrs)
	}
	for _, g := range p.groups {
		th = th.WithGroup(g)
	}
	if err := th.Handle(ctx, r); err != nil {
		return err
	}
	line := bytes.TrimRight(buf.Bytes(), "\n")
	// Sent in the transaction's goroutine, before its COMPLETED: the
	// peer has the line while the transaction still runs.
	return p.h.send(&peer.ChaincodeMessage{Type: peerLogType, Txid: p.txID, ChannelId: p.channelID, Payload: line})
}

func (p *peerLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &peerLogHandler{h: p.h, txID: p.txID, channelID: p.channelID, attrs: append(append([]slog.Attr(nil), p.attrs...), attrs...), groups: p.groups}
}

func (p *peerLogHandler) WithGroup(name string) slog.Handler {
	return &peerLogHandler{h: p.h, txID: p.txID, channelID: p.channelID, attrs: p.attrs, groups: append(append([]string(nil), p.groups...), name)}
}

// teeHandler hands each record to both handlers: the process's own log
// and the peer's trace.
type teeHandler struct{ a, b slog.Handler }

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.a.Enabled(ctx, l) || t.b.Enabled(ctx, l)
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var errA error
	if t.a.Enabled(ctx, r.Level) {
		errA = t.a.Handle(ctx, r.Clone())
	}
	if t.b.Enabled(ctx, r.Level) {
		if err := t.b.Handle(ctx, r); err != nil {
			return err
		}
	}
	return errA
}

func (t teeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return teeHandler{t.a.WithAttrs(attrs), t.b.WithAttrs(attrs)}
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{t.a.WithGroup(name), t.b.WithGroup(name)}
}
