package network

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

// Timeouts of the helpers. Production mode builds chaincode with the Go
// toolchain on first launch, which on a loaded two-core machine takes a
// while; nothing here sleeps, these only bound how long a poll may last.
const (
	// StartTimeout bounds waiting for a peer's ready line.
	StartTimeout = 60 * time.Second
	// StopTimeout bounds waiting for a peer to exit after SIGTERM.
	StopTimeout = 60 * time.Second
	// CommandTimeout is the CLI's --timeout and bounds waiting for a CLI
	// command to exit.
	CommandTimeout = 4 * time.Minute
	// ChaincodeStartupTimeout is the peer's --chaincode-startup-timeout;
	// in production mode it starts once the chaincode is built (a build
	// has the peer's --chaincode-build-timeout, 5m by default).
	ChaincodeStartupTimeout = 4 * time.Minute
)

// Peer runs `peersim node start` as a gexec session. Set the fields, then
// Start; Start fills the bound addresses from the peer's ready line, so
// addresses left empty mean port 0: the peer picks free ports and tells.
type Peer struct {
	// Name prefixes the peer's output in the Ginkgo report.
	Name string
	// Binary is the peersim binary.
	Binary string
	// DataDir is --data-dir; keep it to restart the peer on its data.
	DataDir string
	// Dev starts the peer in development mode (--dev).
	Dev bool
	// Ledger is --ledger (bolt or memory); the peer's default when empty.
	Ledger string
	// Address, ChaincodeAddress and OperationsAddress are the listen
	// addresses; empty means 127.0.0.1:0 (see FreeAddress for fixed ones).
	Address, ChaincodeAddress, OperationsAddress string
	// Orgs is --orgs: the organisations the peer plays (one, Org1MSP,
	// when empty). Their clients' addresses are in the address file,
	// which the CLI's --org reads (AsOrg).
	Orgs []string
	// Args are more `node start` flags, e.g. "--batch-size", "5".
	Args []string
	// Env holds more KEY=value entries for the peer's environment.
	Env []string

	// ClientAddr, ChaincodeAddr and OperationsAddr are the addresses the
	// running peer announced in its ready line.
	ClientAddr, ChaincodeAddr, OperationsAddr string

	session *gexec.Session
}

// readyLine matches the peer's ready log line with its bound addresses.
var readyLine = regexp.MustCompile(`peersim ready"? client=(\S+) chaincode=(\S+) operations=(\S+)`)

// Start starts the peer and waits for its ready line; it fails the spec
// if the peer exits first.
func (p *Peer) Start() {
	GinkgoHelper()
	s := p.launch()
	Eventually(func(g Gomega) {
		if code := s.ExitCode(); code != -1 {
			StopTrying(fmt.Sprintf("peer %s exited with code %d before it was ready; its output is in the report", p.Name, code)).Now()
		}
		g.Expect(s.Err).To(gbytes.Say(`peersim ready`))
	}, StartTimeout).Should(Succeed(), "peer %s never logged its ready line", p.Name)
	m := readyLine.FindAllSubmatch(s.Err.Contents(), -1)
	Expect(m).NotTo(BeEmpty(), "peer %s: the ready line does not name client=, chaincode= and operations= addresses", p.Name)
	last := m[len(m)-1]
	p.ClientAddr, p.ChaincodeAddr, p.OperationsAddr = string(last[1]), string(last[2]), string(last[3])
}

// StartFailing starts the peer expecting it to refuse to start: it waits
// for the peer to exit non-zero and returns the finished session.
func (p *Peer) StartFailing() *gexec.Session {
	GinkgoHelper()
	s := p.launch()
	p.session = nil
	Eventually(s, StartTimeout).Should(gexec.Exit(), "peer %s started, but it should have refused to", p.Name)
	Expect(s.ExitCode()).NotTo(Equal(0), "peer %s exited 0, but it should have refused to start", p.Name)
	return s
}

// launch starts `peersim node start` with the peer's settings.
func (p *Peer) launch() *gexec.Session {
	GinkgoHelper()
	Expect(p.session).To(BeNil(), "peer %s is already running", p.Name)
	Expect(p.Binary).NotTo(BeEmpty(), "Peer.Binary is empty: set it to the peersim binary from the suite's Components")
	Expect(p.DataDir).NotTo(BeEmpty(), "Peer.DataDir is empty: set it to a temporary directory (GinkgoT().TempDir())")
	args := []string{"node", "start",
		"--data-dir", p.DataDir,
		"--address", orAny(p.Address),
		"--chaincode-address", orAny(p.ChaincodeAddress),
		"--operations-address", orAny(p.OperationsAddress),
		"--chaincode-startup-timeout", ChaincodeStartupTimeout.String(),
	}
	if p.Dev {
		args = append(args, "--dev")
	}
	if p.Ledger != "" {
		args = append(args, "--ledger", p.Ledger)
	}
	if len(p.Orgs) > 0 {
		args = append(args, "--orgs", strings.Join(p.Orgs, ","))
	}
	args = append(args, p.Args...)
	cmd := exec.Command(p.Binary, args...)
	cmd.Env = append(cleanEnv(), p.Env...)
	s, err := gexec.Start(cmd, prefixed(p.Name, "out"), prefixed(p.Name, "err"))
	Expect(err).NotTo(HaveOccurred(), "start %s", cmd)
	p.session = s
	return s
}

// Stop sends SIGTERM and expects the peer to exit 0. Stopping a peer that
// is not running does nothing, so it is safe in DeferCleanup.
func (p *Peer) Stop() {
	GinkgoHelper()
	if p.session == nil {
		return
	}
	s := p.session
	p.session = nil
	s.Terminate()
	Eventually(s, StopTimeout).Should(gexec.Exit(0), "peer %s did not exit 0 on SIGTERM", p.Name)
}

// Restart stops the peer and starts it again on the same data directory.
func (p *Peer) Restart() {
	GinkgoHelper()
	p.Stop()
	p.Start()
}

// Session is the running peer's session (its output in Out and Err).
func (p *Peer) Session() *gexec.Session {
	GinkgoHelper()
	Expect(p.session).NotTo(BeNil(), "peer %s is not running", p.Name)
	return p.session
}

// WaitForLog waits until the peer's log says something matching the
// regular expression, after what earlier waits consumed.
func (p *Peer) WaitForLog(expr string) {
	GinkgoHelper()
	Eventually(p.Session().Err, CommandTimeout).Should(gbytes.Say(expr))
}

// WaitForChaincode waits until the chaincode ccid (name:version) has
// registered with the peer.
func (p *Peer) WaitForChaincode(ccid string) {
	GinkgoHelper()
	p.WaitForLog(`chaincode registered.* ccid=` + regexp.QuoteMeta(ccid) + `\b`)
}

// Run starts the CLI command c against this peer (its data directory for
// the identities and, for commands that talk to a peer, its client
// address) and returns the session without waiting.
func (p *Peer) Run(c Command) *gexec.Session {
	GinkgoHelper()
	args := append(c.Argv(), "--data-dir", p.DataDir)
	inner := c
	asOrg, ok := c.(AsOrg)
	if ok {
		inner = asOrg.Command
	}
	if _, offline := inner.(offlineCommand); !offline {
		Expect(p.ClientAddr).NotTo(BeEmpty(), "peer %s has not been started: its client address is unknown", p.Name)
		if !ok { // --org finds its organisation's address in the address file
			args = append(args, "--peer-address", p.ClientAddr)
		}
		args = append(args, "--timeout", CommandTimeout.String())
	}
	cmd := exec.Command(p.Binary, args...)
	cmd.Env = withoutRaceExitSleep(cleanEnv())
	s, err := gexec.Start(cmd, prefixed(p.Name+" cli", "out"), prefixed(p.Name+" cli", "err"))
	Expect(err).NotTo(HaveOccurred(), "start %s", cmd)
	return s
}

// Exec runs c, expects it to exit 0 and returns the finished session.
func (p *Peer) Exec(c Command) *gexec.Session {
	GinkgoHelper()
	s := p.Run(c)
	Eventually(s, CommandTimeout+30*time.Second).Should(gexec.Exit(0), "peersim %s failed", strings.Join(c.Argv(), " "))
	return s
}

// Output runs c, expects it to exit 0 and returns its standard output
// without the final newline.
func (p *Peer) Output(c Command) string {
	GinkgoHelper()
	return strings.TrimSuffix(string(p.Exec(c).Out.Contents()), "\n")
}

// The variables a development-mode chaincode reads its id from.
const (
	// SeedIDVariable is the one the seed document's guide sets.
	SeedIDVariable = "CORE_ID_CHAINCODE_NAME"
	// FabricIDVariable is the one Fabric's shim reads and Fabric's 2.x
	// dev-mode guide sets.
	FabricIDVariable = "CORE_CHAINCODE_ID_NAME"
)

// StartChaincode starts a development-mode chaincode exactly as the seed
// document's guide does:
//
//	CORE_ID_CHAINCODE_NAME=<name>:<version> CORE_PEER_TLS_ENABLED=false <binary> -peer.address <host>:<port>
func (p *Peer) StartChaincode(binary, ccid string) *gexec.Session {
	GinkgoHelper()
	return p.StartChaincodeWith(SeedIDVariable, binary, ccid)
}

// StartChaincodeWith starts a development-mode chaincode as StartChaincode
// does, with its id in idVariable (SeedIDVariable or FabricIDVariable).
func (p *Peer) StartChaincodeWith(idVariable, binary, ccid string) *gexec.Session {
	GinkgoHelper()
	Expect(p.ChaincodeAddr).NotTo(BeEmpty(), "peer %s has not been started: its chaincode address is unknown", p.Name)
	cmd := exec.Command(binary, "-peer.address", p.ChaincodeAddr)
	cmd.Env = append(cleanEnv(), idVariable+"="+ccid, "CORE_PEER_TLS_ENABLED=false")
	s, err := gexec.Start(cmd, prefixed(ccid, "out"), prefixed(ccid, "err"))
	Expect(err).NotTo(HaveOccurred(), "start %s", cmd)
	return s
}

// blockHeight matches the block height gauge of one channel in /metrics.
var blockHeight = regexp.MustCompile(`(?m)^peersim_block_height\{channel="([^"]+)"\} (\S+)$`)

// BlockHeight reads the channel's block height from the peer's /metrics.
func (p *Peer) BlockHeight(channel string) int {
	GinkgoHelper()
	resp, err := http.Get("http://" + p.OperationsAddr + "/metrics")
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(resp).To(HaveHTTPStatus(http.StatusOK))
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	for _, m := range blockHeight.FindAllSubmatch(body, -1) {
		if string(m[1]) == channel {
			h, err := strconv.ParseFloat(string(m[2]), 64)
			Expect(err).NotTo(HaveOccurred())
			return int(h)
		}
	}
	Fail(fmt.Sprintf("peer %s: /metrics has no peersim_block_height for channel %q", p.Name, channel))
	return 0
}

// FreeAddress returns 127.0.0.1:<port> with a port that was free a moment
// ago: for a peer that must keep its addresses across restarts. Prefer
// leaving Peer's addresses empty, which lets the peer pick and announce.
func FreeAddress() string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	return addr
}

func orAny(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	return addr
}

// cleanEnv is this process's environment without the variables that
// would change what peersim or the shim do behind the flags' back.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PEERSIM_") || strings.HasPrefix(kv, "CORE_") || strings.HasPrefix(kv, "CHAINCODE_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// withoutRaceExitSleep adds atexit_sleep_ms=0 to GORACE (keeping the
// options already there) for a CLI command: a binary built with -race
// otherwise sleeps a second when main returns so that goroutines still
// running may report a race, and the suites run hundreds of commands, whose
// work is done when they print their result. The peer keeps the sleep.
func withoutRaceExitSleep(env []string) []string {
	const opt = "atexit_sleep_ms=0"
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GORACE="); ok {
			env[i] = "GORACE=" + strings.TrimSpace(v+" "+opt)
			return env
		}
	}
	return append(env, "GORACE="+opt)
}

func prefixed(name, stream string) io.Writer {
	if name == "" {
		name = "peer"
	}
	return gexec.NewPrefixedWriter(fmt.Sprintf("[%s %s] ", name, stream), GinkgoWriter)
}

// StopChaincode stops a development-mode chaincode session (SIGTERM) and
// waits for it to exit, whatever its code.
func StopChaincode(s *gexec.Session) {
	GinkgoHelper()
	s.Terminate()
	Eventually(s, StopTimeout).Should(gexec.Exit())
}

// RunningPID is the process id `peersim chaincode list --running` shows
// for ccid, or 0 when the peer runs no process for it.
func (p *Peer) RunningPID(ccid string) int {
	GinkgoHelper()
	out := p.Output(ListRunning{})
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == ccid {
			pid, err := strconv.Atoi(f[1])
			Expect(err).NotTo(HaveOccurred(), "the PID column of %q", line)
			return pid
		}
	}
	return 0
}
