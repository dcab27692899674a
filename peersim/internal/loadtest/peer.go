package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/client"
)

// readyLine is what peersim logs once it serves.
var readyLine = regexp.MustCompile(`peersim ready`)

// PeerConfig says how to start a development-mode peer.
type PeerConfig struct {
	// Binary is the peersim binary.
	Binary string
	// DataDir is its --data-dir; the peer's log goes to DataDir/../peer.log.
	DataDir string
	// Args are more `node start` flags, e.g. "--operations-pprof".
	Args []string
}

// Peer is a running `peersim node start --dev` process.
type Peer struct {
	*Process
	// Addrs are the addresses the peer bound, from its address file.
	Addrs peersim.AddressFile
	// DataDir is the peer's data directory.
	DataDir string
}

// StartPeer starts `peersim node start --dev` on free ports of 127.0.0.1
// (port 0 for the client, chaincode and operations addresses), waits for its
// ready line and reads the addresses it bound from its address file.
func StartPeer(ctx context.Context, cfg PeerConfig) (*Peer, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("start peer: %w", err)
	}
	args := append([]string{"node", "start", "--dev",
		"--data-dir", cfg.DataDir,
		"--address", "127.0.0.1:0",
		"--chaincode-address", "127.0.0.1:0",
		"--operations-address", "127.0.0.1:0",
	}, cfg.Args...)
	logPath := filepath.Join(filepath.Dir(cfg.DataDir), "peer.log")
	proc, _, err := Start(ctx, "peersim", exec.Command(cfg.Binary, args...), logPath, readyLine)
	if err != nil {
		return nil, err
	}
	addrs, err := peersim.ReadAddressFile(cfg.DataDir)
	if err == nil && addrs.PID != proc.PID() {
		err = fmt.Errorf("the address file in %s names pid %d, but the peer started is %d: another peer uses the data directory", cfg.DataDir, addrs.PID, proc.PID())
	}
	if err != nil {
		_ = proc.Stop()
		return nil, fmt.Errorf("start peer: %w", err)
	}
	return &Peer{Process: proc, Addrs: addrs, DataDir: cfg.DataDir}, nil
}

// Dial opens a gRPC connection to the peer's client port.
func (p *Peer) Dial() (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(p.Addrs.Address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dial the peer at %s: %w", p.Addrs.Address, err)
	}
	return conn, nil
}

// Deployment is a chaincode to run in development mode.
type Deployment struct {
	// Channel, Name and Version say where and as what it is instantiated.
	Channel, Name, Version string
	// Binary is the chaincode binary, started with -peer.address.
	Binary string
	// InitArgs are Init's arguments.
	InitArgs [][]byte
}

// Deploy runs d the way Fabric's development-mode guide does: it installs
// name:version (as Admin, through peersim's client API; the package holds
// only a placeholder, a development-mode peer builds nothing), starts the
// chaincode binary with CORE_CHAINCODE_ID_NAME=name:version and TLS off,
// and instantiates it, which waits for the chaincode to connect and runs
// Init. It returns the chaincode process, whose output goes to
// DataDir/../<name>.log.
func (p *Peer) Deploy(ctx context.Context, d Deployment) (*Process, error) {
	admin, err := peersim.LoadIdentity(p.DataDir, "Admin")
	if err != nil {
		return nil, fmt.Errorf("deploy %s: %w", d.Name, err)
	}
	conn, err := p.Dial()
	if err != nil {
		return nil, fmt.Errorf("deploy %s: %w", d.Name, err)
	}
	defer conn.Close()
	c, err := client.New(conn, admin)
	if err != nil {
		return nil, fmt.Errorf("deploy %s: %w", d.Name, err)
	}
	pkg, err := placeholderPackage(filepath.Dir(p.DataDir), d.Name, d.Version)
	if err != nil {
		return nil, fmt.Errorf("deploy %s: %w", d.Name, err)
	}
	if _, err := c.Install(ctx, d.Name, d.Version, pkg); err != nil {
		return nil, fmt.Errorf("deploy %s: %w", d.Name, err)
	}
	cc, err := StartChaincode(ctx, d.Binary, d.Name+":"+d.Version, p.Addrs.ChaincodeAddress, p.Addrs.MSPID, filepath.Join(filepath.Dir(p.DataDir), d.Name+".log"))
	if err != nil {
		return nil, fmt.Errorf("deploy %s: %w", d.Name, err)
	}
	if _, err := c.Instantiate(ctx, client.Deployment{Channel: d.Channel, Name: d.Name, Version: d.Version, Args: d.InitArgs}); err != nil {
		_ = cc.Stop()
		return nil, fmt.Errorf("deploy %s: %w; the chaincode's output is in %s", d.Name, err, cc.LogPath())
	}
	return cc, nil
}

// StartChaincode starts a chaincode binary as Fabric's development-mode
// guide does: with CORE_CHAINCODE_ID_NAME=ccid, TLS off, the MSP ID it
// reports as the peer's, and -peer.address address. Its output goes to
// logPath. It does not wait for the chaincode to register.
func StartChaincode(ctx context.Context, binary, ccid, address, mspID, logPath string) (*Process, error) {
	cmd := exec.Command(binary, "-peer.address", address)
	cmd.Env = append(CleanEnv(),
		"CORE_CHAINCODE_ID_NAME="+ccid,
		"CORE_PEER_TLS_ENABLED=false",
		"CORE_PEER_LOCALMSPID="+mspID)
	p, _, err := Start(ctx, ccid, cmd, logPath, nil)
	return p, err
}

// placeholderPackage packages a one-file Go module made in a new directory
// under dir as name:version.
func placeholderPackage(dir, name, version string) ([]byte, error) {
	src, err := os.MkdirTemp(dir, "package-")
	if err != nil {
		return nil, fmt.Errorf("make the package source: %w", err)
	}
	files := map[string]string{
		"go.mod":  "module loadtest/" + name + "\n\ngo 1.22\n",
		"main.go": "// Package main stands for a chaincode started by hand in development mode.\npackage main\n\nfunc main() {}\n",
	}
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(src, f), []byte(content), 0o644); err != nil {
			return nil, fmt.Errorf("make the package source: %w", err)
		}
	}
	return client.PackageChaincode(name, version, src)
}

// CPUProfile writes a CPU profile of the peer over the next seconds to w,
// from /debug/pprof/profile on its operations port (the peer must run with
// --operations-pprof).
func (p *Peer) CPUProfile(ctx context.Context, seconds int, w io.Writer) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.Addrs.OperationsAddress, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("profile the peer: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile the peer: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("profile the peer: GET %s: %s: %s (start the peer with --operations-pprof)", url, resp.Status, b)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("profile the peer: read %s: %w", url, err)
	}
	return nil
}
