package peersim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/dirlock"
	"github.com/chaincodekit/chaincodekit/internal/stopping"
	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/ccsupport"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/channel"
	"github.com/chaincodekit/chaincodekit/peersim/deliver"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/logging"
	"github.com/chaincodekit/chaincodekit/peersim/metrics"
	"github.com/chaincodekit/chaincodekit/peersim/orderer"
	"github.com/chaincodekit/chaincodekit/peersim/trace"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
)

// Peer is a Hyperledger Fabric peer with an embedded orderer: it
// endorses proposals, runs the legacy lifecycle (lscc), orders and commits
// transactions and delivers blocks, for chaincode that connects to it (dev
// mode) or that a Launcher starts (production mode).
type Peer struct {
	cfg      Config
	log      *slog.Logger
	launcher Launcher

	// orgs are the virtual peers of Config.Orgs, in order; org is the
	// first one's organisation.
	orgs   []*orgPeer
	org    *identity.Org
	msp    *identity.MSP
	store  *ccpackage.Store
	cc     *chaincode.Server
	ccCA   *identity.ChaincodeCA // with chaincode TLS (production, or development with ChaincodeDevTLS)
	devTLS *DevTLSFiles          // development mode with ChaincodeDevTLS, once started
	chans  *channel.Set
	// txGate makes the virtual peers that endorse the same proposal on
	// one chaincode process take turns.
	txGate *ccsupport.TxGate
	met    *metrics.Metrics
	traces *trace.Recorder // nil: tracing off
	// logLevels is the active logging specification (Config.LogLevel,
	// then /logspec).
	logLevels *logging.Levels
	// dirLock keeps a second peer off DataDir until Stop.
	dirLock *dirlock.Lock

	ready   atomic.Bool
	closing chan struct{} // closed when Stop begins

	mu       sync.Mutex
	started  bool
	ccSrv    *grpc.Server
	opsSrv   *http.Server
	addrs    [3]string
	addrFile *AddressFile // what Start wrote to AddressFileName
	serving  sync.WaitGroup

	stopOnce sync.Once
	stopErr  error
}

// Option configures New.
type Option func(*Peer)

// WithLauncher wires the production-mode launcher. Without it a peer in
// production mode creates a *launcher.Runner when it starts.
func WithLauncher(l Launcher) Option { return func(p *Peer) { p.launcher = l } }

// Listeners are caller-supplied listeners for StartOn, e.g. bufconn
// listeners in tests. Operations may be nil (no /healthz or /metrics).
type Listeners struct {
	// Client serves the first organisation's clients.
	Client    net.Listener
	Chaincode net.Listener
	// OrgClients serve the clients of the other organisations of
	// Config.Orgs, by MSP ID; each must have one.
	OrgClients map[string]net.Listener
	Operations net.Listener
}

// all returns every listener that is set.
func (ls Listeners) all() []net.Listener {
	var out []net.Listener
	for _, l := range append([]net.Listener{ls.Client, ls.Chaincode, ls.Operations}, slices.Collect(maps.Values(ls.OrgClients))...) {
		if l != nil {
			out = append(out, l)
		}
	}
	return out
}

// New validates cfg and opens what the peer keeps in cfg.DataDir: the
// organisation (created on first start), the installed chaincode and the
// channels' ledgers. logger may be nil.
func New(cfg Config, logger *slog.Logger, opts ...Option) (*Peer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	spec, err := logging.ParseSpec(cfg.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("config LogLevel: %w", err)
	}
	levels := logging.NewLevels(spec)
	logger = slog.New(logging.NewHandler(logger.Handler(), levels))
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	lock, err := dirlock.Acquire(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %w: stop that peer, or give this one another data directory (--data-dir, PEERSIM_DATA_DIR)", err)
	}
	p := &Peer{cfg: cfg, log: logger, logLevels: levels, dirLock: lock, closing: make(chan struct{})}
	created := false
	defer func() {
		if !created {
			p.release()
		}
	}()
	for _, o := range opts {
		o(p)
	}
	orgs, msp, err := openOrgs(cfg)
	if err != nil {
		return nil, err
	}
	p.org, p.msp, p.txGate = orgs[0], msp, ccsupport.NewTxGate()
	p.store, err = ccpackage.OpenStore(ccpackage.StoreConfig{Dir: chaincodesDir(cfg.DataDir), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("installed chaincode store: %w", err)
	}
	p.met = metrics.New()
	p.traces = trace.NewRecorder(cfg.TraceCapacity)
	ccCfg := chaincode.DefaultConfig()
	ccCfg.ExecuteTimeout = cfg.ChaincodeExecuteTimeout
	ccCfg.MaxInFlight = cfg.ChaincodeMaxInFlight
	ccCfg.MaxInFlightPerTx = cfg.ChaincodeMaxInFlightPerTx
	p.cc, err = chaincode.NewServer(ccCfg, logger.With("component", "chaincode"),
		chaincode.WithPeerMSPIDOf(p.chaincodeMSPID),
		chaincode.WithTracer(p.chaincodeTracer()),
		// Production mode reads the output of the processes it launched.
		chaincode.WithChaincodeLogs(cfg.Dev),
		chaincode.WithAdmission(chaincode.AdmitFunc(p.admit)),
		// support is created below, before any stream can need these.
		chaincode.WithResolver(chaincode.ResolverFunc(func(ctx context.Context, channelID, name string, sp *peer.SignedProposal, sim chaincode.TxSimulator) (string, error) {
			return p.supportFor(sim).ResolveChaincode(ctx, channelID, name, sp, sim)
		})),
		chaincode.WithSimulatorFactory(chaincode.SimulatorFactoryFunc(func(caller chaincode.TxSimulator, channelID, txID string) (chaincode.TxSimulator, func(), error) {
			return p.supportFor(caller).NewTxSimulator(caller, channelID, txID)
		})),
		chaincode.WithDisconnectHook(func(ccid string, cause error) {
			logger.Debug("chaincode disconnected", "ccid", ccid, "cause", cause)
			if p.launcher != nil {
				p.launcher.Disconnected(ccid)
			}
		}))
	if err != nil {
		return nil, err
	}
	p.met.RegisterChaincodes(p.cc.Stats)
	if p.chans, err = p.openChannels(); err != nil {
		return nil, err
	}
	for _, org := range orgs {
		o := &orgPeer{org: org, signer: org.Peer()}
		o.support = p.newSupport(o)
		p.orgs = append(p.orgs, o)
	}
	for _, o := range p.orgs {
		o.endo = p.newEndorser(o)
	}
	created = true
	return p, nil
}

// release gives up what New took before any service ran: the data
// directory's lock.
func (p *Peer) release() {
	if err := p.dirLock.Release(); err != nil {
		p.log.Warn("release the data directory lock", "dir", p.cfg.DataDir, "error", err)
	}
}

// Org returns the peer's first organisation (its CA, admin and users);
// OrgOf returns the others.
func (p *Peer) Org() *identity.Org { return p.org }

// Start listens on the configured addresses and serves. Before it serves
// it writes the bound addresses to AddressFileName in the data directory
// (see AddressFile), which Stop removes; then it logs one line containing
// "peersim ready" with the bound addresses.
func (p *Peer) Start(ctx context.Context) error {
	var lc net.ListenConfig
	var ls Listeners
	var err error
	closeAll := func() {
		for _, l := range ls.all() {
			l.Close()
		}
	}
	if ls.Client, err = lc.Listen(ctx, "tcp", p.cfg.Address); err != nil {
		return fmt.Errorf("listen for clients on %s: %w", p.cfg.Address, err)
	}
	if ls.OrgClients, err = p.listenOrgs(func(addr string) (net.Listener, error) { return lc.Listen(ctx, "tcp", addr) }); err != nil {
		closeAll()
		return err
	}
	if ls.Chaincode, err = lc.Listen(ctx, "tcp", p.cfg.ChaincodeAddress); err != nil {
		closeAll()
		return fmt.Errorf("listen for chaincode on %s: %w", p.cfg.ChaincodeAddress, err)
	}
	if ls.Operations, err = lc.Listen(ctx, "tcp", p.cfg.OperationsAddress); err != nil {
		closeAll()
		return fmt.Errorf("listen for operations on %s: %w", p.cfg.OperationsAddress, err)
	}
	if err := p.startOn(ctx, ls, true); err != nil {
		closeAll()
		return err
	}
	return nil
}

// StartOn serves on listeners the caller opened. The peer closes them when
// it stops. It writes no address file: such listeners (bufconn) are often
// not dialable by another process.
func (p *Peer) StartOn(ctx context.Context, ls Listeners) error {
	return p.startOn(ctx, ls, false)
}

func (p *Peer) startOn(ctx context.Context, ls Listeners, addressFile bool) (err error) {
	if ls.Client == nil || ls.Chaincode == nil {
		return errors.New("start peer: client and chaincode listeners are required")
	}
	for _, o := range p.orgs[1:] {
		if ls.OrgClients[o.mspID()] == nil {
			return fmt.Errorf("start peer: Listeners.OrgClients has no listener for organisation %s", o.mspID())
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return fmt.Errorf("start peer: already started: %w", ErrStopped)
	}
	select {
	case <-p.closing:
		return fmt.Errorf("start peer: %w", ErrStopped)
	default:
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("start peer: %w", err)
	}
	p.started = true

	// Before the address file, which names the development-mode TLS files.
	ccOpts := chaincode.ServerOptions()
	if p.cfg.Dev && p.cfg.ChaincodeExecuteTimeout == 0 {
		// No pings a chaincode stopped in a debugger cannot answer.
		ccOpts = append(ccOpts, grpc.KeepaliveParams(keepalive.ServerParameters{Time: time.Duration(math.MaxInt64)}))
	}
	if p.chaincodeTLSOn() {
		tc, err := p.chaincodeTLS(ls.Chaincode.Addr())
		if err != nil {
			return err
		}
		ccOpts = append(ccOpts, grpc.Creds(credentials.NewTLS(tc)))
		if p.cfg.Dev {
			if p.devTLS, err = p.writeDevTLS(); err != nil {
				return err
			}
		}
	}

	if addressFile {
		f := AddressFile{
			Address:          dialable(ls.Client.Addr()),
			ChaincodeAddress: dialable(ls.Chaincode.Addr()),
			PID:              os.Getpid(),
			Dev:              p.cfg.Dev,
			MSPID:            p.org.MSPID(),
			ChaincodeTLS:     p.devTLS,
		}
		for _, o := range p.orgs {
			l := ls.Client
			if o != p.home() {
				l = ls.OrgClients[o.mspID()]
			}
			f.Orgs = append(f.Orgs, OrgAddress{MSPID: o.mspID(), Address: dialable(l.Addr())})
		}
		if ls.Operations != nil {
			f.OperationsAddress = dialable(ls.Operations.Addr())
		}
		if err := writeAddressFile(p.cfg.DataDir, f); err != nil {
			return fmt.Errorf("start peer: %w", err)
		}
		p.addrFile = &f
		defer func() {
			if err != nil { // nothing serves these addresses
				_ = removeAddressFile(p.cfg.DataDir, f)
				p.addrFile = nil
			}
		}()
	}

	if ls.Operations != nil {
		p.opsSrv = &http.Server{Handler: p.operationsHandler()}
		p.addrs[2] = ls.Operations.Addr().String()
		p.serve("operations", func() error { return p.opsSrv.Serve(ls.Operations) }, http.ErrServerClosed)
	}

	if !p.cfg.Dev && p.launcher == nil {
		r, err := p.newRunner(ls.Chaincode.Addr())
		if err != nil {
			return err
		}
		p.launcher = r
	}
	p.ccSrv = grpc.NewServer(ccOpts...)
	peer.RegisterChaincodeSupportServer(p.ccSrv, p.cc)
	p.addrs[1] = ls.Chaincode.Addr().String()
	p.serve("chaincode", func() error { return p.ccSrv.Serve(ls.Chaincode) }, grpc.ErrServerStopped)

	// The orderer's Deliver serves every channel; each virtual peer's its
	// own.
	dlv := deliver.New(deliver.Config{
		Channels: p.chans, MSP: p.msp, Stopping: p.closing, Log: p.log.With(logging.NameKey, "deliver"),
	})
	verify := func(creator, msg, sig []byte) error { _, err := p.msp.Verify(creator, msg, sig); return err }
	ord := orderer.NewServer(orderer.ChannelsFunc(p.chans.Submitter), orderer.VerifierFunc(verify),
		p.log.With(logging.NameKey, "orderer"), orderer.WithStopping(p.closing), orderer.WithDeliver(dlv.OrdererDeliver))
	for _, o := range p.orgs {
		l := ls.Client
		if o != p.home() {
			l = ls.OrgClients[o.mspID()]
		}
		o.addr = l.Addr().String()
	}
	for _, o := range p.orgs {
		l := ls.Client
		if o != p.home() {
			l = ls.OrgClients[o.mspID()]
		}
		o.drain = stopping.NewDrain(stopGrace)
		o.srv = grpc.NewServer(append(clientServerOptions(),
			grpc.MaxRecvMsgSize(chaincode.MaxMessageSize), grpc.MaxSendMsgSize(chaincode.MaxMessageSize), grpc.StatsHandler(o.drain))...)
		peer.RegisterEndorserServer(o.srv, o.endo)
		ab.RegisterAtomicBroadcastServer(o.srv, ord)
		gp.RegisterGatewayServer(o.srv, p.newGateway(o, ord, verify))
		peer.RegisterDeliverServer(o.srv, deliver.New(deliver.Config{
			Channels: p.chans.View(o.mspID()), MSP: p.msp, Stopping: p.closing, Log: p.log.With(logging.NameKey, "deliver", "org", o.mspID()),
			PeerMSPID: o.mspID(),
		}))
		srv := o.srv
		p.serve("client "+o.mspID(), func() error { return srv.Serve(l) }, grpc.ErrServerStopped)
	}
	p.addrs[0] = ls.Client.Addr().String()

	p.ready.Store(true)
	mode := "production"
	if p.cfg.Dev {
		mode = "development"
	}
	attrs := []any{"client", p.addrs[0], "chaincode", p.addrs[1], "operations", p.addrs[2],
		"mode", mode, "ledger", p.cfg.Ledger, "data_dir", p.cfg.DataDir, "channels", p.chans.Names()}
	if p.addrFile != nil {
		attrs = append(attrs, "address_file", AddressFilePath(p.cfg.DataDir))
	}
	// Each organisation's address before the ready line, so that whoever
	// waits for that line has read them all.
	if len(p.orgs) > 1 {
		for _, o := range p.orgs {
			p.log.Info("organisation", "msp_id", o.mspID(), "client", o.addr)
		}
	}
	p.log.Info("peersim ready", attrs...)
	return nil
}

func (p *Peer) serve(name string, fn func() error, clean error) {
	p.serving.Add(1)
	go func() {
		defer p.serving.Done()
		if err := fn(); err != nil && !errors.Is(err, clean) {
			p.log.Error("server stopped", "server", name, "error", err)
		}
	}()
}

// chaincodeTLSOn reports whether the chaincode listener requires TLS:
// ChaincodeTLS in production mode, ChaincodeDevTLS in development mode.
func (p *Peer) chaincodeTLSOn() bool {
	if p.cfg.Dev {
		return p.cfg.ChaincodeDevTLS
	}
	return p.cfg.ChaincodeTLS
}

func (p *Peer) chaincodeTLS(addr net.Addr) (*tls.Config, error) {
	ca, err := identity.NewChaincodeCA(0)
	if err != nil {
		return nil, fmt.Errorf("chaincode TLS CA: %w", err)
	}
	hosts := []string{"localhost", "127.0.0.1"}
	if h, _, err := net.SplitHostPort(addr.String()); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	kp, err := ca.IssueServer(hosts...)
	if err != nil {
		return nil, fmt.Errorf("chaincode listener certificate: %w", err)
	}
	tc, err := ca.ServerTLSConfig(kp)
	if err != nil {
		return nil, fmt.Errorf("chaincode listener TLS: %w", err)
	}
	p.ccCA = ca
	return tc, nil
}

// Addrs returns the bound client, chaincode and operations addresses
// (empty before Start).
func (p *Peer) Addrs() (client, chaincode, operations string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addrs[0], p.addrs[1], p.addrs[2]
}

// Stop stops accepting work, lets in-flight proposals finish (or fails
// them once ctx ends), disconnects chaincode, stops launched processes,
// commits what the orderer holds and closes the ledgers. It is idempotent.
func (p *Peer) Stop(ctx context.Context) error {
	p.stopOnce.Do(func() { p.stopErr = p.stop(ctx) })
	return p.stopErr
}

// stopGrace is how long Stop lets the client connections write what the
// finished calls left before it closes them: far more than a reply to a
// client that reads takes, and all a client that stopped reading a stream
// can hold the stop.
const stopGrace = 5 * time.Second

func (p *Peer) stop(ctx context.Context) error {
	p.ready.Store(false)
	close(p.closing) // ends Deliver and Broadcast streams
	p.mu.Lock()
	ccSrv, opsSrv, runner, addrFile := p.ccSrv, p.opsSrv, p.launcher, p.addrFile
	type client struct {
		srv   *grpc.Server
		drain *stopping.Drain
	}
	var clients []client
	for _, o := range p.orgs {
		if o.srv != nil {
			clients = append(clients, client{o.srv, o.drain})
		}
	}
	p.mu.Unlock()
	p.log.Info("peersim stopping")
	// Unary calls finish; streams, told to end by p.closing, are cut once
	// every handler returned, even if a client stopped reading.
	var draining sync.WaitGroup
	for _, c := range clients {
		draining.Go(func() { c.drain.Stop(ctx, c.srv) })
	}
	draining.Wait()
	if runner != nil {
		runner.Closing()
	}
	// Transactions still running on a chaincode fail with "chaincode
	// stream terminated"; the ledgers close once no proposal holds a
	// simulator.
	p.cc.Close()
	if ccSrv != nil {
		ccSrv.Stop()
	}
	for _, o := range p.orgs {
		o.endo.Wait()
	}
	var errs []error
	if runner != nil {
		if err := runner.StopAll(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop chaincode processes: %w", err))
		}
	}
	if err := p.chans.Close(); err != nil {
		errs = append(errs, err)
	}
	if opsSrv != nil {
		if err := opsSrv.Shutdown(ctx); err != nil {
			opsSrv.Close()
		}
	}
	p.serving.Wait()
	for _, o := range p.orgs {
		o.support.Wait()
	}
	if addrFile != nil {
		if err := removeAddressFile(p.cfg.DataDir, *addrFile); err != nil {
			errs = append(errs, err)
		}
	}
	p.release() // last: the directory is another peer's from here on
	p.log.Info("peersim stopped")
	return errors.Join(errs...)
}
