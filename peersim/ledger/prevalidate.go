package ledger

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// WithValidationWorkers sets how many goroutines validate a block's
// transactions in parallel: the work that does not depend on the
// transactions before it (decoding, the creator's signature, endorsement
// policies). n <= 0 means GOMAXPROCS, the default; 1 validates each
// transaction in turn. MVCC, phantom and duplicate checks and the writes
// always run sequentially, in block order, and the verdicts do not depend
// on n.
func WithValidationWorkers(n int) Option {
	return func(l *Ledger) { l.workers = n }
}

// validationWorkers is how many goroutines validate a block of n
// transactions.
func (l *Ledger) validationWorkers(n int) int {
	w := l.workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return max(1, min(w, n))
}

// prevalidated is the part of a transaction's validation done before the
// sequential pass, in parallel with the block's other transactions.
type prevalidated struct {
	raw    []byte // the envelope as it goes into the block
	rawErr error
	tx     *parsedTx
	perr   error // parse failure, as parseEnvelope returns it
	// creatorChecked is set once the creator's signature was checked,
	// with creatorErr its verdict.
	creatorChecked bool
	creatorErr     error
	// policies are endorsement policies evaluated ahead, against the
	// state before the block: the sequential pass uses a verdict when it
	// needs the very same policy, and evaluates any other itself.
	policies []policyVerdict
}

type policyVerdict struct {
	p   Policy
	err error
}

// verdict returns the verdict evaluated ahead for p, if any.
func (pv *prevalidated) verdict(p Policy) (error, bool) {
	if pv == nil {
		return nil, false
	}
	for _, v := range pv.policies {
		if v.p.Namespace == p.Namespace && v.p.Collection == p.Collection && v.p.Key == p.Key &&
			(v.p.Application == p.Application || proto.Equal(v.p.Application, p.Application)) {
			return v.err, true
		}
	}
	return nil, false
}

// parallel calls fn(i) for each i in [0, n) on up to workers goroutines and
// returns when all calls have.
func parallel(n, workers int, fn func(i int)) {
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// prevalidate decodes envs and, with more than one worker, checks their
// creators' signatures and evaluates the endorsement policies their writes
// need as of the state before the block (view, to which nothing has been
// applied yet), all in parallel. Which policies a transaction needs is
// read from the store sequentially: a snapshot is not safe for concurrent
// use.
func (l *Ledger) prevalidate(view *blockView, envs []*common.Envelope) []prevalidated {
	pre := make([]prevalidated, len(envs))
	workers := l.validationWorkers(len(envs))
	// Checks that cost nothing are not worth doing ahead.
	_, free := l.policy.(AcceptAllPolicies)
	ahead := workers > 1 && !free
	parallel(len(envs), workers, func(i int) {
		p := &pre[i]
		p.raw, p.rawErr = deterministic.Marshal(envs[i])
		p.tx, p.perr = parseEnvelope(envs[i], l.channel)
		if ahead && p.perr == nil {
			p.creatorErr = l.policy.CheckCreator(p.tx.creator, p.tx.payload, p.tx.signature)
			p.creatorChecked = true
		}
	})
	if !ahead {
		return pre
	}
	for i := range pre {
		p := &pre[i]
		if p.perr != nil {
			continue
		}
		checks, err := view.endorsementChecks(p.tx)
		if err != nil {
			continue // the sequential pass finds and reports it
		}
		p.policies = make([]policyVerdict, len(checks))
		for j, c := range checks {
			p.policies[j].p = c
		}
	}
	type job struct{ tx, policy int }
	var jobs []job
	for i := range pre {
		for j := range pre[i].policies {
			jobs = append(jobs, job{i, j})
		}
	}
	parallel(len(jobs), workers, func(k int) {
		p := &pre[jobs[k].tx]
		v := &p.policies[jobs[k].policy]
		v.err = l.policy.CheckEndorsements(v.p, p.tx.prp, p.tx.endorsements)
	})
	return pre
}
