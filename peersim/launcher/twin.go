package launcher

import (
	"context"
	"strings"
)

// TwinSuffix ends the chaincode id of a twin: a second process of the
// package a chaincode id runs, started for the determinism check so that
// its second simulation runs in another process. No Fabric chaincode id
// holds '#' (names, versions and package labels do not allow it), so a
// twin id never collides with an installed one.
const TwinSuffix = "#twin"

// Twin time zones: a twin runs with TZ set to the first of these that
// differs from the primary's TZ, so that code formatting time.Now in the
// local zone gives the two simulations different results. Pacific/Chatham
// is UTC+12:45 (+13:45 in summer): no machine's local zone is likely to
// match it, and its odd offset shows in any formatted time.
var twinZones = [...]string{"Pacific/Chatham", "Asia/Kathmandu"}

// TwinOf returns the chaincode id of the twin of ccid.
func TwinOf(ccid string) string { return ccid + TwinSuffix }

// PrimaryOf returns the chaincode id whose twin twin is, and whether twin
// is a twin id at all.
func PrimaryOf(twin string) (string, bool) {
	primary, ok := strings.CutSuffix(twin, TwinSuffix)
	return primary, ok && primary != ""
}

// twinEnv returns the KEY=value entries that perturb a twin of a process
// whose environment is env: a time zone other than env's TZ. The entries
// go last, so they win over earlier ones (os/exec keeps the last value of
// a key). Each launch already runs in a directory of its own.
func twinEnv(env []string) []string {
	tz, _ := lookupEnv(env, "TZ")
	for _, z := range twinZones {
		if z != tz {
			return []string{"TZ=" + z}
		}
	}
	return nil
}

// stopTwin stops the twin of a primary process that has ended, in the
// background: a twin is kept only while its primary runs. r.mu must be
// held, and the caller must hold a count of r.wg (supervise does).
func (r *Runner) stopTwin(primary string) {
	e := r.entries[TwinOf(primary)]
	if e == nil || e.proc == nil {
		return
	}
	p := e.proc
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		// Not r.ctx, as in Disconnected: StopAll stops the twin too.
		if err := p.Stop(context.Background()); err != nil {
			r.log.Warn("stop the twin of a stopped chaincode", "ccid", p.CCID, "error", err)
		}
	}()
}
