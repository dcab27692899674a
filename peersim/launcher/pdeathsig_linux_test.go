package launcher

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestChaincodeDiesWithAKilledPeer kills a peer process (the test binary
// acting as one) with SIGKILL, so that it cannot stop anything, and checks
// that its chaincode, which ignores SIGTERM and has no stream to lose, is
// killed by the kernel (Pdeathsig).
func TestChaincodeDiesWithAKilledPeer(t *testing.T) {
	r := newRunner(t, nil, nil)
	pkg := helperPackage(t, r, "orphan_1")
	pkgFile := filepath.Join(t.TempDir(), "orphan.tar.gz")
	if err := os.WriteFile(pkgFile, pkg.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	peerCmd := exec.Command(os.Args[0])
	peerCmd.Env = append(os.Environ(), helperEnv+"=peer", "LAUNCHER_TEST_DATADIR="+r.cfg.DataDir, "LAUNCHER_TEST_PKG="+pkgFile, "GORACE=atexit_sleep_ms=0")
	out, err := peerCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := peerCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = peerCmd.Process.Kill(); _ = peerCmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("fake peer said %q: %v", line, err)
	}
	if !strings.HasPrefix(line, "child ") {
		t.Fatalf("fake peer said %q", line)
	}
	child, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "child ")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(child, syscall.SIGKILL) })
	// Wait until the chaincode has printed all it prints, so that it cannot
	// die of SIGPIPE on the dead peer's output pipe instead.
	logFile := filepath.Join(r.cfg.DataDir, "logs", "orphan:1.log")
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(logFile)
		if strings.Contains(string(data), "ready\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chaincode never got ready; log: %q", data)
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	if !alive(child) {
		t.Fatalf("chaincode %d is not running", child)
	}

	if err := peerCmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = peerCmd.Wait()
	deadline = time.Now().Add(30 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			t.Fatalf("chaincode %d outlived its killed peer", child)
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
}
