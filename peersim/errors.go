package peersim

import (
	"errors"

	"github.com/chaincodekit/chaincodekit/peersim/ccsupport"
	"github.com/chaincodekit/chaincodekit/peersim/channel"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/syscc"
)

// Sentinel errors. The wrapping error names the channel, chaincode or
// identity involved; match them with errors.Is.
var (
	// ErrNeedLauncher is returned in production mode when no Launcher was
	// given to New: the peer cannot start chaincode processes by itself.
	ErrNeedLauncher = ccsupport.ErrNeedLauncher
	// ErrStopped is returned by Start after Stop, and by a second Start.
	ErrStopped = errors.New("peer stopped")
	// ErrChannelNotFound is returned for a channel the peer does not have.
	ErrChannelNotFound = channel.ErrNotFound
	// ErrChannelExists is returned by CreateChannel for a channel the peer
	// already has.
	ErrChannelExists = channel.ErrExists
	// ErrAccessDenied is returned when the creator of a proposal may not do
	// what it asks (install, instantiate, upgrade and CreateChannel need an
	// admin).
	ErrAccessDenied = syscc.ErrAccessDenied
	// ErrChaincodeNotConnected is returned when a chaincode did not connect
	// within Config.ChaincodeStartupTimeout.
	ErrChaincodeNotConnected = ccsupport.ErrChaincodeNotConnected
	// ErrNoOrganization is returned by LoadIdentity for a data directory in
	// which no peer has created its organisation yet (New creates it).
	ErrNoOrganization = errors.New("no peer organisation")
	// ErrUnknownOrg is returned for an organisation that is not one of
	// Config.Orgs.
	ErrUnknownOrg = errors.New("not one of the peer's organisations")
	// ErrIdentityNotFound is returned by LoadIdentity for a name that has no
	// identity in the data directory. It is identity.ErrIdentityNotFound.
	ErrIdentityNotFound = identity.ErrIdentityNotFound
	// ErrIdentityExists is returned by IssueIdentity for a name that is
	// taken. It is identity.ErrIdentityExists.
	ErrIdentityExists = identity.ErrIdentityExists
)
