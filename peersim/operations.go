package peersim

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// operationsHandler serves /healthz (200 once the peer is ready, 503
// before and while stopping), /metrics (Prometheus text format) and, with
// Config.OperationsPprof, Go's profiles under /debug/pprof/.
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
	if p.cfg.OperationsPprof {
		// The handlers of net/http/pprof, on this mux rather than on
		// http.DefaultServeMux, where importing the package puts them.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}
