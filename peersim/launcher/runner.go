package launcher

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
)

// Runner builds chaincode packages and starts, supervises and stops the
// chaincode processes of a peer in production mode. It keeps the registry
// of the processes it launched, which decides whose REGISTER the peer
// accepts. Safe for concurrent use.
type Runner struct {
	cfg Config
	log *slog.Logger

	// ctx lives until StopAll; builds run on it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // builds and supervisors

	builds atomic.Int64 // builds actually run, for tests

	mu      sync.Mutex
	closed  bool
	flights map[string]*flight // package id → build in progress
	// statuses are the builds run, by package id: those in progress and the
	// last keptBuilds finished.
	statuses map[string]*BuildStatus
	entries  map[string]*entry   // ccid → registry entry
	certs    map[string]*Process // hex cert hash → the launch it was issued for
}

// entry is the registry's record of one ccid.
type entry struct {
	lock     chan struct{} // held while a Launch of this ccid runs
	proc     *Process      // live process, nil when none
	service  string        // address of a chaincode-as-a-service, when dialled
	since    time.Time     // when service was set
	channels []string
	crashes  int // consecutive crashes
	lastExit time.Time
}

// New validates cfg and returns a Runner. It creates DataDir/builds and
// removes what an interrupted earlier run left there (unfinished builds,
// launch directories). logger may be nil.
func New(cfg Config, logger *slog.Logger) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	cfg.ExternalBuilders = slices.Clone(cfg.ExternalBuilders)
	r := &Runner{
		cfg:      cfg,
		log:      logger,
		flights:  map[string]*flight{},
		statuses: map[string]*BuildStatus{},
		entries:  map[string]*entry{},
		certs:    map[string]*Process{},
	}
	if err := os.MkdirAll(r.buildsRoot(), 0o755); err != nil {
		return nil, fmt.Errorf("new launcher: %w", err)
	}
	leftovers, err := os.ReadDir(r.buildsRoot())
	if err != nil {
		return nil, fmt.Errorf("new launcher: %w", err)
	}
	for _, d := range leftovers {
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			if err := os.RemoveAll(filepath.Join(r.buildsRoot(), d.Name())); err != nil {
				return nil, fmt.Errorf("new launcher: remove unfinished build: %w", err)
			}
		}
	}
	if err := os.RemoveAll(filepath.Join(cfg.DataDir, "launches")); err != nil {
		return nil, fmt.Errorf("new launcher: remove old launch directories: %w", err)
	}
	if !cfg.TLS {
		logger.Warn("chaincode TLS is off: the peer accepts a REGISTER for any chaincode id it is launching and has not yet seen register, without proof that the connection comes from the process it started")
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

// entry returns the registry entry of ccid, creating it. r.mu must be held.
func (r *Runner) entry(ccid string) *entry {
	e, ok := r.entries[ccid]
	if !ok {
		e = &entry{lock: make(chan struct{}, 1)}
		r.entries[ccid] = e
	}
	return e
}

// Instance is the result of Launch: either a process the peer waits to
// see REGISTER from, or the address of a chaincode server the peer dials.
type Instance struct {
	CCID  string
	Build *Build
	// Process is the chaincode process; nil for chaincode-as-a-service.
	Process *Process
	// Connection is set for chaincode-as-a-service: dial it (see Dial) and
	// serve the stream; Process is nil then.
	Connection *ccpackage.Connection
	// AlreadyRunning is true when Launch found a live process for ccid
	// (started by an earlier or concurrent Launch) and returned it.
	AlreadyRunning bool
}

// Launch makes sure chaincode ccid runs from package pkg: it builds pkg (or
// reuses its cached build) and starts the chaincode. The caller waits for
// the REGISTER itself, bounded by its startup timeout, and watches
// Process.Done for an early exit. When the startup timeout expires the
// caller should Stop the process, as Fabric stops a container that did not
// register; otherwise the next Launch returns the same silent process.
//
// A live process of ccid is returned as it is (AlreadyRunning); concurrent
// Launches of one ccid start one process. A process the peer reported
// Disconnected is waited for and replaced. After crashes, Launch first
// waits as Config.Backoff says, or until ctx ends. For a package served as
// chaincode-as-a-service, Launch starts nothing and returns the
// Connection.
//
// Errors name the package, builder or chaincode at fault but do not start
// with the ccid: the peer wraps them as Fabric does, "could not launch
// chaincode <ccid>: <err>". A failed build is a *BuildError.
//
// A twin id (TwinOf) starts a second process of pkg with a perturbed
// environment (another TZ), which lives only while the process of its
// primary id does; for chaincode-as-a-service, which runs no process the
// peer could start twice, Launch of a twin fails with ErrServiceTwin.
//
// An org instance id (OrgInstanceOf) starts another process of pkg that
// runs for that organisation (its CORE_PEER_LOCALMSPID or chaincode.json
// mspid); it lives on its own, as a Fabric peer's chaincode does. For
// chaincode-as-a-service Launch of an instance id fails with
// ErrServiceInstance.
func (r *Runner) Launch(ctx context.Context, ccid string, pkg *ccpackage.Package) (*Instance, error) {
	if ccid == "" {
		return nil, errors.New("chaincode id is empty")
	}
	if pkg == nil {
		return nil, fmt.Errorf("no package given for chaincode %s", ccid)
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, fmt.Errorf("start chaincode %s: %w", ccid, ErrClosed)
	}
	e := r.entry(ccid)
	r.mu.Unlock()
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for another launch of chaincode %s: %w", ccid, ctx.Err())
	}
	defer func() { <-e.lock }()

	r.mu.Lock()
	p := e.proc
	disconnected := p != nil && p.disconnected
	r.mu.Unlock()
	if p != nil && !disconnected {
		return &Instance{CCID: ccid, Build: p.Build, Process: p, AlreadyRunning: true}, nil
	}
	if p != nil {
		select {
		case <-p.Done():
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the disconnected process %d of chaincode %s to exit: %w", p.PID, ccid, ctx.Err())
		}
	}

	b, err := r.Build(ctx, pkg)
	if err != nil {
		return nil, err // names the package and the builder
	}
	if _, twin := PrimaryOf(ccid); twin && b.Connection != nil {
		return nil, fmt.Errorf("start a twin of chaincode package %s: %w", b.PackageID, ErrServiceTwin)
	}
	if _, mspID, inst := InstanceOf(ccid); inst && b.Connection != nil {
		return nil, fmt.Errorf("start the process of %s of chaincode package %s: %w", mspID, b.PackageID, ErrServiceInstance)
	}
	if b.Connection != nil {
		r.mu.Lock()
		if e.service != b.Connection.Address {
			e.service, e.since = b.Connection.Address, r.cfg.Clock.Now()
		}
		r.mu.Unlock()
		r.log.Info("chaincode runs as a service", "ccid", ccid, "address", b.Connection.Address, "package_id", b.PackageID)
		return &Instance{CCID: ccid, Build: b, Connection: b.Connection}, nil
	}
	if err := r.backoff(ctx, ccid, e); err != nil {
		return nil, err
	}
	p, err = r.start(ccid, b)
	if err != nil {
		return nil, err // "start chaincode <ccid>: ..."
	}
	return &Instance{CCID: ccid, Build: b, Process: p}, nil
}

// backoff waits before relaunching a chaincode that keeps crashing.
func (r *Runner) backoff(ctx context.Context, ccid string, e *entry) error {
	r.mu.Lock()
	crashes, last := e.crashes, e.lastExit
	r.mu.Unlock()
	delay := r.cfg.Backoff.Delay(crashes)
	if delay <= 0 {
		return nil
	}
	delay -= r.cfg.Clock.Now().Sub(last)
	if delay <= 0 {
		return nil
	}
	r.log.Warn("chaincode keeps crashing; waiting before relaunch", "ccid", ccid, "crashes", crashes, "wait", delay)
	select {
	case <-r.cfg.Clock.After(delay):
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting %s before relaunching chaincode %s after %d crashes in a row: %w", delay, ccid, crashes, ctx.Err())
	case <-r.ctx.Done():
		return fmt.Errorf("start chaincode %s: %w", ccid, ErrClosed)
	}
}

// exited updates the registry when a process has ended.
func (r *Runner) exited(p *Process, stopped bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.certHash != "" && r.certs[p.certHash] == p {
		delete(r.certs, p.certHash)
	}
	e := r.entries[p.CCID]
	if e == nil || e.proc != p {
		return
	}
	e.proc = nil
	if _, twin := PrimaryOf(p.CCID); !twin {
		r.stopTwin(p.CCID)
	}
	now := r.cfg.Clock.Now()
	// While the peer stops, a chaincode ends with its stream (exit code 1
	// from a shim) or with StopAll's signal: either way it was stopped.
	if r.closed || (stopped && !p.disconnected) {
		e.crashes = 0
		r.log.Info("chaincode process stopped", "ccid", p.CCID, "pid", p.PID, "exit", p.err.Error())
		return
	}
	if now.Sub(p.Started) >= r.cfg.Backoff.Healthy {
		e.crashes = 1
	} else {
		e.crashes++
	}
	e.lastExit = now
	r.log.Warn("chaincode process exited", "ccid", p.CCID, "pid", p.PID, "exit", p.err.Error(), "crashes_in_a_row", e.crashes)
}

// Authorize decides whether a REGISTER for ccid comes from a process this
// peer launched; the peer calls it from its registration admission.
// certHash is SHA-256 of the DER of the connection's TLS client
// certificate (as certHash computes it), nil without one.
//
// With chaincode TLS on, the certificate must be the one issued for a live
// launch of ccid. With TLS off, Fabric's weaker rule applies: ccid must
// have a launch in progress that has not registered yet. Either way a
// launch registers once; a second process presenting the same id (or
// certificate) is refused. Refusals wrap ErrUnauthorized and say why.
func (r *Runner) Authorize(ccid string, certHash []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cfg.TLS {
		if len(certHash) == 0 {
			return fmt.Errorf("%w: TLS is active but chaincode %s didn't send certificate", ErrUnauthorized, ccid)
		}
		h := fmt.Sprintf("%x", certHash)
		p, ok := r.certs[h]
		if !ok {
			return fmt.Errorf("%w: chaincode %s with given certificate hash %s not found in registry", ErrUnauthorized, ccid, h)
		}
		if p.CCID != ccid {
			return fmt.Errorf("%w: chaincode %s with given certificate hash %s belongs to a different chaincode", ErrUnauthorized, ccid, h)
		}
		if p.registered {
			return fmt.Errorf("%w: chaincode %s: the process launched with this certificate (pid %d) has already registered", ErrUnauthorized, ccid, p.PID)
		}
		p.registered = true
		return nil
	}
	e := r.entries[ccid]
	if e == nil || e.proc == nil {
		return fmt.Errorf("%w: peer will not accept external chaincode connection %s (except in dev mode): this peer is not launching it", ErrUnauthorized, ccid)
	}
	if e.proc.registered {
		return fmt.Errorf("%w: peer will not accept external chaincode connection %s (except in dev mode): the process this peer launched (pid %d) has already registered", ErrUnauthorized, ccid, e.proc.PID)
	}
	e.proc.registered = true
	return nil
}

// AuthorizeCert is Authorize for a connection's TLS client certificate,
// which may be nil.
func (r *Runner) AuthorizeCert(ccid string, cert *x509.Certificate) error {
	var h []byte
	if cert != nil {
		h = certHash(cert.Raw)
	}
	return r.Authorize(ccid, h)
}

// Disconnected tells the Runner that ccid's stream to the peer has ended.
// A chaincode without its stream is useless (the Go shim never
// reconnects), so its process, if still alive, is stopped in the
// background and the next Launch starts a new one; the exit counts as a
// crash for the backoff. For chaincode-as-a-service it forgets the address.
func (r *Runner) Disconnected(ccid string) {
	r.mu.Lock()
	e := r.entries[ccid]
	if e == nil {
		r.mu.Unlock()
		return
	}
	e.service = ""
	p := e.proc
	if p == nil || p.disconnected {
		r.mu.Unlock()
		return
	}
	p.disconnected = true
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		// Not r.ctx: StopAll cancels it at once, which would turn this
		// SIGTERM into an immediate SIGKILL at peer shutdown. StopAll
		// stops this process too, and kills it when its own ctx ends.
		if err := p.Stop(context.Background()); err != nil {
			r.log.Warn("stop disconnected chaincode", "ccid", ccid, "error", err)
		}
	}()
}

// AddChannel records that ccid serves channel (shown by List). A peer
// that can read which channels define ccid (as peersim.Peer does from the
// committed definitions, which also survive a relaunch) need not call it.
func (r *Runner) AddChannel(ccid, channel string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entry(ccid)
	if !slices.Contains(e.channels, channel) {
		e.channels = append(e.channels, channel)
		slices.Sort(e.channels)
	}
}

// Running describes one running chaincode, for `peersim chaincode list
// --running` (the pscc "ListRunning" JSON).
type Running struct {
	CCID     string    `json:"ccid"`
	PID      int       `json:"pid"`
	Channels []string  `json:"channels"`
	Started  time.Time `json:"started"`
	// Address is set instead of PID for chaincode-as-a-service.
	Address string `json:"address,omitempty"`
}

// List returns the running chaincodes sorted by ccid: live processes and
// chaincode servers the peer dials.
func (r *Runner) List() []Running {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Running
	for ccid, e := range r.entries {
		ch := slices.Clone(e.channels)
		if ch == nil {
			ch = []string{}
		}
		switch {
		case e.proc != nil:
			out = append(out, Running{CCID: ccid, PID: e.proc.PID, Channels: ch, Started: e.proc.Started})
		case e.service != "":
			out = append(out, Running{CCID: ccid, Channels: ch, Started: e.since, Address: e.service})
		}
	}
	slices.SortFunc(out, func(a, b Running) int { return strings.Compare(a.CCID, b.CCID) })
	return out
}

// Process returns the live process of ccid, or nil.
func (r *Runner) Process(ccid string) *Process {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.entries[ccid]; e != nil {
		return e.proc
	}
	return nil
}

// Stop stops the process of ccid, if one runs (see Process.Stop).
func (r *Runner) Stop(ctx context.Context, ccid string) error {
	if p := r.Process(ccid); p != nil {
		return p.Stop(ctx)
	}
	return nil
}

// Closing tells the runner that the peer is stopping, before the peer ends
// the chaincode streams: launches are refused from now on, and a chaincode
// that exits because its stream ended is logged as stopped, not as a
// crash. StopAll implies it.
func (r *Runner) Closing() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

// StopAll shuts the Runner down: no more builds or launches; builds in
// progress are cancelled; every chaincode process gets SIGTERM and, after
// the grace period or when ctx ends, SIGKILL. It returns once all of them
// have exited. Calling it again is harmless.
func (r *Runner) StopAll(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	var procs []*Process
	for _, e := range r.entries {
		e.service = "" // the peer closes the streams it dialled when it stops
		if e.proc != nil {
			procs = append(procs, e.proc)
		}
	}
	r.mu.Unlock()
	r.cancel()

	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.Stop(ctx)
		}()
	}
	wg.Wait()
	r.wg.Wait()
	return errors.Join(errs...)
}
