package peersim

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// TestProductionModeBuildsAndRunsTheSaccSample runs the whole production
// path with the real launcher: the sacc sample is packaged with the module
// it lives in, built with go build, started as a process that dials the
// chaincode listener over mutual TLS with its per-launch certificate, and
// instantiated and invoked.
func TestProductionModeBuildsAndRunsTheSaccSample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a chaincode with go build")
	}
	module := copyModuleSubset(t, "go.mod", "go.sum", "shim", "samples/sacc")
	pkg, err := ccpackage.Pack(ccpackage.PackOptions{Dir: filepath.Join(module, "samples", "sacc"), Label: "sacc_1.0"})
	if err != nil {
		t.Fatal(err)
	}
	n := startNet(t, t.TempDir(), func(s *netSetup) {
		s.cfg.Dev, s.cfg.ChaincodeTLS, s.tcpChaincode = false, true, true
	})
	n.timeout = 5 * time.Minute // the build
	if r := n.installPackage(t, n.admin, "sacc", "1.0", pkg); r.GetResponse().GetStatus() != 200 {
		t.Fatalf("install: %s", r.GetResponse().GetMessage())
	}
	n.instantiate(t, DefaultChannel, "sacc", "1.0", "a", "10")
	if r := n.query(t, DefaultChannel, "sacc", "get", "a"); string(r.GetPayload()) != "10" {
		t.Errorf("get a after Init: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
	}
	if resp, code := n.invoke(t, n.user, DefaultChannel, "sacc", "set", "a", "20"); code != peer.TxValidationCode_VALID {
		t.Fatalf("set: %s %v", resp.GetResponse().GetMessage(), code)
	}
	if r := n.query(t, DefaultChannel, "sacc", "get", "a"); string(r.GetPayload()) != "20" {
		t.Errorf("get a: %d %q %q", r.GetStatus(), r.GetMessage(), r.GetPayload())
	}
	if got := n.p.launcher.List(); len(got) != 1 || got[0].CCID != "sacc:1.0" || got[0].PID == 0 {
		t.Errorf("running %+v", got)
	}
}

// copyModuleSubset copies the named files and directories of this module
// (Go sources only, no tests) into a temporary module, so that packaging
// does not walk files other work changes meanwhile.
func copyModuleSubset(t *testing.T, paths ...string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..")
	dst := t.TempDir()
	for _, rel := range paths {
		err := filepath.WalkDir(filepath.Join(root, rel), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			name := d.Name()
			if d.Type()&fs.ModeSymlink != 0 || (strings.HasSuffix(name, "_test.go")) ||
				(!strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum") {
				return nil
			}
			r, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, r)), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, r), b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
