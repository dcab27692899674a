package metrics

import (
	"strconv"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/endorser"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the peer's Prometheus metrics, in a registry of its own so
// that several peers can live in one process. Besides the peersim_*
// families the registry carries the Fabric peer's names where peersim
// measures the same thing (endorser_*, ledger_*, chaincode_*, with Fabric's
// labels) and the client library's standard Go runtime (go_*: goroutines,
// heap, GC) and process (process_*: CPU, resident memory, open file
// descriptors) collectors.
type Metrics struct {
	reg       *prometheus.Registry
	proposals *prometheus.CounterVec
	committed *prometheus.CounterVec
	height    *prometheus.GaugeVec
	execute   *prometheus.HistogramVec
	fabric    fabricMetrics
}

// fabricMetrics are the Fabric peer's metrics peersim measures alike
// (Fabric's core/endorser, core/ledger/kvledger and core/chaincode
// metrics: same names, types, labels and, for the ledger, buckets).
type fabricMetrics struct {
	proposalsReceived     prometheus.Counter
	successfulProposals   prometheus.Counter
	validationFailures    prometheus.Counter
	duplicateTxFailures   *prometheus.CounterVec
	endorsementFailures   *prometheus.CounterVec
	proposalDuration      *prometheus.HistogramVec
	blockchainHeight      *prometheus.GaugeVec
	transactionCount      *prometheus.CounterVec
	blockProcessingTime   *prometheus.HistogramVec
	blockstorageAndPvt    *prometheus.HistogramVec
	chaincodeExecTimeouts *prometheus.CounterVec
	launchDuration        *prometheus.HistogramVec
	launchFailures        *prometheus.CounterVec
	launchTimeouts        *prometheus.CounterVec
}

// ledgerBuckets are Fabric's buckets for the ledger's durations.
var ledgerBuckets = []float64{0.005, 0.01, 0.015, 0.05, 0.1, 1, 10}

func newFabricMetrics() fabricMetrics {
	counter := func(ns, name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help})
	}
	counterVec := func(ns, name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help}, labels)
	}
	histogramVec := func(ns, name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: name, Help: help, Buckets: buckets}, labels)
	}
	return fabricMetrics{
		proposalsReceived:   counter("endorser", "proposals_received", "The number of proposals received."),
		successfulProposals: counter("endorser", "successful_proposals", "The number of successful proposals."),
		validationFailures:  counter("endorser", "proposal_validation_failures", "The number of proposals that have failed initial validation."),
		duplicateTxFailures: counterVec("endorser", "duplicate_transaction_failures",
			"The number of failed proposals due to duplicate transaction ID.", "channel", "chaincode"),
		endorsementFailures: counterVec("endorser", "endorsement_failures", "The number of failed endorsements.",
			"channel", "chaincode", "chaincodeerror"),
		proposalDuration: histogramVec("endorser", "proposal_duration", "The time to complete a proposal.",
			prometheus.DefBuckets, "channel", "chaincode", "success"),
		blockchainHeight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "ledger", Name: "blockchain_height",
			Help: "Height of the chain in blocks."}, []string{"channel"}),
		transactionCount: counterVec("ledger", "transaction_count", "Number of transactions processed.",
			"channel", "transaction_type", "chaincode", "validation_code"),
		blockProcessingTime: histogramVec("ledger", "block_processing_time", "Time taken in seconds for ledger block processing.",
			ledgerBuckets, "channel"),
		blockstorageAndPvt: histogramVec("ledger", "blockstorage_and_pvtdata_commit_time",
			"Time taken in seconds for committing the block and private data to storage.", ledgerBuckets, "channel"),
		chaincodeExecTimeouts: counterVec("chaincode", "execute_timeouts",
			"The number of chaincode executions (Init or Invoke) that have timed out.", "chaincode"),
		launchDuration: histogramVec("chaincode", "launch_duration", "The time to launch a chaincode.",
			prometheus.DefBuckets, "chaincode", "success"),
		launchFailures: counterVec("chaincode", "launch_failures", "The number of chaincode launches that have failed.", "chaincode"),
		launchTimeouts: counterVec("chaincode", "launch_timeouts", "The number of chaincode launches that have timed out.", "chaincode"),
	}
}

func (f fabricMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{f.proposalsReceived, f.successfulProposals, f.validationFailures, f.duplicateTxFailures,
		f.endorsementFailures, f.proposalDuration, f.blockchainHeight, f.transactionCount, f.blockProcessingTime,
		f.blockstorageAndPvt, f.chaincodeExecTimeouts, f.launchDuration, f.launchFailures, f.launchTimeouts}
}

// New returns the metrics in a new registry.
func New() *Metrics {
	m := &Metrics{
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
		fabric: newFabricMetrics(),
	}
	m.reg.MustRegister(m.proposals, m.committed, m.height, m.execute,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(m.fabric.collectors()...)
	return m
}

// Registry is what the operations service's /metrics serves.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// RegisterChaincodes adds the per-stream gauges of the chaincode server
// whose snapshots stats returns, taken once per scrape.
func (m *Metrics) RegisterChaincodes(stats func() chaincode.Stats) {
	m.reg.MustRegister(newStreamCollector(stats))
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

// Proposal counts one answered proposal as a Fabric endorser does: every
// proposal is received; one that fails validation or is a duplicate counts
// there and nothing else; the others take a duration, labelled successful
// when endorsed (or channel-less), and a chaincode answer of 400 to 499 is
// an endorsement failure with chaincodeerror="true" (Fabric passes 500 and
// above through uncounted).
func (m *Metrics) Proposal(resp *peer.ProposalResponse, f endorser.Facts, took time.Duration) {
	status := resp.GetResponse().GetStatus()
	m.proposals.WithLabelValues(strconv.Itoa(int(status))).Inc()
	fm := m.fabric
	fm.proposalsReceived.Inc()
	switch {
	case !f.Validated:
		fm.validationFailures.Inc()
		return
	case f.Duplicate:
		fm.duplicateTxFailures.WithLabelValues(f.Channel, f.Chaincode).Inc()
		return
	case !f.ChannelFound:
		return
	}
	success := resp.GetEndorsement() != nil || f.Channel == ""
	fm.proposalDuration.WithLabelValues(f.Channel, f.Chaincode, strconv.FormatBool(success)).Observe(took.Seconds())
	if success {
		fm.successfulProposals.Inc()
	}
	if status >= 400 && status < 500 {
		fm.endorsementFailures.WithLabelValues(f.Channel, f.Chaincode, "true").Inc()
	}
}

// Executed records one INIT or TRANSACTION a chaincode answered (ok) or
// not, and whether it ran out of time.
func (m *Metrics) Executed(ccid, typ string, ok, timedOut bool, d time.Duration) {
	m.execute.WithLabelValues(ccid, typ, strconv.FormatBool(ok)).Observe(d.Seconds())
	if timedOut {
		m.fabric.chaincodeExecTimeouts.WithLabelValues(ccid).Inc()
	}
}

// Launched records one launch of a chaincode that was not connected: in
// production mode build, start and registration, in development mode the
// wait for the developer to start it.
func (m *Metrics) Launched(ccid string, ok, timedOut bool, d time.Duration) {
	m.fabric.launchDuration.WithLabelValues(ccid, strconv.FormatBool(ok)).Observe(d.Seconds())
	if !ok {
		m.fabric.launchFailures.WithLabelValues(ccid).Inc()
	}
	if timedOut {
		m.fabric.launchTimeouts.WithLabelValues(ccid).Inc()
	}
}

// Opened sets a channel's height gauges when its ledger opens.
func (m *Metrics) Opened(channel string, height uint64) {
	m.height.WithLabelValues(channel).Set(float64(height))
	m.fabric.blockchainHeight.WithLabelValues(channel).Set(float64(height))
}

// BlockCommitted updates the height, transaction and commit-time metrics of a
// channel after a block commits (ledger.WithCommitObserver).
func (m *Metrics) BlockCommitted(cs ledger.CommitStats) {
	ch := cs.Channel
	for _, tx := range cs.Txs {
		code := tx.Code.String()
		m.committed.WithLabelValues(ch, code).Inc()
		typ, cc := "unknown", "unknown"
		if tx.Type >= 0 {
			typ = tx.Type.String()
		}
		if tx.ChaincodeName != "" {
			cc = tx.ChaincodeName + ":" + tx.ChaincodeVersion
		}
		m.fabric.transactionCount.WithLabelValues(ch, typ, cc, code).Inc()
	}
	m.Opened(ch, cs.Block+1)
	m.fabric.blockProcessingTime.WithLabelValues(ch).Observe(cs.Processing.Seconds())
	m.fabric.blockstorageAndPvt.WithLabelValues(ch).Observe(cs.Storage.Seconds())
}
