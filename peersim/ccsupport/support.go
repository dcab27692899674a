package ccsupport

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/chaincode"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Sentinel errors; the wrapping error names the chaincode.
var (
	// ErrNeedLauncher is returned in production mode when there is no
	// Launcher: the peer cannot start chaincode processes by itself.
	ErrNeedLauncher = errors.New("production mode needs the launcher (run with --dev, or wire a Launcher with WithLauncher)")
	// ErrChaincodeNotConnected is returned when a chaincode did not connect
	// within Config.StartupTimeout (or, in development mode, is not
	// connected when a proposal needs it).
	ErrChaincodeNotConnected = errors.New("chaincode not connected")
	// ErrStopped is the cause of a wait for a chaincode that the peer's
	// stopping ended.
	ErrStopped = errors.New("peer stopped")
)

// Launcher is what production mode needs from a launcher: build and start
// chaincode, say which registrations come from processes it started, and
// stop them. *launcher.Runner implements it.
type Launcher interface {
	// Launch makes sure ccid runs from pkg. The caller waits for the
	// REGISTER itself (or dials Instance.Connection for
	// chaincode-as-a-service) and watches Instance.Process for an early
	// exit.
	Launch(ctx context.Context, ccid string, pkg *ccpackage.Package) (*launcher.Instance, error)
	// AuthorizeCert decides whether a REGISTER for ccid, presenting cert
	// (nil without TLS), comes from a process the launcher started.
	AuthorizeCert(ccid string, cert *x509.Certificate) error
	// Disconnected tells the launcher that ccid's stream has ended.
	Disconnected(ccid string)
	// Stop stops the process serving ccid.
	Stop(ctx context.Context, ccid string) error
	// List describes the running chaincode (pscc ListRunning).
	List() []launcher.Running
	// Builds describes the builds in progress and the last finished ones
	// (pscc ListBuilds).
	Builds() []launcher.BuildStatus
	// Closing says the peer is stopping, before it ends the chaincode
	// streams; StopAll follows.
	Closing()
	// StopAll stops every process; the peer calls it when it stops.
	StopAll(ctx context.Context) error
}

var _ Launcher = (*launcher.Runner)(nil)

// Server is the chaincode server's side that Support uses; a
// *chaincode.Server is one.
type Server interface {
	// Connected returns the ccids registered and ready.
	Connected() []string
	// WaitReady returns once ccid is registered and ready, or ctx ends.
	WaitReady(ctx context.Context, ccid string) (<-chan struct{}, error)
	// Execute runs one transaction on ccid.
	Execute(ctx context.Context, ccid string, req chaincode.ExecuteRequest) (*peer.ChaincodeMessage, error)
	// ServeDialed serves a stream to a chaincode server the peer dialled.
	ServeDialed(stream peer.Chaincode_ConnectClient, as chaincode.DialedAs) (registered bool, err error)
}

var _ Server = (*chaincode.Server)(nil)

// Packages loads installed chaincode packages; a *ccpackage.Store is one.
type Packages interface {
	// Load loads the package installed through lscc as name:version.
	Load(name, version string) (*ccpackage.Package, error)
	// LoadPackage loads the package with the package ID, installed through
	// either lifecycle; not installed wraps ccpackage.ErrNotInstalled.
	LoadPackage(packageID string) (*ccpackage.Package, error)
}

// Channels finds a channel's ledger.
type Channels interface {
	Ledger(name string) (*ledger.Ledger, error)
}

// Config is what a Support is given.
type Config struct {
	// Dev is development mode: nothing is launched, the developer starts
	// the chaincode.
	Dev bool
	// StartupTimeout bounds the wait for a chaincode to register; 0 means
	// no limit.
	StartupTimeout time.Duration
	// MSPID is the peer's MSP ID, for the development-mode start command
	// and the org instances of OrgInstance.
	MSPID string
	// OrgInstance says the peer is not the first of the organisations one
	// process plays (peersim's Config.Orgs): in production mode it runs
	// its own process of each chaincode, launcher.OrgInstanceOf(ccid,
	// MSPID), so that shim.GetMSPID answers MSPID there, as each
	// organisation's peer runs its own chaincode on a Fabric network.
	// Connect, ResolveChaincode and EnsureConnected launch that process
	// and Connect and ResolveChaincode return its id; Execute given the
	// plain ccid runs on it. Development mode (the developer starts one
	// process) and chaincode-as-a-service (the peer dials the one server)
	// keep the plain ccid, shared by all organisations (see Gate). The
	// first organisation runs the plain ccid, so a single-organisation
	// peer is not affected.
	OrgInstance bool
	// ChaincodeTLSEnv returns, for the development-mode start command, the
	// TLS settings (KEY=value) of a chaincode when the chaincode listener
	// requires TLS, nil (CORE_PEER_TLS_ENABLED=false) otherwise. May be nil.
	ChaincodeTLSEnv func() []string
	// ChaincodeAddress returns the address chaincode dials, for the
	// development-mode start command.
	ChaincodeAddress func() string

	// Gate, if set, makes the virtual peers' executions of one
	// transaction take turns (they share chaincode processes in
	// development mode and chaincode servers; see TxGate).
	Gate *TxGate

	Server   Server
	Packages Packages
	Channels Channels
	// Approval returns the package ID the peer's organisation approved for
	// a _lifecycle definition (chaincode name at sequence on channelID),
	// and whether it approved that sequence (syscc.Approval).
	Approval func(channelID, name string, sequence int64) (packageID string, approved bool, err error)
	// Launcher returns the production-mode launcher; nil before the peer
	// starts and in development mode.
	Launcher func() Launcher

	// Launched, if set, observes each launch (or development-mode wait):
	// the ccid, whether it registered, whether it timed out, how long.
	Launched func(ccid string, ok, timedOut bool, d time.Duration)
	// Executed, if set, observes each execution: the ccid, the message
	// type, whether it completed, whether it timed out, how long.
	Executed func(ccid, typ string, ok, timedOut bool, d time.Duration)

	// Stopping ends waits for chaincode when it is closed.
	Stopping <-chan struct{}
	// Log may be nil.
	Log *slog.Logger
}

// Support makes chaincode ready and runs it.
type Support struct {
	cfg     Config
	dialled sync.WaitGroup // streams to chaincode servers

	mu sync.Mutex
	// routes is the ccid each _lifecycle-defined chaincode runs as, by
	// channel and name.
	routes map[string]route
	// shared are the ccids that run as a chaincode server, which an
	// OrgInstance shares with the other organisations.
	shared map[string]bool
}

var (
	_ syscc.Runner               = (*Support)(nil)
	_ chaincode.Resolver         = (*Support)(nil)
	_ chaincode.SimulatorFactory = (*Support)(nil)
)

// New returns a Support.
func New(cfg Config) *Support {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Launched == nil {
		cfg.Launched = func(string, bool, bool, time.Duration) {}
	}
	if cfg.Executed == nil {
		cfg.Executed = func(string, string, bool, bool, time.Duration) {}
	}
	return &Support{cfg: cfg, routes: map[string]route{}, shared: map[string]bool{}}
}

// Wait returns once every stream to a dialled chaincode server has ended;
// the peer calls it after closing the chaincode server.
func (s *Support) Wait() { s.dialled.Wait() }

func (s *Support) launcher() Launcher {
	if s.cfg.Launcher == nil {
		return nil
	}
	return s.cfg.Launcher()
}
