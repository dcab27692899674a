package peersim

import (
	"context"
	"strconv"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the peer's Prometheus metrics, in a registry of its own so
// that several peers can live in one process.
type metrics struct {
	reg       *prometheus.Registry
	proposals *prometheus.CounterVec
	committed *prometheus.CounterVec
	height    *prometheus.GaugeVec
	execute   *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		proposals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "peersim", Name: "proposals_received_total",
			Help: "Proposals received by the endorser, by the response status returned.",
		}, []string{"status"}),
		committed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "peersim", Name: "transactions_committed_total",
			Help: "Transactions committed, by channel and validation code.",
		}, []string{"channel", "validation_code"}),
		height: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "peersim", Name: "block_height",
			Help: "Number of committed blocks per channel.",
		}, []string{"channel"}),
		execute: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "peersim", Name: "chaincode_execute_duration_seconds",
			Help:    "Time a chaincode took to answer an INIT or TRANSACTION.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"chaincode", "type", "success"}),
	}
	m.reg.MustRegister(m.proposals, m.committed, m.height, m.execute)
	return m
}

func (m *metrics) registerChaincodes(cc *chaincode.Server) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "peersim", Name: "registered_chaincodes",
		Help: "Chaincode connections registered and ready.",
	}, func() float64 { return float64(len(cc.Connected())) }))
}

func (m *metrics) proposal(status int32) {
	m.proposals.WithLabelValues(strconv.Itoa(int(status))).Inc()
}

func (m *metrics) executed(ccid, typ string, ok bool, d time.Duration) {
	m.execute.WithLabelValues(ccid, typ, strconv.FormatBool(ok)).Observe(d.Seconds())
}

// followChannel keeps the height and commit counters of one channel up to
// date until ctx ends or the ledger closes.
func (m *metrics) followChannel(ctx context.Context, l *ledger.Ledger) {
	ch := l.ChannelID()
	h := l.Height()
	m.height.WithLabelValues(ch).Set(float64(h))
	sub := l.Subscribe(h)
	for {
		cb, err := sub.Next(ctx)
		if err != nil {
			return
		}
		for _, tx := range cb.Txs {
			m.committed.WithLabelValues(ch, tx.Code.String()).Inc()
		}
		m.height.WithLabelValues(ch).Set(float64(cb.Block.GetHeader().GetNumber() + 1))
	}
}
