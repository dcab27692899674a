package peersim

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// operationsHandler serves /healthz (200 once the peer is ready, 503
// before and while stopping) and /metrics (Prometheus text format).
func (p *Peer) operationsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		body := map[string]string{"status": "OK", "time": time.Now().UTC().Format(time.RFC3339Nano)}
		if !p.ready.Load() {
			body["status"] = "Service Unavailable"
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(body) //nolint:errcheck // the client went away
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(p.met.reg, promhttp.HandlerOpts{}))
	return mux
}
