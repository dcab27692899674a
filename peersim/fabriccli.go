package peersim

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/deliver"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// What Fabric's own `peer` CLI needs to work against a peer: a core.yaml
// in FABRIC_CFG_PATH, the MSP folder of the identity it signs with, and a
// server that lets it keep its connections alive as a Fabric peer does.

// CoreYAMLName is the file in the data directory that Fabric's peer CLI
// reads when FABRIC_CFG_PATH is the data directory (see FabricConfigPath).
const CoreYAMLName = "core.yaml"

// FabricConfigPath is the folder to give Fabric's peer CLI as
// FABRIC_CFG_PATH: the data directory, where WriteCoreYAML writes
// core.yaml.
func FabricConfigPath(dataDir string) string { return dataDir }

// CoreYAMLPath is the core.yaml WriteCoreYAML writes in dataDir.
func CoreYAMLPath(dataDir string) string { return filepath.Join(dataDir, CoreYAMLName) }

// IdentityMSPDir is the MSP folder of identity name of the default
// organisation (IdentityMSPDirOf of MSPID).
func IdentityMSPDir(dataDir, name string) (string, error) {
	return IdentityMSPDirOf(dataDir, defaultMSPID, name)
}

// IdentityMSPDirOf is the MSP folder of identity name (Admin, User1 or one
// added with IssueOrgIdentity) of organisation mspID in dataDir, in
// cryptogen's layout, for Fabric's CORE_PEER_MSPCONFIGPATH. Its errors are
// LoadOrgIdentity's.
func IdentityMSPDirOf(dataDir, mspID, name string) (string, error) {
	if _, err := LoadOrgIdentity(dataDir, mspID, name); err != nil {
		return "", err
	}
	org, err := loadOrg(dataDir, mspID)
	if err != nil {
		return "", err
	}
	return filepath.Join(org.UserDir(name), "msp"), nil
}

// WriteCoreYAML writes core.yaml in dataDir, which must hold organisation
// mspID (the peer creates its organisations in New), as a client of that
// organisation: the settings of Fabric's
// sampleconfig/core.yaml that its peer CLI reads as a client (the local
// MSP, signing as Admin, BCCSP, no TLS), and nothing a client does not
// read. The peer's address is not in it, since port 0 changes it at every
// start: CORE_PEER_ADDRESS gives it (`peersim env` prints it). It replaces
// the file atomically.
func WriteCoreYAML(dataDir, mspID string) error {
	msp, err := IdentityMSPDirOf(dataDir, mspID, "Admin")
	if err != nil {
		return fmt.Errorf("write %s: %w", CoreYAMLName, err)
	}
	body := fmt.Sprintf(`# Written by peersim for Fabric's own peer CLI (v2.x), as a client of the
# peersim peer whose data directory holds this file. Use it with
#   eval "$(peersim env --data-dir %[1]s)"
# which sets FABRIC_CFG_PATH to this folder and CORE_PEER_ADDRESS to the
# running peer's address; CORE_PEER_* variables override what is here.
# peersim rewrites this file at every start.
peer:
    id: peersim
    localMspId: %[2]s
    mspConfigPath: %[3]s
    localMspType: bccsp
    tls:
        enabled: false
        clientAuthRequired: false
    client:
        connTimeout: 3s
    deliveryclient:
        connTimeout: 3s
    BCCSP:
        Default: SW
        SW:
            Hash: SHA2
            Security: 256
`, strconv.Quote(dataDir), mspID, strconv.Quote(msp))
	tmp, err := os.CreateTemp(dataDir, "."+CoreYAMLName+".*")
	if err != nil {
		return fmt.Errorf("write %s in %s: %w", CoreYAMLName, dataDir, err)
	}
	_, err = tmp.WriteString(body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), CoreYAMLPath(dataDir))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s in %s: %w", CoreYAMLName, dataDir, err)
	}
	return nil
}

// clientStreamWorkers is how many goroutines of a client port's gRPC
// server serve its calls in turn. Without them every call runs on a new
// goroutine whose stack grows again to the depth of a signature check (4%
// of the peer's CPU per query); a call that finds every worker busy still
// gets a goroutine of its own, so a long Deliver stream blocks nothing.
// 64 covers the concurrency of a test suite's clients with a few MiB of
// stacks.
const clientStreamWorkers = 64

// clientServerOptions are a client port's server options: its stream
// workers (clientStreamWorkers) and the keepalive settings of a Fabric peer's server
// (internal/pkg/comm's DefaultKeepaliveOptions): Fabric's clients ping
// every minute, even without an open stream, and a server with gRPC's
// defaults (at most one ping in five minutes, none without a stream)
// closes their connections with ENHANCE_YOUR_CALM "too_many_pings" while
// they wait for a block. Its codec is the Deliver service's
// (deliver.ServerCodec), which sends each block encoded once for all
// streams without copying it per stream.
func clientServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ForceServerCodecV2(deliver.ServerCodec()),
		grpc.NumStreamWorkers(clientStreamWorkers),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Minute, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 2 * time.Hour, Timeout: 20 * time.Second}),
	}
}
