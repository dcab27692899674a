package trace

import (
	"slices"
	"sync"
	"time"
)

// DefaultCapacity is how many transactions a peer keeps traces of unless
// configured otherwise.
const DefaultCapacity = 256

// Recorder keeps the traces of the last Capacity transactions. Its methods
// are safe for concurrent use; a nil *Recorder records nothing, so a peer
// with tracing off passes nil.
type Recorder struct {
	capacity int
	now      func() time.Time

	mu     sync.Mutex
	traces map[key]*entry
	order  []key // oldest first; len(order) == len(traces)
	// running lists, per chaincode id, the transactions executing on it,
	// which receive the lines its process writes.
	running map[string]map[key]int
}

type key struct{ channel, txID string }

// entry is a trace being recorded: times are kept absolute until the
// endorsement ends, when the trace's start is known.
type entry struct {
	t Trace
	// fill is Endorsed's, kept until the trace is first read.
	fill     func(*Trace)
	msgTimes []time.Time
	logTimes []time.Time
	done     bool
}

// NewRecorder returns a Recorder of the last capacity transactions, or nil
// (record nothing) when capacity is 0 or less.
func NewRecorder(capacity int) *Recorder {
	if capacity <= 0 {
		return nil
	}
	return &Recorder{capacity: capacity, now: time.Now, traces: map[key]*entry{}, running: map[string]map[key]int{}}
}

// entry returns the trace of channel/txID, starting one (and dropping the
// oldest) if there is none. The caller holds r.mu.
func (r *Recorder) entry(channel, txID string) *entry {
	k := key{channel, txID}
	if e := r.traces[k]; e != nil {
		return e
	}
	if len(r.order) >= r.capacity {
		oldest := r.order[0]
		r.order = r.order[1:]
		delete(r.traces, oldest)
	}
	e := &entry{t: Trace{TxID: txID, Channel: channel, Started: r.now()}}
	r.traces[k] = e
	r.order = append(r.order, k)
	return e
}

// ExecuteStarted records that the transaction began to run on the
// chaincode ccid: its process's output lines go to the trace until
// ExecuteEnded.
func (r *Recorder) ExecuteStarted(ccid, channel, txID string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entry(channel, txID)
	if e.t.CCID == "" {
		e.t.CCID = ccid
	}
	k := key{channel, txID}
	m := r.running[ccid]
	if m == nil {
		m = map[key]int{}
		r.running[ccid] = m
	}
	m[k]++ // a chaincode calling itself runs the same transaction twice
}

// ExecuteEnded undoes ExecuteStarted.
func (r *Recorder) ExecuteEnded(ccid, channel, txID string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := key{channel, txID}
	m := r.running[ccid]
	if m[k]--; m[k] <= 0 {
		delete(m, k)
	}
	if len(m) == 0 {
		delete(r.running, ccid)
	}
}

// Message records one message of the transaction on a chaincode stream,
// received at at and answered after m.Took; messages are kept in the
// order they were received, whatever the order they are reported in.
func (r *Recorder) Message(channel, txID string, m Message, at time.Time) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entry(channel, txID)
	if len(e.t.Messages) >= MaxMessages {
		e.t.DroppedMessages++
		return
	}
	// In order of arrival: the transaction's own message is reported when
	// it ends, after the requests it made.
	i := len(e.msgTimes)
	for i > 0 && e.msgTimes[i-1].After(at) {
		i--
	}
	e.msgTimes = slices.Insert(e.msgTimes, i, at)
	e.t.Messages = slices.Insert(e.t.Messages, i, m)
	if e.done {
		e.settle()
	}
}

// Output records a line the process of chaincode ccid wrote on stream
// (stdout or stderr), in every transaction running on it.
func (r *Recorder) Output(ccid, stream, line string) {
	if r == nil {
		return
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.running[ccid] {
		if e := r.traces[k]; e != nil {
			e.addLog(now, stream, line)
		}
	}
}

// Logged records a line the chaincode logged for the transaction through
// its shim (stream "shim"), if the transaction is being traced.
func (r *Recorder) Logged(channel, txID, line string) {
	if r == nil {
		return
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.traces[key{channel, txID}]; e != nil {
		e.addLog(now, "shim", line)
	}
}

// addLog appends a line, within MaxLogLines. The caller holds r.mu.
func (e *entry) addLog(at time.Time, stream, line string) {
	if len(e.t.Logs) >= MaxLogLines {
		e.t.DroppedLogs++
		return
	}
	e.logTimes = append(e.logTimes, at)
	e.t.Logs = append(e.t.Logs, LogLine{Stream: stream, Line: cut(line)})
	if e.done {
		e.settle()
	}
}

// Endorsed records how the endorsement ended: took is the endorsement's
// duration; fill sets the proposal, the response and what was simulated.
// Most traces are never read, so fill runs only when the trace is first
// read (Get, Recent), with the recorder's lock held, and never if the trace
// is dropped first: it must keep only what no one changes afterwards, and
// little of it, since a recorder keeps up to Capacity of them. A later
// Endorsed of the same transaction replaces an earlier fill not yet run.
func (r *Recorder) Endorsed(channel, txID string, took time.Duration, fill func(*Trace)) {
	if r == nil {
		return
	}
	end := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entry(channel, txID)
	e.t.Started = end.Add(-took)
	e.t.Took = Duration(took)
	e.fill = fill
	e.done = true
	e.settle()
}

// settle turns the absolute times of messages and lines into offsets from
// the trace's start. The caller holds r.mu.
func (e *entry) settle() {
	for i, at := range e.msgTimes {
		e.t.Messages[i].At = Duration(at.Sub(e.t.Started))
	}
	for i, at := range e.logTimes {
		e.t.Logs[i].At = Duration(at.Sub(e.t.Started))
	}
}

// Get returns a copy of the trace of txID on channel ("" matches any
// channel, the newest first).
func (r *Recorder) Get(channel, txID string) (Trace, bool) {
	if r == nil {
		return Trace{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range slices.Backward(r.order) {
		if k.txID == txID && (channel == "" || k.channel == channel) {
			return r.traces[k].copy(), true
		}
	}
	return Trace{}, false
}

// Recent returns copies of the last n traces, newest first (all with n ≤ 0).
func (r *Recorder) Recent(n int) []Trace {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n <= 0 || n > len(r.order) {
		n = len(r.order)
	}
	out := make([]Trace, 0, n)
	for _, k := range slices.Backward(r.order) {
		if len(out) == n {
			break
		}
		out = append(out, r.traces[k].copy())
	}
	return out
}

// Capacity returns how many traces r keeps (0 for nil).
func (r *Recorder) Capacity() int {
	if r == nil {
		return 0
	}
	return r.capacity
}

// copy returns the trace with slices of its own, filled first if it has
// not been. The caller holds r.mu.
func (e *entry) copy() Trace {
	if fill := e.fill; fill != nil {
		e.fill = nil
		fill(&e.t)
	}
	t := e.t
	t.Messages = slices.Clone(t.Messages)
	t.Logs = slices.Clone(t.Logs)
	t.Proposal.Args = slices.Clone(t.Proposal.Args)
	t.Proposal.TransientKeys = slices.Clone(t.Proposal.TransientKeys)
	t.RWSet = slices.Clone(t.RWSet) // namespaces are not changed once filled
	return t
}

// cut bounds a log line.
func cut(line string) string {
	const max = 4 << 10
	if len(line) <= max {
		return line
	}
	return string(trimPartialRune([]byte(line[:max]))) + "…"
}
