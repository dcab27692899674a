package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/client"
)

// defaultTimeout is --timeout for the commands that do not make the peer
// build or launch chaincode.
const defaultTimeout = 30 * time.Second

// commitAllowance is what launchTimeout allows for ordering and committing
// once the peer has endorsed.
const commitAllowance = 30 * time.Second

// progressInterval is how long instantiate, upgrade and invoke wait for the
// peer before they first ask it about builds, and then between asks: a warm
// deploy answers before the first ask and prints nothing.
const progressInterval = 2 * time.Second

// launchTimeout is the default --timeout of instantiate, upgrade and invoke,
// which can make a production-mode peer build and launch the chaincode
// first: the peer's default build, startup and execute timeouts, plus the
// commit. With the peer's defaults, 7m.
func launchTimeout() time.Duration {
	d := peersim.DefaultConfig("")
	return d.ChaincodeBuildTimeout + d.ChaincodeStartupTimeout + d.ChaincodeExecuteTimeout + commitAllowance
}

// commandTimeout is how long a command waits for the peer: --timeout when
// given, else the default of the command.
func commandTimeout(cmd *cobra.Command, f *clientFlags, launches bool) time.Duration {
	if launches && !cmd.Flags().Changed("timeout") {
		return launchTimeout()
	}
	return f.timeout
}

// withPeerLaunching is withPeer for a command that can make the peer build
// and launch the chaincode the ids of which match says: its default
// timeout covers a build, and while the peer builds it prints progress on
// stderr (from peersim's pscc ListBuilds; a peer that does not answer it
// gets no progress lines). fn calls settled once the peer has answered,
// before it prints the outcome, so that the progress lines come first.
func (a *app) withPeerLaunching(cmd *cobra.Command, f *clientFlags, match func(ccids []string) bool, fn func(ctx context.Context, s *session, settled func()) error) error {
	f.timeout = commandTimeout(cmd, f, true)
	return a.withPeer(cmd, f, func(ctx context.Context, s *session) error {
		w := &buildWatch{out: a.stderr, list: s.Builds, match: match}
		wctx, cancel := context.WithCancel(ctx)
		ticker := time.NewTicker(a.progressInterval)
		watching := make(chan struct{})
		go func() {
			defer close(watching)
			w.run(wctx, ticker.C)
		}()
		var once sync.Once
		settled := func() {
			once.Do(func() {
				cancel()
				ticker.Stop()
				<-watching
				w.finish(ctx)
			})
		}
		defer settled()
		return fn(ctx, s, settled)
	})
}

// matchCCID matches the builds of chaincode name:version.
func matchCCID(name, version string) func([]string) bool {
	return func(ccids []string) bool { return slices.Contains(ccids, name+":"+version) }
}

// matchName matches the builds of any version of chaincode name.
func matchName(name string) func([]string) bool {
	return func(ccids []string) bool {
		return slices.ContainsFunc(ccids, func(id string) bool { return strings.HasPrefix(id, name+":") })
	}
}

// buildWatch prints the progress of the peer's builds of one chaincode:
// "building <label> (...)..." when it first sees one running, and "built
// <label> in 41.9s" (or that it failed) once that one has finished.
type buildWatch struct {
	out   io.Writer
	list  func(ctx context.Context) ([]client.ChaincodeBuild, error)
	match func(ccids []string) bool

	announced []string // package ids of the builds "building" was printed for
	reported  []string // and of those whose end was printed
	stopped   bool     // the peer does not answer ListBuilds
}

// run polls at each tick until ctx ends or the peer does not answer.
func (w *buildWatch) run(ctx context.Context, ticks <-chan time.Time) {
	for !w.stopped {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
		w.poll(ctx)
	}
}

// finish asks once more when a build was announced but its end not yet
// printed: the command's call returned, so the build has ended.
func (w *buildWatch) finish(ctx context.Context) {
	if !w.stopped && len(w.announced) > len(w.reported) && ctx.Err() == nil {
		w.poll(ctx)
	}
}

// poll asks the peer for its builds and prints what changed.
func (w *buildWatch) poll(ctx context.Context) {
	builds, err := w.list(ctx)
	if err != nil {
		// Not peersim, or the call is over; the command reports its own
		// errors.
		w.stopped = true
		return
	}
	for _, b := range builds {
		if !w.match(b.Chaincodes) {
			continue
		}
		announced := slices.Contains(w.announced, b.PackageID)
		switch {
		case !b.Done && !announced:
			w.announced = append(w.announced, b.PackageID)
			fmt.Fprintf(w.out, "building %s%s...\n", b.Label, builderNote(b.Builder))
		case b.Done && announced && !slices.Contains(w.reported, b.PackageID):
			w.reported = append(w.reported, b.PackageID)
			if b.Error != "" {
				fmt.Fprintf(w.out, "build of %s failed after %.1fs\n", b.Label, b.Seconds)
			} else {
				fmt.Fprintf(w.out, "built %s in %.1fs\n", b.Label, b.Seconds)
			}
		}
	}
}

// builderNote says what a builder does, for the "building" line.
func builderNote(builder string) string {
	switch builder {
	case "":
		return ""
	case "golang":
		return " (go build; with cold Go caches the first build downloads modules and compiles the dependencies, which can take minutes)"
	default:
		return " (builder " + builder + ")"
	}
}
