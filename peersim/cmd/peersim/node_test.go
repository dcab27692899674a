package main

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/pflag"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
	"github.com/chaincodekit/chaincodekit/peersim"
)

// parseNodeFlags parses args as `node start` flags.
func parseNodeFlags(t *testing.T, args ...string) (*pflag.FlagSet, peersim.Config) {
	t.Helper()
	fs := pflag.NewFlagSet("start", pflag.ContinueOnError)
	var cfg peersim.Config
	registerNodeFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return fs, cfg
}

func TestMergeNodeFlagsPrefersFlagsGivenOverTheEnvironment(t *testing.T) {
	env := peersim.DefaultConfig("/env/dir")
	env.Address = "10.0.0.1:7051"
	env.Dev = true
	env.BatchSize = 50
	env.ExternalBuilders = []string{"/env/builder"}

	tests := []struct {
		name string
		args []string
		want func(c *peersim.Config)
	}{
		{"no flags keep the environment", nil, func(*peersim.Config) {}},
		{"a flag replaces its variable", []string{"--address", "127.0.0.1:0"}, func(c *peersim.Config) { c.Address = "127.0.0.1:0" }},
		{"a flag given with the default value still wins", []string{"--batch-size", "10"}, func(c *peersim.Config) { c.BatchSize = 10 }},
		{"a false boolean flag wins over a true variable", []string{"--dev=false"}, func(c *peersim.Config) { c.Dev = false }},
		{"--peer-chaincodedev is --dev", []string{"--peer-chaincodedev=false"}, func(c *peersim.Config) { c.Dev = false }},
		{"repeated builders replace the variable's list", []string{"--external-builder", "/a", "--external-builder", "/b"}, func(c *peersim.Config) { c.ExternalBuilders = []string{"/a", "/b"} }},
		{"--orgs and --org-addresses take comma-separated lists", []string{"--orgs", "Org1MSP,Org2MSP,Org3MSP", "--org-addresses", "Org2MSP=127.0.0.1:9051,Org3MSP=127.0.0.1:11051"},
			func(c *peersim.Config) {
				c.Orgs = []string{"Org1MSP", "Org2MSP", "Org3MSP"}
				c.OrgAddresses = []string{"Org2MSP=127.0.0.1:9051", "Org3MSP=127.0.0.1:11051"}
			}},
		{"durations and the rest", []string{"--batch-timeout", "2s", "--chaincode-execute-timeout", "0s", "--chaincode-startup-timeout", "5s", "--chaincode-tls=false", "--ledger", "memory", "--data-dir", "/flag/dir", "--chaincode-address", "127.0.0.1:1", "--operations-address", "127.0.0.1:2"},
			func(c *peersim.Config) {
				c.BatchTimeout = 2 * time.Second
				c.ChaincodeExecuteTimeout = 0
				c.ChaincodeStartupTimeout = 5 * time.Second
				c.ChaincodeTLS = false
				c.Ledger = "memory"
				c.DataDir = "/flag/dir"
				c.ChaincodeAddress = "127.0.0.1:1"
				c.OperationsAddress = "127.0.0.1:2"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, flags := parseNodeFlags(t, tt.args...)
			want := env
			want.ExternalBuilders = append([]string(nil), env.ExternalBuilders...)
			tt.want(&want)
			got := mergeNodeFlags(env, flags, fs.Changed)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("merge (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEveryConfigFieldHasAFlag fails when peersim.Config gains a field
// without a `node start` flag named after its environment variable.
func TestEveryConfigFieldHasAFlag(t *testing.T) {
	names := map[string]bool{}
	for _, f := range nodeFlags() {
		names[f.name] = true
	}
	fs, _ := parseNodeFlags(t)
	typ := reflect.TypeFor[peersim.Config]()
	for i := range typ.NumField() {
		tag := typ.Field(i).Tag.Get("envconfig")
		if tag == "" {
			continue
		}
		name := strings.ToLower(strings.ReplaceAll(tag, "_", "-"))
		if name == "external-builders" {
			name = "external-builder" // repeated, one directory per flag
		}
		if !names[name] {
			t.Errorf("Config.%s (PEERSIM_%s) has no entry %q in nodeFlags", typ.Field(i).Name, tag, name)
		}
		if fs.Lookup(name) == nil {
			t.Errorf("Config.%s (PEERSIM_%s) has no registered flag --%s", typ.Field(i).Name, tag, name)
		}
	}
	for name := range names {
		if fs.Lookup(name) == nil {
			t.Errorf("nodeFlags names --%s, which is not registered", name)
		}
	}
}

func TestNodeConfigReadsTheEnvironmentAndLetsFlagsWin(t *testing.T) {
	t.Setenv("PEERSIM_ADDRESS", "127.0.0.1:8051")
	t.Setenv("PEERSIM_BATCH_SIZE", "3")
	t.Setenv("PEERSIM_DEV", "true")
	t.Setenv("PEERSIM_EXTERNAL_BUILDERS", "/b1,/b2")
	dir := t.TempDir()
	t.Setenv("PEERSIM_DATA_DIR", dir)
	a := newApp(&bytes.Buffer{}, &bytes.Buffer{})

	fs, flags := parseNodeFlags(t, "--batch-size", "7")
	cfg, err := a.nodeConfig(fs, flags)
	if err != nil {
		t.Fatalf("nodeConfig: %v", err)
	}
	want := peersim.DefaultConfig(dir)
	want.Address = "127.0.0.1:8051"
	want.BatchSize = 7
	want.Dev = true
	want.ExternalBuilders = []string{"/b1", "/b2"}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestNodeConfigReadsTheOrganisationsFromTheEnvironmentOrTheFlags(t *testing.T) {
	tests := []struct {
		name                string
		env                 map[string]string
		args                []string
		wantOrgs, wantAddrs []string
	}{
		{"the default is Org1MSP alone", nil, nil, []string{"Org1MSP"}, nil},
		{"PEERSIM_ORGS and PEERSIM_ORG_ADDRESSES", map[string]string{"PEERSIM_ORGS": "Org1MSP,Org2MSP", "PEERSIM_ORG_ADDRESSES": "Org2MSP=127.0.0.1:9051"}, nil,
			[]string{"Org1MSP", "Org2MSP"}, []string{"Org2MSP=127.0.0.1:9051"}},
		{"the flags win", map[string]string{"PEERSIM_ORGS": "Org1MSP,Org2MSP"}, []string{"--orgs", "OrgAMSP,OrgBMSP", "--org-addresses", "OrgBMSP=127.0.0.1:9999"},
			[]string{"OrgAMSP", "OrgBMSP"}, []string{"OrgBMSP=127.0.0.1:9999"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PEERSIM_DATA_DIR", t.TempDir())
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			fs, flags := parseNodeFlags(t, tt.args...)
			cfg, err := newApp(&bytes.Buffer{}, &bytes.Buffer{}).nodeConfig(fs, flags)
			if err != nil {
				t.Fatalf("nodeConfig: %v", err)
			}
			if diff := cmp.Diff(tt.wantOrgs, cfg.Orgs); diff != "" {
				t.Errorf("Orgs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAddrs, cfg.OrgAddresses, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("OrgAddresses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNodeConfigRefusals(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"a bad duration in the environment names the variable", map[string]string{"PEERSIM_BATCH_TIMEOUT": "soon"}, nil, "BATCH_TIMEOUT"},
		{"a bad ledger flag names the field", nil, []string{"--ledger", "couch"}, `Ledger "couch"`},
		{"a bad flag value overriding a good variable is refused", map[string]string{"PEERSIM_BATCH_SIZE": "5"}, []string{"--batch-size", "0"}, "BatchSize 0"},
		{"an organisation address of an organisation not played is refused", nil, []string{"--orgs", "Org1MSP,Org2MSP", "--org-addresses", "Org3MSP=127.0.0.1:9051"}, "Org3MSP"},
		{"a bad log level names the level and the choices", nil, []string{"--log-level", "loud"}, `unknown level "loud": want one of FATAL, PANIC, ERROR, WARNING, INFO, DEBUG`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PEERSIM_DATA_DIR", t.TempDir())
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			fs, flags := parseNodeFlags(t, tt.args...)
			_, err := newApp(&bytes.Buffer{}, &bytes.Buffer{}).nodeConfig(fs, flags)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("nodeConfig error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// readyWriter collects output and closes ready when a line containing
// "peersim ready" was written.
type readyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
	// wrote, when not nil, gets a value after each write (waitFor).
	wrote chan struct{}
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "peersim ready") {
		w.once.Do(func() { close(w.ready) })
	}
	if w.wrote != nil {
		select {
		case w.wrote <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// waitFor returns once the output contains s, failing the test after
// waitLimit.
func (w *readyWriter) waitFor(t *testing.T, s string) {
	t.Helper()
	limit := time.After(waitLimit)
	for !strings.Contains(w.String(), s) {
		select {
		case <-w.wrote:
		case <-limit:
			t.Fatalf("no %q in the output after %s:\n%s", s, waitLimit, w)
		}
	}
}

func (w *readyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// node is `peersim node start` running in the test process.
type node struct {
	stderr *readyWriter
	exit   chan int
	cancel context.CancelFunc
	code   *int // once it exited
}

// startNode runs `peersim node start` with args, the PEERSIM_ variables
// of the test's environment removed, and returns once it logged that it
// is ready. Its cleanup stops it.
func startNode(t *testing.T, args ...string) *node {
	t.Helper()
	leakcheck.Check(t)
	for _, k := range []string{"PEERSIM_ADDRESS", "PEERSIM_CHAINCODE_ADDRESS", "PEERSIM_OPERATIONS_ADDRESS", "PEERSIM_DATA_DIR", "PEERSIM_DEV", "PEERSIM_LEDGER"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	n := &node{stderr: &readyWriter{ready: make(chan struct{}), wrote: make(chan struct{}, 1)}, exit: make(chan int, 1)}
	a := newApp(&bytes.Buffer{}, n.stderr)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() { n.exit <- run(ctx, append([]string{"node", "start"}, args...), a) }()
	select {
	case <-n.stderr.ready:
	case code := <-n.exit:
		cancel()
		t.Fatalf("node start exited with %d before it was ready:\n%s", code, n.stderr)
	case <-time.After(waitLimit):
		cancel()
		t.Fatalf("node start did not get ready in %s:\n%s", waitLimit, n.stderr)
	}
	t.Cleanup(func() { n.stop(t) })
	return n
}

// stop does what SIGINT or SIGTERM does through signal.NotifyContext and
// returns node start's exit code.
func (n *node) stop(t *testing.T) int {
	t.Helper()
	if n.code != nil {
		return *n.code
	}
	n.cancel()
	select {
	case code := <-n.exit:
		n.code = &code
		return code
	case <-time.After(waitLimit):
		t.Fatalf("node start did not stop in %s:\n%s", waitLimit, n.stderr)
	}
	return 0
}

func TestNodeStartServesUntilToldToStopAndExitsZero(t *testing.T) {
	n := startNode(t, "--dev", "--ledger", "memory", "--data-dir", t.TempDir(),
		"--address", "127.0.0.1:0", "--chaincode-address", "127.0.0.1:0", "--operations-address", "127.0.0.1:0")
	if code := n.stop(t); code != exitOK {
		t.Errorf("node start exited with %d after the stop signal, want 0:\n%s", code, n.stderr)
	}
	if !strings.Contains(n.stderr.String(), "mode=development") {
		t.Errorf("the peer did not run in development mode:\n%s", n.stderr)
	}
}

func TestNodeStartReportsAnUnusableConfiguration(t *testing.T) {
	t.Setenv("PEERSIM_DATA_DIR", t.TempDir())
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"node", "start", "--address", "nonsense"}, newApp(&bytes.Buffer{}, &stderr))
	if code != exitFailure || !strings.Contains(stderr.String(), `Address "nonsense"`) {
		t.Errorf("exit %d, stderr %q: want 1 and the bad address named", code, stderr.String())
	}
}
