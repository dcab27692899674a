package peersim

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/logging"
	"github.com/chaincodekit/chaincodekit/peersim/snapshot"
	"github.com/chaincodekit/chaincodekit/peersim/trace"
	"github.com/kelseyhightower/envconfig"
)

// Ledger storage choices for Config.Ledger.
const (
	// LedgerBolt keeps each channel's ledger in a bbolt file under
	// <DataDir>/ledgers/<channel>.
	LedgerBolt = "bolt"
	// LedgerMemory keeps ledgers in memory; they are lost when the peer
	// stops. Installed chaincode and identities still live in DataDir.
	LedgerMemory = "memory"
)

// DefaultChannel is the channel every peer has from its first start.
const DefaultChannel = "mychannel"

// Config configures a Peer. Start from DefaultConfig or ConfigFromEnv; the
// zero value is not valid.
type Config struct {
	// Address is where clients reach the Endorser, AtomicBroadcast and
	// Deliver services.
	Address string `envconfig:"ADDRESS" default:"127.0.0.1:7051"`
	// ChaincodeAddress is where chaincode processes connect
	// (protos.ChaincodeSupport/Register).
	ChaincodeAddress string `envconfig:"CHAINCODE_ADDRESS" default:"127.0.0.1:7052"`
	// Orgs are the MSP IDs of the organisations the peer plays, one
	// virtual peer each: its own peer identity, endorser, private data and
	// client address, and in production mode its own chaincode processes
	// (launcher.OrgInstanceOf, the first's run as the plain ccid), so that
	// shim.GetMSPID answers its MSP ID. The first one's clients use
	// Address. Each is created
	// on first start in DataDir/organizations/peerOrganizations/<domain>,
	// with domain org1.example.com for Org1MSP (lower case, without the
	// MSP suffix, under example.com).
	Orgs []string `envconfig:"ORGS" default:"Org1MSP"`
	// OrgAddresses are the client addresses of the organisations after the
	// first, each MSPID=host:port. An organisation not listed listens on
	// Address's host at Address's port plus 2000 for each place after the
	// first (Org2MSP at 9051 beside 7051, as in Fabric's test network), or
	// at port 0 when Address's port is 0.
	OrgAddresses []string `envconfig:"ORG_ADDRESSES"`
	// OperationsAddress serves /healthz and /metrics over plain HTTP.
	OperationsAddress string `envconfig:"OPERATIONS_ADDRESS" default:"127.0.0.1:9443"`
	// OperationsPprof also serves Go's net/http/pprof profiles under
	// /debug/pprof/ on the operations address. Off by default: profiles
	// reveal the peer's internals and cost CPU while they run.
	OperationsPprof bool `envconfig:"OPERATIONS_PPROF"`
	// DataDir holds the organisation, installed chaincode, ledgers, the
	// channel list and (production mode) builds and logs. ConfigFromEnv
	// defaults it to ~/.peersim.
	DataDir string `envconfig:"DATA_DIR"`
	// Ledger is LedgerBolt or LedgerMemory.
	Ledger string `envconfig:"LEDGER" default:"bolt"`
	// Dev is development mode: the peer owns no chaincode process and
	// accepts a connection from any installed name:version.
	Dev bool `envconfig:"DEV"`
	// ChaincodeStartupTimeout bounds how long instantiate (and, in
	// production mode, a launch) waits for the chaincode to connect; in
	// production mode it starts once the chaincode is built.
	ChaincodeStartupTimeout time.Duration `envconfig:"CHAINCODE_STARTUP_TIMEOUT" default:"60s"`
	// ChaincodeBuildTimeout bounds one production-mode build of a chaincode
	// package (`go build`, or an external builder's detect, build and
	// release). A first build with cold Go caches compiles the standard
	// library and every dependency and can take minutes; later builds share
	// the caches (launcher.Config.Env) and take seconds.
	ChaincodeBuildTimeout time.Duration `envconfig:"CHAINCODE_BUILD_TIMEOUT" default:"5m"`
	// ChaincodeExecuteTimeout bounds one Init or Invoke; 0 means no limit.
	// In development mode 0 also lifts the limit of ChaincodeStartupTimeout
	// and the peer's keepalive pings on chaincode connections, so that a
	// chaincode may sit on a debugger's breakpoint (even before it
	// registers) for as long as the author likes.
	ChaincodeExecuteTimeout time.Duration `envconfig:"CHAINCODE_EXECUTE_TIMEOUT" default:"30s"`
	// ChaincodeMaxInFlight bounds the requests one chaincode stream may
	// have in flight; at the bound the peer stops reading that stream until
	// replies drain (chaincode.Config.MaxInFlight).
	ChaincodeMaxInFlight int `envconfig:"CHAINCODE_MAX_INFLIGHT" default:"128"`
	// ChaincodeMaxInFlightPerTx bounds the requests one transaction may
	// have in flight; a stream exceeding it is ended
	// (chaincode.Config.MaxInFlightPerTx).
	ChaincodeMaxInFlightPerTx int `envconfig:"CHAINCODE_MAX_INFLIGHT_PER_TX" default:"16"`
	// ChaincodeTLS makes the chaincode listener require TLS client
	// certificates the peer issued (production mode only).
	ChaincodeTLS bool `envconfig:"CHAINCODE_TLS" default:"true"`
	// ChaincodeDevTLS makes the chaincode listener of a development-mode
	// peer require TLS with client certificates from the peer's chaincode
	// CA, for authors who need chaincode TLS while they develop. At each
	// start the peer issues a new CA, server certificate and one client
	// certificate for all development-mode chaincode, and writes them to
	// DataDir/chaincode-tls (see DevTLSFiles, named in the address file),
	// where `peersim chaincode run` finds them. Fabric's development mode
	// needs TLS off.
	ChaincodeDevTLS bool `envconfig:"CHAINCODE_DEV_TLS"`
	// ExternalBuilders are directories of Fabric external builders
	// (production mode; used by the launcher).
	ExternalBuilders []string `envconfig:"EXTERNAL_BUILDERS"`
	// BatchSize is the number of transactions after which the embedded
	// orderer cuts a block.
	BatchSize int `envconfig:"BATCH_SIZE" default:"10"`
	// BatchTimeout is how long the orderer waits before cutting a block
	// that is not full.
	BatchTimeout time.Duration `envconfig:"BATCH_TIMEOUT" default:"200ms"`
	// CheckDeterminism makes the peer simulate every user chaincode
	// proposal twice (on a second process of the chaincode in production
	// mode, on the same one again in development mode) and refuse, with
	// status 500 and a message starting "nondeterministic chaincode", one
	// whose two results differ; the message is the field-by-field diff
	// (package peersim/determinism). It covers the Gateway too. A client
	// can ask for the check on one proposal instead (determinism.Request,
	// peersim chaincode invoke --check-determinism).
	CheckDeterminism bool `envconfig:"CHECK_DETERMINISM"`
	// TraceCapacity is how many of the last transactions the peer keeps
	// traces of (peersim tx trace, /traces on the operations address); 0
	// turns tracing off.
	TraceCapacity int `envconfig:"TRACE_CAPACITY" default:"256"`
	// LogLevel is a Fabric logging specification (FABRIC_LOGGING_SPEC's
	// syntax, e.g. "info" or "chaincode,launcher=debug:info") the peer
	// applies to its logger by component; /logspec changes it while the
	// peer runs. Records still pass the handler the peer was given, whose
	// own level is the floor.
	LogLevel string `envconfig:"LOG_LEVEL" default:"info"`
	// FromSnapshot is a snapshot file (package peersim/snapshot, written by
	// `peersim ledger snapshot` or Peer.WriteSnapshot) whose channels New
	// restores: their world state, private data and chaincode definitions,
	// each channel continuing its chain at the snapshot's height. Every
	// channel it holds must be new to the peer (a fresh DataDir, or the
	// memory ledger): New refuses, restoring nothing, when one already has
	// a ledger, and when the file is not a valid snapshot.
	FromSnapshot string `envconfig:"FROM_SNAPSHOT"`
	// Fixtures seed channels' public state from JSON files (package
	// peersim/snapshot: {"chaincode": {"key": value}}), each given as
	// CHANNEL=FILE, or FILE for mychannel. A channel seeded by a fixture
	// begins at height 1; like FromSnapshot, it must be new to the peer,
	// and it may not also be in the snapshot.
	Fixtures []string `envconfig:"FIXTURES"`
}

// DefaultConfig returns the defaults with DataDir set to dataDir.
func DefaultConfig(dataDir string) Config {
	return Config{
		Address:                   "127.0.0.1:7051",
		Orgs:                      []string{defaultMSPID},
		ChaincodeAddress:          "127.0.0.1:7052",
		OperationsAddress:         "127.0.0.1:9443",
		DataDir:                   dataDir,
		Ledger:                    LedgerBolt,
		ChaincodeStartupTimeout:   60 * time.Second,
		ChaincodeBuildTimeout:     5 * time.Minute,
		ChaincodeExecuteTimeout:   30 * time.Second,
		ChaincodeMaxInFlight:      128,
		ChaincodeMaxInFlightPerTx: 16,
		ChaincodeTLS:              true,
		BatchSize:                 10,
		BatchTimeout:              200 * time.Millisecond,
		TraceCapacity:             trace.DefaultCapacity,
		LogLevel:                  logging.DefaultSpec,
	}
}

// ConfigFromEnv reads the configuration from PEERSIM_* environment
// variables (PEERSIM_ADDRESS, PEERSIM_DEV, PEERSIM_DATA_DIR, ...); unset
// variables keep their defaults and DataDir defaults to ~/.peersim.
// The result is validated.
func ConfigFromEnv() (Config, error) {
	var c Config
	if err := envconfig.Process("PEERSIM", &c); err != nil {
		return Config{}, fmt.Errorf("read peersim configuration from the environment: %w", err)
	}
	if c.DataDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return Config{}, fmt.Errorf("default data directory: %w; set PEERSIM_DATA_DIR", err)
		}
		c.DataDir = filepath.Join(home, ".peersim")
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate names the first field whose value the peer cannot use.
func (c Config) Validate() error {
	for _, a := range []struct{ field, value string }{
		{"Address", c.Address}, {"ChaincodeAddress", c.ChaincodeAddress}, {"OperationsAddress", c.OperationsAddress},
	} {
		if _, _, err := net.SplitHostPort(a.value); err != nil {
			return fmt.Errorf("config %s %q: want host:port (port 0 picks a free port): %w", a.field, a.value, err)
		}
	}
	if c.Address == c.ChaincodeAddress {
		if _, port, _ := net.SplitHostPort(c.Address); port != "0" {
			return fmt.Errorf("config ChaincodeAddress %q: must differ from Address (clients and chaincode use different ports)", c.ChaincodeAddress)
		}
	}
	switch {
	case c.DataDir == "":
		return fmt.Errorf("config DataDir is empty: set a directory for identities, chaincode and ledgers")
	case c.Ledger != LedgerBolt && c.Ledger != LedgerMemory:
		return fmt.Errorf("config Ledger %q: want %q or %q", c.Ledger, LedgerBolt, LedgerMemory)
	case c.ChaincodeStartupTimeout <= 0:
		return fmt.Errorf("config ChaincodeStartupTimeout %s: must be positive", c.ChaincodeStartupTimeout)
	case c.ChaincodeBuildTimeout <= 0:
		return fmt.Errorf("config ChaincodeBuildTimeout %s: must be positive", c.ChaincodeBuildTimeout)
	case c.ChaincodeExecuteTimeout < 0:
		return fmt.Errorf("config ChaincodeExecuteTimeout %s: must be positive, or 0 for no limit", c.ChaincodeExecuteTimeout)
	case c.TraceCapacity < 0:
		return fmt.Errorf("config TraceCapacity %d: must be 0 (tracing off) or more", c.TraceCapacity)
	case c.ChaincodeMaxInFlight <= 0:
		return fmt.Errorf("config ChaincodeMaxInFlight %d: must be at least 1", c.ChaincodeMaxInFlight)
	case c.ChaincodeMaxInFlightPerTx <= 0 || c.ChaincodeMaxInFlightPerTx > c.ChaincodeMaxInFlight:
		return fmt.Errorf("config ChaincodeMaxInFlightPerTx %d: must be between 1 and ChaincodeMaxInFlight (%d)", c.ChaincodeMaxInFlightPerTx, c.ChaincodeMaxInFlight)
	case c.BatchSize <= 0:
		return fmt.Errorf("config BatchSize %d: must be at least 1", c.BatchSize)
	case c.BatchTimeout <= 0:
		return fmt.Errorf("config BatchTimeout %s: must be positive", c.BatchTimeout)
	}
	if _, err := logging.ParseSpec(c.LogLevel); err != nil {
		return fmt.Errorf("config LogLevel: %w", err)
	}
	for i, spec := range c.Fixtures {
		if _, _, err := snapshot.ParseFixtureSpec(spec, DefaultChannel); err != nil {
			return fmt.Errorf("config Fixtures[%d]: %w", i, err)
		}
	}
	if _, err := c.orgAddresses(); err != nil {
		return err
	}
	for i, d := range c.ExternalBuilders {
		if d == "" {
			return fmt.Errorf("config ExternalBuilders[%d] is empty: give a builder directory", i)
		}
	}
	return nil
}

// orgAddresses returns the client address of each of Orgs, in order, and
// checks Orgs and OrgAddresses.
func (c Config) orgAddresses() ([]string, error) {
	if len(c.Orgs) == 0 {
		return nil, fmt.Errorf("config Orgs is empty: name at least one organisation's MSP ID, e.g. %s", defaultMSPID)
	}
	for i, id := range c.Orgs {
		if slices.Contains(c.Orgs[:i], id) {
			return nil, fmt.Errorf("config Orgs: %s is listed twice", id)
		}
		if err := orgConfig(id).Validate(); err != nil {
			return nil, fmt.Errorf("config Orgs[%d] %q: %w", i, id, err)
		}
		for _, other := range c.Orgs[:i] {
			if OrgDomain(other) == OrgDomain(id) {
				return nil, fmt.Errorf("config Orgs: %s and %s would share the organisation folder %s (MSP IDs that differ only in case or an MSP suffix have one domain): rename one", other, id, OrgDomain(id))
			}
		}
	}
	named := map[string]string{}
	for i, spec := range c.OrgAddresses {
		id, addr, ok := strings.Cut(spec, "=")
		if !ok || id == "" || addr == "" {
			return nil, fmt.Errorf("config OrgAddresses[%d] %q: want MSPID=host:port, e.g. Org2MSP=127.0.0.1:9051", i, spec)
		}
		if j := slices.Index(c.Orgs, id); j < 1 {
			return nil, fmt.Errorf("config OrgAddresses[%d] %q: %s is not one of Orgs after the first %v (the first organisation uses Address)", i, spec, id, c.Orgs)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("config OrgAddresses[%d] %q: want host:port: %w", i, spec, err)
		}
		if prev, ok := named[id]; ok {
			return nil, fmt.Errorf("config OrgAddresses[%d] %q: %s already has address %s: give each organisation one", i, spec, id, prev)
		}
		named[id] = addr
	}
	host, port, _ := net.SplitHostPort(c.Address)
	base, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("config Address %q: the port must be a number: %w", c.Address, err)
	}
	out := []string{c.Address}
	for i, id := range c.Orgs[1:] {
		addr, ok := named[id]
		if !ok {
			p := 0
			if base != 0 {
				if p = base + 2000*(i+1); p > 65535 {
					return nil, fmt.Errorf("config Orgs: %s would listen on port %d: give it an address in OrgAddresses", id, p)
				}
			}
			addr = net.JoinHostPort(host, strconv.Itoa(p))
		}
		if slices.Contains(out, addr) && !strings.HasSuffix(addr, ":0") {
			return nil, fmt.Errorf("config OrgAddresses: %s would listen on %s, which another organisation has", id, addr)
		}
		out = append(out, addr)
	}
	return out, nil
}
