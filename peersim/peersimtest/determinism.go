package peersimtest

import (
	"strings"

	"github.com/chaincodekit/chaincodekit/peersim/determinism"
)

// WithDeterminismCheck makes the peer check every proposal for
// determinism (peersim.Config.CheckDeterminism): it simulates each one
// twice and refuses one whose two results differ, with status 500 and a
// Message that starts with determinism.Phrase and holds the diff. A
// nondeterministic chaincode then fails the tests that call it, with the
// reason, where a Fabric network would fail with "ProposalResponsePayloads
// do not match".
func WithDeterminismCheck() Option {
	return func(s *settings) { s.checkDeterminism = true }
}

// WithDeterminismCheck asks the peer to check this transaction for
// determinism, whatever the peer's option: Evaluate, Endorse and Submit
// then get the refusal as their Result when the two simulations differ
// (a refused transaction is not ordered).
func (tx Tx) WithDeterminismCheck() Tx {
	tx.checkDeterminism = true
	return tx
}

// Determinism is the outcome of Tx.CheckDeterminism.
type Determinism struct {
	// Result is the peer's answer: the endorsed first simulation when the
	// two agree, the refusal when they differ.
	Result
	// Deterministic reports whether the two simulations agreed.
	Deterministic bool
	// Diff is the peer's field-by-field diff of the two simulations, with
	// a hint at the cause, when they differ; "" when they agree.
	Diff string
}

// CheckDeterminism endorses the transaction with the determinism check
// and reports whether the peer's two simulations of it agreed. It does not
// order the transaction: nothing is committed.
//
// A difference caused by map iteration order shows only when the two runs
// visit the map in different orders, which Go makes likely but not
// certain (about one chance in the map's size that they agree); a test
// that proves a map-order bug can repeat the check.
func (tx Tx) CheckDeterminism(t TB) *Determinism {
	t.Helper()
	r := tx.WithDeterminismCheck().Evaluate(t)
	d := &Determinism{Result: *r, Deterministic: true}
	if r.Status == 500 && strings.HasPrefix(r.Message, determinism.Phrase+":") {
		d.Deterministic, d.Diff = false, r.Message
		if i := strings.Index(r.Message, "the two simulations differ"); i >= 0 {
			d.Diff = r.Message[i:]
		}
	}
	return d
}
