package trace

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeClock returns start, then advances by step at each call.
func fakeClock(start time.Time, step time.Duration) func() time.Time {
	now := start
	return func() time.Time {
		t := now
		now = now.Add(step)
		return t
	}
}

func TestRecorderKeepsTheLastTransactions(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		txs      int
		kept     []string // newest first
	}{
		{name: "fewer than the capacity", capacity: 3, txs: 2, kept: []string{"tx1", "tx0"}},
		{name: "exactly the capacity", capacity: 3, txs: 3, kept: []string{"tx2", "tx1", "tx0"}},
		{name: "more: the oldest go", capacity: 3, txs: 5, kept: []string{"tx4", "tx3", "tx2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRecorder(tc.capacity)
			for i := range tc.txs {
				r.Endorsed("ch", fmt.Sprintf("tx%d", i), time.Millisecond, func(*Trace) {})
			}
			var got []string
			for _, tr := range r.Recent(0) {
				got = append(got, tr.TxID)
			}
			if strings.Join(got, ",") != strings.Join(tc.kept, ",") {
				t.Errorf("kept %v, want %v", got, tc.kept)
			}
			if _, ok := r.Get("", fmt.Sprintf("tx%d", tc.txs-1)); !ok {
				t.Error("the newest transaction has no trace")
			}
			if tc.txs > tc.capacity {
				if _, ok := r.Get("ch", "tx0"); ok {
					t.Error("the oldest transaction is still kept")
				}
			}
		})
	}
}

func TestNilRecorderRecordsNothing(t *testing.T) {
	r := NewRecorder(0)
	if r != nil {
		t.Fatal("NewRecorder(0) is not nil")
	}
	r.ExecuteStarted("cc:1", "ch", "tx")
	r.Message("ch", "tx", Message{Type: "GET_STATE"}, time.Now())
	r.Output("cc:1", "stdout", "hello")
	r.ExecuteEnded("cc:1", "ch", "tx")
	r.Endorsed("ch", "tx", time.Millisecond, func(*Trace) { t.Error("fill called on a nil recorder") })
	if _, ok := r.Get("ch", "tx"); ok || len(r.Recent(0)) != 0 || r.Capacity() != 0 {
		t.Error("a nil recorder returned a trace")
	}
}

func TestRecorderPutsMessagesAndOutputInTheirTransaction(t *testing.T) {
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	r := NewRecorder(10)
	r.now = fakeClock(start, time.Millisecond)
	r.ExecuteStarted("cc:1", "ch", "a")                                                       // now: +0
	r.Message("ch", "a", Message{Type: "GET_STATE", Key: "k"}, start.Add(2*time.Millisecond)) // no clock call
	r.Output("cc:1", "stdout", "while a runs")                                                // +1ms
	r.ExecuteStarted("cc:2", "ch", "b")                                                       // +2ms
	r.Output("cc:2", "stderr", "b's process")                                                 // +3ms
	r.ExecuteEnded("cc:1", "ch", "a")
	r.Output("cc:1", "stdout", "after a ended")                                                  // +4ms: no running transaction
	r.Endorsed("ch", "a", 10*time.Millisecond, func(tr *Trace) { tr.Proposal.Function = "get" }) // ends at +5ms

	a, ok := r.Get("ch", "a")
	if !ok {
		t.Fatal("no trace of a")
	}
	if a.CCID != "cc:1" || a.Proposal.Function != "get" || a.Took != Duration(10*time.Millisecond) {
		t.Errorf("trace of a: ccid %q function %q took %s", a.CCID, a.Proposal.Function, a.Took)
	}
	if want := start.Add(5 * time.Millisecond).Add(-10 * time.Millisecond); !a.Started.Equal(want) {
		t.Errorf("started %s, want the end minus the endorsement's duration %s", a.Started, want)
	}
	if len(a.Messages) != 1 || a.Messages[0].At != Duration(7*time.Millisecond) {
		t.Errorf("messages of a: %+v, want GET_STATE at +7ms from the start", a.Messages)
	}
	if len(a.Logs) != 1 || a.Logs[0].Line != "while a runs" || a.Logs[0].Stream != "stdout" {
		t.Errorf("output of a: %+v, want only the line written while it ran on cc:1", a.Logs)
	}
	b, _ := r.Get("", "b")
	if len(b.Logs) != 1 || b.Logs[0].Line != "b's process" {
		t.Errorf("output of b: %+v", b.Logs)
	}
}

func TestRecorderBoundsWhatOneTransactionKeeps(t *testing.T) {
	r := NewRecorder(1)
	r.ExecuteStarted("cc:1", "ch", "tx")
	for range MaxMessages + 5 {
		r.Message("ch", "tx", Message{Type: "PUT_STATE"}, time.Now())
	}
	for range MaxLogLines + 3 {
		r.Output("cc:1", "stdout", strings.Repeat("x", 10<<10))
	}
	tr, _ := r.Get("ch", "tx")
	if len(tr.Messages) != MaxMessages || tr.DroppedMessages != 5 {
		t.Errorf("kept %d messages, dropped %d; want %d and 5", len(tr.Messages), tr.DroppedMessages, MaxMessages)
	}
	if len(tr.Logs) != MaxLogLines || tr.DroppedLogs != 3 || len(tr.Logs[0].Line) > 5<<10 {
		t.Errorf("kept %d lines (first %d bytes), dropped %d", len(tr.Logs), len(tr.Logs[0].Line), tr.DroppedLogs)
	}
}

func TestValueOf(t *testing.T) {
	long := strings.Repeat("é", MaxValue) // two bytes each: the cut falls inside one
	tests := []struct {
		name  string
		in    []byte
		want  Value
		shown string
	}{
		{name: "text", in: []byte("blue"), want: Value{Text: "blue", Size: 4}, shown: "blue"},
		{name: "empty", in: nil, want: Value{Size: 0}, shown: ""},
		{name: "bytes that are not UTF-8", in: []byte{0xff, 0x00, 0x10}, want: Value{Hex: "ff0010", Size: 3}, shown: "0xff0010"},
		{name: "long text is cut on a rune boundary", in: []byte(long), want: Value{Text: long[:MaxValue], Size: 2 * MaxValue, Truncated: true}, shown: long[:MaxValue] + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ValueOf(tc.in)
			if got != tc.want {
				t.Errorf("ValueOf = %+v, want %+v", got, tc.want)
			}
			if got.String() != tc.shown {
				t.Errorf("shown as %q, want %q", got.String(), tc.shown)
			}
		})
	}
}

// TestRecorderFillsATraceWhenItIsFirstRead checks that Endorsed's fill
// runs once, when the trace is first read, and never for a trace dropped
// before anyone read it.
func TestRecorderFillsATraceWhenItIsFirstRead(t *testing.T) {
	tests := []struct {
		name  string
		reads func(r *Recorder)
		want  int // calls of tx's fill
	}{
		{"not read: not filled", func(r *Recorder) {}, 0},
		{"read by Get", func(r *Recorder) { r.Get("ch", "tx") }, 1},
		{"read by Recent", func(r *Recorder) { r.Recent(0) }, 1},
		{"read many times: filled once", func(r *Recorder) { r.Get("", "tx"); r.Recent(1); r.Get("ch", "tx") }, 1},
		{"dropped before it was read", func(r *Recorder) {
			r.Endorsed("ch", "tx2", time.Millisecond, func(*Trace) {})
			r.Endorsed("ch", "tx3", time.Millisecond, func(*Trace) {})
			r.Recent(0)
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRecorder(2)
			calls := 0
			r.Endorsed("ch", "tx", time.Millisecond, func(tr *Trace) {
				calls++
				tr.Proposal.Function = "get"
			})
			tc.reads(r)
			if calls != tc.want {
				t.Errorf("fill called %d times, want %d", calls, tc.want)
			}
			if tr, ok := r.Get("ch", "tx"); ok && tr.Proposal.Function != "get" {
				t.Errorf("trace read after fill: function %q, want get", tr.Proposal.Function)
			}
		})
	}
}

func TestRecorderKeepsMessagesInTheOrderTheyArrived(t *testing.T) {
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	r := NewRecorder(1)
	r.Message("ch", "tx", Message{Type: "GET_STATE"}, start.Add(2*time.Millisecond))
	r.Message("ch", "tx", Message{Type: "PUT_STATE"}, start.Add(3*time.Millisecond))
	// The transaction's own message is reported last, once it ends.
	r.Message("ch", "tx", Message{Type: "TRANSACTION → COMPLETED"}, start.Add(1*time.Millisecond))
	tr, _ := r.Get("ch", "tx")
	var got []string
	for _, m := range tr.Messages {
		got = append(got, m.Type)
	}
	if want := "TRANSACTION → COMPLETED,GET_STATE,PUT_STATE"; strings.Join(got, ",") != want {
		t.Errorf("messages %v, want %s", got, want)
	}
}
