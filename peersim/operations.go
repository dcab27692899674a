package peersim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/logging"
	"github.com/chaincodekit/chaincodekit/peersim/trace"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// operationsHandler serves what a Fabric peer's operations service serves —
// /healthz (200 once the peer is ready, 503 before and while stopping),
// /metrics (Prometheus text format), /version and /logspec (GET and PUT) —
// and, with Config.OperationsPprof, Go's profiles under /debug/pprof/.
func (p *Peer) operationsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		body := map[string]string{"status": "OK", "time": time.Now().UTC().Format(time.RFC3339Nano)}
		code := http.StatusOK
		if !p.ready.Load() {
			body["status"], code = "Service Unavailable", http.StatusServiceUnavailable
		}
		writeJSON(w, code, body)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(p.met.Registry(), promhttp.HandlerOpts{}))
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			writeJSON(w, http.StatusBadRequest, map[string]string{"Error": "invalid request method: " + r.Method})
			return
		}
		writeJSON(w, http.StatusOK, buildVersion())
	})
	mux.HandleFunc("/logspec", p.serveLogspec)
	mux.HandleFunc("GET /traces", p.serveTraces)
	mux.HandleFunc("GET /traces/{txid}", p.serveTrace)
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

// serveTraces answers GET /traces[?n=N] with the last N traces (all kept
// without n), newest first, as a JSON array of trace.Trace.
func (p *Peer) serveTraces(w http.ResponseWriter, r *http.Request) {
	n := 0
	if s := r.URL.Query().Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("n %q: give a number of traces, 0 or more", s)})
			return
		}
		n = v
	}
	ts := p.Traces(n)
	if ts == nil {
		ts = []trace.Trace{}
	}
	writeJSON(w, http.StatusOK, ts)
}

// serveTrace answers GET /traces/TXID[?channel=NAME] with that
// transaction's trace.Trace, or 404 and {"error":"..."}.
func (p *Peer) serveTrace(w http.ResponseWriter, r *http.Request) {
	txID, channel := r.PathValue("txid"), r.URL.Query().Get("channel")
	t, ok := p.Trace(channel, txID)
	if !ok {
		why := fmt.Sprintf("no trace of transaction %s: the peer keeps the last %d (--trace-capacity)", txID, p.traces.Capacity())
		if p.traces == nil {
			why = fmt.Sprintf("no trace of transaction %s: tracing is off (--trace-capacity 0)", txID)
		}
		writeJSON(w, http.StatusNotFound, map[string]string{"error": why})
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// maxLogspecBody bounds what PUT /logspec reads.
const maxLogspecBody = 64 << 10

// serveLogspec answers GET /logspec with {"spec":"..."} and makes the spec
// of a PUT {"spec":"..."} the active one (204), as Fabric's operations
// service does; a bad request gets 400 and {"error":"..."}.
func (p *Peer) serveLogspec(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"spec": p.logLevels.Spec().String()})
	case http.MethodPut:
		spec, err := decodeLogspec(http.MaxBytesReader(w, r.Body, maxLogspecBody))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		p.logLevels.Set(spec)
		p.log.Info("logging spec changed", "spec", spec.String())
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid request method: " + r.Method + ": use GET or PUT"})
	}
}

func decodeLogspec(body io.Reader) (logging.Spec, error) {
	var req struct {
		Spec *string `json:"spec"`
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return logging.Spec{}, fmt.Errorf("request body is larger than %d bytes", tooLarge.Limit)
		}
		return logging.Spec{}, fmt.Errorf(`request body is not {"spec":"..."}: %w`, err)
	}
	if req.Spec == nil || strings.TrimSpace(*req.Spec) == "" {
		return logging.Spec{}, errors.New(`request body lacks "spec": send e.g. {"spec":"chaincode=debug:info"}`)
	}
	return logging.ParseSpec(*req.Spec)
}

// versionInfo is /version's answer, with the field names of Fabric's.
type versionInfo struct {
	CommitSHA string `json:"CommitSHA,omitempty"`
	Version   string `json:"Version,omitempty"`
}

// modulePath is this repository's module, whose version /version reports.
const modulePath = "github.com/chaincodekit/chaincodekit"

// buildVersion reads the peer's version from the binary's build
// information: the chaincodekit module's version ("(devel)" when built from
// a checkout) and, when the go command recorded it, the commit.
func buildVersion() versionInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return versionInfo{Version: "unknown"}
	}
	v := versionInfo{Version: bi.Main.Version}
	if bi.Main.Path != modulePath {
		v.Version = "unknown"
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				v.Version = d.Version
			}
		}
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v.CommitSHA = s.Value[:min(len(s.Value), 7)]
		}
	}
	return v
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body) //nolint:errcheck // the client went away
}
