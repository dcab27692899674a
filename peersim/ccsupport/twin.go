package ccsupport

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/launcher"
)

// Twin returns the chaincode id of a second process of the package ccid
// runs, for the determinism check's second simulation
// (endorser.Config.SecondInstance): launcher.TwinOf(ccid), launched on
// first use from the same package (ccid may be an org instance: see
// Config.OrgInstance) with a perturbed environment (see
// launcher.Runner.Launch) and kept while the process of ccid runs; the
// launcher stops it with that process, so a package a new definition
// replaces (route) or the peer's Stop takes its twin along.
//
// A twin that cannot be launched, or does not register within
// Config.StartupTimeout, is an error: the check then fails rather than
// rerun on the one process unnoticed. Development mode starts no
// chaincode and a chaincode server runs no process of its own, so for
// those Twin returns ccid itself (the second simulation reruns there).
func (s *Support) Twin(ctx context.Context, ccid string) (string, error) {
	if s.cfg.Dev {
		return ccid, nil
	}
	twin := launcher.TwinOf(ccid)
	if slices.Contains(s.cfg.Server.Connected(), twin) {
		return twin, nil
	}
	err := s.connect(ctx, twin, func() (*ccpackage.Package, error) { return s.packageOf(ccid) })
	if errors.Is(err, launcher.ErrServiceTwin) {
		s.cfg.Log.Info("determinism check: chaincode runs as a service, so its second simulation runs on the same server", "ccid", ccid)
		return ccid, nil
	}
	if err != nil {
		return "", err // "could not launch chaincode <ccid>#twin: ..."
	}
	return twin, nil
}

// packageOf loads the package ccid (or the org instance ccid) runs: the
// one installed through lscc as name:version, else the _lifecycle package
// with that package ID.
func (s *Support) packageOf(ccid string) (*ccpackage.Package, error) {
	ccid, _, _ = launcher.InstanceOf(ccid)
	name, version, _ := strings.Cut(ccid, ":")
	pkg, err := s.cfg.Packages.Load(name, version)
	if !errors.Is(err, ccpackage.ErrNotInstalled) {
		return pkg, err
	}
	pkg, err = s.cfg.Packages.LoadPackage(ccid)
	if err != nil {
		return nil, fmt.Errorf("load the package of chaincode %s: %w", ccid, err)
	}
	return pkg, nil
}
