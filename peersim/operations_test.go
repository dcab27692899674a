package peersim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/logging"
	"github.com/chaincodekit/chaincodekit/peersim/metrics"
)

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestStartOnRealPortsLogsReadyAndServesOperations(t *testing.T) {
	cfg := DefaultConfig(t.TempDir())
	cfg.Dev, cfg.Ledger = true, LedgerMemory
	cfg.Address, cfg.ChaincodeAddress, cfg.OperationsAddress = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	var logs logBuffer
	p, err := New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	before := httptest.NewRecorder()
	p.operationsHandler().ServeHTTP(before, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if before.Code != http.StatusServiceUnavailable {
		t.Errorf("/healthz before Start: %d, want 503", before.Code)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			p.Stop(context.Background())
		}
	})
	client, cc, ops := p.Addrs()
	for _, a := range []string{client, cc, ops} {
		if a == "" || strings.HasSuffix(a, ":0") {
			t.Errorf("bound address %q", a)
		}
	}
	if client == cc {
		t.Errorf("client and chaincode share %s", client)
	}
	var ready string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "peersim ready") {
			ready = line
		}
	}
	for _, a := range []string{client, cc, ops} {
		if !strings.Contains(ready, a) {
			t.Errorf("ready line %q lacks %s", ready, a)
		}
	}

	get := func(path string) (int, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ops+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusOK || !strings.Contains(body, `"OK"`) {
		t.Errorf("/healthz: %d %s", code, body)
	}
	code, body := get("/metrics")
	for _, m := range []string{`peersim_block_height{channel="mychannel"} 0`, "peersim_registered_chaincodes 0"} {
		if code != http.StatusOK || !strings.Contains(body, m) {
			t.Errorf("/metrics (%d) lacks %q:\n%s", code, m, body)
		}
	}
	// The runtime and process collectors are the peer's own (its registry
	// is not the global one): they are there, and only once.
	runtimeMetrics := []string{"\ngo_goroutines ", "\ngo_memstats_heap_alloc_bytes ", "\ngo_gc_duration_seconds_count "}
	if runtime.GOOS == "linux" {
		runtimeMetrics = append(runtimeMetrics, "\nprocess_open_fds ", "\nprocess_resident_memory_bytes ")
	}
	for _, m := range runtimeMetrics {
		if n := strings.Count(body, m); n != 1 {
			t.Errorf("/metrics has %q %d times, want once:\n%s", m, n, body)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := p.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := p.Start(ctx); err == nil {
		t.Errorf("Start after Stop succeeded")
	}
}

func TestMetricsCountProposalsAndCommits(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	n.invoke(t, n.user, DefaultChannel, "mycc", "put", "k", "v")
	n.query(t, DefaultChannel, "mycc", "fail")
	want := []string{
		`peersim_proposals_received_total{status="200"} 3`,
		`peersim_proposals_received_total{status="500"} 1`,
		`peersim_transactions_committed_total{channel="mychannel",validation_code="VALID"} 2`,
		`peersim_block_height{channel="mychannel"} 2`,
		"peersim_registered_chaincodes 1",
		"peersim_chaincode_streams 1",
		`peersim_chaincode_requests_in_flight{chaincode="mycc:1.0"} 0`,
		`peersim_chaincode_transactions_in_flight{chaincode="mycc:1.0"} 0`,
		`peersim_chaincode_execute_duration_seconds_count{chaincode="mycc:1.0",success="true",type="TRANSACTION"} 2`,
		// Fabric's names and labels for the same.
		"\nendorser_proposals_received 4",
		"\nendorser_successful_proposals 3",
		`endorser_proposal_duration_count{chaincode="mycc",channel="mychannel",success="true"} 1`,
		`endorser_proposal_duration_count{chaincode="mycc",channel="mychannel",success="false"} 1`,
		`ledger_blockchain_height{channel="mychannel"} 2`,
		`ledger_transaction_count{chaincode="mycc:1.0",channel="mychannel",transaction_type="ENDORSER_TRANSACTION",validation_code="VALID"} 1`,
		`ledger_block_processing_time_count{channel="mychannel"} 2`,
		`ledger_blockstorage_and_pvtdata_commit_time_count{channel="mychannel"} 2`,
	}
	deadline := time.Now().Add(waitLimit)
	for {
		rec := httptest.NewRecorder()
		n.p.operationsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		var missing []string
		for _, w := range want {
			if !strings.Contains(rec.Body.String(), w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %q:\n%s", missing, rec.Body.String())
		}
		time.Sleep(time.Millisecond) // the height follower runs asynchronously; poll with a deadline
	}
}

func TestOperationsServePprofOnlyWhenEnabled(t *testing.T) {
	for _, tc := range []struct {
		name     string
		enabled  bool
		wantCode int
		wantBody string
	}{
		{"off by default", false, http.StatusNotFound, ""},
		{"enabled", true, http.StatusOK, "goroutine profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := opsPeer(t, Config{OperationsPprof: tc.enabled, LogLevel: "info"})
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
				rec := httptest.NewRecorder()
				p.operationsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != tc.wantCode {
					t.Errorf("GET %s: %d, want %d", path, rec.Code, tc.wantCode)
				}
				if strings.HasPrefix(path, "/debug/pprof/goroutine") && !strings.Contains(rec.Body.String(), tc.wantBody) {
					t.Errorf("GET %s lacks %q:\n%.300s", path, tc.wantBody, rec.Body.String())
				}
			}
		})
	}
}

// opsPeer is a Peer with only what operationsHandler uses.
func opsPeer(t *testing.T, cfg Config) *Peer {
	t.Helper()
	spec, err := logging.ParseSpec(cfg.LogLevel)
	if err != nil {
		t.Fatal(err)
	}
	return &Peer{cfg: cfg, met: metrics.New(), logLevels: logging.NewLevels(spec), log: slog.New(slog.DiscardHandler)}
}

func TestOperationsLogspec(t *testing.T) {
	p := opsPeer(t, Config{LogLevel: "info"})
	h := p.operationsHandler()
	do := func(method, body string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/logspec", strings.NewReader(body)))
		return rec.Code, strings.TrimSpace(rec.Body.String())
	}
	steps := []struct {
		name     string
		method   string
		body     string
		wantCode int
		wantBody string
		wantSpec string // GET /logspec afterwards
	}{
		{"the configured spec", http.MethodGet, "", http.StatusOK, `{"spec":"info"}`, "info"},
		{"a new spec", http.MethodPut, `{"spec":"chaincode=debug:info"}`, http.StatusNoContent, "", "chaincode=debug:info"},
		{"a bad level", http.MethodPut, `{"spec":"chaincode=loud"}`, http.StatusBadRequest,
			`{"error":"logging spec \"chaincode=loud\": unknown level \"loud\": want one of FATAL, PANIC, ERROR, WARNING, INFO, DEBUG"}`, "chaincode=debug:info"},
		{"no spec", http.MethodPut, `{}`, http.StatusBadRequest,
			`{"error":"request body lacks \"spec\": send e.g. {\"spec\":\"chaincode=debug:info\"}"}`, "chaincode=debug:info"},
		{"not JSON", http.MethodPut, `debug`, http.StatusBadRequest, "", "chaincode=debug:info"},
		{"an unknown field", http.MethodPut, `{"spec":"debug","level":"x"}`, http.StatusBadRequest, "", "chaincode=debug:info"},
		{"a body too large", http.MethodPut, `{"spec":"` + strings.Repeat("a", maxLogspecBody) + `"}`, http.StatusBadRequest,
			fmt.Sprintf(`{"error":"request body is larger than %d bytes"}`, maxLogspecBody), "chaincode=debug:info"},
		{"another method", http.MethodPost, `{"spec":"debug"}`, http.StatusBadRequest,
			`{"error":"invalid request method: POST: use GET or PUT"}`, "chaincode=debug:info"},
	}
	for _, st := range steps {
		code, body := do(st.method, st.body)
		if code != st.wantCode || (st.wantBody != "" && body != st.wantBody) {
			t.Errorf("%s: %s /logspec = %d %s, want %d %s", st.name, st.method, code, body, st.wantCode, st.wantBody)
		}
		if code, body := do(http.MethodGet, ""); code != http.StatusOK || body != fmt.Sprintf(`{"spec":%q}`, st.wantSpec) {
			t.Errorf("%s: then GET /logspec = %d %s, want spec %q", st.name, code, body, st.wantSpec)
		}
	}
	if got := p.logLevels.Spec().Level("chaincode"); got != slog.LevelDebug {
		t.Errorf("after PUT, chaincode logs at %s, want DEBUG", got)
	}
}

func TestOperationsVersion(t *testing.T) {
	h := opsPeer(t, Config{LogLevel: "info"}).operationsHandler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/version", nil))
	var v struct{ CommitSHA, Version string }
	if err := json.Unmarshal(rec.Body.Bytes(), &v); rec.Code != http.StatusOK || err != nil || v.Version == "" {
		t.Errorf("GET /version = %d %s (%v), want 200 and a Version", rec.Code, rec.Body, err)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/version", nil))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"Error":"invalid request method: PUT"`) {
		t.Errorf("PUT /version = %d %s, want 400 with Fabric's error", rec.Code, rec.Body)
	}
}
