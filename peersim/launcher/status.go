package launcher

import (
	"slices"
	"strings"
	"time"

	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
)

// BuildStatus describes a build the Runner ran or is running, for clients
// that show build progress (the pscc "ListBuilds" JSON). A build reused
// from the cache has none.
type BuildStatus struct {
	// PackageID is the package being built.
	PackageID string `json:"package_id"`
	// Label is the package's label, e.g. "mycc_1.0".
	Label string `json:"label"`
	// Builder is "golang", "ccaas" or an external builder's name; empty
	// until a builder claimed the package.
	Builder string `json:"builder,omitempty"`
	// Chaincodes are the chaincode ids (name:version) installed from the
	// package; the Runner leaves it empty, peersim.Peer fills it in.
	Chaincodes []string `json:"chaincodes"`
	// Started is when the build began.
	Started time.Time `json:"started"`
	// Done is set once the build finished, successfully or not.
	Done bool `json:"done"`
	// Seconds is how long the finished build took.
	Seconds float64 `json:"seconds,omitempty"`
	// Error says why a finished build failed.
	Error string `json:"error,omitempty"`
}

// keptBuilds is how many finished builds Builds still reports.
const keptBuilds = 16

// Builds returns the builds in progress and the last finished ones, oldest
// first.
func (r *Runner) Builds() []BuildStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]BuildStatus, 0, len(r.statuses))
	for _, s := range r.statuses {
		c := *s
		c.Chaincodes = []string{}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b BuildStatus) int {
		if c := a.Started.Compare(b.Started); c != 0 {
			return c
		}
		return strings.Compare(a.PackageID, b.PackageID)
	})
	return out
}

// buildStarted records that a build of pkg began.
func (r *Runner) buildStarted(pkg *ccpackage.Package) *BuildStatus {
	s := &BuildStatus{PackageID: pkg.ID(), Label: pkg.Metadata.Label, Started: r.cfg.Clock.Now()}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses[s.PackageID] = s
	return s
}

// buildClaimed records which builder builds the package.
func (r *Runner) buildClaimed(s *BuildStatus, builder string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Builder = builder
}

// buildFinished records the end of a build and forgets the oldest finished
// builds beyond keptBuilds. It returns how long the build took.
func (r *Runner) buildFinished(s *BuildStatus, b *Build, err error) time.Duration {
	d := r.cfg.Clock.Now().Sub(s.Started)
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Done, s.Seconds = true, d.Seconds()
	if b != nil && s.Builder == "" {
		s.Builder = b.Builder
	}
	if err != nil {
		s.Error = err.Error()
	}
	var done []*BuildStatus
	for _, o := range r.statuses {
		if o.Done {
			done = append(done, o)
		}
	}
	if len(done) > keptBuilds {
		slices.SortFunc(done, func(a, b *BuildStatus) int { return a.Started.Compare(b.Started) })
		for _, o := range done[:len(done)-keptBuilds] {
			delete(r.statuses, o.PackageID)
		}
	}
	return d
}
