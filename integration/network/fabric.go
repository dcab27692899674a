package network

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// FabricPeerEnv names Fabric's peer binary when it is not where CI keeps
// it (FabricPeerDefault).
const FabricPeerEnv = "FABRIC_PEER_BIN"

// FabricPeerDefault is where CI keeps Fabric's peer CLI, relative to the
// repository's root: the shared tools are cloned next to the repository.
const FabricPeerDefault = "../shared/tools/fabric-2.5.16/peer"

// ErrNoFabricPeer is returned by FindFabricPeer when Fabric's peer binary
// is not there: a suite that needs it skips.
var ErrNoFabricPeer = errors.New("fabric's peer CLI not found")

// FindFabricPeer returns the path of Fabric's own peer binary: $FABRIC_PEER_BIN
// when set, else FabricPeerDefault from the repository's root. When there is
// none the error wraps ErrNoFabricPeer and says where it looked.
func FindFabricPeer() (string, error) {
	path, from := os.Getenv(FabricPeerEnv), "$"+FabricPeerEnv
	if path == "" {
		root, err := ModuleRoot()
		if err != nil {
			return "", err
		}
		path, from = filepath.Join(root, FabricPeerDefault), FabricPeerDefault+" from the repository root ("+FabricPeerEnv+" is not set)"
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%w: no file %s (%s); CI clones the shared tools next to the repository, elsewhere set %s to Fabric's peer v2.5 binary", ErrNoFabricPeer, path, from, FabricPeerEnv)
	case err != nil:
		return "", fmt.Errorf("%w: %s (%s): %w", ErrNoFabricPeer, path, from, err)
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		return "", fmt.Errorf("%w: %s (%s) is not an executable file", ErrNoFabricPeer, path, from)
	}
	return filepath.Abs(path)
}

// FabricCLI runs Fabric's own peer binary as a client, with the
// environment `peersim env` printed (FABRIC_CFG_PATH, CORE_PEER_*).
type FabricCLI struct {
	// Binary is Fabric's peer binary (FindFabricPeer).
	Binary string
	// Env is KEY=value entries, the exports of `peersim env`
	// (ParseExports).
	Env []string
	// Dir is the working directory; the suite's when empty. `peer
	// chaincode install -p .` packages the chaincode there.
	Dir string
}

// Getenv returns the value of key in the CLI's Env, failing the spec when
// there is none.
func (f FabricCLI) Getenv(key string) string {
	GinkgoHelper()
	for _, kv := range f.Env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	Fail(fmt.Sprintf("%s is not in the environment of Fabric's CLI: %q", key, f.Env))
	return ""
}

// Run starts `peer <args>` and returns the session without waiting.
func (f FabricCLI) Run(args ...string) *gexec.Session {
	GinkgoHelper()
	cmd := exec.Command(f.Binary, args...)
	var env []string
	for _, kv := range cleanEnv() {
		if !strings.HasPrefix(kv, "FABRIC_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, f.Env...)
	cmd.Dir = f.Dir
	s, err := gexec.Start(cmd, prefixed("fabric peer", "out"), prefixed("fabric peer", "err"))
	Expect(err).NotTo(HaveOccurred(), "start %s", cmd)
	return s
}

// Exec runs `peer <args>`, expects it to exit 0 and returns the finished
// session.
func (f FabricCLI) Exec(args ...string) *gexec.Session {
	GinkgoHelper()
	s := f.Run(args...)
	Eventually(s, CommandTimeout).Should(gexec.Exit(0), "Fabric's peer %s failed", strings.Join(args, " "))
	return s
}

// ParseExports reads the `export KEY=value` lines a shell would eval (values
// bare or in single quotes, as `peersim env` prints them) into KEY=value
// entries.
func ParseExports(out string) ([]string, error) {
	var env []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		rest, ok := strings.CutPrefix(line, "export ")
		key, value, hasValue := strings.Cut(rest, "=")
		if !ok || !hasValue || key == "" {
			return nil, fmt.Errorf("line %q is not export KEY=value", line)
		}
		if strings.HasPrefix(value, "'") {
			if len(value) < 2 || !strings.HasSuffix(value, "'") {
				return nil, fmt.Errorf("line %q: unbalanced quotes", line)
			}
			value = strings.ReplaceAll(value[1:len(value)-1], `'\''`, "'")
		}
		env = append(env, key+"="+value)
	}
	return env, nil
}
