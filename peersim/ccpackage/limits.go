package ccpackage

import "fmt"

// Default limits applied when a Limits field is zero.
const (
	DefaultMaxTotalSize = 256 << 20
	DefaultMaxEntries   = 100_000
)

// Limits bounds the work Parse, Pack and Extract do on one package. A zero
// field takes its default.
type Limits struct {
	// MaxTotalSize is the most bytes the package, and separately its code
	// archive, may decompress to (tar headers included). Reading stops as
	// soon as the limit is passed, so a gzip bomb is caught while it is
	// being inflated. Default 256 MiB.
	MaxTotalSize int64
	// MaxEntries is the most tar entries the package and its code archive
	// may hold together. Default 100,000.
	MaxEntries int
}

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits {
	return Limits{MaxTotalSize: DefaultMaxTotalSize, MaxEntries: DefaultMaxEntries}
}

// Validate reports a negative limit.
func (l Limits) Validate() error {
	if l.MaxTotalSize < 0 {
		return fmt.Errorf("limits: MaxTotalSize %d is negative: use 0 for the default (%d) or a positive byte count", l.MaxTotalSize, DefaultMaxTotalSize)
	}
	if l.MaxEntries < 0 {
		return fmt.Errorf("limits: MaxEntries %d is negative: use 0 for the default (%d) or a positive count", l.MaxEntries, DefaultMaxEntries)
	}
	return nil
}

func (l Limits) withDefaults() Limits {
	if l.MaxTotalSize == 0 {
		l.MaxTotalSize = DefaultMaxTotalSize
	}
	if l.MaxEntries == 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	return l
}
