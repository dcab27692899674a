// Package devrun runs a Go chaincode from its source directory against a
// development-mode peer, for `peersim chaincode run -p DIR`: it packages
// and builds the chaincode with the production-mode launcher (package
// peersim/launcher: the same `go build`, caches and process control), starts
// it with the CORE_* settings of a development-mode chaincode and, when
// watching, rebuilds it and restarts it whenever its source changes.
//
// A restart stops the old process (its stream to the peer ends, and with it
// the transactions it was executing, which fail with "chaincode stream
// terminated") and starts the new one under the same name:version, which
// the peer accepts again once the old stream has ended; the ledger is the
// peer's, so the channel state is kept. A build that fails leaves the
// running chaincode as it is (or, when there is none, waits for the next
// change) and the compiler's messages are logged.
//
// The watcher polls the sizes and modification times of the module's
// files (see ScanModule) every Config.Interval and reports a change once
// the files stayed unchanged for Config.Debounce (see Watcher).
package devrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
)

// Defaults of the watcher.
const (
	// DefaultInterval is how often the module's files are polled.
	DefaultInterval = 500 * time.Millisecond
	// DefaultDebounce is how long the files must stay unchanged before a
	// rebuild.
	DefaultDebounce = 300 * time.Millisecond
)

// TLS names the PEM files with which the chaincode connects to a peer whose
// chaincode listener requires TLS: the client certificate and key the peer
// issued for development-mode chaincode, and the CA that signed the peer's
// server certificate.
type TLS struct {
	RootCertFile   string
	ClientCertFile string
	ClientKeyFile  string
}

// Config says what Run runs and where.
type Config struct {
	// Dir is the chaincode's main package, inside a Go module. Required.
	Dir string
	// Name and Version make the chaincode id name:version it registers
	// with. Required.
	Name, Version string
	// PeerAddress is the peer's chaincode address (-peer.address). Required.
	PeerAddress string
	// MSPID is the peer's MSP ID (CORE_PEER_LOCALMSPID).
	MSPID string
	// TLS is set when the peer's chaincode listener requires TLS.
	TLS *TLS
	// Watch rebuilds and restarts the chaincode when its source changes;
	// otherwise Run returns when the chaincode exits.
	Watch bool
	// Interval is how often the source is polled; DefaultInterval when 0.
	Interval time.Duration
	// Debounce is how long the source must stay unchanged before a
	// rebuild; DefaultDebounce when 0.
	Debounce time.Duration
	// Env is the environment of `go build` and, without the CORE_ variables
	// Run sets itself, of the chaincode; os.Environ() when nil.
	Env []string
	// StopGrace is the time between SIGTERM and SIGKILL when the chaincode
	// is stopped; launcher.DefaultStopGrace when 0.
	StopGrace time.Duration
	// NewTicker makes the watcher's ticker and returns its channel and its
	// stop function; time.NewTicker's when nil. For tests.
	NewTicker func(d time.Duration) (<-chan time.Time, func())
}

// Validate names the first field Run cannot use.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("devrun: no chaincode directory given: pass the directory of its main package (-p)")
	case c.Name == "" || c.Version == "":
		return fmt.Errorf("devrun: chaincode name %q and version %q are both required", c.Name, c.Version)
	case c.PeerAddress == "":
		return errors.New("devrun: no peer chaincode address given")
	case c.Interval < 0:
		return fmt.Errorf("devrun: watch interval %s is negative", c.Interval)
	case c.Debounce < 0:
		return fmt.Errorf("devrun: debounce %s is negative", c.Debounce)
	case c.StopGrace < 0:
		return fmt.Errorf("devrun: stop grace %s is negative", c.StopGrace)
	case c.TLS != nil && (c.TLS.RootCertFile == "" || c.TLS.ClientCertFile == "" || c.TLS.ClientKeyFile == ""):
		return fmt.Errorf("devrun: TLS needs the root certificate, client certificate and client key files, got %+v", *c.TLS)
	}
	return nil
}

// ExitError is what Run returns when, not watching, the chaincode ended by
// itself.
type ExitError struct {
	// Code is the exit code to pass on: the chaincode's, or 128+N when
	// signal N ended it.
	Code int
	// Err says how the chaincode ended.
	Err error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ownVariables are the environment variables Run sets for the chaincode;
// the same names in Config.Env are dropped so that they cannot contradict
// the peer's settings.
var ownVariables = []string{"CORE_CHAINCODE_ID_NAME", "CORE_ID_CHAINCODE_NAME", "CORE_PEER_LOCALMSPID", "CORE_PEER_ADDRESS"}

// ownPrefixes are the prefixes of the TLS variables Run sets.
var ownPrefixes = []string{"CORE_PEER_TLS_", "CORE_TLS_"}

// chaincodeEnv is env without the variables Run sets itself.
func chaincodeEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(ownVariables, name) || slices.ContainsFunc(ownPrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
	})
}

// run is one Run: its launcher and the chaincode it keeps running.
type run struct {
	cfg  Config
	ccid string
	log  *slog.Logger
	r    *launcher.Runner
	proc *launcher.Process // running, or nil
	pkg  string            // package id proc runs
}

// Run builds and runs the chaincode in cfg.Dir until ctx ends (it then
// stops the chaincode and returns nil) or, when not watching, until the
// chaincode exits (an *ExitError unless it exited 0). Without Watch, a
// failed build is returned; with Watch it is logged and Run waits for the
// next change. Run logs each step to log, and the launcher's records, the
// chaincode's output and the compiler's messages among them, to log too.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (err error) {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Env == nil {
		cfg.Env = os.Environ()
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Debounce == 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.NewTicker == nil {
		cfg.NewTicker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return fmt.Errorf("chaincode directory %s: %w", cfg.Dir, err)
	}
	cfg.Dir = dir
	work, err := os.MkdirTemp("", "peersim-run-")
	if err != nil {
		return fmt.Errorf("make a directory for the chaincode's builds: %w", err)
	}
	defer os.RemoveAll(work)

	lcfg := launcher.Config{
		DataDir:      work,
		PeerAddress:  cfg.PeerAddress,
		MSPID:        cfg.MSPID,
		Env:          cfg.Env,
		ChaincodeEnv: chaincodeEnv(cfg.Env),
		StopGrace:    cfg.StopGrace,
		// A save is the author's signal to start again: no pause.
		Backoff: launcher.Backoff{Initial: time.Millisecond, Max: time.Millisecond},
	}
	if cfg.TLS != nil {
		lcfg.TLS, lcfg.CA = true, fileIssuer(*cfg.TLS)
	}
	r, err := launcher.New(lcfg, slog.New(launcherLog{log.Handler()}))
	if err != nil {
		return err
	}
	x := &run{cfg: cfg, ccid: cfg.Name + ":" + cfg.Version, log: log, r: r}
	defer func() {
		// Not ctx: it has ended when the user stops Run.
		stopCtx, cancel := context.WithTimeout(context.Background(), cfg.StopGrace+launcher.DefaultStopGrace)
		defer cancel()
		if serr := r.StopAll(stopCtx); serr != nil && err == nil {
			err = fmt.Errorf("stop chaincode %s: %w", x.ccid, serr)
		}
	}()

	var w *Watcher
	var ticks <-chan time.Time
	if cfg.Watch {
		root, meta, err := moduleOf(cfg.Dir)
		if err != nil {
			return err
		}
		fsys := os.DirFS(root)
		if w, err = NewWatcher(func() (Snapshot, error) { return ScanModule(fsys, meta) }, cfg.Debounce); err != nil {
			return err
		}
		var stop func()
		ticks, stop = cfg.NewTicker(cfg.Interval)
		defer stop()
		log.Info("watching the chaincode's module for changes", "module", root, "interval", cfg.Interval, "debounce", cfg.Debounce)
	}

	if err := x.update(ctx); err != nil && !cfg.Watch {
		return err
	}
	for {
		var exited <-chan struct{}
		if x.proc != nil {
			exited = x.proc.Done()
		}
		select {
		case <-ctx.Done():
			log.Info("stopping chaincode", "ccid", x.ccid)
			return nil
		case <-exited:
			end := x.proc.Err()
			x.proc, x.pkg = nil, ""
			if !cfg.Watch {
				var ee *launcher.ExitError
				if errors.As(end, &ee) && ee.Code == 0 {
					return nil
				}
				return &ExitError{Code: exitCode(end), Err: end}
			}
			log.Warn("chaincode exited; it starts again at the next change of its source", "ccid", x.ccid, "exit", end)
		case now := <-ticks:
			changed, err := w.Poll(now)
			if err != nil {
				log.Warn("could not read the chaincode's source; trying again", "error", err)
				continue
			}
			if len(changed) == 0 {
				continue
			}
			log.Info("source changed; rebuilding", "ccid", x.ccid, "files", strings.Join(changed, ","))
			_ = x.update(ctx) // logged; the old process, if any, runs on
		}
	}
}

// update packages and builds the source and, when that works and the
// package differs from the one running, replaces the running chaincode
// with it. A failure is logged and returned; what ran before runs on.
func (x *run) update(ctx context.Context) error {
	raw, err := ccpackage.Pack(ccpackage.PackOptions{Dir: x.cfg.Dir, Label: ccpackage.Label(x.cfg.Name, x.cfg.Version)})
	if err != nil {
		return x.failed(err) // "pack <dir>: ..."
	}
	pkg, err := ccpackage.Parse(raw)
	if err != nil {
		return x.failed(fmt.Errorf("package %s: %w", x.cfg.Dir, err))
	}
	if x.proc != nil && pkg.ID() == x.pkg {
		x.log.Info("the source is the same as the running chaincode's; nothing to restart", "ccid", x.ccid, "pid", x.proc.PID)
		return nil
	}
	if _, err := x.r.Build(ctx, pkg); err != nil {
		return x.failed(err)
	}
	if old := x.proc; old != nil {
		x.log.Info("stopping the old chaincode process", "ccid", x.ccid, "pid", old.PID)
		if err := old.Stop(ctx); err != nil {
			return x.failed(err)
		}
		x.proc, x.pkg = nil, ""
	}
	inst, err := x.r.Launch(ctx, x.ccid, pkg)
	if err != nil {
		return x.failed(err)
	}
	x.proc, x.pkg = inst.Process, pkg.ID()
	attrs := []any{"ccid", x.ccid, "pid", inst.Process.PID, "peer", x.cfg.PeerAddress, "tls", x.cfg.TLS != nil}
	x.log.Info("chaincode started", attrs...)
	return nil
}

// failed logs why an update failed and what runs now, and returns err.
func (x *run) failed(err error) error {
	var be *launcher.BuildError
	if errors.As(err, &be) {
		// The compiler's messages have been logged line by line already.
		err = fmt.Errorf("build chaincode %s from %s: %w", x.ccid, x.cfg.Dir, be.Err)
		if !x.cfg.Watch {
			err = fmt.Errorf("%w:\n%s", err, be.Output)
		}
	}
	switch {
	case !x.cfg.Watch:
	case x.proc != nil:
		x.log.Error("update failed; the chaincode keeps running its previous build; fix the source and save again", "error", err, "ccid", x.ccid, "pid", x.proc.PID)
	default:
		x.log.Error("update failed; fix the source and save again", "error", err, "ccid", x.ccid)
	}
	return err
}

// exitCode is the code a shell gives a process that ended as err says.
func exitCode(err error) int {
	var ee *launcher.ExitError
	switch {
	case !errors.As(err, &ee):
		return 1
	case ee.Code >= 0:
		return ee.Code
	case ee.Signal > 0:
		return 128 + int(ee.Signal)
	default:
		return 1
	}
}

// moduleOf returns the root of the Go module around dir and the chaincode's
// META-INF directory relative to it.
func moduleOf(dir string) (root, metaDir string, err error) {
	for d := dir; ; {
		if st, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && st.Mode().IsRegular() {
			rel, err := filepath.Rel(d, dir)
			if err != nil {
				return "", "", err
			}
			return d, metaDirOf(filepath.ToSlash(rel)), nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", "", fmt.Errorf("watch %s: no go.mod in it or any parent directory: Go chaincode is built as a module: run `go mod init` in its module root", dir)
		}
		d = parent
	}
}

// fileIssuer hands the launcher the client certificate the peer issued
// for development-mode chaincode, read from its files at each launch (the
// peer issues new ones when it restarts).
type fileIssuer TLS

// IssueClientPEM returns the peer's development-mode client certificate
// and key; the same pair for every launch.
func (f fileIssuer) IssueClientPEM(string) (certPEM, keyPEM []byte, err error) {
	if certPEM, err = os.ReadFile(f.ClientCertFile); err != nil {
		return nil, nil, fmt.Errorf("read the peer's chaincode client certificate: %w", err)
	}
	if keyPEM, err = os.ReadFile(f.ClientKeyFile); err != nil {
		return nil, nil, fmt.Errorf("read the peer's chaincode client key: %w", err)
	}
	return certPEM, keyPEM, nil
}

// CertPEM returns the CA certificate of the peer's chaincode listener, or
// nil when it cannot be read (the chaincode then fails its TLS handshake
// with the reason).
func (f fileIssuer) CertPEM() []byte {
	b, err := os.ReadFile(f.RootCertFile)
	if err != nil {
		return nil
	}
	return b
}

// launcherLog passes the launcher's records on except two that would
// mislead here: its report of a failed build (its compiler lines have been
// logged as they came, and Run reports the failure with what keeps
// running) and its warning that a peer without chaincode TLS admits any
// launch (this launcher admits nothing: the peer decides).
type launcherLog struct{ slog.Handler }

func (l launcherLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "chaincode build failed" || strings.HasPrefix(r.Message, "chaincode TLS is off") {
		return nil
	}
	return l.Handler.Handle(ctx, r)
}

func (l launcherLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return launcherLog{l.Handler.WithAttrs(attrs)}
}

func (l launcherLog) WithGroup(name string) slog.Handler {
	return launcherLog{l.Handler.WithGroup(name)}
}
