package peersim

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func TestDevModeLifecycleEndToEnd(t *testing.T) {
	n := startNet(t, t.TempDir())
	resp := n.install(t, n.admin, "mycc", "1.0")
	if resp.GetResponse().GetStatus() != 200 || !strings.HasPrefix(string(resp.GetResponse().GetPayload()), "mycc_1.0:") {
		t.Fatalf("install: %d %q payload %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), resp.GetResponse().GetPayload())
	}
	cc := newTestCC()
	n.startCC(t, "mycc:1.0", cc)

	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init", "a", "b")
	if got := cc.initCount(DefaultChannel); got != 1 {
		t.Errorf("Init ran %d times on %s, want 1", got, DefaultChannel)
	}
	if r := n.query(t, DefaultChannel, "mycc", "get", "init"); string(r.GetPayload()) != "init a b" {
		t.Errorf("state written by Init = %q (%d %s), want %q", r.GetPayload(), r.GetStatus(), r.GetMessage(), "init a b")
	}

	t.Run("a second channel runs Init again on the same process", func(t *testing.T) {
		resp, _, _ := n.propose(t, n.admin, invocation("", csccName, "CreateChannel", "second"))
		if resp.GetResponse().GetStatus() != 200 {
			t.Fatalf("CreateChannel: %d %s", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
		}
		n.instantiate(t, "second", "mycc", "1.0", "init", "second")
		if got := cc.initCount("second"); got != 1 {
			t.Errorf("Init ran %d times on second, want 1", got)
		}
		if got := cc.initCount(DefaultChannel); got != 1 {
			t.Errorf("Init ran %d times on %s, want still 1", got, DefaultChannel)
		}
	})

	t.Run("an invoke commits and a query reads it", func(t *testing.T) {
		resp, code := n.invoke(t, n.user, DefaultChannel, "mycc", "put", "k", "v1")
		if code != peer.TxValidationCode_VALID {
			t.Fatalf("invoke: %d %q code %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
		}
		if r := n.query(t, DefaultChannel, "mycc", "get", "k"); r.GetStatus() != 200 || string(r.GetPayload()) != "v1" {
			t.Errorf("query: %d %q %q, want 200 v1", r.GetStatus(), r.GetMessage(), r.GetPayload())
		}
	})

	t.Run("deploying again on the same channel is Fabric's already-exists error", func(t *testing.T) {
		resp, _ := n.deploy(t, n.admin, "deploy", DefaultChannel, "mycc", "1.0")
		if msg := resp.GetResponse().GetMessage(); msg != "chaincode with name 'mycc' already exists" {
			t.Errorf("got %d %q", resp.GetResponse().GetStatus(), msg)
		}
	})

	t.Run("upgrade to a new installed version runs Init again", func(t *testing.T) {
		if r := n.install(t, n.admin, "mycc", "2.0"); r.GetResponse().GetStatus() != 200 {
			t.Fatalf("install 2.0: %s", r.GetResponse().GetMessage())
		}
		cc2 := newTestCC()
		n.startCC(t, "mycc:2.0", cc2)
		resp, code := n.deploy(t, n.admin, "upgrade", DefaultChannel, "mycc", "2.0", "init", "upgraded")
		if code != peer.TxValidationCode_VALID {
			t.Fatalf("upgrade: %d %q code %v", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), code)
		}
		if got := cc2.initCount(DefaultChannel); got != 1 {
			t.Errorf("Init of 2.0 ran %d times, want 1", got)
		}
		if r := n.query(t, DefaultChannel, "mycc", "get", "init"); string(r.GetPayload()) != "init upgraded" {
			t.Errorf("after upgrade init = %q (%s)", r.GetPayload(), r.GetMessage())
		}
		if r := n.query(t, DefaultChannel, "mycc", "get", "k"); string(r.GetPayload()) != "v1" {
			t.Errorf("state kept across upgrade: k = %q (%s)", r.GetPayload(), r.GetMessage())
		}
	})

	t.Run("getchaincodes and getinstalledchaincodes list what is there", func(t *testing.T) {
		resp, _, _ := n.propose(t, n.user, invocation(DefaultChannel, lsccName, "getchaincodes"))
		var q peer.ChaincodeQueryResponse
		if err := proto.Unmarshal(resp.GetResponse().GetPayload(), &q); err != nil || len(q.GetChaincodes()) != 1 || q.GetChaincodes()[0].GetVersion() != "2.0" {
			t.Errorf("getchaincodes: %v %v (%s)", q.GetChaincodes(), err, resp.GetResponse().GetMessage())
		}
		resp, _, _ = n.propose(t, n.user, invocation("", lsccName, "getinstalledchaincodes"))
		q.Reset()
		if err := proto.Unmarshal(resp.GetResponse().GetPayload(), &q); err != nil || len(q.GetChaincodes()) != 2 {
			t.Errorf("getinstalledchaincodes: %v %v (%s)", q.GetChaincodes(), err, resp.GetResponse().GetMessage())
		}
	})
}

func TestConcurrentInvokesOfOneKeyConflict(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")

	type endorsed struct {
		resp *peer.ProposalResponse
		prop *peer.Proposal
	}
	var got [2]endorsed
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			resp, prop, _ := n.propose(t, n.user, invocation(DefaultChannel, "mycc", "incr", "counter"))
			got[i] = endorsed{resp, prop}
		})
	}
	wg.Wait()
	for i, e := range got {
		if e.resp.GetEndorsement() == nil {
			t.Fatalf("proposal %d not endorsed: %s", i, e.resp.GetResponse().GetMessage())
		}
	}
	codes := n.submit(t, n.user, DefaultChannel, got[0].prop, got[0].resp, got[1].prop, got[1].resp)
	valid, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case peer.TxValidationCode_VALID:
			valid++
		case peer.TxValidationCode_MVCC_READ_CONFLICT:
			conflict++
		}
	}
	if valid != 1 || conflict != 1 {
		t.Errorf("codes %v, want one VALID and one MVCC_READ_CONFLICT", codes)
	}
	if r := n.query(t, DefaultChannel, "mycc", "incr", "counter"); r.GetStatus() != 200 {
		t.Errorf("query after conflict: %d %s", r.GetStatus(), r.GetMessage())
	}
}

func TestProposalFailures(t *testing.T) {
	n := startNet(t, t.TempDir(), withExecuteTimeout(300*time.Millisecond))
	n.install(t, n.admin, "mycc", "1.0")
	cc := newTestCC()
	n.startCC(t, "mycc:1.0", cc)
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	t.Cleanup(func() { close(cc.release) })

	tests := []struct {
		name       string
		args       []string
		cc         string
		wantStatus int32
		wantMsg    string // substring
		endorsed   bool
	}{
		{name: "a chaincode error is a failed simulation", args: []string{"fail"}, wantStatus: 500,
			wantMsg: "asked to fail"},
		{name: "a 4xx status is returned without endorsement", args: []string{"notfound"}, wantStatus: 404, wantMsg: "no such thing"},
		{name: "an unknown chaincode says to instantiate it", cc: "nosuch", args: []string{"get", "k"}, wantStatus: 500,
			wantMsg: "could not find chaincode with name 'nosuch' - make sure the chaincode nosuch has been successfully instantiated and try again"},
		{name: "a slow chaincode times out", args: []string{"block"}, wantStatus: 500,
			wantMsg: "error in simulation: failed to execute transaction TXID: error sending: timeout expired while executing transaction"},
		{name: "a successful call is endorsed", args: []string{"get", "init"}, wantStatus: 200, endorsed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.cc
			if name == "" {
				name = "mycc"
			}
			resp, prop, _ := n.propose(t, n.user, invocation(DefaultChannel, name, tt.args...))
			r := resp.GetResponse()
			want := strings.ReplaceAll(tt.wantMsg, "TXID", txIDOf(t, prop))
			if r.GetStatus() != tt.wantStatus || !strings.Contains(r.GetMessage(), want) {
				t.Errorf("got %d %q, want %d containing %q", r.GetStatus(), r.GetMessage(), tt.wantStatus, want)
			}
			if (resp.GetEndorsement() != nil) != tt.endorsed {
				t.Errorf("endorsement present = %v, want %v", resp.GetEndorsement() != nil, tt.endorsed)
			}
		})
	}
}

func TestATxIDBeingEndorsedIsADuplicate(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	cc := newTestCC()
	n.startCC(t, "mycc:1.0", cc)
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")

	sp, txID, err := n.user.NewSignedProposal(invocation(DefaultChannel, "mycc", "block"))
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan *peer.ProposalResponse, 1)
	go func() {
		resp, err := peer.NewEndorserClient(n.client).ProcessProposal(context.Background(), sp)
		if err != nil {
			t.Error(err)
		}
		first <- resp
	}()
	<-cc.entered
	again, err := peer.NewEndorserClient(n.client).ProcessProposal(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	close(cc.release)
	if want := "duplicate transaction found [" + txID + "]. Creator ["; !strings.HasPrefix(again.GetResponse().GetMessage(), want) {
		t.Errorf("second: %q, want prefix %q", again.GetResponse().GetMessage(), want)
	}
	if r := <-first; r.GetResponse().GetStatus() != 200 {
		t.Errorf("first: %d %s", r.GetResponse().GetStatus(), r.GetResponse().GetMessage())
	}
}

func TestChaincodeDisconnectFailsOnlyItsTransaction(t *testing.T) {
	// With no execute timeout (a debugger's setting) the transaction in
	// flight must fail as cleanly, not wait for ever.
	for _, tt := range []struct {
		name    string
		timeout time.Duration
	}{{"with the default execute timeout", DefaultConfig("").ChaincodeExecuteTimeout}, {"with no execute timeout", 0}} {
		t.Run(tt.name, func(t *testing.T) { testChaincodeDisconnect(t, tt.timeout) })
	}
}

// testChaincodeDisconnect: the chaincode goes away in the middle of a
// transaction, which fails; restarted under the same id it is accepted
// and the state is kept.
func testChaincodeDisconnect(t *testing.T, executeTimeout time.Duration) {
	n := startNet(t, t.TempDir(), withExecuteTimeout(executeTimeout))
	n.install(t, n.admin, "mycc", "1.0")
	cc := newTestCC()
	run := n.startCC(t, "mycc:1.0", cc)
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	defer close(cc.release)

	type result struct {
		resp *peer.ProposalResponse
		prop *peer.Proposal
	}
	done := make(chan result, 1)
	go func() {
		resp, prop, _ := n.propose(t, n.user, invocation(DefaultChannel, "mycc", "block"))
		done <- result{resp, prop}
	}()
	<-cc.entered
	run.cancel() // the chaincode process goes away mid-transaction
	r := <-done
	want := "error in simulation: failed to execute transaction " + txIDOf(t, r.prop) + ": error sending: chaincode stream terminated"
	if r.resp.GetResponse().GetStatus() != 500 || r.resp.GetResponse().GetMessage() != want {
		t.Errorf("got %d %q, want 500 %q", r.resp.GetResponse().GetStatus(), r.resp.GetResponse().GetMessage(), want)
	}

	// Until it is restarted, an invoke says how to start it.
	n.waitDisconnected(t, "mycc:1.0")
	_, ccAddr, _ := n.p.Addrs()
	wantCmd := "could not launch chaincode mycc:1.0: chaincode not connected: the peer runs in development mode and starts no chaincode; start it with: " +
		"CORE_ID_CHAINCODE_NAME=mycc:1.0 CORE_CHAINCODE_ID_NAME=mycc:1.0 CORE_PEER_TLS_ENABLED=false CORE_PEER_LOCALMSPID=Org1MSP <binary> -peer.address " + ccAddr
	if r := n.query(t, DefaultChannel, "mycc", "get", "k"); r.GetStatus() != 500 || !strings.Contains(r.GetMessage(), wantCmd) {
		t.Errorf("invoke while disconnected: %d %q, want it to contain %q", r.GetStatus(), r.GetMessage(), wantCmd)
	}

	// The restarted process is accepted without reinstalling, and finds
	// the state its predecessor left.
	n.startCC(t, "mycc:1.0", newTestCC())
	if resp, code := n.invoke(t, n.user, DefaultChannel, "mycc", "put", "after", "restart"); code != peer.TxValidationCode_VALID {
		t.Errorf("invoke after restart: %s %v", resp.GetResponse().GetMessage(), code)
	}
	if r := n.query(t, DefaultChannel, "mycc", "get", "after"); string(r.GetPayload()) != "restart" {
		t.Errorf("query after restart: %d %q %s, want restart", r.GetStatus(), r.GetPayload(), r.GetMessage())
	}
}

func TestRegistration(t *testing.T) {
	n := startNet(t, t.TempDir())
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())

	tests := []struct {
		name string
		ccid string
		want []string
	}{
		{name: "an uninstalled version is refused naming the installed ones", ccid: "mycc:9.9",
			want: []string{"mycc:9.9", "installed versions of mycc: 1.0"}},
		{name: "an uninstalled name is refused saying none is installed", ccid: "other:1.0",
			want: []string{"other:1.0", "no version of other is installed"}},
		{name: "an id without a version is refused", ccid: "mycc", want: []string{`"mycc" is not <name>:<version>`}},
		{name: "a second live connection for an id is refused", ccid: "mycc:1.0", want: []string{"duplicate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := n.connect(t, tt.ccid, ourShim(newTestCC()))
			select {
			case err := <-r.done:
				if err == nil {
					t.Fatal("registration ended without error")
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				r.done <- err // for the cleanup
			case <-time.After(waitLimit):
				t.Fatal("no answer to REGISTER")
			}
		})
	}
	if got := n.p.cc.Connected(); len(got) != 1 || got[0] != "mycc:1.0" {
		t.Errorf("connected %v, want the first mycc:1.0 only", got)
	}
}

func TestInstantiateWaitsForTheChaincodeAndTellsHowToStartIt(t *testing.T) {
	n := startNet(t, t.TempDir(), withStartupTimeout(200*time.Millisecond))
	n.install(t, n.admin, "mycc", "1.0")
	resp, _ := n.deploy(t, n.admin, "deploy", DefaultChannel, "mycc", "1.0", "init")
	_, ccAddr, _ := n.p.Addrs()
	want := "CORE_ID_CHAINCODE_NAME=mycc:1.0 CORE_CHAINCODE_ID_NAME=mycc:1.0 CORE_PEER_TLS_ENABLED=false CORE_PEER_LOCALMSPID=Org1MSP <binary> -peer.address " + ccAddr
	if resp.GetResponse().GetStatus() != 500 || !strings.Contains(resp.GetResponse().GetMessage(), want) {
		t.Errorf("got %d %q, want the start command %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage(), want)
	}

	// The chaincode connecting while instantiate waits lets it finish.
	n2 := startNet(t, t.TempDir())
	n2.install(t, n2.admin, "mycc", "1.0")
	cc := newTestCC()
	started := make(chan struct{})
	go func() {
		n2.waitDeploying(t)
		n2.connect(t, "mycc:1.0", ourShim(cc))
		close(started)
	}()
	n2.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	<-started
	if cc.initCount(DefaultChannel) != 1 {
		t.Errorf("Init ran %d times, want 1", cc.initCount(DefaultChannel))
	}
}

// waitDeploying waits until a proposal is being endorsed.
func (n *testNet) waitDeploying(t testing.TB) {
	deadline := time.Now().Add(waitLimit)
	for {
		busy := n.p.home().endo.InFlight() > 0
		if busy || time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond) // polling with a deadline
	}
}

func TestAccessAndReplay(t *testing.T) {
	n := startNet(t, t.TempDir())
	t.Run("a non-admin cannot install", func(t *testing.T) {
		resp := n.install(t, n.user, "mycc", "1.0")
		if msg := resp.GetResponse().GetMessage(); resp.GetResponse().GetStatus() != 500 || !strings.Contains(msg, "access denied") || !strings.Contains(msg, "not an admin") {
			t.Errorf("got %d %q", resp.GetResponse().GetStatus(), msg)
		}
	})
	n.install(t, n.admin, "mycc", "1.0")
	n.startCC(t, "mycc:1.0", newTestCC())
	t.Run("a non-admin cannot instantiate", func(t *testing.T) {
		resp, _ := n.deploy(t, n.user, "deploy", DefaultChannel, "mycc", "1.0")
		if msg := resp.GetResponse().GetMessage(); !strings.Contains(msg, "access denied") {
			t.Errorf("got %d %q", resp.GetResponse().GetStatus(), msg)
		}
	})
	n.instantiate(t, DefaultChannel, "mycc", "1.0", "init")
	t.Run("a bad signature is refused", func(t *testing.T) {
		prop, _, err := n.user.NewProposal(invocation(DefaultChannel, "mycc", "get", "k"))
		if err != nil {
			t.Fatal(err)
		}
		sp, err := n.user.SignProposal(prop)
		if err != nil {
			t.Fatal(err)
		}
		sp.Signature[len(sp.Signature)-1] ^= 1
		resp, err := peer.NewEndorserClient(n.client).ProcessProposal(context.Background(), sp)
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetResponse().GetStatus() != 500 || resp.GetEndorsement() != nil || !strings.Contains(resp.GetResponse().GetMessage(), "access denied") {
			t.Errorf("got %d %q", resp.GetResponse().GetStatus(), resp.GetResponse().GetMessage())
		}
	})
	t.Run("a system chaincode name cannot be installed", func(t *testing.T) {
		resp := n.install(t, n.admin, "cscc", "1.0")
		if msg := resp.GetResponse().GetMessage(); !strings.Contains(msg, `chaincode name "cscc" is reserved`) {
			t.Errorf("got %d %q", resp.GetResponse().GetStatus(), msg)
		}
	})
	t.Run("a committed txid cannot be endorsed again", func(t *testing.T) {
		resp, prop, sp := n.propose(t, n.user, invocation(DefaultChannel, "mycc", "put", "k", "v"))
		if c := n.submit(t, n.user, DefaultChannel, prop, resp); c[0] != peer.TxValidationCode_VALID {
			t.Fatalf("first: %v", c)
		}
		again, err := peer.NewEndorserClient(n.client).ProcessProposal(context.Background(), sp)
		if err != nil {
			t.Fatal(err)
		}
		want := "duplicate transaction found [" + txIDOf(t, prop) + "]. Creator ["
		if !strings.HasPrefix(again.GetResponse().GetMessage(), want) {
			t.Errorf("got %q, want prefix %q", again.GetResponse().GetMessage(), want)
		}
	})
}
