// Package leakcheck fails a test whose goroutines outlive it.
//
// A [Baseline] records which goroutines are alive when it is taken; Verify
// then looks for goroutines that were started since and are still running.
// Goroutines are compared by identity (the runtime never reuses a goroutine's
// id), not by count, so a goroutine that an earlier test left winding down,
// or one that ends while the test runs, can neither fail a test nor hide a
// leak: only goroutines started after the baseline are judged.
//
// Goroutines that end a little after the test's cleanups (a gRPC transport
// closing, a process reaper returning) are waited for: Verify polls until
// they are gone, for up to [Wait]. Wait is a hang guard for a loaded machine,
// not a timing assertion; a test that passes never waits for it to run out.
//
// A few goroutines are known to outlive their work by design in code that is
// not ours and are never counted; see [Ignored].
package leakcheck

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Wait is how long Verify waits for new goroutines to end before it reports
// them. It is generous on purpose: CI runs on a busy two-core machine with the
// race detector on, where a stream's teardown can take seconds.
const Wait = 60 * time.Second

// Ignored names the functions whose goroutines a check never counts, with why:
//
//   - Fabric's shim (fabric-chaincode-go v2.3.0) sends each message from a
//     goroutine of its own, serialSendAsync, which blocks forever on its result
//     channel when the stream ended before the reply was read. Our differential
//     tests run that shim on purpose; its leak is not ours to fix.
var Ignored = []string{
	"github.com/hyperledger/fabric-chaincode-go/v2/shim.(*Handler).serialSendAsync",
}

// Baseline is the set of goroutines alive when it was taken.
type Baseline struct {
	alive  map[uint64]bool
	only   string
	except []string
}

// Take records the goroutines alive now.
func Take() Baseline {
	b := Baseline{alive: map[uint64]bool{}}
	for _, g := range goroutines() {
		b.alive[g.id] = true
	}
	return b
}

// Only returns b narrowed to goroutines whose stack contains s (a package
// path, say): a test that keeps some connections open until its own cleanup
// can still judge the goroutines of the code under test.
func (b Baseline) Only(s string) Baseline {
	b.only = s
	return b
}

// Except returns b narrowed to goroutines whose stack contains none of
// substrs: Except("_test.go") leaves out the test's own helper goroutines,
// which its cleanups end after the check.
func (b Baseline) Except(substrs ...string) Baseline {
	b.except = append(append([]string(nil), b.except...), substrs...)
	return b
}

// Verify fails t if goroutines started since b was taken, other than the
// [Ignored] ones, are still running after up to [Wait]. The failure lists
// their stacks.
func (b Baseline) Verify(t testing.TB) {
	t.Helper()
	if left := b.wait(Wait); len(left) > 0 {
		t.Errorf("goroutines leaked: %d started during the test still run after %s:\n\n%s", len(left), Wait, strings.Join(left, "\n\n"))
	}
}

// Check takes a baseline now and verifies it once every cleanup registered
// after it has run: call it first in a test, so that stopping servers and
// closing streams happens before the goroutines are judged.
func Check(t testing.TB) {
	t.Helper()
	b := Take()
	t.Cleanup(func() { b.Verify(t) })
}

// wait polls until no new goroutine is alive or limit has passed, and
// returns the stacks of those still alive.
func (b Baseline) wait(limit time.Duration) []string {
	deadline := time.Now().Add(limit)
	for pause := time.Millisecond; ; pause = min(2*pause, 100*time.Millisecond) {
		left := b.started()
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(pause) // polling with a deadline, not synchronisation
	}
}

// started returns the stacks of the goroutines that b judges: started after
// it, not the caller, not ignored, matching Only and none of Except.
func (b Baseline) started() []string {
	self := currentID()
	var out []string
	for _, g := range goroutines() {
		if b.alive[g.id] || g.id == self || ignored(g.stack) || !b.judges(g.stack) {
			continue
		}
		out = append(out, g.stack)
	}
	return out
}

// judges says whether stack matches Only and none of Except.
func (b Baseline) judges(stack string) bool {
	if !strings.Contains(stack, b.only) {
		return false
	}
	for _, s := range b.except {
		if strings.Contains(stack, s) {
			return false
		}
	}
	return true
}

// ignored says whether one of stack's frames runs an [Ignored] function or a
// closure declared in one: Go names the goroutine that serialSendAsync starts
// serialSendAsync.func1, and that goroutine is the one left blocked.
func ignored(stack string) bool {
	for _, f := range Ignored {
		if strings.Contains(stack, f+"(") || strings.Contains(stack, f+".func") {
			return true
		}
	}
	return false
}

type goroutine struct {
	id    uint64
	stack string
}

// goroutines returns every goroutine's id and stack.
func goroutines() []goroutine {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []goroutine
	for _, s := range bytes.Split(buf, []byte("\n\n")) {
		id, err := parseID(s)
		if err != nil {
			panic(err) // the runtime's stack format changed; the check cannot work
		}
		out = append(out, goroutine{id: id, stack: string(s)})
	}
	return out
}

func currentID() uint64 {
	buf := make([]byte, 64)
	id, err := parseID(buf[:runtime.Stack(buf, false)])
	if err != nil {
		panic(err)
	}
	return id
}

// parseID reads the id from a stack's first line, "goroutine 42 [running]:".
func parseID(stack []byte) (uint64, error) {
	rest, ok := bytes.CutPrefix(stack, []byte("goroutine "))
	if i := bytes.IndexByte(rest, ' '); ok && i > 0 {
		if id, err := strconv.ParseUint(string(rest[:i]), 10, 64); err == nil {
			return id, nil
		}
	}
	return 0, fmt.Errorf("leakcheck: cannot read a goroutine id from %q", firstLine(stack))
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}
