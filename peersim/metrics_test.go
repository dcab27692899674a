package peersim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
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
func samples(g prometheus.Gatherer) (string, error) {
	mfs, err := g.Gather()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			b.WriteString(mf.GetName())
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
			fmt.Fprintf(&b, " %g\n", m.GetGauge().GetValue())
		}
	}
	return b.String(), nil
}
