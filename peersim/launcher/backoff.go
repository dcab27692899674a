package launcher

import (
	"fmt"
	"time"
)

// Backoff defaults.
const (
	DefaultBackoffInitial = time.Second
	DefaultBackoffMax     = 30 * time.Second
	DefaultBackoffHealthy = time.Minute
)

// Backoff paces relaunches of a chaincode whose processes keep dying on
// their own. The first relaunch after a crash is immediate, as Fabric's;
// each further consecutive crash doubles the wait from Initial up to Max.
// A process that ran for at least Healthy before it died starts the count
// afresh. Zero fields take the defaults.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Healthy time.Duration
}

// Validate refuses negative durations and Max below Initial.
func (b Backoff) Validate() error {
	switch {
	case b.Initial < 0:
		return fmt.Errorf("backoff: Initial %s is negative", b.Initial)
	case b.Max < 0:
		return fmt.Errorf("backoff: Max %s is negative", b.Max)
	case b.Healthy < 0:
		return fmt.Errorf("backoff: Healthy %s is negative", b.Healthy)
	}
	d := b.withDefaults()
	if d.Max < d.Initial {
		return fmt.Errorf("backoff: Max %s is below Initial %s", d.Max, d.Initial)
	}
	return nil
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial == 0 {
		b.Initial = DefaultBackoffInitial
	}
	if b.Max == 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Healthy == 0 {
		b.Healthy = DefaultBackoffHealthy
	}
	return b
}

// Delay returns how long to wait before relaunching after crashes
// consecutive crashes: 0 for none or one, then Initial, 2×Initial, ...,
// capped at Max.
func (b Backoff) Delay(crashes int) time.Duration {
	b = b.withDefaults()
	if crashes <= 1 {
		return 0
	}
	d := b.Initial
	for i := 2; i < crashes; i++ {
		d *= 2
		if d >= b.Max || d <= 0 {
			return b.Max
		}
	}
	return min(d, b.Max)
}

// Clock is the launcher's time source, replaceable in tests.
type Clock interface {
	Now() time.Time
	// After is time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
