package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/chaincodekit/chaincodekit/peersim"
)

// stopTimeout bounds how long `node start` waits for in-flight work when it
// is told to stop.
const stopTimeout = 30 * time.Second

func newNodeCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run the peer",
	}
	cmd.AddCommand(newNodeStartCommand(a))
	return cmd
}

// nodeFlag is one `node start` flag: its name and how it sets the field of
// peersim.Config it stands for.
type nodeFlag struct {
	name  string
	apply func(dst *peersim.Config, src peersim.Config)
}

// nodeFlags lists the flags in Config order; every Config field has one
// (the test checks it), named after its environment variable in kebab case.
func nodeFlags() []nodeFlag {
	return []nodeFlag{
		{"address", func(d *peersim.Config, s peersim.Config) { d.Address = s.Address }},
		{"chaincode-address", func(d *peersim.Config, s peersim.Config) { d.ChaincodeAddress = s.ChaincodeAddress }},
		{"orgs", func(d *peersim.Config, s peersim.Config) { d.Orgs = append([]string(nil), s.Orgs...) }},
		{"org-addresses", func(d *peersim.Config, s peersim.Config) { d.OrgAddresses = append([]string(nil), s.OrgAddresses...) }},
		{"operations-address", func(d *peersim.Config, s peersim.Config) { d.OperationsAddress = s.OperationsAddress }},
		{"operations-pprof", func(d *peersim.Config, s peersim.Config) { d.OperationsPprof = s.OperationsPprof }},
		{"data-dir", func(d *peersim.Config, s peersim.Config) { d.DataDir = s.DataDir }},
		{"ledger", func(d *peersim.Config, s peersim.Config) { d.Ledger = s.Ledger }},
		{"dev", func(d *peersim.Config, s peersim.Config) { d.Dev = s.Dev }},
		{"peer-chaincodedev", func(d *peersim.Config, s peersim.Config) { d.Dev = s.Dev }},
		{"chaincode-startup-timeout", func(d *peersim.Config, s peersim.Config) { d.ChaincodeStartupTimeout = s.ChaincodeStartupTimeout }},
		{"chaincode-build-timeout", func(d *peersim.Config, s peersim.Config) { d.ChaincodeBuildTimeout = s.ChaincodeBuildTimeout }},
		{"chaincode-execute-timeout", func(d *peersim.Config, s peersim.Config) { d.ChaincodeExecuteTimeout = s.ChaincodeExecuteTimeout }},
		{"chaincode-max-inflight", func(d *peersim.Config, s peersim.Config) { d.ChaincodeMaxInFlight = s.ChaincodeMaxInFlight }},
		{"chaincode-max-inflight-per-tx", func(d *peersim.Config, s peersim.Config) {
			d.ChaincodeMaxInFlightPerTx = s.ChaincodeMaxInFlightPerTx
		}},
		{"chaincode-tls", func(d *peersim.Config, s peersim.Config) { d.ChaincodeTLS = s.ChaincodeTLS }},
		{"chaincode-dev-tls", func(d *peersim.Config, s peersim.Config) { d.ChaincodeDevTLS = s.ChaincodeDevTLS }},
		{"external-builder", func(d *peersim.Config, s peersim.Config) {
			d.ExternalBuilders = append([]string(nil), s.ExternalBuilders...)
		}},
		{"batch-size", func(d *peersim.Config, s peersim.Config) { d.BatchSize = s.BatchSize }},
		{"batch-timeout", func(d *peersim.Config, s peersim.Config) { d.BatchTimeout = s.BatchTimeout }},
		{"check-determinism", func(d *peersim.Config, s peersim.Config) { d.CheckDeterminism = s.CheckDeterminism }},
		{"trace-capacity", func(d *peersim.Config, s peersim.Config) { d.TraceCapacity = s.TraceCapacity }},
		{"log-level", func(d *peersim.Config, s peersim.Config) { d.LogLevel = s.LogLevel }},
		{"from-snapshot", func(d *peersim.Config, s peersim.Config) { d.FromSnapshot = s.FromSnapshot }},
		{"fixtures", func(d *peersim.Config, s peersim.Config) { d.Fixtures = append([]string(nil), s.Fixtures...) }},
	}
}

// registerNodeFlags binds the `node start` flags to the fields of cfg,
// with the peer's defaults.
func registerNodeFlags(fs *pflag.FlagSet, cfg *peersim.Config) {
	*cfg = peersim.DefaultConfig("")
	fs.StringVar(&cfg.Address, "address", cfg.Address, "where clients reach the peer: Endorser, AtomicBroadcast, Deliver (env PEERSIM_ADDRESS)")
	fs.StringVar(&cfg.ChaincodeAddress, "chaincode-address", cfg.ChaincodeAddress, "where chaincode connects (env PEERSIM_CHAINCODE_ADDRESS)")
	fs.StringSliceVar(&cfg.Orgs, "orgs", cfg.Orgs, "the organisations (MSP IDs, comma-separated) the peer plays, one virtual peer each with its own client address, peer identity and approvals; the first one's clients use --address (env PEERSIM_ORGS)")
	fs.StringSliceVar(&cfg.OrgAddresses, "org-addresses", nil, "client addresses of the organisations after the first, MSPID=host:port comma-separated, e.g. Org2MSP=127.0.0.1:9051; an organisation not listed listens on --address's port plus 2000 per place (9051 for the second), or port 0 when --address's is 0 (env PEERSIM_ORG_ADDRESSES)")
	fs.StringVar(&cfg.OperationsAddress, "operations-address", cfg.OperationsAddress, "/healthz and /metrics over HTTP (env PEERSIM_OPERATIONS_ADDRESS)")
	fs.BoolVar(&cfg.OperationsPprof, "operations-pprof", cfg.OperationsPprof, "also serve Go's pprof profiles under /debug/pprof/ on the operations address (env PEERSIM_OPERATIONS_PPROF)")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "identities, installed chaincode, ledgers, builds and logs (env PEERSIM_DATA_DIR, default ~/.peersim)")
	fs.StringVar(&cfg.Ledger, "ledger", cfg.Ledger, "ledger storage: bolt (on disk) or memory (env PEERSIM_LEDGER)")
	fs.BoolVar(&cfg.Dev, "dev", cfg.Dev, "development mode: you start the chaincode, the peer accepts any installed name:version (env PEERSIM_DEV)")
	fs.BoolVar(&cfg.Dev, "peer-chaincodedev", cfg.Dev, "same as --dev (the flag of Fabric's peer node start)")
	fs.DurationVar(&cfg.ChaincodeStartupTimeout, "chaincode-startup-timeout", cfg.ChaincodeStartupTimeout, "how long to wait for chaincode to connect (env PEERSIM_CHAINCODE_STARTUP_TIMEOUT)")
	fs.DurationVar(&cfg.ChaincodeBuildTimeout, "chaincode-build-timeout", cfg.ChaincodeBuildTimeout, "limit of one production-mode chaincode build; a first build with cold Go caches can take minutes (env PEERSIM_CHAINCODE_BUILD_TIMEOUT)")
	fs.DurationVar(&cfg.ChaincodeExecuteTimeout, "chaincode-execute-timeout", cfg.ChaincodeExecuteTimeout, "limit of one Init or Invoke, 0 for none; in development mode 0 also lifts the startup timeout and keepalive pings, for debuggers (env PEERSIM_CHAINCODE_EXECUTE_TIMEOUT)")
	fs.IntVar(&cfg.ChaincodeMaxInFlight, "chaincode-max-inflight", cfg.ChaincodeMaxInFlight, "requests one chaincode stream may have in flight; at the bound the peer stops reading it until replies drain (env PEERSIM_CHAINCODE_MAX_INFLIGHT)")
	fs.IntVar(&cfg.ChaincodeMaxInFlightPerTx, "chaincode-max-inflight-per-tx", cfg.ChaincodeMaxInFlightPerTx, "requests one transaction may have in flight; a stream exceeding it is ended (env PEERSIM_CHAINCODE_MAX_INFLIGHT_PER_TX)")
	fs.BoolVar(&cfg.ChaincodeTLS, "chaincode-tls", cfg.ChaincodeTLS, "mutual TLS with launched chaincode, production mode only (env PEERSIM_CHAINCODE_TLS)")
	fs.BoolVar(&cfg.ChaincodeDevTLS, "chaincode-dev-tls", cfg.ChaincodeDevTLS, "development mode: mutual TLS with the chaincode you start; the peer writes the files to connect with to <data-dir>/chaincode-tls, where chaincode run finds them (env PEERSIM_CHAINCODE_DEV_TLS)")
	fs.StringArrayVar(&cfg.ExternalBuilders, "external-builder", nil, "a Fabric external builder directory, repeatable, tried in order (env PEERSIM_EXTERNAL_BUILDERS, comma-separated)")
	fs.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "transactions per block (env PEERSIM_BATCH_SIZE)")
	fs.DurationVar(&cfg.BatchTimeout, "batch-timeout", cfg.BatchTimeout, "how long to wait before cutting a block that is not full (env PEERSIM_BATCH_TIMEOUT)")
	fs.BoolVar(&cfg.CheckDeterminism, "check-determinism", cfg.CheckDeterminism, "simulate every chaincode proposal twice and refuse one whose results differ, with the diff (env PEERSIM_CHECK_DETERMINISM)")
	fs.IntVar(&cfg.TraceCapacity, "trace-capacity", cfg.TraceCapacity, "how many of the last transactions to keep traces of, for peersim tx trace and /traces; 0 turns tracing off (env PEERSIM_TRACE_CAPACITY)")
	fs.StringVar(&cfg.FromSnapshot, "from-snapshot", "", "restore the channels of this snapshot file (peersim ledger snapshot) into channels new to the peer: a fresh --data-dir or --ledger memory (env PEERSIM_FROM_SNAPSHOT)")
	fs.StringArrayVar(&cfg.Fixtures, "fixtures", nil, "seed a new channel's public state from a JSON file {\"chaincode\": {\"key\": value}}, as CHANNEL=FILE or FILE for mychannel; repeatable (env PEERSIM_FIXTURES, comma-separated)")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "a level (debug, info, warning, error) or a Fabric logging spec such as chaincode,launcher=debug:info; PUT /logspec changes it while the peer runs (env PEERSIM_LOG_LEVEL)")
}

// mergeNodeFlags returns env with the value of every flag given on the
// command line (changed reports which) taken from flags: a flag wins over
// its environment variable, which wins over the default.
func mergeNodeFlags(env, flags peersim.Config, changed func(name string) bool) peersim.Config {
	out := env
	out.ExternalBuilders = append([]string(nil), env.ExternalBuilders...)
	out.Fixtures = append([]string(nil), env.Fixtures...)
	out.Orgs = append([]string(nil), env.Orgs...)
	out.OrgAddresses = append([]string(nil), env.OrgAddresses...)
	for _, f := range nodeFlags() {
		if changed(f.name) {
			f.apply(&out, flags)
		}
	}
	return out
}

// nodeConfig reads PEERSIM_* from the environment, applies the flags given
// and validates the result.
func (a *app) nodeConfig(fs *pflag.FlagSet, flags peersim.Config) (peersim.Config, error) {
	var env peersim.Config
	if err := envconfig.Process("PEERSIM", &env); err != nil {
		return peersim.Config{}, fmt.Errorf("read PEERSIM_ environment variables: %w", err)
	}
	cfg := mergeNodeFlags(env, flags, func(name string) bool { return fs.Changed(name) })
	if cfg.DataDir == "" {
		d, err := a.defaultDataDir()
		if err != nil {
			return peersim.Config{}, err
		}
		cfg.DataDir = d
	}
	if abs, err := filepath.Abs(cfg.DataDir); err == nil {
		cfg.DataDir = abs
	}
	if err := cfg.Validate(); err != nil {
		return peersim.Config{}, fmt.Errorf("%w (set it with the flag or the PEERSIM_ variable; see peersim node start --help)", err)
	}
	return cfg, nil
}

func newNodeStartCommand(a *app) *cobra.Command {
	var flags peersim.Config
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start the peer; SIGINT or SIGTERM stops it",
		Long: `Starts the peer: the client services (Endorser, AtomicBroadcast, Deliver), the chaincode
listener and the operations endpoints (/healthz, /metrics, /version, /logspec). Every flag can also be set with its
PEERSIM_ environment variable; a flag given on the command line wins. The first start creates
the organisation (Org1MSP) and the channel mychannel in the data directory. --orgs
Org1MSP,Org2MSP plays several organisations, each a virtual peer with its own client address
(--org-addresses, else --address's port plus 2000 per place), identities and approvals, over
one ledger per channel; the client commands choose one with --org. Logs a line
containing "peersim ready" with the bound addresses once it serves, after writing them to
peer.addresses.json in the data directory, where the client commands and "peersim chaincode
run" find them (port 0 picks new ports at every start); SIGINT or SIGTERM stops it cleanly
(exit 0) and removes the file. It also writes core.yaml in the data directory, for Fabric's
own peer CLI: eval "$(peersim env)" sets FABRIC_CFG_PATH and the CORE_PEER_ variables.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.nodeConfig(cmd.Flags(), flags)
			if err != nil {
				return err
			}
			return a.runPeer(cmd.Context(), cfg)
		},
	}
	registerNodeFlags(cmd.Flags(), &flags)
	return cmd
}

// runPeer starts the peer and serves until ctx ends, then stops it.
func (a *app) runPeer(ctx context.Context, cfg peersim.Config) error {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	// The peer filters by Config.LogLevel; the handler passes everything.
	logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts, err := a.peerOptions(cfg)
	if err != nil {
		return err
	}
	p, err := peersim.New(cfg, logger, opts...)
	if err != nil {
		return fmt.Errorf("create the peer: %w", err)
	}
	// Before Start: a client that saw the ready line finds the file.
	err = peersim.WriteCoreYAML(cfg.DataDir, cfg.Orgs[0])
	if err == nil {
		err = p.Start(ctx)
	}
	if err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
		defer cancel()
		_ = p.Stop(stopCtx)
		return fmt.Errorf("start the peer: %w", err)
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	if err := p.Stop(stopCtx); err != nil {
		return fmt.Errorf("stop the peer: %w", err)
	}
	return nil
}
