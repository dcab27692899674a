package leakcheck

import (
	"strings"
	"testing"
)

// parked runs a goroutine that blocks until release is closed; its stack
// names this function, so the tests can find it in a report.
func parked(release <-chan struct{}, started chan<- struct{}) {
	close(started)
	<-release
}

func startParked(t *testing.T) (release func()) {
	t.Helper()
	ch, started := make(chan struct{}), make(chan struct{})
	go parked(ch, started)
	<-started
	return func() { close(ch) }
}

func TestBaseline(t *testing.T) {
	tests := []struct {
		name     string
		run      func(t *testing.T) (b Baseline, cleanup func())
		wantLeak bool
	}{
		{name: "a goroutine started after the baseline and still running is a leak",
			run: func(t *testing.T) (Baseline, func()) {
				b := Take()
				return b, startParked(t)
			}, wantLeak: true},
		{name: "a goroutine that ends before the check is not a leak",
			run: func(t *testing.T) (Baseline, func()) {
				b := Take()
				startParked(t)()
				return b, func() {}
			}},
		{name: "a goroutine that was running before the baseline is not judged",
			run: func(t *testing.T) (Baseline, func()) {
				release := startParked(t)
				return Take(), release
			}},
		{name: "a goroutine that ends while the check waits is not a leak",
			run: func(t *testing.T) (Baseline, func()) {
				b := Take()
				release := startParked(t)
				go release() // ends on its own, racing with the check
				return b, func() {}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, cleanup := tt.run(t)
			defer cleanup()
			limit := Wait
			if tt.wantLeak {
				limit = 0 // report at the first look
			}
			left := strings.Join(b.wait(limit), "\n\n")
			if tt.wantLeak {
				if !strings.Contains(left, "leakcheck.parked") {
					t.Fatalf("wait reported %q, want a stack naming leakcheck.parked", left)
				}
				return
			}
			if left != "" {
				t.Fatalf("wait reported a leak:\n%s", left)
			}
		})
	}
}

func TestOnlyAndExceptNarrowTheCheck(t *testing.T) {
	b := Take()
	release := startParked(t)
	defer release()
	if left := b.Only("no/such/package").wait(0); len(left) != 0 {
		t.Errorf("Only(no/such/package) judged %d goroutines, want 0:\n%s", len(left), left)
	}
	if left := b.Only("leakcheck.parked").wait(0); len(left) != 1 {
		t.Errorf("Only(leakcheck.parked) judged %d goroutines, want 1", len(left))
	}
	if left := b.Only("leakcheck.parked").Except("leakcheck_test.go").wait(0); len(left) != 0 {
		t.Errorf("Except(leakcheck_test.go) judged %d goroutines, want 0:\n%s", len(left), left)
	}
}

func TestIgnored(t *testing.T) {
	tests := []struct {
		name  string
		stack string
		want  bool
	}{
		{name: "Fabric's shim's send goroutine is ignored", want: true,
			stack: "goroutine 7 [chan send]:\ngithub.com/hyperledger/fabric-chaincode-go/v2/shim.(*Handler).serialSendAsync(0xc0001, 0xc0002)\n\t/x/handler.go:80 +0x5d"},
		{name: "the closure Fabric's shim starts to send is ignored (the stack v2.3.0 leaves)", want: true,
			stack: "goroutine 2977 [chan send, 1 minutes]:\ngithub.com/hyperledger/fabric-chaincode-go/v2/shim.(*Handler).serialSendAsync.func1()\n\t/x/handler.go:87 +0x5e\ncreated by github.com/hyperledger/fabric-chaincode-go/v2/shim.(*Handler).serialSendAsync in goroutine 2973\n\t/x/handler.go:86 +0x11a"},
		{name: "a goroutine Fabric's shim's sender only created is judged",
			stack: "goroutine 10 [select]:\ngithub.com/hyperledger/fabric-chaincode-go/v2/shim.(*Handler).handleMessage(0xc0001)\n\t/x/handler.go:90 +0x5d\ncreated by github.com/hyperledger/fabric-chaincode-go/v2/shim.(*Handler).serialSendAsync in goroutine 3\n\t/x/handler.go:86 +0x11a"},
		{name: "a goroutine that only passes through Fabric's shim is judged",
			stack: "goroutine 8 [select]:\ngithub.com/hyperledger/fabric-chaincode-go/v2/shim.(*Handler).handleMessage(0xc0001)\n\t/x/handler.go:90 +0x5d"},
		{name: "our own goroutines are judged",
			stack: "goroutine 9 [chan receive]:\ngithub.com/chaincodekit/chaincodekit/shim.(*handler).serialSendAsync(0xc0001)\n\t/x/handler.go:10 +0x5d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ignored(tt.stack); got != tt.want {
				t.Errorf("ignored = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckRunsAfterLaterCleanups(t *testing.T) {
	// The parked goroutine is released by a cleanup registered after Check,
	// which therefore runs first: the check must see no leak.
	t.Run("inner", func(t *testing.T) {
		Check(t)
		t.Cleanup(startParked(t))
	})
}
