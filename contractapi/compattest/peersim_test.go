package compattest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chaincodekit/chaincodekit/internal/leakcheck"

	"github.com/chaincodekit/chaincodekit/contractapi"
	"github.com/chaincodekit/chaincodekit/peersim"
	"github.com/chaincodekit/chaincodekit/peersim/ccpackage"
	"github.com/chaincodekit/chaincodekit/peersim/client"
	"github.com/chaincodekit/chaincodekit/peersim/identity"
	"github.com/chaincodekit/chaincodekit/peersim/peersimtest"
	"github.com/google/go-cmp/cmp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// withoutLeaks runs body as a subtest, so that its cleanups (stopping the
// peer, killing processes, closing connections) run, and then fails if
// goroutines it started outlive it. Tests in this package are not parallel.
func withoutLeaks(t *testing.T, name string, body func(t *testing.T)) {
	t.Helper()
	goroutines := leakcheck.Take()
	t.Run(name, body)
	goroutines.Verify(t)
}

// getMetadata is the system contract's metadata transaction.
const getMetadata = contractapi.SystemContractName + ":GetMetadata"

// parseJSON decodes a document for cmp.Diff, failing the test when it is
// not JSON.
func parseJSON(t *testing.T, who string, b []byte) any {
	t.Helper()
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", who, err, b)
	}
	return doc
}

// TestRewrittenContractOnPeersim deploys the contract source compiled
// against ours (asset_ours_test.go) on an in-process peersim peer and checks,
// through endorsement, that GetMetadata is the document Fabric's library
// builds for the same source and that calls answer as Fabric's would.
func TestRewrittenContractOnPeersim(t *testing.T) {
	withoutLeaks(t, "the peer and the in-process chaincode stop with the test", func(t *testing.T) {
		fab, ours := chaincodes(t)
		p := peersimtest.New(t)
		cc := p.Deploy(t, "compat", ours)

		res := cc.Evaluate(t, getMetadata)
		if res.Status != 200 {
			t.Fatalf("GetMetadata through the peer: %s", res)
		}
		want := decode(t, "Fabric", fab.Invoke(&fabricStub{args: []string{getMetadata}}))
		if diff := cmp.Diff(want, parseJSON(t, "GetMetadata through the peer", res.Payload)); diff != "" {
			t.Errorf("GetMetadata through the peer differs from Fabric's (-Fabric +ours):\n%s", diff)
		}

		tests := []struct {
			name string
			args []string
		}{
			{"a lower-case call to the default contract", []string{"scalars", "true", "-1", "-8", "-16", "-32", "-64", "1", "8", "16", "32", "64", "1.5", "2.5", "s"}},
			{"a time is returned in RFC 3339", []string{"assets:Timestamp"}},
			{"an unknown function goes to the unknown hook", []string{"NoticeContract:Nope"}},
			{"a struct missing required fields is rejected", []string{"assets:Create", `{"id":"a"}`}},
			{"an unknown contract is an error", []string{"nobody:Read"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := fab.Invoke(&fabricStub{args: tt.args})
				got := cc.Evaluate(t, tt.args[0], tt.args[1:]...)
				if got.Status != want.GetStatus() || string(got.Payload) != string(want.GetPayload()) {
					t.Errorf("Fabric answered %d %q %q; through the peer we answered %s", want.GetStatus(), want.GetPayload(), want.GetMessage(), got)
				}
			})
		}
	})
}

// devPeer starts a development-mode peersim on an in-memory ledger, listening
// on 127.0.0.1:0 so that chaincode processes can dial it, and returns it
// with a client signing as the organisation's admin.
func devPeer(t *testing.T) (*peersim.Peer, *client.Client) {
	t.Helper()
	cfg := peersim.DefaultConfig(t.TempDir())
	cfg.Dev, cfg.Ledger, cfg.BatchSize = true, peersim.LedgerMemory, 1
	p, err := peersim.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	listen := func() net.Listener {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return lis
	}
	clientLis, ccLis := listen(), listen()
	if err := p.StartOn(context.Background(), peersim.Listeners{Client: clientLis, Chaincode: ccLis}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Errorf("stop peer: %v", err)
		}
	})
	conn, err := grpc.NewClient(clientLis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	admin, err := p.Org().Identity("Admin")
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(conn, admin)
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

// process is a chaincode binary the test started.
type process struct {
	done chan struct{} // closed when it has exited
	err  error         // its exit, once done is closed
}

// start runs bin with args and env added to ours, and kills it and waits
// for it when the test ends, logging its output if the test failed.
func start(t *testing.T, bin string, args []string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CHAINCODE_SERVER_ADDRESS=", "CHAINCODE_ID=", "CORE_CHAINCODE_ID_NAME=", "CORE_PEER_TLS_ENABLED=false")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	proc := &process{done: make(chan struct{})}
	go func() {
		proc.err = cmd.Wait()
		close(proc.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-proc.done
		if t.Failed() {
			t.Logf("output of %s %q:\n%s", filepath.Base(bin), args, out.String())
		}
	})
	return proc
}

// install installs name:1.0 on the peer as a chaincode-as-a-service package
// (a development-mode peer only needs it installed to accept the chaincode).
func install(ctx context.Context, t *testing.T, c *client.Client, name string) {
	t.Helper()
	dir := t.TempDir()
	conn, err := json.Marshal(ccpackage.Connection{Address: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "connection.json"), conn, 0o600); err != nil {
		t.Fatal(err)
	}
	pkg, err := ccpackage.Pack(ccpackage.PackOptions{Dir: dir, Label: ccpackage.Label(name, "1.0"), Type: ccpackage.TypeCCaaS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Install(ctx, name, "1.0", pkg); err != nil {
		t.Fatalf("install %s: %v", name, err)
	}
}

// TestFabricChaincodeOnPeersim builds testdata/chaincode twice, as written
// (Fabric's libraries) and with only its import paths rewritten (ours), runs
// both binaries against a real peersim peer they dial over TCP, and checks
// that the peer gets the same GetMetadata document from both and that
// submitted transactions commit with Fabric's semantics.
func TestFabricChaincodeOnPeersim(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries with the go command")
	}
	withoutLeaks(t, "both binaries serve the peer", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		dir := t.TempDir()
		bins := map[string]string{"fabric": buildChaincode(ctx, t, dir, false), "ours": buildChaincode(ctx, t, dir, true)}

		p, c := devPeer(t)
		_, ccAddr, _ := p.Addrs()
		metadata := map[string]any{}
		for _, name := range []string{"fabric", "ours"} {
			install(ctx, t, c, name)
			proc := start(t, bins[name], []string{"-peer.address", ccAddr}, "CORE_CHAINCODE_ID_NAME="+name+":1.0")
			waitConnected(ctx, t, p, name+":1.0", proc)
			if _, err := c.Instantiate(ctx, client.Deployment{Channel: peersim.DefaultChannel, Name: name, Version: "1.0"}); err != nil {
				t.Fatalf("instantiate %s: %v", name, err)
			}
			inv := func(args ...string) identity.Invocation {
				in := identity.Invocation{ChannelID: peersim.DefaultChannel, Chaincode: name}
				for _, a := range args {
					in.Args = append(in.Args, []byte(a))
				}
				return in
			}
			doc, err := c.Evaluate(ctx, inv(getMetadata))
			if err != nil {
				t.Fatalf("%s GetMetadata: %v", name, err)
			}
			metadata[name] = parseJSON(t, name+" GetMetadata", doc)

			if _, err := c.Submit(ctx, inv("Put", "colour", "blue")); err != nil {
				t.Fatalf("%s Put: %v", name, err)
			}
			if got, err := c.Evaluate(ctx, inv("Get", "colour")); err != nil || string(got) != "blue" {
				t.Errorf("%s: Get after the committed Put = %q, %v; want blue", name, got, err)
			}
			if res, err := c.Submit(ctx, inv("Swap", "colour", "red")); err != nil || string(res.Payload) != "blue" {
				t.Fatalf("%s: Swap read %v, %v in its own transaction; want blue, the committed value", name, res, err)
			}
			if got, err := c.Evaluate(ctx, inv("Get", "colour")); err != nil || string(got) != "red" {
				t.Errorf("%s: Get after the committed Swap = %q, %v; want red", name, got, err)
			}
			var refused *client.EndorseError
			if _, err := c.Evaluate(ctx, inv("Put", "colour")); !errors.As(err, &refused) || refused.Status != 500 {
				t.Errorf("%s: Put with one argument: %v, want a refused endorsement with status 500", name, err)
			}
		}
		if diff := cmp.Diff(metadata["fabric"], metadata["ours"]); diff != "" {
			t.Errorf("GetMetadata through the peer: ours differs from Fabric's (-Fabric +ours):\n%s", diff)
		}
	})
}

// waitConnected polls the peer until ccid has registered, failing early if
// the chaincode process exits.
func waitConnected(ctx context.Context, t *testing.T, p *peersim.Peer, ccid string, proc *process) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !slices.Contains(p.Connected(), ccid) {
		select {
		case <-proc.done:
			t.Fatalf("chaincode %s exited before it registered: %v", ccid, proc.err)
		case <-ctx.Done():
			t.Fatalf("chaincode %s did not register: %v", ccid, ctx.Err())
		case <-tick.C:
		}
	}
}

// freeAddress returns a 127.0.0.1 address with a port the kernel just
// handed out and released, for a process that takes an address to listen on.
func freeAddress(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	if err := lis.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestContractChaincodeServerServesAPeer runs the rewritten binary as a
// chaincode server (CHAINCODE_SERVER_ADDRESS, TLS off), dials it as a peer
// does for chaincode as a service, and checks the REGISTER handshake and a
// GetMetadata transaction over the stream.
func TestContractChaincodeServerServesAPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary with the go command")
	}
	withoutLeaks(t, "a peer dials the server", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		bin := buildChaincode(ctx, t, t.TempDir(), true)
		addr := freeAddress(t)
		proc := start(t, bin, nil, "CHAINCODE_SERVER_ADDRESS="+addr, "CHAINCODE_ID=ledger:1.0")

		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		streamCtx, stop := context.WithCancel(ctx)
		defer stop()
		// WaitForReady: the call waits for the server to listen, bounded by ctx.
		stream, err := peer.NewChaincodeClient(conn).Connect(streamCtx, grpc.WaitForReady(true))
		if err != nil {
			select {
			case <-proc.done:
				t.Fatalf("chaincode server exited: %v", proc.err)
			default:
			}
			t.Fatalf("connect to the chaincode server at %s: %v", addr, err)
		}

		recv := func(want peer.ChaincodeMessage_Type) *peer.ChaincodeMessage {
			t.Helper()
			msg, err := stream.Recv()
			if err != nil {
				t.Fatalf("waiting for %s: %v", want, err)
			}
			if msg.GetType() != want {
				t.Fatalf("got %s %q, want %s", msg.GetType(), msg.GetPayload(), want)
			}
			return msg
		}
		send := func(msg *peer.ChaincodeMessage) {
			t.Helper()
			if err := stream.Send(msg); err != nil {
				t.Fatalf("send %s: %v", msg.GetType(), err)
			}
		}

		reg := recv(peer.ChaincodeMessage_REGISTER)
		var id peer.ChaincodeID
		if err := proto.Unmarshal(reg.GetPayload(), &id); err != nil {
			t.Fatalf("REGISTER payload: %v", err)
		}
		if id.GetName() != "ledger:1.0" {
			t.Errorf("REGISTER names %q, want the CHAINCODE_ID ledger:1.0", id.GetName())
		}
		send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTERED})
		send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_READY})

		input, err := proto.Marshal(&peer.ChaincodeInput{Args: [][]byte{[]byte(getMetadata)}})
		if err != nil {
			t.Fatal(err)
		}
		send(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_TRANSACTION, Txid: "tx1", ChannelId: "mychannel", Payload: input})
		done := recv(peer.ChaincodeMessage_COMPLETED)
		if done.GetTxid() != "tx1" || done.GetChannelId() != "mychannel" {
			t.Errorf("COMPLETED for %s/%s, want mychannel/tx1", done.GetChannelId(), done.GetTxid())
		}
		var resp peer.Response
		if err := proto.Unmarshal(done.GetPayload(), &resp); err != nil {
			t.Fatalf("COMPLETED payload: %v", err)
		}
		if resp.GetStatus() != 200 {
			t.Fatalf("GetMetadata over the server stream: %d %s", resp.GetStatus(), resp.GetMessage())
		}
		var doc struct {
			Contracts map[string]struct {
				Name         string
				Transactions []struct{ Name string }
			}
		}
		if err := json.Unmarshal(resp.GetPayload(), &doc); err != nil {
			t.Fatalf("metadata over the server stream: %v\n%s", err, resp.GetPayload())
		}
		ledger := doc.Contracts["Ledger"]
		var names []string
		for _, tx := range ledger.Transactions {
			names = append(names, tx.Name)
		}
		if ledger.Name != "Ledger" || !slices.Equal(names, []string{"Get", "Put", "Swap"}) {
			t.Errorf("metadata has contract %q with transactions %q, want Ledger with Get, Put and Swap:\n%s", ledger.Name, names, resp.GetPayload())
		}
	})
}
