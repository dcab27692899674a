package peersim

import (
	"context"
	"strconv"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the peer's Prometheus metrics, in a registry of its own so
// that several peers can live in one process. Besides the peersim_*
// families the registry carries the client library's standard Go runtime
// (go_*: goroutines, heap, GC) and process (process_*: CPU, resident
// memory, open file descriptors) collectors.
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
	m.reg.MustRegister(m.proposals, m.committed, m.height, m.execute,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) registerChaincodes(cc *chaincode.Server) {
	m.reg.MustRegister(newStreamCollector(cc.Stats))
}

// streamCollector turns one chaincode.Server.Stats snapshot per scrape into
// the chaincode stream gauges.
type streamCollector struct {
	stats        func() chaincode.Stats
	registered   *prometheus.Desc
	streams      *prometheus.Desc
	inFlight     *prometheus.Desc
	transactions *prometheus.Desc
}

func newStreamCollector(stats func() chaincode.Stats) *streamCollector {
	return &streamCollector{
		stats: stats,
		registered: prometheus.NewDesc("peersim_registered_chaincodes",
			"Chaincode connections registered and ready.", nil, nil),
		streams: prometheus.NewDesc("peersim_chaincode_streams",
			"Live chaincode streams, ready or still in the handshake.", nil, nil),
		inFlight: prometheus.NewDesc("peersim_chaincode_requests_in_flight",
			"Requests a chaincode sent (GetState, PutState, ...) and the peer has not answered yet, by chaincode id (empty before REGISTER).",
			[]string{"chaincode"}, nil),
		transactions: prometheus.NewDesc("peersim_chaincode_transactions_in_flight",
			"Transactions executing on a chaincode's stream, by chaincode id.",
			[]string{"chaincode"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *streamCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.registered
	ch <- c.streams
	ch <- c.inFlight
	ch <- c.transactions
}

// Collect implements prometheus.Collector. Streams that share an id (those
// still before REGISTER all have the empty id) are summed, so that every
// label set is reported once.
func (c *streamCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(c.registered, prometheus.GaugeValue, float64(st.Connected))
	ch <- prometheus.MustNewConstMetric(c.streams, prometheus.GaugeValue, float64(len(st.Streams)))
	type gauges struct{ inFlight, txs int }
	byID := make(map[string]*gauges, len(st.Streams))
	var order []string
	for _, s := range st.Streams {
		g, ok := byID[s.CCID]
		if !ok {
			g = &gauges{}
			byID[s.CCID] = g
			order = append(order, s.CCID)
		}
		g.inFlight += s.InFlight
		g.txs += s.Transactions
	}
	for _, id := range order {
		g := byID[id]
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(g.inFlight), id)
		ch <- prometheus.MustNewConstMetric(c.transactions, prometheus.GaugeValue, float64(g.txs), id)
	}
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
