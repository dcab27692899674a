//go:build unix

package launcher

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"
)

func TestLaunchGivesTheChaincodeFabricsEnvironment(t *testing.T) {
	sink := newLogSink()
	ca := newRecordingCA(t)
	output := make(chan string, 1000) // Config.Output's lines
	r := newRunner(t, sink, func(c *Config) {
		c.TLS, c.CA = true, ca
		c.Output = func(ccid, stream, line string) {
			select {
			case output <- ccid + " " + stream + ": " + line:
			default:
			}
		}
		helperMode("env")(c)
		c.ChaincodeEnv = append(c.ChaincodeEnv, "EXTRA=yes")
		c.Env = []string{"PATH=/usr/bin:/bin", "SECRET=peer-only", "GOFLAGS=-mod=mod"}
	})
	pkg := helperPackage(t, r, "mycc_1")
	p := launch(t, r, "mycc:1", pkg)
	sink.wait(t, "[mycc:1] ready")

	want := []string{
		"args=-peer.address=127.0.0.1:7052",
		"env CORE_CHAINCODE_ID_NAME=mycc:1",
		"env CORE_ID_CHAINCODE_NAME=mycc:1",
		"env CORE_PEER_TLS_ENABLED=true",
		"env CORE_PEER_LOCALMSPID=Org1MSP",
		"env CORE_CHAINCODE_LOGGING_LEVEL=info",
		"env CORE_CHAINCODE_LOGGING_SHIM=warning",
		"env PATH=/usr/bin:/bin",
		"env EXTRA=yes",
		"file CORE_TLS_CLIENT_KEY_PATH mode 600",
		"file CORE_TLS_CLIENT_CERT_PATH mode 600",
		"file CORE_TLS_CLIENT_KEY_FILE mode 600",
		"file CORE_TLS_CLIENT_CERT_FILE mode 600",
		"file CORE_PEER_TLS_ROOTCERT_FILE mode 600",
	}
	for _, w := range want {
		sink.wait(t, "[mycc:1] "+w)
	}
	for _, l := range sink.all() {
		if strings.Contains(l, "SECRET") || strings.Contains(l, "GOFLAGS") {
			t.Errorf("the chaincode saw the peer's private environment: %s", l)
		}
	}

	// The TLS files hold the issued pair: PEM and base64 of the same PEM.
	line := sink.wait(t, "env CORE_TLS_CLIENT_KEY_PATH=")
	keyPath := strings.Fields(strings.SplitN(line, "CORE_TLS_CLIENT_KEY_PATH=", 2)[1])[0]
	dir := filepath.Dir(keyPath)
	kp := ca.last("mycc:1")
	files := map[string]string{
		"client.key":     base64.StdEncoding.EncodeToString(kp.KeyPEM),
		"client.crt":     base64.StdEncoding.EncodeToString(kp.CertPEM),
		"client_pem.key": string(kp.KeyPEM),
		"client_pem.crt": string(kp.CertPEM),
		"peer.crt":       string(ca.CertPEM()),
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s does not hold the issued material", name)
		}
	}

	r.AddChannel("mycc:1", "mychannel")
	list := r.List()
	if len(list) != 1 || list[0].CCID != "mycc:1" || list[0].PID != p.PID || len(list[0].Channels) != 1 || list[0].Channels[0] != "mychannel" {
		t.Errorf("List() = %+v", list)
	}

	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	exit := waitDone(t, p)
	if !exit.Stopped || exit.Code != 0 {
		t.Errorf("exit = %+v, want a requested stop with code 0", exit)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("launch directory %s still exists after exit (err %v)", dir, err)
	}
	if l := r.List(); len(l) != 0 {
		t.Errorf("List() after exit = %+v", l)
	}
	logged, err := os.ReadFile(filepath.Join(r.cfg.DataDir, "logs", "mycc:1.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"env CORE_CHAINCODE_ID_NAME=mycc:1\n", "ready\n", "got SIGTERM\n"} {
		if !strings.Contains(string(logged), w) {
			t.Errorf("log file lacks %q:\n%s", w, logged)
		}
	}
	// Config.Output saw the same lines, with the ccid and stream (the
	// process has exited, so every line is in).
	close(output)
	var seen []string
	for l := range output {
		seen = append(seen, l)
	}
	if !slices.ContainsFunc(seen, func(l string) bool { return strings.HasPrefix(l, "mycc:1 std") && strings.HasSuffix(l, ": ready") }) {
		t.Errorf("Config.Output got %q, want the line ready of mycc:1", seen)
	}
}

func TestLaunchWithoutTLSSetsNoTLSFiles(t *testing.T) {
	sink := newLogSink()
	r := newRunner(t, sink, helperMode("env"))
	launch(t, r, "mycc:1", helperPackage(t, r, "mycc_1"))
	sink.wait(t, "[mycc:1] env CORE_PEER_TLS_ENABLED=false")
	sink.wait(t, "[mycc:1] ready")
	for _, l := range sink.all() {
		if strings.Contains(l, "CORE_TLS_") || strings.Contains(l, "ROOTCERT") {
			t.Errorf("TLS variable set with TLS off: %s", l)
		}
	}
}

func TestStopSendsSIGTERMThenSIGKILL(t *testing.T) {
	sink := newLogSink()
	clock := newFakeClock()
	r := newRunner(t, sink, func(c *Config) {
		helperMode("ignore-term")(c)
		c.Clock = clock
		c.StopGrace = 7 * time.Second
	})
	p := launch(t, r, "stubborn:1", helperPackage(t, r, "stubborn_1"))
	sink.wait(t, "[stubborn:1] ready")

	stopped := make(chan error, 2)
	go func() { stopped <- p.Stop(context.Background()) }()
	sink.wait(t, "[stubborn:1] got SIGTERM")
	w := clock.nextWait(t)
	if w.d != 7*time.Second {
		t.Errorf("grace period = %s, want 7s", w.d)
	}
	select {
	case <-p.Done():
		t.Fatal("the process ignoring SIGTERM exited before the grace period ended")
	default:
	}
	// A second Stop neither signals again nor returns early.
	go func() { stopped <- p.Stop(context.Background()) }()
	w2 := clock.nextWait(t)
	w.fire <- time.Time{}
	for range 2 {
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
	}
	w2.fire <- time.Time{}
	exit := waitDone(t, p)
	if exit.Signal != syscall.SIGKILL || exit.Code != -1 || !exit.Stopped {
		t.Errorf("exit = %+v, want killed by SIGKILL on request", exit)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Errorf("Stop after exit: %v", err)
	}
}

func TestStopAllLeavesNoProcessBehind(t *testing.T) {
	sink := newLogSink()
	dataDir := t.TempDir()
	goroutines := leakcheck.Take()
	mk := func(mode string) *Runner {
		r, err := New(Config{DataDir: dataDir, PeerAddress: "127.0.0.1:1", StopGrace: 50 * time.Millisecond, ChaincodeEnv: []string{helperEnv + "=" + mode, "GORACE=atexit_sleep_ms=0"}}, slogFor(sink))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := mk("fork")
	stubborn := mk("ignore-term")
	t.Cleanup(func() { stopAndCheck(t, r); stopAndCheck(t, stubborn) })

	forker := launch(t, r, "forker:1", helperPackage(t, r, "forker_1"))
	line := sink.wait(t, "[forker:1] child ")
	childPID := strings.Fields(strings.SplitN(line, "child ", 2)[1])[0]
	sink.wait(t, "[forker:1] ready")
	other := launch(t, stubborn, "stubborn:1", helperPackage(t, stubborn, "stubborn_1"))
	sink.wait(t, "[stubborn:1] ready")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, rr := range []*Runner{r, stubborn} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := rr.StopAll(ctx); err != nil {
				t.Errorf("StopAll: %v", err)
			}
		}()
	}
	wg.Wait()
	for _, pid := range []string{pidString(forker), pidString(other), childPID} {
		var n int
		if _, err := fmtSscan(pid, &n); err != nil {
			t.Fatal(err)
		}
		if alive(n) {
			t.Errorf("process %d survived StopAll", n)
		}
	}
	goroutines.Verify(t)
	if exit := waitDone(t, other); exit.Signal != syscall.SIGKILL {
		t.Errorf("the process ignoring SIGTERM ended with %+v, want SIGKILL", exit)
	}
	if _, err := r.Launch(context.Background(), "forker:1", helperPackage(t, r, "forker_2")); err == nil {
		t.Error("Launch after StopAll succeeded")
	}
}

func TestCrashedChaincodeIsRelaunchedWithBackoff(t *testing.T) {
	sink := newLogSink()
	clock := newFakeClock()
	r := newRunner(t, sink, func(c *Config) {
		helperMode("crash-usr1")(c)
		c.Clock = clock
		c.Backoff = Backoff{Initial: 2 * time.Second, Max: 5 * time.Second, Healthy: time.Minute}
	})
	pkg := helperPackage(t, r, "crashy_1")
	launches := 0
	// started waits until the helper is ready: it prints "ready" after
	// signal.Notify, so SIGUSR1 is not lost.
	started := func(p *Process) *Process {
		t.Helper()
		launches++
		waitReadyCount(t, sink, "[crashy:1] ready", launches)
		return p
	}
	crash := func(p *Process) {
		t.Helper()
		if err := syscall.Kill(p.PID, syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		exit := waitDone(t, p)
		if exit.Code != 3 || exit.Stopped {
			t.Fatalf("exit = %+v, want an unrequested exit with code 3", exit)
		}
		if got := r.Process("crashy:1"); got != nil {
			t.Fatalf("registry still holds crashed process %d", got.PID)
		}
	}
	launchAfterWait := func(want time.Duration) *Process {
		t.Helper()
		got := make(chan *Process, 1)
		go func() {
			inst, err := r.Launch(context.Background(), "crashy:1", pkg)
			if err != nil {
				t.Error(err)
				got <- nil
				return
			}
			got <- inst.Process
		}()
		w := clock.nextWait(t)
		if w.d != want {
			t.Errorf("wait before relaunch %d = %s, want %s", launches+1, w.d, want)
		}
		w.fire <- time.Time{}
		p := <-got
		if p == nil {
			t.FailNow()
		}
		return p
	}

	p1 := started(launch(t, r, "crashy:1", pkg))
	crash(p1)
	// First crash: relaunch at once.
	p2 := started(launch(t, r, "crashy:1", pkg))
	if p2.PID == p1.PID {
		t.Fatal("relaunch returned the dead process")
	}
	crash(p2)
	// Further crashes in a row: Initial, doubled, capped at Max.
	for _, want := range []time.Duration{2 * time.Second, 4 * time.Second, 5 * time.Second} {
		crash(started(launchAfterWait(want)))
	}
	// A process that ran for the healthy period restarts the count.
	p := started(launchAfterWait(5 * time.Second))
	clock.advance(time.Minute)
	crash(p)
	p = started(launch(t, r, "crashy:1", pkg)) // no wait: launch blocks otherwise
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exit := waitDone(t, p); !exit.Stopped {
		t.Errorf("exit = %+v, want stopped", exit)
	}
}

func waitReadyCount(t *testing.T, sink *logSink, substr string, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c := 0
		for _, l := range sink.all() {
			if strings.Contains(l, substr) {
				c++
			}
		}
		if c >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lines containing %q, want %d", c, substr, n)
		}
		sink.mu.Lock()
		ch := sink.changed
		sink.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(time.Second):
		}
	}
}

func TestConcurrentLaunchesStartOneProcess(t *testing.T) {
	sink := newLogSink()
	r := newRunner(t, sink, helperMode("env"))
	pkg := helperPackage(t, r, "busy_1")
	const n = 8
	procs := make(chan *Process, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst, err := r.Launch(context.Background(), "busy:1", pkg)
			if err != nil {
				t.Error(err)
				return
			}
			procs <- inst.Process
		}()
	}
	wg.Wait()
	close(procs)
	var first *Process
	for p := range procs {
		if first == nil {
			first = p
		}
		if p != first {
			t.Errorf("two processes for one ccid: %d and %d", first.PID, p.PID)
		}
	}
}

func TestDisconnectedChaincodeIsStoppedAndReplaced(t *testing.T) {
	sink := newLogSink()
	r := newRunner(t, sink, helperMode("env"))
	pkg := helperPackage(t, r, "lost_1")
	p1 := launch(t, r, "lost:1", pkg)
	sink.wait(t, "[lost:1] ready")
	if err := r.Authorize("lost:1", nil); err != nil {
		t.Fatal(err)
	}
	r.Disconnected("lost:1")
	exit := waitDone(t, p1)
	if !exit.Stopped {
		t.Errorf("exit = %+v, want stopped by the launcher", exit)
	}
	p2 := launch(t, r, "lost:1", pkg)
	if p2 == p1 || p2.PID == p1.PID {
		t.Fatal("Launch after Disconnected returned the old process")
	}
	if err := r.Authorize("lost:1", nil); err != nil {
		t.Errorf("the new process may not register: %v", err)
	}
}

// At peer shutdown the peer first closes the chaincode streams (so the
// launcher hears Disconnected) and then calls StopAll: the process must
// still get its grace period after SIGTERM, not an immediate SIGKILL.
func TestStopAllAfterDisconnectedKeepsTheGracePeriod(t *testing.T) {
	sink := newLogSink()
	clock := newFakeClock()
	r := newRunner(t, sink, func(c *Config) {
		helperMode("ignore-term")(c)
		c.Clock = clock
	})
	p := launch(t, r, "slow:1", helperPackage(t, r, "slow_1"))
	sink.wait(t, "[slow:1] ready")
	if err := r.Authorize("slow:1", nil); err != nil {
		t.Fatal(err)
	}
	r.Disconnected("slow:1")
	sink.wait(t, "[slow:1] got SIGTERM")
	stopped := make(chan error, 1)
	go func() { stopped <- r.StopAll(context.Background()) }()
	// Both the Disconnected stop and StopAll's own stop wait out the grace.
	waits := []fakeWait{clock.nextWait(t), clock.nextWait(t)}
	// Nothing fires the clock yet, so the process must stay alive; a
	// short window catches an early SIGKILL (and cannot fail by chance).
	select {
	case <-p.Done():
		t.Fatalf("the process was killed before its grace period ended: %+v", p.Err())
	case <-time.After(300 * time.Millisecond):
	}
	for _, w := range waits {
		if w.d != r.cfg.StopGrace {
			t.Errorf("grace period = %s, want %s", w.d, r.cfg.StopGrace)
		}
		w.fire <- time.Time{}
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if exit := waitDone(t, p); exit.Signal != syscall.SIGKILL || !exit.Stopped {
		t.Errorf("exit = %+v, want SIGKILL on request after the grace period", exit)
	}
}
