package launcher

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Process is a chaincode process the launcher started, natively or through
// an external builder's bin/run. Its exported fields must not be modified.
type Process struct {
	// CCID is the chaincode id the process registers with (name:version,
	// a package ID, the OrgInstanceOf id of one, or the TwinOf id of any
	// of these).
	CCID string
	// PID is the process id; the process leads a process group of the same
	// id.
	PID int
	// Started is when the process was started.
	Started time.Time
	// Build is the build it runs.
	Build *Build

	grace time.Duration
	clock Clock
	done  chan struct{}

	mu            sync.Mutex
	exited        bool // reaped; no more signals
	stopRequested bool
	err           *ExitError

	// Guarded by the Runner's mutex.
	certHash     string // hex SHA-256 of the launch's client certificate
	registered   bool
	disconnected bool
}

// Done is closed when the process has exited, the registry has forgotten
// it and its output has been written out.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err returns nil while the process runs and, once Done is closed, an
// *ExitError saying how it ended.
func (p *Process) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Stop ends the process: SIGTERM to its process group, then SIGKILL once
// the grace period passes or ctx ends, whichever is first. It returns once
// the process is gone. Calling it again, or after the process exited, is
// harmless.
func (p *Process) Stop(ctx context.Context) error {
	p.mu.Lock()
	if !p.exited && !p.stopRequested {
		p.stopRequested = true
		if err := signalGroup(p.PID, syscall.SIGTERM); err != nil {
			p.mu.Unlock()
			return fmt.Errorf("stop chaincode %s (pid %d): %w", p.CCID, p.PID, err)
		}
	}
	p.stopRequested = true
	p.mu.Unlock()

	select {
	case <-p.done:
		return nil
	case <-p.clock.After(p.grace):
	case <-ctx.Done():
	}
	p.kill()
	select {
	case <-p.done:
		return nil
	case <-time.After(outputDrain + time.Second):
		return fmt.Errorf("stop chaincode %s (pid %d): still running after SIGKILL", p.CCID, p.PID)
	}
}

// kill sends SIGKILL to the process group unless the process is reaped.
func (p *Process) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.exited {
		_ = signalGroup(p.PID, syscall.SIGKILL)
	}
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_.+:@-]`)

// fileName makes a ccid usable as a file name.
func fileName(ccid string) string {
	s := unsafeFileChars.ReplaceAllString(ccid, "_")
	if s == "" || s[0] == '.' {
		s = "_" + s
	}
	return s
}

// chaincodeJSON is RUN_METADATA_DIR/chaincode.json for an external
// builder's bin/run, with Fabric's field names.
type chaincodeJSON struct {
	ChaincodeID string `json:"chaincode_id"`
	PeerAddress string `json:"peer_address"`
	ClientCert  string `json:"client_cert"`
	ClientKey   string `json:"client_key"`
	RootCert    string `json:"root_cert"`
	MSPID       string `json:"mspid"`
}

// processEnvKeys are the variables of the peer's environment a natively
// started chaincode keeps, so that it can find its tools and libraries.
var processEnvKeys = []string{"PATH", "HOME", "TMPDIR", "LD_LIBRARY_PATH", "LIBPATH"}

// start starts ccid from build b and records it in the registry. The
// launch directory (TLS files or chaincode.json) lives until the process
// exits.
func (r *Runner) start(ccid string, b *Build) (_ *Process, err error) {
	if b.external != nil && !b.external.hasScript("run") {
		return nil, fmt.Errorf("start chaincode %s: external builder %s has no bin/run and its release did not write %s, so it cannot run the chaincode", ccid, b.external.Name, serverConnection)
	}
	launches := filepath.Join(r.cfg.DataDir, "launches")
	if err := os.MkdirAll(launches, 0o700); err != nil {
		return nil, fmt.Errorf("start chaincode %s: %w", ccid, err)
	}
	launchDir, err := os.MkdirTemp(launches, fileName(ccid)+"-")
	if err != nil {
		return nil, fmt.Errorf("start chaincode %s: %w", ccid, err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(launchDir)
		}
	}()

	var cert *clientCert
	if r.cfg.TLS {
		if cert, err = issueClient(r.cfg.CA, ccid); err != nil {
			return nil, fmt.Errorf("start chaincode %s: %w", ccid, err)
		}
	}
	var cmd *exec.Cmd
	if b.external != nil {
		cmd, err = r.runCommand(ccid, b, launchDir, cert)
	} else {
		cmd, err = r.nativeCommand(ccid, b, launchDir, cert)
	}
	if err != nil {
		return nil, fmt.Errorf("start chaincode %s: %w", ccid, err)
	}

	logs := filepath.Join(r.cfg.DataDir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, fmt.Errorf("start chaincode %s: %w", ccid, err)
	}
	logFile, err := os.OpenFile(filepath.Join(logs, fileName(ccid)+".log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start chaincode %s: open log: %w", ccid, err)
	}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start chaincode %s: %w", ccid, err)
	}
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		logFile.Close()
		stdoutR.Close()
		stdoutW.Close()
		return nil, fmt.Errorf("start chaincode %s: %w", ccid, err)
	}
	cmd.Stdout, cmd.Stderr = stdoutW, stderrW
	setProcessGroup(cmd)

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		for _, c := range []io.Closer{logFile, stdoutR, stdoutW, stderrR, stderrW} {
			c.Close()
		}
		return nil, fmt.Errorf("start chaincode %s: %w", ccid, ErrClosed)
	}
	startErr := cmd.Start()
	stdoutW.Close()
	stderrW.Close()
	if startErr != nil {
		r.mu.Unlock()
		for _, c := range []io.Closer{logFile, stdoutR, stderrR} {
			c.Close()
		}
		return nil, fmt.Errorf("start chaincode %s: %w", ccid, startErr)
	}
	p := &Process{
		CCID:    ccid,
		PID:     cmd.Process.Pid,
		Started: r.cfg.Clock.Now(),
		Build:   b,
		grace:   r.cfg.StopGrace,
		clock:   r.cfg.Clock,
		done:    make(chan struct{}),
	}
	if cert != nil {
		p.certHash = fmt.Sprintf("%x", cert.hash)
		r.certs[p.certHash] = p
	}
	e := r.entry(ccid)
	e.proc = p
	e.service = ""
	r.wg.Add(1)
	r.mu.Unlock()

	r.log.Info("started chaincode process", "ccid", ccid, "pid", p.PID, "package_id", b.PackageID, "builder", b.Builder)
	out := &lineWriter{w: logFile}
	var pumps sync.WaitGroup
	pumps.Add(2)
	go r.pump(&pumps, stdoutR, out, ccid, "stdout")
	go r.pump(&pumps, stderrR, out, ccid, "stderr")
	go r.supervise(p, cmd, &pumps, logFile, launchDir)
	return p, nil
}

// nativeCommand is a Go build started as Fabric starts chaincode in its
// container: the binary with -peer.address and the CORE_* environment; TLS
// material goes to files in launchDir.
func (r *Runner) nativeCommand(ccid string, b *Build, launchDir string, cert *clientCert) (*exec.Cmd, error) {
	var env []string
	for _, k := range processEnvKeys {
		if v, ok := lookupEnv(r.cfg.Env, k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env,
		"CORE_CHAINCODE_ID_NAME="+ccid,
		"CORE_ID_CHAINCODE_NAME="+ccid,
		"CORE_CHAINCODE_LOGGING_LEVEL="+r.cfg.LogLevel,
		"CORE_CHAINCODE_LOGGING_SHIM="+r.cfg.ShimLogLevel,
		"CORE_PEER_TLS_ENABLED="+strconv.FormatBool(cert != nil),
	)
	_, instMSPID, inst := InstanceOf(ccid)
	if !inst && r.cfg.MSPID != "" {
		env = append(env, "CORE_PEER_LOCALMSPID="+r.cfg.MSPID)
	}
	if cert != nil {
		files := []struct {
			env, name string
			data      []byte
		}{
			{"CORE_TLS_CLIENT_KEY_PATH", "client.key", []byte(base64.StdEncoding.EncodeToString(cert.keyPEM))},
			{"CORE_TLS_CLIENT_CERT_PATH", "client.crt", []byte(base64.StdEncoding.EncodeToString(cert.certPEM))},
			{"CORE_TLS_CLIENT_KEY_FILE", "client_pem.key", cert.keyPEM},
			{"CORE_TLS_CLIENT_CERT_FILE", "client_pem.crt", cert.certPEM},
			{"CORE_PEER_TLS_ROOTCERT_FILE", "peer.crt", r.cfg.CA.CertPEM()},
		}
		for _, f := range files {
			p := filepath.Join(launchDir, f.name)
			if err := os.WriteFile(p, f.data, 0o600); err != nil {
				return nil, err
			}
			env = append(env, f.env+"="+p)
		}
	}
	env = append(env, r.cfg.ChaincodeEnv...)
	if inst {
		// After ChaincodeEnv, so that it wins: an organisation's own
		// process runs for that organisation.
		env = append(env, "CORE_PEER_LOCALMSPID="+instMSPID)
	}
	if _, twin := PrimaryOf(ccid); twin {
		env = append(env, twinEnv(env)...)
	}
	cmd := exec.Command(b.Executable, "-peer.address="+r.cfg.PeerAddress)
	cmd.Env = env
	cmd.Dir = launchDir
	return cmd, nil
}

// runCommand is an external builder's bin/run BUILD_DIR RUN_METADATA_DIR,
// with chaincode.json in RUN_METADATA_DIR.
func (r *Runner) runCommand(ccid string, b *Build, launchDir string, cert *clientCert) (*exec.Cmd, error) {
	meta := chaincodeJSON{ChaincodeID: ccid, PeerAddress: r.cfg.PeerAddress, MSPID: r.mspIDFor(ccid)}
	if cert != nil {
		meta.ClientCert, meta.ClientKey, meta.RootCert = string(cert.certPEM), string(cert.keyPEM), string(r.cfg.CA.CertPEM())
	}
	data, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(launchDir, "chaincode.json"), data, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(b.external.script("run"), filepath.Join(b.Dir, extBuildDir), launchDir)
	cmd.Env = r.builderEnv(b.external)
	if _, twin := PrimaryOf(ccid); twin {
		cmd.Env = append(cmd.Env, twinEnv(cmd.Env)...)
	}
	cmd.Dir = b.external.Path
	return cmd, nil
}

// maxLogLine is the longest chaincode output line logged as one record;
// longer lines are split.
const maxLogLine = 64 << 10

// pump copies one output stream of a chaincode process, line by line, to
// the peer's log and the chaincode's log file.
func (r *Runner) pump(wg *sync.WaitGroup, src *os.File, file *lineWriter, ccid, stream string) {
	defer wg.Done()
	defer src.Close()
	br := bufio.NewReaderSize(src, maxLogLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			text := string(trimEOL(line))
			file.writeLine(text)
			r.log.Info("["+ccid+"] "+text, "ccid", ccid, "stream", stream)
			if r.cfg.Output != nil {
				r.cfg.Output(ccid, stream, text)
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// lineWriter serialises whole lines from stdout and stderr into one file.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) writeLine(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, s+"\n")
}

// supervise waits for the process to exit, kills whatever is left of its
// process group, flushes its output, updates the registry and closes Done.
func (r *Runner) supervise(p *Process, cmd *exec.Cmd, pumps *sync.WaitGroup, logFile *os.File, launchDir string) {
	defer r.wg.Done()
	waitErr := cmd.Wait()
	p.mu.Lock()
	p.exited = true
	// Children the chaincode left behind would outlive it otherwise; the
	// group id cannot be reused while any member is alive.
	_ = signalGroup(p.PID, syscall.SIGKILL)
	stopped := p.stopRequested
	p.mu.Unlock()

	drained := make(chan struct{})
	go func() { pumps.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(outputDrain):
		r.log.Warn("chaincode output still open after exit", "ccid", p.CCID, "pid", p.PID)
	}
	if err := logFile.Close(); err != nil {
		r.log.Warn("close chaincode log", "ccid", p.CCID, "error", err)
	}
	if err := os.RemoveAll(launchDir); err != nil {
		r.log.Warn("remove chaincode launch directory", "ccid", p.CCID, "dir", launchDir, "error", err)
	}

	exit := &ExitError{CCID: p.CCID, Stopped: stopped}
	if cmd.ProcessState != nil {
		exit.Code, exit.Signal = exitStatus(cmd.ProcessState)
	} else {
		exit.Code, exit.Err = -1, waitErr
	}
	p.err = exit
	r.exited(p, stopped)
	close(p.done)
}
