package ccsupport

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
)

// ErrNotApproved is returned for a _lifecycle definition the peer's
// organisation has not approved at its committed sequence: the peer does
// not know which package runs it.
var ErrNotApproved = errors.New("not approved by this org")

// Connect makes the chaincode that runs def on channelID ready and returns
// its ccid. An lscc definition (sequence 0) runs as name:version, as
// EnsureConnected makes it ready. A _lifecycle definition runs as the
// package ID the peer's organisation approved for its sequence, as in
// Fabric 2.x: production mode launches that package (the process
// registers with the package ID); development mode needs the developer to
// have started it with that id and fails at once, with the command, when
// it is not connected. An approval naming no package runs, in development
// mode, as name:version, as Fabric's dev mode does.
//
// With Config.OrgInstance, production mode runs that ccid on the
// organisation's own process and returns its id, launcher.OrgInstanceOf
// (ccid, MSPID), except for a chaincode server (see runAs).
//
// When a chaincode's ccid on a channel changes (a new sequence approved
// with a new package), production mode stops the old process (the
// organisation's own, with an OrgInstance) once no other channel's
// definition uses it.
func (s *Support) Connect(ctx context.Context, channelID string, def *ledger.ChaincodeDefinition) (string, error) {
	if def.Sequence == 0 {
		if err := s.EnsureConnected(ctx, def.Name, def.Version, false); err != nil {
			return "", err
		}
		return s.runAs(def.Name + ":" + def.Version), nil
	}
	if cur := s.current(channelID, def.Name); def.Sequence < cur.sequence {
		// Read before the new sequence committed: do not relaunch the
		// package the new one replaced.
		return "", fmt.Errorf("chaincode %s moved from sequence %d to %d while the invocation was being prepared: send it again", def.Name, def.Sequence, cur.sequence)
	}
	ccid, err := s.packageFor(channelID, def)
	if err != nil {
		return "", err
	}
	run := s.runAs(ccid)
	if !slices.Contains(s.cfg.Server.Connected(), run) {
		if s.cfg.Dev {
			return "", fmt.Errorf("could not launch chaincode %s: %w: the peer runs in development mode and starts no chaincode; start it with: %s",
				ccid, ErrChaincodeNotConnected, s.CommandFor(ccid))
		}
		if run, err = s.ready(ctx, ccid, func() (*ccpackage.Package, error) { return s.loadPackage(def, ccid) }); err != nil {
			return "", err
		}
	}
	s.route(ctx, channelID, def.Name, def.Sequence, ccid)
	return run, nil
}

// packageFor returns the package ID that runs the _lifecycle definition
// def on channelID, with Fabric's refusals.
func (s *Support) packageFor(channelID string, def *ledger.ChaincodeDefinition) (string, error) {
	if s.cfg.Approval == nil {
		return "", fmt.Errorf("chaincode %s: no approvals are wired to look up its package: %w", def.Name, ErrNotApproved)
	}
	id, approved, err := s.cfg.Approval(channelID, def.Name, def.Sequence)
	if err != nil {
		return "", fmt.Errorf("read this org's approval of chaincode %s at sequence %d on channel %s: %w", def.Name, def.Sequence, channelID, err)
	}
	if !approved {
		return "", fmt.Errorf("chaincode definition for '%s' at sequence %d on channel '%s' has not yet been approved by this org: %w (approve it with peer lifecycle chaincode approveformyorg)",
			def.Name, def.Sequence, channelID, ErrNotApproved)
	}
	if id != "" {
		return id, nil
	}
	if s.cfg.Dev {
		return def.Name + ":" + def.Version, nil
	}
	return "", fmt.Errorf("chaincode definition for '%s' exists, but chaincode is not installed: this org approved sequence %d without a package ID; approve it again with --package-id <the id peer lifecycle chaincode install printed>",
		def.Name, def.Sequence)
}

// loadPackage loads the package ccid of def, naming the package ID and how
// to install it when it is not installed.
func (s *Support) loadPackage(def *ledger.ChaincodeDefinition, packageID string) (*ccpackage.Package, error) {
	pkg, err := s.cfg.Packages.LoadPackage(packageID)
	if errors.Is(err, ccpackage.ErrNotInstalled) {
		return nil, fmt.Errorf("chaincode definition for '%s' exists, but chaincode is not installed: package ID %s, which this org approved, is not installed on this peer; install it with peer lifecycle chaincode install <package file>: %w",
			def.Name, packageID, err)
	}
	return pkg, err
}

// route records that chaincode name on channelID now runs as ccid, at
// sequence, and, in production mode, stops the process of the ccid it ran
// as before (runAs: with an OrgInstance, the organisation's own process)
// unless another channel's chaincode still runs there. An
// invoke that read an older sequence (endorsed while the new one
// committed) changes nothing: traffic only moves forward.
func (s *Support) route(ctx context.Context, channelID, name string, sequence int64, ccid string) {
	key := channelID + "\x00" + name
	s.mu.Lock()
	old := s.routes[key]
	if sequence < old.sequence {
		s.mu.Unlock()
		return
	}
	s.routes[key] = route{ccid: ccid, sequence: sequence}
	inUse := false
	for _, r := range s.routes {
		if r.ccid == old.ccid {
			inUse = true
			break
		}
	}
	s.mu.Unlock()
	if old.ccid == "" || old.ccid == ccid || inUse || s.cfg.Dev {
		return
	}
	l := s.launcher()
	if l == nil {
		return
	}
	// The organisation's own process, with an OrgInstance: another
	// organisation may still run the old package.
	stop := s.runAs(old.ccid)
	s.cfg.Log.Info("chaincode moved to a new package; stopping the old one", "channel", channelID, "chaincode", name, "old_ccid", stop, "ccid", ccid, "sequence", sequence)
	if err := l.Stop(context.WithoutCancel(ctx), stop); err != nil {
		s.cfg.Log.Warn("could not stop the chaincode a new definition replaced", "ccid", stop, "error", err)
	}
}

// current returns the route of chaincode name on channelID.
func (s *Support) current(channelID, name string) route {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.routes[channelID+"\x00"+name]
}

// route is the ccid a _lifecycle-defined chaincode runs as, and the
// sequence of the definition that chose it.
type route struct {
	ccid     string
	sequence int64
}
