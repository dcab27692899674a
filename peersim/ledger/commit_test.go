package ledger

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func TestCrashMidCommitLeavesLastWholeBlock(t *testing.T) {
	dir := t.TempDir()
	l := openTestLedger(t, testOpts{backend: BackendBolt, dir: dir})
	c := newClient(t, org1)
	put(t, l, "cc", "k", "before", "gone", "still here")
	heightBefore := l.Height()
	env := c.propose(t, "cc").endorse(t, l, func(s *Simulator) error {
		if err := s.SetState("cc", "k", []byte("after")); err != nil {
			return err
		}
		if err := s.DeleteState("cc", "gone"); err != nil {
			return err
		}
		return s.SetState("cc", "new", []byte("x"))
	})
	// Kill the commit after a few of its writes reached the store.
	l.faultHook = func(op int) error {
		if op == 3 {
			return errFault
		}
		return nil
	}
	if _, err := l.CommitBlock([]*common.Envelope{env}); !errors.Is(err, errFault) {
		t.Fatalf("commit with fault: %v, want the injected fault", err)
	}
	l.faultHook = nil
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l2 := openTestLedger(t, testOpts{backend: BackendBolt, dir: dir})
	if l2.Height() != heightBefore {
		t.Fatalf("height after reopen %d, want %d", l2.Height(), heightBefore)
	}
	for key, want := range map[string]string{"k": "before", "gone": "still here", "new": ""} {
		if got := string(read(t, l2, "cc", key)); got != want {
			t.Errorf("%s = %q after reopen, want %q", key, got, want)
		}
	}
	if _, err := l2.TxStatus(ComputeTxID(nil, nil)); !errors.Is(err, ErrTxNotFound) {
		t.Errorf("TxStatus of an unknown tx: %v", err)
	}
	// The ledger keeps working: the same transaction commits now, chained
	// to the last whole block.
	cb := commitValid(t, l2, env)
	prev, err := l2.GetBlockByNumber(heightBefore - 1)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Block.Header.Number != heightBefore || string(cb.Block.Header.PreviousHash) != string(BlockHeaderHash(prev.Header)) {
		t.Errorf("block after recovery: number %d, chained correctly: %v", cb.Block.Header.Number,
			string(cb.Block.Header.PreviousHash) == string(BlockHeaderHash(prev.Header)))
	}
	if got := string(read(t, l2, "cc", "k")); got != "after" {
		t.Errorf("k = %q, want after", got)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	l := openTestLedger(t, testOpts{backend: BackendBolt, dir: dir})
	put(t, l, "cc", "k", "v")
	h := l.Height()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	l2 := openTestLedger(t, testOpts{backend: BackendBolt, dir: dir})
	if l2.Height() != h || string(read(t, l2, "cc", "k")) != "v" {
		t.Errorf("after reopen: height %d (want %d), k = %q", l2.Height(), h, read(t, l2, "cc", "k"))
	}
}

func TestSubscriberReplaysThenFollows(t *testing.T) {
	l := newLedger(t) // block 0 holds the definition
	c := newClient(t, org1)
	p := c.propose(t, "cc")
	p.event = &peer.ChaincodeEvent{ChaincodeId: "cc", TxId: p.txID, EventName: "created", Payload: []byte("p")}
	commitValid(t, l, p.endorse(t, l, func(s *Simulator) error { return s.SetState("cc", "k", []byte("v")) }))

	// An invalid transaction with an event: its event is not delivered.
	stale := c.propose(t, "cc")
	stale.event = &peer.ChaincodeEvent{EventName: "never"}
	staleEnv := stale.endorse(t, l, func(s *Simulator) error {
		_, err := s.GetState("cc", "k")
		return err
	})
	put(t, l, "cc", "k", "v2")
	commit(t, l, staleEnv) // block 3, MVCC conflict

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub := l.Subscribe(1)
	for want := uint64(1); want <= 3; want++ {
		cb, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cb.Block.Header.Number != want {
			t.Fatalf("block %d, want %d", cb.Block.Header.Number, want)
		}
		switch want {
		case 1:
			if ev := cb.Txs[0].Event; ev == nil || ev.EventName != "created" {
				t.Errorf("block 1 event %v, want created", ev)
			}
		case 3:
			var me *MVCCConflictError
			if cb.Txs[0].Event != nil || !errors.As(cb.Txs[0].Err, &me) || me.Key != "k" {
				t.Errorf("replayed block 3: event %v, reason %v; want no event and an MVCC conflict on k", cb.Txs[0].Event, cb.Txs[0].Err)
			}
		}
	}
	// Live: the next block arrives when it commits.
	got := make(chan *CommittedBlock)
	errc := make(chan error, 1)
	go func() {
		cb, err := sub.Next(ctx)
		if err != nil {
			errc <- err
			return
		}
		got <- cb
	}()
	put(t, l, "cc", "k", "v3")
	select {
	case cb := <-got:
		if cb.Block.Header.Number != 4 {
			t.Errorf("live block %d, want 4", cb.Block.Header.Number)
		}
	case err := <-errc:
		t.Fatal(err)
	}
	// A cancelled context ends the wait.
	short, stop := context.WithCancel(ctx)
	stop()
	if _, err := sub.Next(short); !errors.Is(err, context.Canceled) {
		t.Errorf("Next with a cancelled context: %v", err)
	}
}

func TestUseAfterClose(t *testing.T) {
	l := newLedger(t)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CommitBlock([]*common.Envelope{{}}); !errors.Is(err, ErrClosed) {
		t.Errorf("CommitBlock after Close: %v, want ErrClosed", err)
	}
	if _, err := l.NewSimulator("tx", org1); !errors.Is(err, ErrClosed) {
		t.Errorf("NewSimulator after Close: %v, want ErrClosed", err)
	}
	if _, err := l.Subscribe(0).Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscription after Close: %v, want ErrClosed", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		field  string
	}{
		{"an unknown backend", func(c *Config) { c.Backend = "leveldb" }, "Backend"},
		{"bbolt without a directory", func(c *Config) { c.Backend = BackendBolt; c.Dir = "" }, "Dir"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := MemoryConfig()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tc.field)
			}
		})
	}
	if err := MemoryConfig().Validate(); err != nil {
		t.Errorf("MemoryConfig invalid: %v", err)
	}
	if _, err := Open("Bad Channel", MemoryConfig()); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Open with a bad channel ID: %v", err)
	}
}

// TestCrashHelperProcess is not a test: TestProcessKilledMidCommit re-runs
// the test binary with it to have a real process die inside a commit.
func TestCrashHelperProcess(t *testing.T) {
	dir := os.Getenv("LEDGER_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process for TestProcessKilledMidCommit")
	}
	l := openTestLedger(t, testOpts{backend: BackendBolt, dir: dir})
	put(t, l, "cc", "k", "whole")
	env := newClient(t, org1).propose(t, "cc").endorse(t, l, func(s *Simulator) error {
		return s.SetState("cc", "k", []byte("torn"))
	})
	l.faultHook = func(op int) error {
		if op == 2 {
			os.Exit(3) // die with the bbolt transaction half written
		}
		return nil
	}
	_, _ = l.CommitBlock([]*common.Envelope{env})
	t.Fatal("the helper should have died inside the commit")
}

func TestProcessKilledMidCommit(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$")
	cmd.Env = append(os.Environ(), "LEDGER_CRASH_DIR="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("helper process: %v, want exit status 3\n%s", err, out)
	}
	l := openTestLedger(t, testOpts{backend: BackendBolt, dir: dir})
	if l.Height() != 2 {
		t.Errorf("height %d after the crash, want 2 (definition and the whole block)", l.Height())
	}
	if got := string(read(t, l, "cc", "k")); got != "whole" {
		t.Errorf("k = %q after the crash, want whole", got)
	}
}

func TestInfo(t *testing.T) {
	l := newLedger(t)
	put(t, l, "cc", "k", "v")
	info, err := l.Info()
	if err != nil {
		t.Fatal(err)
	}
	last, _ := l.GetBlockByNumber(1)
	if info.Height != 2 || string(info.CurrentBlockHash) != string(BlockHeaderHash(last.Header)) ||
		string(info.PreviousBlockHash) != string(last.Header.PreviousHash) {
		t.Errorf("info %v does not describe the chain", info)
	}
}

func TestSubscriberAndWaitEndWithTheirContext(t *testing.T) {
	l := newLedger(t) // block 0 holds the definition
	put(t, l, "cc", "k", "v")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Stored blocks are not replayed to a reader that went away.
	if cb, err := l.Subscribe(0).Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next on a cancelled context = block %v, %v; want context.Canceled", cb, err)
	}
	if _, err := l.WaitBeyond(ctx, l.Height()); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitBeyond on a cancelled context = %v, want context.Canceled", err)
	}
	// A height already passed returns at once.
	if h, err := l.WaitBeyond(context.Background(), 0); err != nil || h != l.Height() {
		t.Errorf("WaitBeyond(0) = %d, %v; want the height %d", h, err, l.Height())
	}
	// A commit wakes a waiter.
	done := make(chan uint64, 1)
	before := l.Height()
	go func() {
		h, _ := l.WaitBeyond(context.Background(), before)
		done <- h
	}()
	put(t, l, "cc", "k", "v2")
	if h := <-done; h != before+1 {
		t.Errorf("WaitBeyond woke at height %d, want %d", h, before+1)
	}
}
