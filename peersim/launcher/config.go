package launcher

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Defaults applied by Config.withDefaults.
const (
	// DefaultStopGrace is how long Stop waits after SIGTERM before SIGKILL,
	// as Fabric waits for an external builder's run process.
	DefaultStopGrace = 5 * time.Second
	// DefaultGoCommand is the Go tool used to build Go chaincode.
	DefaultGoCommand = "go"
	// DefaultBuildTimeout bounds one build. A first Go build with cold
	// caches compiles the standard library and every dependency: 40 to 90
	// seconds for a gRPC chaincode on a loaded two-core machine.
	DefaultBuildTimeout = 5 * time.Minute
)

// CertIssuer issues the client certificate of each chaincode launch and
// names the CA the chaincode must trust, all as PEM. *identity.ChaincodeCA
// implements it; its server certificate for the chaincode listener must
// come from the same CA, since CertPEM becomes the chaincode's
// CORE_PEER_TLS_ROOTCERT_FILE.
type CertIssuer interface {
	// IssueClientPEM issues a client certificate for one launch of ccid
	// and returns it and its private key, both PEM. certPEM holds the
	// certificate as its first PEM block.
	IssueClientPEM(ccid string) (certPEM, keyPEM []byte, err error)
	// CertPEM returns the CA certificate, PEM.
	CertPEM() []byte
}

// Builder is one external builder: a directory holding bin/detect,
// bin/build and optionally bin/release and bin/run, as Fabric's
// chaincode.externalBuilders entries.
type Builder struct {
	// Name identifies the builder; build-info.json records it so that a
	// build is reused only while its builder is still configured.
	Name string
	// Path is the builder's directory.
	Path string
	// PropagateEnvironment names environment variables passed to the
	// builder on top of LD_LIBRARY_PATH, LIBPATH, PATH and TMPDIR.
	PropagateEnvironment []string
}

// BuildersFromDirs turns a list of builder directories (peersim's
// --external-builders) into Builders named after each directory's base name.
func BuildersFromDirs(dirs []string) []Builder {
	bs := make([]Builder, 0, len(dirs))
	for _, d := range dirs {
		bs = append(bs, Builder{Name: filepath.Base(filepath.Clean(d)), Path: d})
	}
	return bs
}

// Config configures a Runner.
type Config struct {
	// DataDir is the peer's data directory: builds are cached in
	// DataDir/builds/<package id>, chaincode output goes to
	// DataDir/logs/<ccid>.log and per-launch TLS files to
	// DataDir/launches. Required.
	DataDir string
	// PeerAddress is the chaincode listener address chaincode processes
	// dial (-peer.address, chaincode.json peer_address). Required.
	PeerAddress string
	// MSPID is the peer's MSP ID (CORE_PEER_LOCALMSPID, chaincode.json
	// mspid).
	MSPID string
	// TLS turns chaincode TLS on: each launch gets a fresh client
	// certificate from CA and registration is checked against it.
	TLS bool
	// CA issues the per-launch client certificates. Required when TLS.
	CA CertIssuer
	// ExternalBuilders are tried in order before the built-in builders.
	ExternalBuilders []Builder
	// GoCommand is the go tool that builds Go chaincode; DefaultGoCommand
	// (looked up in PATH) when empty.
	GoCommand string
	// Env is the peer's environment: `go build` runs with it (GOFLAGS,
	// GOPROXY, GOCACHE, ...), external builders get the allowed subset and
	// chaincode processes get PATH, HOME, TMPDIR and the library paths from
	// it. os.Environ() when nil. When the go command finds no build or
	// module cache in it (GOCACHE unset or "off", neither GOMODCACHE,
	// GOPATH nor HOME set), Go builds share DataDir/cache/go-build and
	// DataDir/cache/gomod instead.
	Env []string
	// ChaincodeEnv holds extra KEY=value entries for every chaincode
	// process the peer starts itself (not for external builders).
	ChaincodeEnv []string
	// LogLevel and ShimLogLevel become CORE_CHAINCODE_LOGGING_LEVEL and
	// CORE_CHAINCODE_LOGGING_SHIM; "info" and "warning" when empty, as
	// Fabric's defaults.
	LogLevel, ShimLogLevel string
	// BuildTimeout bounds one build of a package: `go build`, or an
	// external builder's detect, build and release; DefaultBuildTimeout
	// when zero. It runs whether or not the caller waiting for the build
	// gives up earlier.
	BuildTimeout time.Duration
	// StopGrace is the time between SIGTERM and SIGKILL;
	// DefaultStopGrace when zero.
	StopGrace time.Duration
	// Backoff paces relaunches of a chaincode that keeps crashing.
	Backoff Backoff
	// Clock is the time source for backoff and the stop grace period; the
	// real clock when nil.
	Clock Clock
	// Output, when set, is given every line a chaincode process writes,
	// with its ccid and stream (stdout or stderr), besides the log file
	// and the peer's log. It runs on the process's output goroutines and
	// must be quick.
	Output func(ccid, stream, line string)
}

// Validate checks the configuration and names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.DataDir == "":
		return errors.New("launcher config: DataDir is empty: give the peer's data directory")
	case c.PeerAddress == "":
		return errors.New("launcher config: PeerAddress is empty: give the address chaincode dials, e.g. 127.0.0.1:7052")
	case c.TLS && c.CA == nil:
		return errors.New("launcher config: TLS is on but CA is nil: pass the peer's chaincode CA (identity.NewChaincodeCA)")
	case c.StopGrace < 0:
		return fmt.Errorf("launcher config: StopGrace %s is negative", c.StopGrace)
	case c.BuildTimeout < 0:
		return fmt.Errorf("launcher config: BuildTimeout %s is negative", c.BuildTimeout)
	}
	if err := c.Backoff.Validate(); err != nil {
		return fmt.Errorf("launcher config: %w", err)
	}
	names := map[string]bool{}
	for i, b := range c.ExternalBuilders {
		switch {
		case b.Name == "":
			return fmt.Errorf("launcher config: ExternalBuilders[%d] (path %q) has no name", i, b.Path)
		case b.Path == "":
			return fmt.Errorf("launcher config: ExternalBuilders[%d] (%s) has no path", i, b.Name)
		case names[b.Name]:
			return fmt.Errorf("launcher config: ExternalBuilders[%d]: builder name %q is used twice", i, b.Name)
		case b.Name == builtinGolang || b.Name == builtinCCaaS:
			return fmt.Errorf("launcher config: ExternalBuilders[%d]: builder name %q is reserved for a built-in builder", i, b.Name)
		}
		names[b.Name] = true
		for _, script := range []string{"detect", "build"} {
			p := filepath.Join(b.Path, "bin", script)
			st, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("launcher config: external builder %s: %w", b.Name, err)
			}
			if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
				return fmt.Errorf("launcher config: external builder %s: %s is not an executable file", b.Name, p)
			}
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.GoCommand == "" {
		c.GoCommand = DefaultGoCommand
	}
	if c.Env == nil {
		c.Env = os.Environ()
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.ShimLogLevel == "" {
		c.ShimLogLevel = "warning"
	}
	if c.StopGrace == 0 {
		c.StopGrace = DefaultStopGrace
	}
	if c.BuildTimeout == 0 {
		c.BuildTimeout = DefaultBuildTimeout
	}
	c.Backoff = c.Backoff.withDefaults()
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	return c
}
