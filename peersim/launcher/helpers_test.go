//go:build unix

package launcher

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
)

// helperEnv selects what the test binary does when the launcher starts it
// as a chaincode (the go-plugin pattern: re-exec the test binary instead of
// building a helper).
const helperEnv = "LAUNCHER_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	os.Exit(m.Run())
}

// helperMain is the fake chaincode. Modes:
//
//	env          print args, CORE_* and TZ variables, TLS file modes and the working directory, "ready", exit 0 on SIGTERM
//	ignore-term  print "ready", report SIGTERM ("got SIGTERM") but keep running
//	crash        exit 3 at once
//	crash-usr1   print "ready", exit 3 on SIGUSR1, exit 0 on SIGTERM
//	fork         start a child (mode ignore-term) in the same process group, print "child <pid>", then as env
//	peer         act as a peer: launch the package in $LAUNCHER_TEST_PKG (mode ignore-term) from the
//	             cache in $LAUNCHER_TEST_DATADIR, print "child <pid>", then wait to be killed
func helperMain(mode string) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGUSR1)
	switch mode {
	case "crash":
		fmt.Println("crashing")
		return 3
	case "env":
		fmt.Printf("args=%s\n", strings.Join(os.Args[1:], " "))
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, "CORE_") || strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "EXTRA=") || strings.HasPrefix(kv, "TZ=") {
				fmt.Println("env " + kv)
			}
		}
		for _, k := range []string{"CORE_TLS_CLIENT_KEY_PATH", "CORE_TLS_CLIENT_CERT_PATH", "CORE_TLS_CLIENT_KEY_FILE", "CORE_TLS_CLIENT_CERT_FILE", "CORE_PEER_TLS_ROOTCERT_FILE"} {
			if p := os.Getenv(k); p != "" {
				st, err := os.Stat(p)
				if err != nil {
					fmt.Printf("file %s error %v\n", k, err)
					continue
				}
				fmt.Printf("file %s mode %o\n", k, st.Mode().Perm())
			}
		}
		if wd, err := os.Getwd(); err == nil {
			fmt.Println("cwd " + wd)
		}
	case "peer":
		return fakePeerMain()
	case "fork":
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), helperEnv+"=ignore-term")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Println("fork failed:", err)
			return 1
		}
		fmt.Printf("child %d\n", cmd.Process.Pid)
	}
	fmt.Println("ready")
	for s := range sigs {
		switch {
		case s == syscall.SIGUSR1 && mode == "crash-usr1":
			return 3
		case s == syscall.SIGTERM:
			fmt.Println("got SIGTERM")
			if mode != "ignore-term" {
				return 0
			}
		}
	}
	return 0
}

// logSink is a slog handler that keeps every message and lets a test wait
// for one.
type logSink struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
}

func newLogSink() *logSink { return &logSink{changed: make(chan struct{})} }

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *logSink) WithGroup(string) slog.Handler            { return s }
func (s *logSink) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	s.mu.Lock()
	s.lines = append(s.lines, b.String())
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	return nil
}

// wait returns the first logged line containing substr, failing the test
// if none appears within a generous deadline.
func (s *logSink) wait(t testing.TB, substr string) string {
	t.Helper()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, l := range s.lines {
			if strings.Contains(l, substr) {
				s.mu.Unlock()
				return l
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no log line containing %q; got:\n%s", substr, s.dump())
		}
	}
}

func (s *logSink) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

func (s *logSink) dump() string { return strings.Join(s.all(), "\n") }

// fakeClock hands every After call to the test, which fires it.
type fakeClock struct {
	now   time.Time
	mu    sync.Mutex
	waits chan fakeWait
}

type fakeWait struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), waits: make(chan fakeWait, 64)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	w := fakeWait{d: d, fire: make(chan time.Time, 1)}
	c.waits <- w
	return w.fire
}

// nextWait returns the next After call.
func (c *fakeClock) nextWait(t testing.TB) fakeWait {
	t.Helper()
	select {
	case w := <-c.waits:
		return w
	case <-time.After(60 * time.Second):
		t.Fatal("nobody waited on the clock")
		return fakeWait{}
	}
}

// recordingCA remembers the client certificate issued for each ccid.
type recordingCA struct {
	*identity.ChaincodeCA
	mu     sync.Mutex
	issued map[string]*identity.KeyPair
}

func newRecordingCA(t testing.TB) *recordingCA {
	ca, err := identity.NewChaincodeCA(0)
	if err != nil {
		t.Fatal(err)
	}
	return &recordingCA{ChaincodeCA: ca, issued: map[string]*identity.KeyPair{}}
}

func (c *recordingCA) IssueClientPEM(ccid string) (certPEM, keyPEM []byte, err error) {
	kp, err := c.ChaincodeCA.IssueClient(ccid)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	c.issued[ccid] = kp
	c.mu.Unlock()
	return kp.CertPEM, kp.KeyPEM, nil
}

func (c *recordingCA) last(ccid string) *identity.KeyPair {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.issued[ccid]
}

// newRunner makes a Runner on a fresh data dir, stopped at the end of the
// test, which then checks that no process it launched is left.
func newRunner(t testing.TB, sink *logSink, mutate func(*Config)) *Runner {
	t.Helper()
	cfg := Config{
		DataDir:     t.TempDir(),
		PeerAddress: "127.0.0.1:7052",
		MSPID:       "Org1MSP",
		StopGrace:   10 * time.Second,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	var logger *slog.Logger
	if sink != nil {
		logger = slog.New(sink)
	}
	r, err := New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAndCheck(t, r) })
	return r
}

func stopAndCheck(t testing.TB, r *Runner) {
	t.Helper()
	r.mu.Lock()
	var pids []int
	for _, e := range r.entries {
		if e.proc != nil {
			pids = append(pids, e.proc.PID)
		}
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.StopAll(ctx); err != nil {
		t.Errorf("StopAll: %v", err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d still alive after StopAll", pid)
		}
	}
	if l := r.List(); len(l) != 0 {
		t.Errorf("List after StopAll = %+v, want empty", l)
	}
}

// alive reports whether pid names a process that is not a zombie (PID 1 of
// a container may never reap orphans).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// state is the field after the parenthesised command name
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// writeModule writes a Go module (go.mod + files) into a fresh directory.
func writeModule(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const tinyGoMod = "module example.com/tinycc\n\ngo 1.22\n"

// tinyMain prints its chaincode id and exits.
const tinyMain = `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("tiny chaincode", os.Getenv("CORE_CHAINCODE_ID_NAME"), os.Args[1:])
}
`

// pack packages dir with the given label and type and parses the result.
func pack(t testing.TB, dir, label, typ string) *ccpackage.Package {
	t.Helper()
	raw, err := ccpackage.Pack(ccpackage.PackOptions{Dir: dir, Label: label, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := ccpackage.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// helperPackage returns a Go package whose cached build is the test binary
// itself, so that launches run helperMain without compiling anything.
func helperPackage(t testing.TB, r *Runner, label string) *ccpackage.Package {
	t.Helper()
	pkg := pack(t, writeModule(t, map[string]string{"go.mod": tinyGoMod, "main.go": tinyMain}), label, "")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(r.buildsRoot(), pkg.ID())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(dir, binaryName)); err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(buildInfo{BuilderName: builtinGolang, PackageID: pkg.ID()})
	if err := os.WriteFile(filepath.Join(dir, buildInfoFile), info, 0o644); err != nil {
		t.Fatal(err)
	}
	return pkg
}

func helperMode(mode string) func(*Config) {
	// GORACE: a race-enabled helper would otherwise sleep a second at exit.
	return func(c *Config) {
		c.ChaincodeEnv = append(c.ChaincodeEnv, helperEnv+"="+mode, "GORACE=atexit_sleep_ms=0")
	}
}

func launch(t testing.TB, r *Runner, ccid string, pkg *ccpackage.Package) *Process {
	t.Helper()
	inst, err := r.Launch(context.Background(), ccid, pkg)
	if err != nil {
		t.Fatalf("Launch(%s): %v", ccid, err)
	}
	if inst.Process == nil {
		t.Fatalf("Launch(%s) started no process: %+v", ccid, inst)
	}
	return inst.Process
}

func waitDone(t testing.TB, p *Process) *ExitError {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(60 * time.Second):
		t.Fatalf("process %d of %s did not exit", p.PID, p.CCID)
	}
	var exit *ExitError
	if !errors.As(p.Err(), &exit) {
		t.Fatalf("Err() = %v, want *ExitError", p.Err())
	}
	return exit
}

func pidString(p *Process) string { return strconv.Itoa(p.PID) }

func slogFor(sink *logSink) *slog.Logger { return slog.New(sink) }

func fmtSscan(s string, n *int) (int, error) { return fmt.Sscan(s, n) }

func mustParse(der []byte) *x509.Certificate {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c
}

// fakePeerMain is a peer process that launches one chaincode and waits.
func fakePeerMain() int {
	raw, err := os.ReadFile(os.Getenv("LAUNCHER_TEST_PKG"))
	if err != nil {
		fmt.Println("read package:", err)
		return 1
	}
	pkg, err := ccpackage.Parse(raw)
	if err != nil {
		fmt.Println("parse package:", err)
		return 1
	}
	r, err := New(Config{
		DataDir:      os.Getenv("LAUNCHER_TEST_DATADIR"),
		PeerAddress:  "127.0.0.1:1",
		ChaincodeEnv: []string{helperEnv + "=ignore-term", "GORACE=atexit_sleep_ms=0"},
	}, nil)
	if err != nil {
		fmt.Println("new runner:", err)
		return 1
	}
	inst, err := r.Launch(context.Background(), "orphan:1", pkg)
	if err != nil {
		fmt.Println("launch:", err)
		return 1
	}
	fmt.Printf("child %d\n", inst.Process.PID)
	select {}
}
