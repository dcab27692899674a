package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/chaincodekit/chaincodekit/peersim"
)

// buildLimit bounds the first go build of a chaincode: with a cold build
// cache it compiles gRPC and protobuf, which takes minutes on a busy
// two-core machine.
const buildLimit = 5 * time.Minute

// saccModule copies samples/sacc into a Go module of its own in a temp
// directory, requiring this repository through a replace directive, as an
// author's chaincode module would. go mod tidy runs offline: the test's
// module cache holds every module the repository needs.
func saccModule(t *testing.T) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(here), "..", "..", "..")
	dir := filepath.Join(t.TempDir(), "sacc")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(repo, "samples", "sacc", "sacc.go"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	requires, err := repoRequires(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	// The repository's own requirements, so that the copy builds from the
	// module cache `go mod download` filled, with no lookup (go mod tidy
	// would want the test dependencies of every dependency).
	gomod := "module example.com/sacc\n\ngo 1.26.0\n\nrequire github.com/chaincodekit/chaincodekit v0.0.0\n\n" + requires +
		"\nreplace github.com/chaincodekit/chaincodekit => " + repo + "\n"
	for name, data := range map[string][]byte{"sacc.go": src, "go.sum": sum, "go.mod": []byte(gomod)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// repoRequires returns the require blocks of the go.mod at path.
func repoRequires(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	in := false
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "require ("):
			in = true
		case in && strings.TrimSpace(line) == ")":
			in = false
			b.WriteString(line + "\n")
			continue
		case strings.HasPrefix(line, "require "):
			b.WriteString(line + "\n")
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("%s has no require block", path)
	}
	return b.String(), nil
}

// edit replaces old with new in the file, which must contain old.
func edit(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(file, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitLine reads lines until one contains want and returns it, failing
// the test after limit; every line read is kept in seen for the failure
// message.
func waitLine(t *testing.T, lines <-chan string, seen *[]string, want string, limit time.Duration) string {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case l := <-lines:
			*seen = append(*seen, l)
			if strings.Contains(l, want) {
				return l
			}
		case <-deadline:
			t.Fatalf("no line containing %q within %s; chaincode run printed:\n%s", want, limit, strings.Join(*seen, "\n"))
		}
	}
}

func TestChaincodeRunWatchRestartsTheChaincodeOnAChangeAndThePeerKeepsTheState(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to build the chaincode:", err)
	}
	g := gomega.NewWithT(t)
	dir := t.TempDir()
	// Chaincode TLS on, so that the files the peer issues for development
	// mode are proven too; no execute timeout, as with a debugger.
	n := startNode(t, "--dev", "--chaincode-dev-tls", "--chaincode-execute-timeout", "0", "--ledger", "memory", "--data-dir", dir,
		"--address", "127.0.0.1:0", "--chaincode-address", "127.0.0.1:0", "--operations-address", "127.0.0.1:0")
	file, err := peersim.ReadAddressFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if file.ChaincodeTLS == nil {
		t.Fatalf("the address file of a peer started with --chaincode-dev-tls names no TLS files: %+v", file)
	}
	user := func(a *app) { a.lookupEnv = onlyDataDir(dir) }
	cli := func(args ...string) result {
		t.Helper()
		return runCLI(context.Background(), nil, user, args...)
	}
	src := saccModule(t)
	cli("chaincode", "install", "-n", "sacc", "-v", "1.0", "-p", src).mustSucceed(t, "install")

	lines := make(chan string, 10000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	go func() {
		a := newApp(&bytes.Buffer{}, &lineWriter{lines: lines})
		user(a)
		exit <- run(ctx, []string{"chaincode", "run", "-n", "sacc", "-v", "1.0", "-p", src, "--watch", "--watch-interval", "50ms", "--watch-debounce", "100ms"}, a)
	}()
	var seen []string
	stopped := false
	t.Cleanup(func() { // before the peer stops
		if !stopped {
			cancel()
			<-exit
		}
	})
	if l := waitLine(t, lines, &seen, "chaincode started", buildLimit); !strings.Contains(l, "tls=true") {
		t.Errorf("the chaincode started without TLS against a peer that requires it: %s", l)
	}

	cli("chaincode", "instantiate", "-C", "mychannel", "-n", "sacc", "-v", "1.0", "-c", `{"Args":["a","10"]}`).mustSucceed(t, "instantiate")
	cli("chaincode", "invoke", "-C", "mychannel", "-n", "sacc", "-c", `{"Args":["set","a","20"]}`).mustSucceed(t, "invoke set")
	hello := func() string {
		return cli("chaincode", "query", "-C", "mychannel", "-n", "sacc", "-c", `{"Args":["hello"]}`).stderr
	}
	if got := hello(); !strings.Contains(got, `unknown function "hello": use set or get`) {
		t.Fatalf("query hello before the change: %s", got)
	}

	// A change of the message the chaincode returns: rebuilt, restarted,
	// and the peer takes the new process under the same id.
	edit(t, filepath.Join(src, "sacc.go"), "use set or get", "call set or get")
	waitLine(t, lines, &seen, "source changed; rebuilding files=sacc.go", waitLimit)
	waitLine(t, lines, &seen, "chaincode started", buildLimit)
	g.Eventually(hello).WithTimeout(waitLimit).WithPolling(50 * time.Millisecond).Should(gomega.ContainSubstring(`unknown function "hello": call set or get`))
	if got := cli("chaincode", "query", "-C", "mychannel", "-n", "sacc", "-c", `{"Args":["get","a"]}`).mustSucceed(t, "query").stdout; got != "20\n" {
		t.Errorf("after the restart a = %q, want the 20 set before it", got)
	}

	// A change that does not compile keeps the running chaincode.
	edit(t, filepath.Join(src, "sacc.go"), `call set or get", fn)`, `call set or get", fn, notDefined)`)
	waitLine(t, lines, &seen, "undefined: notDefined", buildLimit)
	waitLine(t, lines, &seen, "update failed; the chaincode keeps running its previous build", waitLimit)
	if got := hello(); !strings.Contains(got, "call set or get") {
		t.Errorf("after a failed build the chaincode answers %s, want the running build's answer", got)
	}

	cancel()
	stopped = true
	select {
	case code := <-exit:
		if code != exitOK {
			t.Errorf("chaincode run exited %d after it was interrupted, want 0:\n%s", code, strings.Join(seen, "\n"))
		}
	case <-time.After(waitLimit):
		t.Fatalf("chaincode run did not stop in %s", waitLimit)
	}
	if code := n.stop(t); code != exitOK {
		t.Errorf("node start exited %d, want 0:\n%s", code, n.stderr)
	}
}
