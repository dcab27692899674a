package channel

import "errors"

// Sentinel errors; the wrapping error names the channel.
var (
	// ErrNotFound is returned for a channel the set does not have.
	ErrNotFound = errors.New("channel not found")
	// ErrExists is returned by Create for a channel the set already has.
	ErrExists = errors.New("channel already exists")
	// ErrClosed is returned by Create after Close.
	ErrClosed = errors.New("channels closed")
	// ErrUnknownOrg is returned for a member organisation the peer does
	// not have.
	ErrUnknownOrg = errors.New("unknown organisation")
)
