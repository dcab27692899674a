package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/endorser"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/prometheus/client_golang/prometheus"
)

func TestStreamCollectorReportsEachChaincodeOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stats chaincode.Stats
		want  string
	}{
		{"no streams", chaincode.Stats{}, `
peersim_chaincode_streams 0
peersim_registered_chaincodes 0
`},
		{"one ready stream", chaincode.Stats{Connected: 1, InFlight: 3, Streams: []chaincode.StreamStats{
			{CCID: "mycc:1.0", Ready: true, InFlight: 3, Transactions: 2},
		}}, `
peersim_chaincode_requests_in_flight{chaincode="mycc:1.0"} 3
peersim_chaincode_streams 1
peersim_chaincode_transactions_in_flight{chaincode="mycc:1.0"} 2
peersim_registered_chaincodes 1
`},
		{"streams before REGISTER are summed under the empty id", chaincode.Stats{Connected: 1, InFlight: 5, Streams: []chaincode.StreamStats{
			{CCID: ""}, {CCID: ""}, {CCID: "a:1", Ready: true, InFlight: 5, Transactions: 1},
		}}, `
peersim_chaincode_requests_in_flight{chaincode=""} 0
peersim_chaincode_requests_in_flight{chaincode="a:1"} 5
peersim_chaincode_streams 3
peersim_chaincode_transactions_in_flight{chaincode=""} 0
peersim_chaincode_transactions_in_flight{chaincode="a:1"} 1
peersim_registered_chaincodes 1
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(newStreamCollector(func() chaincode.Stats { return tc.stats }))
			got, err := samples(reg)
			if err != nil {
				t.Fatalf("gather: %v", err)
			}
			if want := strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("samples:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// samples renders what g gathers as one "name{label="value"} value" line
// per sample, in the registry's sorted order.
func samples(g prometheus.Gatherer) (string, error) { return samplesWithPrefix(g, "") }

func TestProposalMetricsFollowFabricsEndorser(t *testing.T) {
	failure := func(msg string) *peer.ProposalResponse {
		return &peer.ProposalResponse{Response: &peer.Response{Status: 500, Message: msg}}
	}
	endorsed := &peer.ProposalResponse{Response: &peer.Response{Status: 200}, Endorsement: &peer.Endorsement{}}
	for _, tc := range []struct {
		name  string
		resp  *peer.ProposalResponse
		facts endorser.Facts
		want  string // the endorser_* samples, without the duration's buckets and sum
	}{
		{"a bad proposal counts as a validation failure only", failure("bad signature"), endorser.Facts{}, `
endorser_proposal_validation_failures 1
endorser_proposals_received 1
endorser_successful_proposals 0
`},
		{"a duplicate counts as one, with its channel and chaincode", failure("duplicate"),
			endorser.Facts{Validated: true, Duplicate: true, Channel: "ch", Chaincode: "cc"}, `
endorser_duplicate_transaction_failures{chaincode="cc",channel="ch"} 1
endorser_proposal_validation_failures 0
endorser_proposals_received 1
endorser_successful_proposals 0
`},
		{"an unknown channel counts as received only", failure("channel 'x' not found"),
			endorser.Facts{Validated: true, Channel: "x", Chaincode: "cc"}, `
endorser_proposal_validation_failures 0
endorser_proposals_received 1
endorser_successful_proposals 0
`},
		{"an endorsed proposal is successful", endorsed, endorser.Facts{Validated: true, ChannelFound: true, Channel: "ch", Chaincode: "cc"}, `
endorser_proposal_duration_count{chaincode="cc",channel="ch",success="true"} 1
endorser_proposal_validation_failures 0
endorser_proposals_received 1
endorser_successful_proposals 1
`},
		{"a chaincode's 4xx is an endorsement failure", &peer.ProposalResponse{Response: &peer.Response{Status: 404}},
			endorser.Facts{Validated: true, ChannelFound: true, Channel: "ch", Chaincode: "cc"}, `
endorser_endorsement_failures{chaincode="cc",chaincodeerror="true",channel="ch"} 1
endorser_proposal_duration_count{chaincode="cc",channel="ch",success="false"} 1
endorser_proposal_validation_failures 0
endorser_proposals_received 1
endorser_successful_proposals 0
`},
		{"a 500 is unendorsed but not an endorsement failure, as in Fabric", failure("chaincode failed"),
			endorser.Facts{Validated: true, ChannelFound: true, Channel: "ch", Chaincode: "cc"}, `
endorser_proposal_duration_count{chaincode="cc",channel="ch",success="false"} 1
endorser_proposal_validation_failures 0
endorser_proposals_received 1
endorser_successful_proposals 0
`},
		{"a channel-less system chaincode call is successful unendorsed", &peer.ProposalResponse{Response: &peer.Response{Status: 200}},
			endorser.Facts{Validated: true, ChannelFound: true, Chaincode: "cscc"}, `
endorser_proposal_duration_count{chaincode="cscc",channel="",success="true"} 1
endorser_proposal_validation_failures 0
endorser_proposals_received 1
endorser_successful_proposals 1
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New()
			m.Proposal(tc.resp, tc.facts, time.Millisecond)
			got, err := samplesWithPrefix(m.reg, "endorser_")
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("samples:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestChaincodeMetricsFollowFabricsChaincodeSupport(t *testing.T) {
	m := New()
	m.Executed("a:1", "TRANSACTION", false, true, time.Second)
	m.Executed("a:1", "TRANSACTION", false, false, time.Second)
	m.Executed("b:1", "INIT", true, false, time.Second)
	m.Launched("a:1", true, false, time.Second)
	m.Launched("b:1", false, false, time.Second)
	m.Launched("c:1", false, true, time.Minute)
	got, err := samplesWithPrefix(m.reg, "chaincode_")
	if err != nil {
		t.Fatal(err)
	}
	want := `chaincode_execute_timeouts{chaincode="a:1"} 1
chaincode_launch_duration_count{chaincode="a:1",success="true"} 1
chaincode_launch_duration_count{chaincode="b:1",success="false"} 1
chaincode_launch_duration_count{chaincode="c:1",success="false"} 1
chaincode_launch_failures{chaincode="b:1"} 1
chaincode_launch_failures{chaincode="c:1"} 1
chaincode_launch_timeouts{chaincode="c:1"} 1
`
	if got != want {
		t.Errorf("samples:\n%s\nwant:\n%s", got, want)
	}
}

// samplesWithPrefix is samples restricted to the families whose name has
// prefix; a histogram shows as its _count.
func samplesWithPrefix(g prometheus.Gatherer, prefix string) (string, error) {
	mfs, err := g.Gather()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), prefix) {
			continue
		}
		for _, m := range mf.GetMetric() {
			name, v := mf.GetName(), m.GetGauge().GetValue()+m.GetCounter().GetValue()
			if h := m.GetHistogram(); h != nil {
				name, v = name+"_count", float64(h.GetSampleCount())
			}
			b.WriteString(name)
			if len(m.GetLabel()) > 0 {
				b.WriteByte('{')
				for i, l := range m.GetLabel() {
					if i > 0 {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, "%s=%q", l.GetName(), l.GetValue())
				}
				b.WriteByte('}')
			}
			fmt.Fprintf(&b, " %g\n", v)
		}
	}
	return b.String(), nil
}
