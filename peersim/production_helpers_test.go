package peersim

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"
)

// prodFixture is the sacc sample packed and built once per test binary:
// each `go build` of a chaincode costs seconds, so production-mode tests
// copy this build into their peer's build cache instead of building again.
type prodFixture struct {
	// pkg is the sacc package (label sacc_1.0) and id its package ID.
	pkg []byte
	id  string
	// module is a copy of this module's go.mod, go.sum, shim and
	// samples/sacc, which external-builder packages reuse.
	module string
	// buildDir is the finished launcher build of pkg (builds/<id>) and
	// binary the chaincode executable in it.
	buildDir, binary string
}

// prodShared holds the fixture for the whole test binary; TestMain removes
// its directory.
var prodShared struct {
	once sync.Once
	dir  string
	fx   *prodFixture
	err  error
}

func TestMain(m *testing.M) {
	if os.Getenv(helperChaincodeEnv) != "" {
		// The launcher started this binary as a chaincode (see
		// helperChaincodePackage).
		os.Exit(helperChaincodeMain())
	}
	code := m.Run()
	if prodShared.dir != "" {
		os.RemoveAll(prodShared.dir)
	}
	os.Exit(code)
}

// saccFixture returns the shared sacc build, building it on first use.
// Tests that need it are skipped with -short.
func saccFixture(t testing.TB) *prodFixture {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the sacc sample with go build")
	}
	prodShared.once.Do(func() { prodShared.fx, prodShared.err = buildSaccFixture() })
	if prodShared.err != nil {
		t.Fatalf("build the sacc fixture: %v", prodShared.err)
	}
	return prodShared.fx
}

func buildSaccFixture() (*prodFixture, error) {
	dir, err := os.MkdirTemp("", "peersim-production-")
	if err != nil {
		return nil, err
	}
	prodShared.dir = dir
	fx := &prodFixture{module: filepath.Join(dir, "module")}
	if err := copyModule(fx.module, "go.mod", "go.sum", "shim", "samples/sacc"); err != nil {
		return nil, err
	}
	if fx.pkg, err = ccpackage.Pack(ccpackage.PackOptions{Dir: filepath.Join(fx.module, "samples", "sacc"), Label: "sacc_1.0"}); err != nil {
		return nil, err
	}
	parsed, err := ccpackage.Parse(fx.pkg)
	if err != nil {
		return nil, err
	}
	fx.id = parsed.ID()
	r, err := launcher.New(launcher.Config{DataDir: filepath.Join(dir, "data"), PeerAddress: "127.0.0.1:7052", MSPID: "Org1MSP"}, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, err := r.Build(ctx, parsed)
	if stopErr := r.StopAll(ctx); err == nil {
		err = stopErr
	}
	if err != nil {
		return nil, err
	}
	fx.buildDir, fx.binary = b.Dir, b.Executable
	return fx, nil
}

// copyModule copies the named files and directories of this module (Go
// sources without tests, go.mod, go.sum) to dst, so that packaging does
// not see files that other work changes meanwhile.
func copyModule(dst string, paths ...string) error {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..")
	for _, rel := range paths {
		err := filepath.WalkDir(filepath.Join(root, rel), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			name := d.Name()
			if !d.Type().IsRegular() || strings.HasSuffix(name, "_test.go") ||
				(!strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum") {
				return nil
			}
			r, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			return copyFile(p, filepath.Join(dst, r), 0o644)
		})
		if err != nil {
			return fmt.Errorf("copy %s: %w", rel, err)
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// seedBuild puts the fixture's build into dataDir's build cache, as if
// this peer had built sacc before.
func (fx *prodFixture) seedBuild(t testing.TB, dataDir string) {
	t.Helper()
	fx.copyBuild(t, dataDir, fx.id)
}

// copyBuild copies the fixture's build files into dataDir's build cache
// under packageID and returns that directory.
func (fx *prodFixture) copyBuild(t testing.TB, dataDir, packageID string) string {
	t.Helper()
	dst := filepath.Join(dataDir, "builds", packageID)
	entries, err := os.ReadDir(fx.buildDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		src := filepath.Join(fx.buildDir, e.Name())
		st, err := os.Stat(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := copyFile(src, filepath.Join(dst, e.Name()), st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// logRecorder keeps the peer's log lines so tests can look for one; with
// -v it also writes them to stderr.
type logRecorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logRecorder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if testing.Verbose() {
		os.Stderr.Write(p)
	}
	return l.buf.Write(p)
}

// mark is a position in the log, for since.
func (l *logRecorder) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Len()
}

// since returns what was logged after mark m.
func (l *logRecorder) since(m int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()[m:]
}

func (l *logRecorder) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.buf.String(), s)
}

// wait polls until the log holds s, failing after waitLimit.
func (l *logRecorder) wait(t testing.TB, s string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !l.contains(s) {
		if time.Now().After(deadline) {
			t.Fatalf("the peer never logged %q", s)
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
}

// prodNet is a production-mode peer with the real launcher: clients on
// bufconn, the chaincode listener on 127.0.0.1:0 for the processes it
// starts.
type prodNet struct {
	*testNet
	log *logRecorder
}

// startProd starts a production-mode peer on dir with chaincode TLS as
// given; mutate adjusts the configuration further. The clients of each of
// Config.Orgs are in n.orgs.
func startProd(t testing.TB, dir string, tls bool, mutate ...func(*Config)) *prodNet {
	t.Helper()
	cfg := DefaultConfig(dir)
	cfg.Dev, cfg.ChaincodeTLS = false, tls
	cfg.Ledger = LedgerMemory
	cfg.BatchSize = 1
	cfg.BatchTimeout = 20 * time.Millisecond
	cfg.ChaincodeStartupTimeout = waitLimit
	cfg.Address, cfg.ChaincodeAddress, cfg.OperationsAddress = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	for _, m := range mutate {
		m(&cfg)
	}
	rec := &logRecorder{}
	p, err := New(cfg, slog.New(slog.NewTextHandler(rec, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name()))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	clientLis := bufconn.Listen(1 << 20)
	ccLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	orgLis := map[string]net.Listener{}
	for _, id := range cfg.Orgs[1:] {
		orgLis[id] = bufconn.Listen(1 << 20)
	}
	if err := p.StartOn(context.Background(), Listeners{Client: clientLis, Chaincode: ccLis, OrgClients: orgLis}); err != nil {
		t.Fatalf("StartOn: %v", err)
	}
	n := &testNet{t: t, p: p, dir: dir, timeout: waitLimit}
	n.client = dialBuf(t, clientLis)
	n.orgs = map[string]*grpc.ClientConn{cfg.Orgs[0]: n.client}
	for id, l := range orgLis {
		n.orgs[id] = dialBuf(t, l.(*bufconn.Listener))
	}
	if n.admin, err = p.Org().Identity("Admin"); err != nil {
		t.Fatal(err)
	}
	if n.user, err = p.Org().Identity("User1"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			if err := p.Stop(ctx); err != nil {
				t.Errorf("Stop: %v", err)
			}
			for _, c := range n.orgs {
				c.Close()
			}
		})
	}
	t.Cleanup(n.stop)
	return &prodNet{testNet: n, log: rec}
}

// running returns what the launcher lists for ccid, failing when it lists
// nothing.
func (n *prodNet) running(t testing.TB, ccid string) launcher.Running {
	t.Helper()
	for _, r := range n.p.launcher.List() {
		if r.CCID == ccid {
			return r
		}
	}
	t.Fatalf("the launcher lists no %s: %+v", ccid, n.p.launcher.List())
	return launcher.Running{}
}

// installOK installs pkg as name:version and requires success.
func (n *prodNet) installOK(t testing.TB, name, version string, pkg []byte) {
	t.Helper()
	if r := n.installPackage(t, n.admin, name, version, pkg); r.GetResponse().GetStatus() != 200 {
		t.Fatalf("install %s:%s: %d %s", name, version, r.GetResponse().GetStatus(), r.GetResponse().GetMessage())
	}
}

// endorseDeploy sends an lscc deploy of name:version on channel and
// returns the peer's answer without ordering it: the answer comes once
// the chaincode is built, launched and its Init has run.
func (n *prodNet) endorseDeploy(t testing.TB, channel, name, version string, initArgs ...string) *peer.ProposalResponse {
	t.Helper()
	cds := &peer.ChaincodeDeploymentSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		Type: peer.ChaincodeSpec_GOLANG, ChaincodeId: &peer.ChaincodeID{Name: name, Version: version}, Input: &peer.ChaincodeInput{Args: args(initArgs...)},
	}}
	policy := mustMarshal(t, identity.MustParsePolicy("OR('Org1MSP.member')"))
	a := [][]byte{[]byte("deploy"), []byte(channel), mustMarshal(t, cds), policy, []byte("escc"), []byte("vscc"), nil}
	resp, _, _ := n.propose(t, n.admin, identity.Invocation{ChannelID: channel, Chaincode: lsccName, Args: a})
	return resp
}

// processGone reports whether no process has pid any more.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// runRogue runs the sacc binary as a process the peer did not start,
// with the given extra environment, and returns its output once it has
// exited (it must exit by itself within waitLimit).
func runRogue(t testing.TB, fx *prodFixture, peerAddr string, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, fx.binary, "-peer.address="+peerAddr)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "CORE_PEER_LOCALMSPID=Org1MSP"}, env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the rogue chaincode did not exit within %s: %s", waitLimit, out)
	}
	return string(out), err
}

// writeFiles writes files (relative name → content) under dir with mode.
func writeFiles(t testing.TB, dir string, mode os.FileMode, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// tarEntry is one entry of a hand-made archive.
type tarEntry struct {
	name, body, link string
	typ              byte
}

// tarGz writes entries as a gzip-compressed tar archive, with no checks:
// tests use it to make archives Pack would never write.
func tarGz(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: 0o644}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawPackage is a Fabric 2.x package around a hand-made code archive.
func rawPackage(t testing.TB, label string, code ...tarEntry) []byte {
	t.Helper()
	meta := fmt.Sprintf(`{"path":"example.com/%s","type":"golang","label":%q}`, label, label)
	return tarGz(t, tarEntry{name: "metadata.json", body: meta}, tarEntry{name: "code.tar.gz", body: string(tarGz(t, code...))})
}
